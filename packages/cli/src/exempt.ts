import {
  checkExpiredExemptions,
  configFromEnv,
  DriftguardError,
  type ExemptionRecord,
  errorMessage,
  runtimeFromEnv,
} from '@driftguard/aws';
import {
  type Config,
  describeScope,
  type Exemption,
  type ExemptionRequest,
  formatDuration,
} from '@driftguard/core';
import { loadConfig } from './config-file';
import { EXIT, UsageError } from './errors';
import { bold, dim, green, red, yellow } from './format';
import { type SignedCall, signedCall } from './signed-api';

export interface ExemptContext {
  env?: NodeJS.ProcessEnv;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  now?: () => number;
}

/** Exit code when AWS refused or failed (the message says why); usage errors exit 2. */
export const EXIT_FAILED = 1;

/** Runs a command; an AWS failure is one line on stderr and exit code 1, never a stack trace. */
export async function reportingFailures(
  run: () => Promise<number>,
  context: ExemptContext = {},
): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof DriftguardError)) throw error;
    (context.err ?? process.stderr).write(`driftguard: ${error.message}\n`);
    return EXIT_FAILED;
  }
}

/** The config from --config, else DRIFTGUARD_CONFIG (what the deployed functions read), else defaults. */
export async function exemptConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Config> {
  if (path) return loadConfig(path);
  try {
    return configFromEnv(env);
  } catch (error) {
    throw new UsageError(`DRIFTGUARD_CONFIG: ${errorMessage(error)}`);
  }
}

function requireEnabled(config: Config): void {
  if (!config.exemptions.enabled)
    throw new UsageError(
      'exemptions are disabled: set "exemptions": { "enabled": true } in the driftguard config (--config or DRIFTGUARD_CONFIG) to allow break-glass exemptions',
    );
}

function tableOf(env: NodeJS.ProcessEnv): string {
  const table = env.DRIFTGUARD_TABLE;
  if (!table)
    throw new UsageError(
      'DRIFTGUARD_TABLE is not set: export DRIFTGUARD_TABLE=<name of the driftguard state table> (an output of the driftguard stack)',
    );
  return table;
}

/** AWS failures in words: a missing table is the usual one. */
function storeError(error: unknown, table: string, region: string): Error {
  if (error instanceof UsageError) return error;
  const name = (error as { name?: string }).name;
  if (name === 'ResourceNotFoundException')
    return new UsageError(
      `state table ${table} not found in ${region} (check DRIFTGUARD_TABLE and AWS_REGION)`,
    );
  return new DriftguardError(`state table ${table}: ${errorMessage(error)}`, { cause: error });
}

/** Where the exemption API is: --url, else DRIFTGUARD_EXEMPTIONS_URL (a stack output). */
function apiUrl(url: string | undefined, env: NodeJS.ProcessEnv): string {
  const value = url ?? env.DRIFTGUARD_EXEMPTIONS_URL;
  if (!value)
    throw new UsageError(
      'DRIFTGUARD_EXEMPTIONS_URL is not set: export DRIFTGUARD_EXEMPTIONS_URL=<the exemptionApi URL output of the driftguard stack> (or pass --url)',
    );
  return value;
}

/**
 * One signed call to the exemption API as the caller's own AWS identity. Refusals (4xx) are usage
 * errors with the API's reason (exit 2); anything else is a failure (exit 1).
 */
