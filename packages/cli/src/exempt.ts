import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  checkExpiredExemptions,
  clientConfig,
  configFromEnv,
  DriftguardError,
  dynamoExemptionStore,
  ExemptionNotFoundError,
  type ExemptionRecord,
  type ExemptionStore,
  enforcementFromEnv,
  errorMessage,
  runtimeFromEnv,
} from '@driftguard/aws';
import { CATALOG, type Config, describeScope, formatDuration, validateGrant } from '@driftguard/core';
import { loadConfig } from './config-file';
import { bold, dim, green, red, yellow } from './format';
import { EXIT, UsageError } from './usage';

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

function storeFor(env: NodeJS.ProcessEnv): { store: ExemptionStore; table: string; region: string } {
  const table = tableOf(env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient(clientConfig({ region, endpoint: env.AWS_ENDPOINT_URL, maxAttempts: 3 })),
  );
  return { store: dynamoExemptionStore(ddb, table), table, region };
}

/** AWS failures in words: a missing table is the usual one. */
function storeError(error: unknown, table: string, region: string): Error {
  if (error instanceof UsageError || error instanceof ExemptionNotFoundError) return error;
  const name = (error as { name?: string }).name;
  if (name === 'ResourceNotFoundException')
    return new UsageError(
      `state table ${table} not found in ${region} (check DRIFTGUARD_TABLE and AWS_REGION)`,
    );
  return new DriftguardError(`state table ${table}: ${errorMessage(error)}`, { cause: error });
}

async function callerIdentity(env: NodeJS.ProcessEnv): Promise<string> {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  try {
    const sts = new STSClient(clientConfig({ region, endpoint: env.AWS_ENDPOINT_URL, maxAttempts: 2 }));
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Arn) throw new Error('no ARN in the answer');
    return Arn;
  } catch (error) {
    throw new UsageError(
      `cannot tell who you are (STS GetCallerIdentity: ${errorMessage(error)}): pass --requester`,
    );
  }
}

function exemptionId(now: number): string {
  return `ex-${new Date(now).toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}

function state(record: ExemptionRecord, now: number): string {
  if (record.checkedAt) return 're-checked';
  if (record.exemption.revokedAt) return 'revoked, re-check due';
  return Date.parse(record.endsAt) <= now ? 'expired, re-check due' : 'active';
}

export interface GrantOptions {
  account: string;
  resource?: string;
  rule?: string;
  for: string;
  reason: string;
  ticket: string;
  approver: string;
  requester?: string;
  config?: string;
  json?: boolean;
}

/** `driftguard exempt grant`: validates (two-person rule, maximum duration), records, announces. */
export async function exemptGrant(options: GrantOptions, context: ExemptContext = {}): Promise<number> {
  const env = context.env ?? process.env;
  const out = context.out ?? process.stdout;
  const now = (context.now ?? Date.now)();
  const config = await exemptConfig(options.config, env);
  requireEnabled(config);
  const table = tableOf(env);
  const requester = options.requester ?? (await callerIdentity(env));
  const granted = validateGrant(
    {
      account: options.account,
      ...(options.resource ? { resource: options.resource } : {}),
      ...(options.rule ? { rule: options.rule } : {}),
      duration: options.for,
      reason: options.reason,
      ticket: options.ticket,
      requester,
      approver: options.approver,
    },
    config,
    { id: exemptionId(now), now, knownRules: CATALOG.map((guardrail) => guardrail.id) },
  );
  if (!granted.ok) throw new UsageError(granted.reason);
  const { exemption } = granted;
  const { store, region } = storeFor(env);
  try {
    await store.grant(exemption);
  } catch (error) {
    throw storeError(error, table, region);
  }
  const announced = await enforcementFromEnv(env, config).announce({
    kind: 'exemption-granted',
    at: new Date(now).toISOString(),
    exemption,
  });
  if (options.json) {
    out.write(`${JSON.stringify({ exemption, announced }, null, 2)}\n`);
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
      (announced.length === 0
        ? yellow('  not announced: no announcement channel (set DRIFTGUARD_TOPIC_ARN)\n')
        : announced
            .map((a) => `  announced on ${a.channel}: ${a.ok ? 'ok' : red(a.detail ?? 'failed')}\n`)
            .join('')),
  );
  return EXIT.ok;
}

/** `driftguard exempt list`: active exemptions (or every one still kept, with --ended). */
export async function exemptList(
  options: { account?: string; ended?: boolean; json?: boolean; config?: string },
  context: ExemptContext = {},
): Promise<number> {
  const env = context.env ?? process.env;
  const out = context.out ?? process.stdout;
  const now = (context.now ?? Date.now)();
  requireEnabled(await exemptConfig(options.config, env));
  if (options.account !== undefined && !/^\d{12}$/.test(options.account))
    throw new UsageError(`--account must be a 12-digit AWS account id, not "${options.account}"`);
  const { store, table, region } = storeFor(env);
  let records: ExemptionRecord[];
  try {
    records = await store.list({
      now,
      ...(options.account ? { account: options.account } : {}),
      ...(options.ended ? { ended: true } : {}),
    });
  } catch (error) {
    throw storeError(error, table, region);
  }
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

/** `driftguard exempt revoke <id>`: ends an exemption now; the next expiry check re-checks what it covered. */
export async function exemptRevoke(
  id: string,
  options: { by?: string; config?: string; json?: boolean },
  context: ExemptContext = {},
): Promise<number> {
  const env = context.env ?? process.env;
  const out = context.out ?? process.stdout;
  const now = (context.now ?? Date.now)();
  const config = await exemptConfig(options.config, env);
  requireEnabled(config);
  const { store, table, region } = storeFor(env);
  const by = options.by ?? (await callerIdentity(env));
  let record: ExemptionRecord;
  try {
    record = await store.revoke(id, by, new Date(now).toISOString());
  } catch (error) {
    const reason = storeError(error, table, region);
    if (reason instanceof ExemptionNotFoundError) throw new UsageError(reason.message);
    throw reason;
  }
  await enforcementFromEnv(env, config).announce({
    kind: 'exemption-revoked',
    at: new Date(now).toISOString(),
    exemption: record.exemption,
    by,
  });
  if (options.json) out.write(`${JSON.stringify(record, null, 2)}\n`);
  else
    out.write(
      `${green('✔')} exemption ${bold(id)} revoked by ${by} (${describeScope(record.exemption)})\n` +
        dim(
          `  ${record.uses} change(s) it covered are re-checked by the next expiry check (scheduled), or now with: driftguard exempt check-expired\n`,
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
  let checks: Awaited<ReturnType<typeof checkExpiredExemptions>>;
  try {
    checks = await checkExpiredExemptions({
      exemptions: runtime.exemptions,
      pipeline: runtime.pipeline,
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
