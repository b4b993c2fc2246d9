import type { DeploymentContext } from './context';
import { functionEnvironment } from './environment';
import type { SecretName } from './secrets';
import { EVALUATE_MEMORY } from './sizing';

/** Every six hours by default: CloudTrail → EventBridge is best effort, and old drift has no event. */
export const DEFAULT_SWEEP_SCHEDULE = 'rate(6 hours)' as const;

/**
 * The scheduled sweep (packages/functions/src/sweep.ts): re-reads live state in every account
 * of the organization and every member region, through the same pipeline as events. It stops
 * itself a minute before Lambda's 15-minute limit and reports what it did not reach.
 */
export function createSweep(
  context: DeploymentContext,
  resources: {
    role: aws.iam.Role;
    table: aws.dynamodb.Table;
    topic: aws.sns.Topic;
    deadLetterQueue: aws.sqs.Queue;
    secrets: Record<SecretName, sst.Secret>;
  },
) {
  const { names, settings } = context;

  const fn = new sst.aws.Function('Sweep', {
    name: names.sweepFunction,
    description: 'driftguard: scheduled sweep of live state in every member account and region',
    handler: 'packages/functions/src/sweep.handler',
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    memory: EVALUATE_MEMORY,
    timeout: '15 minutes',
    role: resources.role.arn,
    // One sweep at a time: a slow run must not overlap the next.
    concurrency: { reserved: 1 },
    logging: { format: 'json', retention: '3 months' },
    link: Object.values(resources.secrets),
    environment: {
      ...functionEnvironment(context, resources),
      // The regions the member stacks (and so the remediation role's reach) cover.
      DRIFTGUARD_SWEEP_REGIONS: settings.memberRegions.join(','),
    },
  });

  const schedule = new sst.aws.CronV2('SweepSchedule', {
    schedule: settings.sweepSchedule ?? DEFAULT_SWEEP_SCHEDULE,
    function: fn,
  });

  return { fn, schedule };
}
