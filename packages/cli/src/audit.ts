import { type AuditRecord, auditReader } from '@driftguard/aws';
import { EXIT, UsageError } from './errors';
import { dim, green, red, yellow } from './format';

export interface AuditCommandOptions {
  since: string;
  rule?: string;
  account?: string;
  json: boolean;
  limit?: string;
  env?: NodeJS.ProcessEnv;
  out?: NodeJS.WritableStream;
  now?: () => number;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `24h`, `7d`, `2w`, or an ISO date/time (`2024-03-01`, `2024-03-01T10:00:00Z`). */
export function parseSince(text: string, nowMs: number): Date {
  const relative = /^(\d+)\s*([mhdw])$/i.exec(text.trim());
  if (relative)
    return new Date(nowMs - Number(relative[1]) * (UNITS[(relative[2] ?? 'h').toLowerCase()] ?? 0));
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const parsed = Date.parse(text);
    if (!Number.isNaN(parsed)) return new Date(parsed);
  }
  throw new UsageError(`--since ${text}: expected a duration such as 30m, 24h, 7d, 2w, or an ISO date`);
}

function cell(text: string, width: number): string {
  return (text.length > width ? `${text.slice(0, width - 1)}…` : text).padEnd(width);
}

/** `jira✔ SEC-12 · slack✘ · sns✔` */
function channelsCell(record: AuditRecord): string {
  const entries = Object.entries(record.channels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return dim('-');
  return entries
    .map(
      ([channel, result]) =>
        `${channel}${result.ok ? green('✔') : red('✘')}${result.ticket ? ` ${result.ticket.id}` : ''}`,
    )
    .join(' ');
}

const HEADER = `${cell('EVENT TIME', 20)} ${cell('ACCOUNT', 12)} ${cell('REGION', 14)} ${cell('RULE', 22)} ${cell('SEVERITY', 8)} ${cell('ACTION', 7)} ${cell('OUTCOME', 17)} ${cell('ACTOR', 40)} CHANNELS`;

function row(record: AuditRecord): string {
  const outcome = record.outcome?.status ?? '-';
  const paint = outcome === 'revert-failed' ? red : outcome === 'reverted' ? green : (text: string) => text;
  return [
    cell(record.eventTime, 20),
    cell(record.account, 12),
    cell(record.region, 14),
    cell(record.rule ?? '-', 22),
    cell(record.severity ?? '-', 8),
    cell(record.action, 7),
    paint(cell(outcome, 17)),
    cell(record.actor, 40),
    channelsCell(record),
  ].join(' ');
}

/**
 * `driftguard audit`: the audit trail from the state table (DRIFTGUARD_TABLE), newest first,
 * filtered by event time, rule and account. Honors AWS_ENDPOINT_URL (moto) and AWS_REGION.
 */
export async function audit(options: AuditCommandOptions): Promise<number> {
  const env = options.env ?? process.env;
  const out = options.out ?? process.stdout;
  const now = options.now ?? Date.now;
  const tableName = env.DRIFTGUARD_TABLE;
  if (!tableName)
    throw new UsageError(
      'set DRIFTGUARD_TABLE to the state table name (the "table" output of the SST stack)',
    );
  if (options.account && !/^\d{12}$/.test(options.account))
    throw new UsageError(`--account ${options.account}: expected a 12-digit account id`);
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new UsageError(`--limit ${options.limit}: expected a positive integer`);
  const since = parseSince(options.since, now());
  const store = auditReader({
    tableName,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    maxAttempts: 3,
    now,
  });
  let records: AuditRecord[];
  try {
    records = await store.list({
      since,
      until: new Date(now()),
      ...(options.rule ? { rule: options.rule } : {}),
      ...(options.account ? { account: options.account } : {}),
      ...(limit ? { limit } : {}),
    });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'ResourceNotFoundException')
      throw new UsageError(`the state table ${tableName} does not exist in this account/region`);
    throw new UsageError(`cannot read the audit trail from ${tableName}: ${(error as Error).message}`);
  }
  if (options.json) {
    for (const record of records) out.write(`${JSON.stringify(record)}\n`);
    return EXIT.ok;
  }
  out.write(`${HEADER}\n`);
  for (const record of records) {
    out.write(`${row(record)}\n`);
    if (record.outcome?.summary)
      out.write(dim(`    ${record.outcome.summary.replace(/\s+/g, ' ').slice(0, 160)}\n`));
    for (const [channel, result] of Object.entries(record.channels ?? {}))
      if (!result.ok) out.write(yellow(`    ${channel} failed: ${result.detail ?? 'no reason recorded'}\n`));
  }
  const filters = [
    options.rule && `rule ${options.rule}`,
    options.account && `account ${options.account}`,
  ].filter(Boolean);
  out.write(
    `\n${records.length} record(s) with an event time since ${since.toISOString()}${filters.length > 0 ? ` (${filters.join(', ')})` : ''}${limit && records.length >= limit ? ` — limited to ${limit}` : ''}\n`,
  );
  return EXIT.ok;
}
