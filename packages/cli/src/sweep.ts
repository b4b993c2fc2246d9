import {
  homeEc2,
  parseList,
  type RuntimeEnv,
  resolveSweepScope,
  runSweep,
  runtimeFromEnv,
  type SweepHandled,
  type SweepItemReport,
  type SweepReport,
  SweepScopeError,
} from '@driftguard/aws';
import { assess, type Config, normalizeCloudTrail, trustZoneOf } from '@driftguard/core';
import { EXIT, UsageError } from './errors';
import { dim, green, red, yellow } from './format';

export interface SweepCliOptions {
  accounts?: string;
  regions?: string;
  apply: boolean;
  json: boolean;
  config: Config;
  concurrency?: number;
  env?: RuntimeEnv & { DRIFTGUARD_SWEEP_ACCOUNTS?: string; DRIFTGUARD_SWEEP_REGIONS?: string };
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

function cell(text: string, width: number): string {
  const clipped = text.length > width ? `${text.slice(0, width - 1)}…` : text;
  return clipped.padEnd(width);
}

const HEADER = `${cell('ACCOUNT', 12)} ${cell('REGION', 14)} ${cell('RESOURCE', 24)} ${cell('RULE', 22)} ${cell('SEVERITY', 8)} ${cell('ACTION', 7)} ${cell('OUTCOME', 17)} SUMMARY`;

function row(item: SweepItemReport): string {
  const outcome = item.outcome ?? (item.status === 'error' ? 'error' : '-');
  const paint =
    item.status === 'error' || item.outcome === 'revert-failed' ? red : item.verified ? green : yellow;
  return [
    cell(item.account, 12),
    cell(item.region, 14),
    cell(item.resourceId, 24),
    cell(item.rule ?? '-', 22),
    cell(item.severity ?? '-', 8),
    cell(item.action ?? '-', 7),
    paint(cell(outcome, 17)),
    item.summary.replace(/\s+/g, ' ').slice(0, 160),
  ].join(' ');
}

/**
 * `driftguard sweep`: reads live state in every account and region (the member role, assumed with
 * the standard credential chain; AWS_ENDPOINT_URL honoured) and judges each resource with the same
 * evaluators as delivered events. Without `--apply` nothing is changed: the report is what a first
 * sweep shows a new organization. With `--apply` each change runs through the full pipeline (decide
 * → revert → verify → notify → audit, marked "found by sweep").
 */
export async function sweep(options: SweepCliOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const env = options.env ?? process.env;
  const runtime = runtimeFromEnv(env, { config: options.config });
  const { clients, organization } = runtime;
  if (!clients) throw new Error('driftguard runtime has no per-account clients');
  let scope: { accounts: string[]; regions: string[] };
  try {
    scope = await resolveSweepScope({
      accounts: parseList(options.accounts ?? env.DRIFTGUARD_SWEEP_ACCOUNTS),
      regions: parseList(options.regions ?? env.DRIFTGUARD_SWEEP_REGIONS),
      ...(organization ? { organization } : {}),
      ec2: homeEc2(env),
    });
  } catch (error) {
    if (error instanceof SweepScopeError) throw new UsageError(error.message);
    throw error;
  }
  const config = options.config;
  const handle = options.apply
    ? (event: Record<string, unknown>): Promise<SweepHandled> =>
        runtime.pipeline.process(event, { origin: 'sweep' })
    : async (event: Record<string, unknown>): Promise<SweepHandled> => {
        const normalized = normalizeCloudTrail(event);
        if (!normalized.ok) throw new Error(normalized.reason);
        const zone = trustZoneOf(config, organization ? await organization() : undefined);
        return {
          assessment: assess(normalized.change, config, zone, undefined, undefined, undefined, {
            origin: 'sweep',
          }),
        };
      };
  err.write(
    dim(
      `sweeping ${scope.accounts.length} account(s) × ${scope.regions.length} region(s)${options.apply ? ', applying' : ' (report only: nothing is changed without --apply)'}\n`,
    ),
  );
  const report: SweepReport = await runSweep({
    ...scope,
    clients,
    config: runtime.config,
    handle,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    onProgress: (progress) => {
      if (progress.kind !== 'unit-finished') return;
      const { unit, done, total } = progress;
      const where = `[${done}/${total}] ${unit.account} ${unit.region} ${unit.describer}`;
      const line =
        unit.status === 'ok'
          ? `${where}: ${unit.resources} resource(s), ${unit.violations} violation(s) ${dim(`(${unit.ms} ms)`)}`
          : red(`${where}: ${unit.status}: ${unit.error ?? ''}`);
      err.write(`${line}\n`);
    },
  });
  const shown = report.items.filter((item) => item.status === 'violation' || item.status === 'error');
  if (options.json) {
    out.write(`${JSON.stringify(report)}\n`);
  } else {
    if (shown.length > 0) {
      out.write(`${HEADER}\n`);
      for (const item of shown) out.write(`${row(item)}\n`);
    }
    const { totals } = report;
    out.write(
      `\n${totals.resources} resource(s) in ${scope.accounts.length} account(s) × ${scope.regions.length} region(s): ` +
        `${totals.violations} violation(s), ${totals.compliant} compliant` +
        `${options.apply ? `, ${totals.reverted} reverted and verified` : ''}` +
        `${totals.failedItems ? `, ${totals.failedItems} failed` : ''}` +
        `${totals.failedUnits ? red(`; ${totals.failedUnits} of ${totals.units} account/region unit(s) could not be swept`) : ''}` +
        `${totals.skippedUnits ? `; ${totals.skippedUnits} skipped` : ''}\n`,
    );
    for (const unit of report.units.filter((candidate) => candidate.status === 'failed'))
      out.write(red(`  ✘ ${unit.account} ${unit.region} ${unit.describer}: ${unit.error}\n`));
  }
  if (report.totals.failedUnits > 0 || report.totals.failedItems > 0) return EXIT.incomplete;
  return report.totals.violations > 0 ? EXIT.violations : EXIT.ok;
}
