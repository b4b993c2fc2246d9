import { Logger } from '@aws-lambda-powertools/logger';
import {
  CONFIG_REJECTED_MESSAGE,
  describersFor,
  homeEc2,
  parseList,
  planSweep,
  resolveSweepScope,
  runtimeLoader,
  type SweepEnv,
  sweepRuntimeFromEnv,
} from '@driftguard/aws';
import { FunctionMetrics, METRICS, SERVICES } from './metrics';
import { REQUIRED_SETTINGS, requireSettings } from './required-settings';

// Before anything is wired: a function missing its table, topic or queue does not start.
requireSettings(SERVICES.sweepPlanner, REQUIRED_SETTINGS.sweepPlanner);
const logger = new Logger({ serviceName: SERVICES.sweepPlanner });
const metrics = new FunctionMetrics(SERVICES.sweepPlanner);
/** The config comes from Parameter Store, cached; a refused publish keeps the last good one. */
const loadRuntime = runtimeLoader(process.env, {
  onConfigRejected: (reason) => logger.error(CONFIG_REJECTED_MESSAGE, { reason }),
  logger,
});
/** Logged when a run ended with units nobody swept (counted as the SweepUnitsUnreached metric). */
export const UNREACHED_MESSAGE = 'sweep units unreached';

/**
 * Scheduled: plans one sweep run. Lists the accounts (Organizations) and regions, records the run,
 * and puts one message per (account, region, kind) on the work queue for the workers. Reports the
 * run it supersedes with the units that run never reached. It throws (alarmed, retried by the
 * scheduler as a new run) only when the scope cannot be read or units could not be enqueued.
 */
export async function handler() {
  const env = process.env as SweepEnv;
  const runtime = await loadRuntime();
  const sweep = sweepRuntimeFromEnv(env);
  const scope = await resolveSweepScope({
    accounts: parseList(env.DRIFTGUARD_SWEEP_ACCOUNTS),
    regions: parseList(env.DRIFTGUARD_SWEEP_REGIONS),
    ...(runtime.organization ? { organization: runtime.organization } : {}),
    ec2: homeEc2(env),
  });
  const planned = await planSweep({ ...scope, describers: describersFor(), ...sweep });
  const { run, previous, notEnqueued } = planned;
  // This invocation's run on each line below; the previous invocation's is dropped first.
  logger.resetKeys();
  logger.appendKeys({ runId: run.runId });
  metrics.count(METRICS.sweepUnitsPlanned, run.planned);
  if (previous) {
    const { run: before, unreached } = previous;
    metrics.count(METRICS.sweepUnitsUnreached, unreached);
    const fields = {
      previousRunId: before.runId,
      planned: before.planned,
      done: before.done,
      failed: before.failed,
    };
    if (unreached > 0) logger.error(UNREACHED_MESSAGE, { ...fields, unreached, supersededBy: run.runId });
    else logger.info('previous sweep run', { ...fields, unreached, completedAt: before.completedAt });
  }
  logger.info('sweep run planned', {
    ...run,
    accounts: scope.accounts.length,
    regions: scope.regions.length,
  });
  if (notEnqueued.length > 0) {
    for (const { unit, reason } of notEnqueued.slice(0, 20))
      logger.error('sweep unit not enqueued', { ...unit, reason });
    throw new Error(
      `${notEnqueued.length} of ${run.planned} sweep units could not be enqueued (counted failed)`,
    );
  }
  return {
    runId: run.runId,
    planned: run.planned,
    ...(previous ? { previous: { runId: previous.run.runId, unreached: previous.unreached } } : {}),
  };
}
