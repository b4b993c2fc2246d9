import { NODEJS_BUNDLING } from './bundling';
import type { DeploymentContext } from './context';
import { functionEnvironment } from './environment';
import { DEFAULT_SWEEP_SCHEDULE, EXEMPTION_EXPIRY_SCHEDULE } from './schedules';
import type { SecretName } from './secrets';
import { EVALUATE_MEMORY } from './sizing';

interface ScheduledResources {
  role: aws.iam.Role;
  table: aws.dynamodb.Table;
  exemptionsTable: aws.dynamodb.Table;
  topic: aws.sns.Topic;
  deadLetterQueue: aws.sqs.Queue;
  secrets: Record<SecretName, sst.Secret>;
}

function scheduledFunction(
  context: DeploymentContext,
  resources: ScheduledResources,
  spec: {
    id: string;
    name: string;
    description: string;
    handler: string;
    timeout: `${number} minutes`;
    schedule: `rate(${string})` | `cron(${string})`;
    environment?: Record<string, string>;
  },
) {
  const fn = new sst.aws.Function(spec.id, {
    name: spec.name,
    description: spec.description,
    handler: spec.handler,
    runtime: 'nodejs22.x',
    nodejs: NODEJS_BUNDLING,
    architecture: 'arm64',
    memory: EVALUATE_MEMORY,
    timeout: spec.timeout,
    role: resources.role.arn,
    // One run at a time: a slow run must not overlap the next.
    concurrency: { reserved: 1 },
    logging: { format: 'json', retention: '3 months' },
    link: Object.values(resources.secrets),
    environment: { ...functionEnvironment(context, resources), ...spec.environment },
  });
  const schedule = new sst.aws.CronV2(`${spec.id}Schedule`, { schedule: spec.schedule, function: fn });
  return { fn, schedule };
}

/**
 * The sweep (packages/functions/src/sweep.ts): re-reads live state in every account of the
 * organization and every member region, through the same pipeline as events. It stops itself a
 * minute before Lambda's 15-minute limit and reports what it did not reach.
 */
export function createSweep(context: DeploymentContext, resources: ScheduledResources) {
  return scheduledFunction(context, resources, {
    id: 'Sweep',
    name: context.names.sweepFunction,
    description: 'driftguard: scheduled sweep of live state in every member account and region',
    handler: 'packages/functions/src/sweep.handler',
    timeout: '15 minutes',
    schedule: context.settings.sweepSchedule ?? DEFAULT_SWEEP_SCHEDULE,
    // The regions the member stacks (and so the remediation role's reach) cover.
    environment: { DRIFTGUARD_SWEEP_REGIONS: context.settings.memberRegions.join(',') },
  });
}

/**
 * The exemption expiry re-check (packages/functions/src/exemption-expiry.ts): when a break-glass
 * exemption ends, what it let through is evaluated again and reverted if still violating.
 */
export function createExemptionExpiry(context: DeploymentContext, resources: ScheduledResources) {
  return scheduledFunction(context, resources, {
    id: 'ExemptionExpiry',
    name: context.names.exemptionExpiryFunction,
    description: 'driftguard: re-check what ended break-glass exemptions let through',
    handler: 'packages/functions/src/exemption-expiry.handler',
    // Shorter than the schedule's period, so runs never overlap.
    timeout: '4 minutes',
    schedule: EXEMPTION_EXPIRY_SCHEDULE,
  });
}
