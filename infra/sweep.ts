import { NODEJS_BUNDLING } from './bundling';
import type { DeploymentContext } from './context';
import { functionEnvironment } from './environment';
import { memberInstanceRegions } from './member-template';
import { queueWithDeadLetter } from './queue';
import { type ScheduledResources, scheduledFunction } from './scheduled';
import { DEFAULT_SWEEP_SCHEDULE } from './schedules';
import type { SecretName } from './secrets';
import {
  DEFAULT_SWEEP_CONCURRENCY,
  EVALUATE_MEMORY,
  SWEEP_MAX_RECEIVE_COUNT,
  SWEEP_PLANNER_TIMEOUT,
  SWEEP_VISIBILITY_TIMEOUT_SECONDS,
  SWEEP_WORKER_TIMEOUT_SECONDS,
} from './sizing';

/** Units worked at once: the worker's reserved concurrency and the event source's maximum. */
export const sweepConcurrency = (context: DeploymentContext) =>
  context.settings.sweepConcurrency ?? DEFAULT_SWEEP_CONCURRENCY;

/**
 * The sweep's work queue: one message per (account, region, kind) unit, retried on its own
 * (SWEEP_MAX_RECEIVE_COUNT deliveries), then in its own DLQ — apart from the events DLQ, so a unit
 * that crashed the worker is never mistaken for a lost event. Created before the central role,
 * whose policy names both.
 */
export function createSweepQueues(context: DeploymentContext) {
  const { names } = context;
  const { queue: sweepQueue, deadLetterQueue: sweepDeadLetterQueue } = queueWithDeadLetter({
    queue: 'SweepQueue',
    deadLetterQueue: 'SweepDeadLetterQueue',
    name: names.sweepQueue,
    deadLetterName: names.sweepDeadLetterQueue,
    visibilityTimeoutSeconds: SWEEP_VISIBILITY_TIMEOUT_SECONDS,
    // A unit older than a day belongs to a run long superseded: the workers would skip it anyway.
    messageRetentionSeconds: 24 * 3600,
    maxReceiveCount: SWEEP_MAX_RECEIVE_COUNT,
  });
  return { sweepQueue, sweepDeadLetterQueue };
}

/**
 * The sweep, fanned out (README, "The sweep at organization scale"): a scheduled planner
 * (packages/functions/src/sweep-planner.ts) lists accounts × regions × kinds and queues one message
 * per unit; the worker (packages/functions/src/sweep-worker.ts) sweeps one unit per invocation, at
 * most `sweepConcurrency` at once, and counts it in the run's progress in the state table. Both
 * run with the central role: the worker assumes the member roles, which trust that role only.
 */
export function createSweep(
  context: DeploymentContext,
  resources: ScheduledResources & {
    rolePolicy: aws.iam.RolePolicy;
    sweepQueue: aws.sqs.Queue;
    secrets: Record<SecretName, sst.Secret>;
  },
) {
  const { names, settings } = context;
  const sweepEnvironment = {
    // The regions the member stacks (and so the remediation role's reach) cover.
    DRIFTGUARD_SWEEP_REGIONS: memberInstanceRegions(settings).join(','),
    DRIFTGUARD_SWEEP_QUEUE_URL: resources.sweepQueue.url,
    DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT: String(SWEEP_MAX_RECEIVE_COUNT),
  };
  const planner = scheduledFunction(context, resources, {
    id: 'Sweep',
    name: names.sweepFunction,
    description: 'driftguard: plans each sweep run and queues its (account, region, kind) units',
    handler: 'packages/functions/src/sweep-planner.handler',
    timeout: SWEEP_PLANNER_TIMEOUT,
    schedule: settings.sweepSchedule ?? DEFAULT_SWEEP_SCHEDULE,
    environment: sweepEnvironment,
  });

  const concurrency = sweepConcurrency(context);
  const worker = new sst.aws.Function('SweepWorker', {
    name: names.sweepWorkerFunction,
    description: 'driftguard: sweeps one (account, region, kind) unit of live state per message',
    handler: 'packages/functions/src/sweep-worker.handler',
    runtime: 'nodejs22.x',
    nodejs: NODEJS_BUNDLING,
    architecture: 'arm64',
    memory: EVALUATE_MEMORY,
    timeout: `${SWEEP_WORKER_TIMEOUT_SECONDS} seconds`,
    role: resources.role.arn,
    concurrency: { reserved: concurrency },
    logging: { format: 'json', retention: '3 months' },
    link: Object.values(resources.secrets),
    environment: { ...functionEnvironment(context, resources), ...sweepEnvironment },
  });
  const source = new aws.lambda.EventSourceMapping(
    'SweepWorkerQueueSource',
    {
      eventSourceArn: resources.sweepQueue.arn,
      functionName: worker.name,
      // One unit per invocation: its timeout, retries and failure are its own.
      batchSize: 1,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: concurrency },
    },
    { dependsOn: [resources.rolePolicy] },
  );
  return { ...planner, worker, source };
}
