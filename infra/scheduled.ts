import { NODEJS_BUNDLING } from './bundling';
import type { DeploymentContext } from './context';
import { functionEnvironment } from './environment';
import { EXEMPTION_EXPIRY_SCHEDULE } from './schedules';
import type { SecretName } from './secrets';
import { EVALUATE_MEMORY } from './sizing';

export interface ScheduledResources {
  role: aws.iam.Role;
  table: aws.dynamodb.Table;
  exemptionsTable: aws.dynamodb.Table;
  topic: aws.sns.Topic;
  deadLetterQueue: aws.sqs.Queue;
  secrets: Record<SecretName, sst.Secret>;
}

export function scheduledFunction(
  context: DeploymentContext,
  resources: ScheduledResources,
  spec: {
    id: string;
    name: string;
    description: string;
    handler: string;
    timeout: `${number} minutes`;
    schedule: `rate(${string})` | `cron(${string})`;
    environment?: Record<string, $util.Input<string>>;
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
