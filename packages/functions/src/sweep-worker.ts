import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CONFIG_REJECTED_MESSAGE,
  describersFor,
  itemFailed,
  runtimeLoader,
  type SweepEnv,
  sweepRuntimeFromEnv,
  sweepWorker,
} from '@driftguard/aws';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { FunctionMetrics, METRICS, SERVICES } from './metrics';
import { recordLogging, unitKeys } from './record-logger';
import { REQUIRED_SETTINGS, requireSettings } from './required-settings';

// Before anything is wired: a function missing its table, topic or queue does not start.
requireSettings(SERVICES.sweepWorker, REQUIRED_SETTINGS.sweepWorker);
const logger = new Logger({ serviceName: SERVICES.sweepWorker });
const logging = recordLogging(logger);
const metrics = new FunctionMetrics(SERVICES.sweepWorker);
const processor = new BatchProcessor(EventType.SQS);
/** Logged for a unit that failed on its last delivery (counted as the SweepUnitFailures metric). */
export const UNIT_FAILED_MESSAGE = 'sweep unit failed';
/** The config comes from Parameter Store, cached; a refused publish keeps the last good one. */
const loadRuntime = runtimeLoader(process.env, {
  onConfigRejected: (reason) => logger.error(CONFIG_REJECTED_MESSAGE, { reason }),
  logger: logging.library,
});
let work: ReturnType<typeof sweepWorker> | undefined;

function wire() {
  const { store, maxReceiveCount } = sweepRuntimeFromEnv(process.env as SweepEnv);
  return sweepWorker({
    describers: describersFor(),
    store,
    maxReceiveCount,
    onItem: (item) => {
      if (item.status === 'violation' || itemFailed(item)) logging.log().info('sweep item', { ...item });
    },
  });
}

/** One (account, region, kind) unit per message, fed by the work queue (infra/scheduled.ts). */
async function processRecord(record: SQSRecord) {
  work ??= wire();
  const runtime = await loadRuntime();
  if (!runtime.clients) throw new Error('driftguard runtime has no per-account clients');
  const result = await work(record.body, Number(record.attributes.ApproximateReceiveCount), {
    clients: runtime.clients,
    config: runtime.config,
    ...(runtime.snapshots ? { snapshots: runtime.snapshots } : {}),
    handle: (event, _resource, snapshots) =>
      runtime.pipeline.process(event, { origin: 'sweep', ...(snapshots ? { snapshots } : {}) }),
  });
  const log = logging.log();
  if (result.kind === 'superseded')
    return log.info('sweep unit superseded', { ...result.unit, latest: result.latest });
  const { unit, report, counted } = result;
  // Counted once per unit, as its run counts it (a redelivery of a counted unit adds nothing).
  if (counted && result.kind === 'failed') metrics.count(METRICS.sweepUnitFailures);
  if (counted && result.kind === 'swept') {
    metrics.count(METRICS.sweepUnitsSwept);
    metrics.count(METRICS.sweepViolations, report.violations);
  }
  if (result.kind === 'failed') log.error(UNIT_FAILED_MESSAGE, { runId: unit.runId, ...report, counted });
  else log.info('sweep unit done', { runId: unit.runId, ...report, counted });
  if (result.completed) log.info('sweep run complete', { ...result.completed });
}

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(
    event,
    (record: SQSRecord) =>
      logging.withRecord({ messageId: record.messageId, ...unitKeys(record.body) }, () =>
        processRecord(record),
      ),
    processor,
    { context },
  );
}