async function callApi(
  options: { url?: string },
  env: NodeJS.ProcessEnv,
  call: Pick<SignedCall, 'method' | 'path' | 'query' | 'body'>,
): Promise<Record<string, unknown>> {
  const url = apiUrl(options.url, env);
  let answer: Awaited<ReturnType<typeof signedCall>>;
  try {
    answer = await signedCall({ url, ...call, region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as { name?: string }).name === 'CredentialsProviderError')
      throw new UsageError(`no AWS credentials to sign with: ${errorMessage(error)}`);
    throw new DriftguardError(`cannot reach the exemption API at ${url}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const reason = typeof answer.body.error === 'string' ? answer.body.error : undefined;
  if (answer.status === 403 && !reason)
    throw new UsageError(
      `AWS refused the call to ${url} (403): your identity needs lambda:InvokeFunctionUrl and lambda:InvokeFunction on the exemption API function`,
    );
  if (answer.status >= 400 && answer.status < 500)
    throw new UsageError(reason ?? `refused (${answer.status})`);
  if (answer.status >= 300)
    throw new DriftguardError(`the exemption API failed (${answer.status})${reason ? `: ${reason}` : ''}`);
  return answer.body;
}

const announcedLines = (announced: unknown): string => {
  const list = Array.isArray(announced)
    ? (announced as { channel: string; ok: boolean; detail?: string }[])
    : [];
  return list.length === 0
    ? yellow('  not announced: the exemption API has no announcement channel\n')
    : list.map((a) => `  announced on ${a.channel}: ${a.ok ? 'ok' : red(a.detail ?? 'failed')}\n`).join('');
};

function state(record: ExemptionRecord, now: number): string {
  if (record.checkedAt) return 're-checked';
  if (record.exemption.revokedAt) return 'revoked, re-check due';
  return Date.parse(record.endsAt) <= now ? 'expired, re-check due' : 'active';
}

/** The old one-person grant: gone. Says how the two acts work instead. */
export async function exemptGrant(_options: unknown, context: ExemptContext = {}): Promise<number> {
  (context.err ?? process.stderr).write(
    'driftguard: `exempt grant` is gone: an exemption takes two people, each signed in as themselves.\n' +
      '  1. the requester:  driftguard exempt request --account <id> [--resource <id>] [--rule <id>] --for 2h --reason "…" --ticket CHG-1234\n' +
      '  2. someone else:   driftguard exempt approve <request id>\n' +
      '  Both calls are signed with your own AWS credentials (the exemption API URL: DRIFTGUARD_EXEMPTIONS_URL).\n',
  );
  return EXIT.usage;
}

export interface RequestOptions {
  account: string;
  resource?: string;
  rule?: string;
  for: string;
  reason: string;
  ticket: string;
  url?: string;
  json?: boolean;
}

/** `driftguard exempt request`: the first act, as your AWS identity. Nothing is exempted yet. */
export async function exemptRequest(options: RequestOptions, context: ExemptContext = {}): Promise<number> {
  const env = context.env ?? process.env;
  const out = context.out ?? process.stdout;
  const body = await callApi(options, env, {
    method: 'POST' as const,
    path: '/requests',
    body: {
      account: options.account,
      ...(options.resource ? { resource: options.resource } : {}),
      ...(options.rule ? { rule: options.rule } : {}),
      duration: options.for,
      reason: options.reason,
      ticket: options.ticket,
    },
  });
  const request = body.request as ExemptionRequest;
  if (options.json) out.write(`${JSON.stringify(body, null, 2)}\n`);
  else
    out.write(
      `${green('✔')} request ${bold(request.id)} recorded: ${describeScope(request)} for ${request.duration}\n` +
        `  requested by ${request.requester}; ticket ${request.ticket}; reason: ${request.reason}\n` +
        dim(
          `  Nothing is exempted yet. Another principal approves it with: driftguard exempt approve ${request.id} (before ${request.validUntil})\n`,
        ),
    );
  return EXIT.ok;
}

/** POSTs an action on one request or exemption (its id already in `path`): the answer and where to print it. */
async function postOn(
  path: string,
  options: { url?: string },
  context: ExemptContext,
): Promise<{ body: Record<string, unknown>; out: NodeJS.WritableStream }> {
  const out = context.out ?? process.stdout;
  const body = await callApi(options, context.env ?? process.env, { method: 'POST' as const, path });
  return { body, out };
}

/** `driftguard exempt approve <id>`: the second act, by another AWS principal; the exemption starts now. */
export async function exemptApprove(
  id: string,
  options: { url?: string; json?: boolean },
  context: ExemptContext = {},
): Promise<number> {
  const { body, out } = await postOn(`/requests/${encodeURIComponent(id)}/approve`, options, context);
  const exemption = body.exemption as Exemption;
  if (options.json) {
    out.write(`${JSON.stringify(body, null, 2)}\n`);
    return EXIT.ok;
  }
  const length = formatDuration(Date.parse(exemption.expiresAt) - Date.parse(exemption.grantedAt));
  out.write(
    `${green('✔')} exemption ${bold(exemption.id)} granted: ${describeScope(exemption)}\n` +
      `  until ${exemption.expiresAt} (${length}); requested by ${exemption.requester}, approved by ${exemption.approver}\n` +
      `  ticket ${exemption.ticket}; reason: ${exemption.reason}\n` +
      dim(
        '  Violations in this scope are alerted on, not reverted. When it ends, whatever still violates is reverted.\n',
      ) +
      announcedLines(body.announced),
  );
  return EXIT.ok;
}

/** `driftguard exempt list`: active exemptions (or every one still kept, with --ended; pending requests with --pending). */
export async function exemptList(
  options: { account?: string; ended?: boolean; pending?: boolean; json?: boolean; url?: string },
  context: ExemptContext = {},
): Promise<number> {
  const env = context.env ?? process.env;
  const out = context.out ?? process.stdout;
  const now = (context.now ?? Date.now)();
  if (options.account !== undefined && !/^\d{12}$/.test(options.account))
    throw new UsageError(`--account must be a 12-digit AWS account id, not "${options.account}"`);
  if (options.pending) {
    const body = await callApi(options, env, { method: 'GET' as const, path: '/requests' });
    const requests = ((body.requests ?? []) as { request: ExemptionRequest }[]).filter(
      (record) => !options.account || record.request.account === options.account,
    );
    if (options.json) out.write(`${JSON.stringify(requests, null, 2)}\n`);
    else if (requests.length === 0) out.write('no pending requests\n');
    else
      for (const { request } of requests)
        out.write(
          `${bold(request.id)}  pending  ${describeScope(request)} for ${request.duration}\n` +
            `  requested by ${request.requester} at ${request.requestedAt} (lapses ${request.validUntil}); ticket ${request.ticket}\n` +
            `  reason: ${request.reason}\n`,
        );
    return EXIT.ok;
  }
  const body = await callApi(options, env, {
    method: 'GET' as const,
    path: '/exemptions',
    query: {
      ...(options.account ? { account: options.account } : {}),
      ...(options.ended ? { ended: 'true' } : {}),
    },
  });
  const records = (body.exemptions ?? []) as ExemptionRecord[];
  if (options.json) {
    out.write(
      `${JSON.stringify(
        records.map((record) => ({ ...record, state: state(record, now) })),
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }
  if (records.length === 0) {
    out.write(
      `no ${options.ended ? '' : 'active '}exemptions${options.account ? ` in ${options.account}` : ''}\n`,
    );
    return EXIT.ok;
  }
  for (const record of records) {
    const { exemption } = record;
    out.write(
      `${bold(exemption.id)}  ${state(record, now)}  ${describeScope(exemption)}\n` +
        `  ${exemption.grantedAt} → ${record.endsAt}; requested by ${exemption.requester}, approved by ${exemption.approver}; ticket ${exemption.ticket}; used ${record.uses} time(s)\n` +
        `  reason: ${exemption.reason}\n` +
        (exemption.revokedAt
          ? `  revoked at ${exemption.revokedAt} by ${exemption.revokedBy ?? 'unknown'}\n`
          : ''),
    );
  }
  return EXIT.ok;
}

/** `driftguard exempt revoke <id>`: ends an exemption now, as your AWS identity; the next expiry check re-checks what it covered. */
export async function exemptRevoke(
  id: string,
  options: { url?: string; json?: boolean },
  context: ExemptContext = {},
): Promise<number> {
  const { body, out } = await postOn(`/exemptions/${encodeURIComponent(id)}/revoke`, options, context);
  const record = body.exemption as ExemptionRecord;
  if (options.json) out.write(`${JSON.stringify(record, null, 2)}\n`);
  else
    out.write(
      `${green('✔')} exemption ${bold(id)} revoked by ${record.exemption.revokedBy} (${describeScope(record.exemption)})\n` +
        dim(
          `  ${record.uses} change(s) it covered are re-checked against live state by the next expiry check (scheduled)\n`,
        ),
    );
  return EXIT.ok;
}

/**
 * `driftguard exempt check-expired`: the scheduled check, run locally. Re-runs the changes each
 * ended exemption covered through the pipeline (reverting what still violates) and announces it.
 */
export async function exemptCheckExpired(
  options: { config?: string; json?: boolean },
  context: ExemptContext = {},
): Promise<number> {
  const env = context.env ?? process.env;
  const out = context.out ?? process.stdout;
  const config = await exemptConfig(options.config, env);
  requireEnabled(config);
  const table = tableOf(env);
  const runtime = runtimeFromEnv(env, { config });
  if (!runtime.exemptions) throw new UsageError('exemptions need DRIFTGUARD_TABLE');
  if (!runtime.clients) throw new DriftguardError('driftguard runtime has no per-account clients');
  let checks: Awaited<ReturnType<typeof checkExpiredExemptions>>;
  try {
    checks = await checkExpiredExemptions({
      exemptions: runtime.exemptions,
      pipeline: runtime.pipeline,
      clients: runtime.clients,
      config: runtime.config,
      ...(runtime.announce ? { announce: runtime.announce } : {}),
      ...(context.now ? { now: context.now } : {}),
    });
  } catch (error) {
    throw storeError(error, table, env.AWS_REGION ?? 'us-east-1');
  }
  if (options.json) out.write(`${JSON.stringify(checks, null, 2)}\n`);
  else if (checks.length === 0) out.write('no ended exemption awaits its re-check\n');
  else
    for (const check of checks) {
      out.write(
        `${check.complete ? green('✔') : red('✘')} ${bold(check.exemption.id)} (${describeScope(check.exemption)}): ${check.rechecked.length} change(s) re-checked\n`,
      );
      for (const result of check.rechecked)
        out.write(`    ${result.eventId} ${result.rule ?? ''}: ${result.outcome} — ${result.summary}\n`);
    }
  return checks.every((check) => check.complete) ? EXIT.ok : EXIT.incomplete;
}
