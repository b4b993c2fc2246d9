import { NODEJS_BUNDLING } from './bundling';
import type { DeploymentContext } from './context';
import { functionEnvironment } from './environment';
import type { SecretName } from './secrets';
import { EVALUATE_MEMORY, EVALUATE_TIMEOUT_SECONDS } from './sizing';

/** SQS batch size: ten events share one cold start and one set of clients. */
export const BATCH_SIZE = 10;

/** The `evaluate` function, fed by the buffer queue. */
export function createEvaluate(
  context: DeploymentContext,
  resources: {
    role: aws.iam.Role;
    rolePolicy: aws.iam.RolePolicy;
    table: aws.dynamodb.Table;
    exemptionsTable: aws.dynamodb.Table;
    topic: aws.sns.Topic;
    queue: aws.sqs.Queue;
    deadLetterQueue: aws.sqs.Queue;
    secrets: Record<SecretName, sst.Secret>;
  },
) {
  const { names, settings } = context;

  const fn = new sst.aws.Function('Evaluate', {
    name: names.function,
    description: 'driftguard: evaluate guardrail events, revert violations, notify',
    handler: 'packages/functions/src/evaluate.handler',
    runtime: 'nodejs22.x',
    nodejs: NODEJS_BUNDLING,
    architecture: 'arm64',
    memory: EVALUATE_MEMORY,
    timeout: `${EVALUATE_TIMEOUT_SECONDS} seconds`,
    role: resources.role.arn,
    concurrency: { reserved: settings.reservedConcurrency },
    logging: { format: 'json', retention: '3 months' },
    // Secrets only: SST encrypts their values into the bundle; no IAM permission is involved.
    link: Object.values(resources.secrets),
    environment: functionEnvironment(context, resources),
  });

  const source = new aws.lambda.EventSourceMapping(
    'EvaluateQueueSource',
    {
      eventSourceArn: resources.queue.arn,
      functionName: fn.name,
      batchSize: BATCH_SIZE,
      // Only the failed records of a batch are retried (Powertools BatchProcessor reports them).
      functionResponseTypes: ['ReportBatchItemFailures'],
      // Pollers never outrun the reserved concurrency, so messages are not throttled into retries.
      scalingConfig: { maximumConcurrency: settings.reservedConcurrency },
    },
    // Lambda checks the role can read the queue when the mapping is created.
    { dependsOn: [resources.rolePolicy] },
  );

  return { fn, source };
}
