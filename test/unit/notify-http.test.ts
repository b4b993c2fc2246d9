import { deliver, parseRetryAfter } from '@driftguard/notify';
import { afterEach, describe, expect, it } from 'vitest';
import { type Loopback, loopback, recordingSleep } from '../support/notify';

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const post = (url: string) => ({
  method: 'POST' as const,
  url,
  headers: { 'content-type': 'application/json' },
  body: '{"hello":"world"}',
});

describe('deliver: timeouts and bounded retries', () => {
  it('waits the Retry-After a 429 asks for (seconds, for real), then succeeds', async () => {
    server = await loopback((_request, index) =>
      index === 0
        ? { status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }
        : { status: 200, body: 'ok' },
    );
    const result = await deliver('test', post(`${server.url}/hook`), { policy: { backoffMs: 0 } });
    expect(result).toEqual({ ok: true, status: 200, text: 'ok', attempts: 2 });
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(second?.body).toBe('{"hello":"world"}');
  });

  it('honours Retry-After as an HTTP date on a 503, and backs off exponentially on a 500 without one', async () => {
    const now = Date.parse('2024-03-01T10:00:00Z');
    server = await loopback(
      (_request, index) =>
        [
          { status: 503, headers: { 'retry-after': 'Fri, 01 Mar 2024 10:00:07 GMT' } },
          { status: 500, body: 'boom' },
          { status: 502 },
          { status: 200, body: 'ok' },
        ][index] ?? { status: 200 },
    );
    const { sleep, delays } = recordingSleep();
    const result = await deliver('test', post(server.url), {
      policy: { attempts: 4, backoffMs: 100, maxRetryAfterMs: 10_000 },
      sleep,
      now: () => now,
      random: () => 1,
    });
    expect(result.ok).toBe(true);
    expect(result.attempts).toBe(4);
    // 7 s from the date; then 100 ms × 2^1 and × 2^2 (jitter at its maximum).
    expect(delays).toEqual([7000, 200, 400]);
  });

  it('gives up after the attempts allowed and says why, without the URL (it may be a secret)', async () => {
    server = await loopback(() => ({ status: 500, body: '{"error":"internal"}' }));
    const { sleep, delays } = recordingSleep();
    const secretUrl = `${server.url}/services/T000/B000/XXXXSECRETXXXX`;
    const result = await deliver('slack', post(secretUrl), { policy: { attempts: 3 }, sleep });
    expect(result).toMatchObject({
      ok: false,
      status: 500,
      attempts: 3,
      reason: 'slack: HTTP 500 {"error":"internal"} (gave up after 3 attempt(s))',
    });
    expect(server.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(JSON.stringify(result)).not.toContain('SECRET');
  });

  it('does not retry a permanent failure (4xx other than 408/429)', async () => {
    server = await loopback(() => ({ status: 404, body: 'no_service' }));
    const { sleep } = recordingSleep();
    const result = await deliver('slack', post(server.url), { sleep });
    expect(result).toMatchObject({
      ok: false,
      status: 404,
      attempts: 1,
      reason: 'slack: HTTP 404 no_service',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up at once when Retry-After exceeds what the deadline allows', async () => {
    server = await loopback(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const { sleep, delays } = recordingSleep();
    const result = await deliver('jira', post(server.url), { sleep, policy: { maxRetryAfterMs: 10_000 } });
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      reason: 'jira: HTTP 429 (asked to retry after 3600 s, more than the 10 s allowed)',
    });
    expect(delays).toEqual([]);
  });

  it('times out a server that does not answer, retries, and reports the timeout', async () => {
    server = await loopback((_request, index) =>
      index < 2 ? { status: 200, delayMs: 2_000 } : { status: 200, body: 'ok' },
    );
    const { sleep } = recordingSleep();
    const started = Date.now();
    const slow = await deliver('webhook', post(server.url), {
      sleep,
      policy: { timeoutMs: 200, attempts: 1 },
    });
    expect(slow).toMatchObject({
      ok: false,
      attempts: 1,
      reason: 'webhook: timed out after 200 ms (gave up after 1 attempt(s))',
    });
    expect(Date.now() - started).toBeLessThan(1_500);
    const retried = await deliver('webhook', post(server.url), {
      sleep,
      policy: { timeoutMs: 200, attempts: 2 },
    });
    expect(retried).toMatchObject({ ok: true, attempts: 2 });
  });

  it('retries a refused connection and reports the error code', async () => {
    server = await loopback(() => ({ status: 200 }));
    const url = server.url;
    await server.close();
    server = undefined;
    const { sleep, delays } = recordingSleep();
    const result = await deliver('github', post(url), { sleep, policy: { attempts: 2 } });
    expect(result).toMatchObject({
      ok: false,
      attempts: 2,
      reason: 'github: connection failed (ECONNREFUSED) (gave up after 2 attempt(s))',
    });
    expect(delays).toHaveLength(1);
  });

  it('treats GitHub rate-limit 403s as retryable and waits until the reset', async () => {
    const now = 1_700_000_000_000;
    server = await loopback((_request, index) =>
      index === 0
        ? {
            status: 403,
            headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 3) },
          }
        : { status: 201, body: '{}' },
    );
    const { sleep, delays } = recordingSleep();
    const result = await deliver('github', post(server.url), { sleep, now: () => now });
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(delays).toEqual([3000]);
  });
});

describe('deliver: secrets stay out of reasons', () => {
  it('a malformed secret URL is not quoted back', async () => {
    const { sleep } = recordingSleep();
    const result = await deliver('slack', post('https://hooks.slack.com:99999/services/T0/B0/SECRETPART'), {
      sleep,
      policy: { attempts: 1 },
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/^slack: /);
    expect(JSON.stringify(result)).not.toContain('SECRETPART');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, ignores garbage', () => {
    const now = Date.parse('2024-03-01T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Fri, 01 Mar 2024 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 01 Mar 2024 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
