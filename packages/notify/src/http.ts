/**
 * One HTTP delivery with a timeout per attempt and bounded retries. Expected failures (HTTP
 * errors, timeouts, refused connections) are values, never exceptions, and their reasons never
 * contain the URL or headers: webhook URLs and tokens are secrets.
 */

export interface DeliveryPolicy {
  /** Per attempt, including reading the response body. */
  timeoutMs: number;
  /** Attempts in total, including the first. */
  attempts: number;
  /** First backoff delay; doubles per retry, with jitter (50–100 % of the step). */
  backoffMs: number;
  /** A server asking to wait longer than this (Retry-After) ends the delivery instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_POLICY: DeliveryPolicy = {
  timeoutMs: 3_000,
  attempts: 3,
  backoffMs: 250,
  maxRetryAfterMs: 5_000,
};

export interface HttpOptions {
  policy?: Partial<DeliveryPolicy>;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export type Delivery =
  | { ok: true; status: number; text: string; attempts: number }
  | {
      ok: false;
      reason: string;
      attempts: number;
      /** The last HTTP status, when the server answered. */
      status?: number;
      text?: string;
    };

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seconds (`120`) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** What the server said about retrying: undefined = permanent failure. */
function retryAdvice(response: Response, nowMs: number): { delayMs?: number } | undefined {
  const { status } = response;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  if (status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)) {
    return { delayMs: retryAfter };
  }
  // GitHub's primary and secondary rate limits answer 403 with one of these headers.
  if (status === 403) {
    if (retryAfter !== undefined) return { delayMs: retryAfter };
    if (response.headers.get('x-ratelimit-remaining') === '0') {
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      return { delayMs: Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - nowMs) : undefined };
    }
  }
  return undefined;
}

/** One line, bounded: enough to see what the server objected to. */
export function excerpt(text: string, max = 300): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: response bodies go into one log line
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `timed out after ${timeoutMs} ms`;
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `connection failed (${cause.code})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends `request` until it succeeds (2xx), fails permanently (other 4xx), or the attempts run out.
 * Retries 408, 429 and 5xx (and GitHub's rate-limit 403s), network errors and timeouts, waiting
 * `Retry-After` when the server gives one, else exponential backoff with jitter. `request` may be a
 * function, called per attempt (signed webhooks re-sign with a fresh timestamp).
 */
export async function deliver(
  label: string,
  request: HttpRequest | (() => HttpRequest),
  options: HttpOptions = {},
): Promise<Delivery> {
  const policy = { ...DEFAULT_POLICY, ...options.policy };
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? sleepFor;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  let last: Extract<Delivery, { ok: false }> = { ok: false, reason: `${label}: not attempted`, attempts: 0 };
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    const current = typeof request === 'function' ? request() : request;
    let delayMs: number | undefined;
    try {
      const response = await doFetch(current.url, {
        method: current.method,
        headers: current.headers,
        ...(current.body !== undefined ? { body: current.body } : {}),
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const text = await response.text();
      if (response.ok) return { ok: true, status: response.status, text, attempts: attempt };
      const advice = retryAdvice(response, now());
      last = {
        ok: false,
        status: response.status,
        text,
        attempts: attempt,
        reason: `${label}: HTTP ${response.status}${text ? ` ${excerpt(text)}` : ''}`,
      };
      if (!advice) return last;
      delayMs = advice.delayMs;
      if (delayMs !== undefined && delayMs > policy.maxRetryAfterMs) {
        return {
          ...last,
          reason: `${last.reason} (asked to retry after ${Math.ceil(delayMs / 1000)} s, more than the ${Math.round(policy.maxRetryAfterMs / 1000)} s allowed)`,
        };
      }
    } catch (error) {
      // Some fetch errors quote the URL (e.g. "Failed to parse URL from …"): it may be a secret.
      const described = describeError(error, policy.timeoutMs).split(current.url).join('<url>');
      last = { ok: false, attempts: attempt, reason: `${label}: ${described}` };
    }
    if (attempt === policy.attempts) break;
    const step = policy.backoffMs * 2 ** (attempt - 1);
    await sleep(delayMs ?? Math.round(step * (0.5 + random() / 2)));
  }
  return { ...last, reason: `${last.reason} (gave up after ${last.attempts} attempt(s))` };
}
