import { Logger } from '@aws-lambda-powertools/logger';
import {
  CONFIG_REJECTED_MESSAGE,
  homeEc2,
  parseList,
  resolveSweepScope,
  runSweep,
  runtimeLoader,
} from '@driftguard/aws';
import type { Context } from 'aws-lambda';

const logger = new Logger({ serviceName: 'driftguard-sweep' });
const loadRuntime = runtimeLoader(process.env, {
  onConfigRejected: (reason) => logger.error(CONFIG_REJECTED_MESSAGE, { reason }),
});
/** Time kept back from the function's timeout to finish the units in flight and log the report. */
const MARGIN_MS = 60_000;

/**
 * Scheduled reconciliation: reads live state in every account and region and runs each resource
 * through the same pipeline as delivered events (marked "found by sweep"). A failing account or
 * region is logged and does not stop the others; the run never throws for them (a retry would
 * sweep everything again), so the alarm is on the `sweep unit failed` log lines.
 */
export async function handler(_event: unknown, context: Context) {
  const { clients, organization, pipeline } = await loadRuntime();
  if (!clients) throw new Error('driftguard runtime has no per-account clients');
  const scope = await resolveSweepScope({
    accounts: parseList(process.env.DRIFTGUARD_SWEEP_ACCOUNTS),
    regions: parseList(process.env.DRIFTGUARD_SWEEP_REGIONS),
    ...(organization ? { organization } : {}),
    ec2: homeEc2(process.env),
  });
  const report = await runSweep({
    ...scope,
    clients,
    handle: (event) => pipeline.process(event, { origin: 'sweep' }),
    deadline: Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS,
    onProgress: (progress) => {
      if (progress.kind === 'unit-finished' && progress.unit.status !== 'ok')
        logger.warn('sweep unit failed', { ...progress.unit });
    },
  });
  logger.info('sweep finished', { runId: report.runId, ...report.totals });
  return { runId: report.runId, totals: report.totals };
}
