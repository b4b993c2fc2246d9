import type { DeploymentContext } from './context';
import { functionPolicy } from './function-policy';
import { lambdaTrustPolicy } from './policies';
import type { SecretName } from './secrets';
import { EVALUATE_MEMORY, EVALUATE_TIMEOUT_SECONDS } from './sizing';

/** Lambda caps all environment variables of a function at 4 KB together. */
const MAX_CONFIG_BYTES = 3 * 1024;

/** SQS batch size: ten events share one cold start and one set of clients. */
export const BATCH_SIZE = 10;

/**
 * The config the function runs with: the stage's config, plus the central role among the roles
 * whose changes are driftguard's own, so code and rule patterns agree on the loop guard.
 */
export function functionConfigJson(context: DeploymentContext): string {
  const json = JSON.stringify({
    ...context.settings.config,
    ownRoleNames: context.ownRoleNames.filter((name) => name !== context.config.remediationRoleName),
  });
  if (Buffer.byteLength(json) > MAX_CONFIG_BYTES) {
    throw new Error(
      `the driftguard config is ${Buffer.byteLength(json)} bytes; Lambda's environment holds 4 KB in all`,
    );
  }
  return json;
}

/**
 * The `evaluate` function and its role. The role is ours, not SST's: SST would attach the
 * managed basic-execution policy and `link` wildcards, while this one holds exactly the
 * statements of infra/function-policy.ts.
 */
export function createEvaluate(
  context: DeploymentContext,
  resources: {
    table: aws.dynamodb.Table;
    topic: aws.sns.Topic;
    topicKey: aws.kms.Key;
    queue: aws.sqs.Queue;
    deadLetterQueue: aws.sqs.Queue;
    secrets: Record<SecretName, sst.Secret>;
  },
) {
  const { names, settings, config } = context;

  const role = new aws.iam.Role('EvaluateRole', {
    name: names.functionRole,
    description: `driftguard ${context.stage}: the evaluate function; the only principal member roles trust`,
    assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
  });

  const logGroupArn = $interpolate`arn:${context.partition}:logs:${context.region}:${context.account}:log-group:/aws/lambda/${names.function}`;

  const rolePolicy = new aws.iam.RolePolicy('EvaluateRolePolicy', {
    role: role.name,
    name: 'driftguard-evaluate',
    policy: $resolve([
      context.partition,
      resources.table.arn,
      resources.topic.arn,
      resources.topicKey.arn,
      resources.queue.arn,
      resources.deadLetterQueue.arn,
      logGroupArn,
    ]).apply(([partition, tableArn, topicArn, topicKeyArn, queueArn, deadLetterQueueArn, logGroup]) =>
      JSON.stringify(
        functionPolicy({
          partition,
          tableArn,
          topicArn,
          topicKeyArn,
          queueArn,
          deadLetterQueueArn,
          logGroupArn: logGroup,
          organizationId: settings.organizationId,
          remediationRoleName: config.remediationRoleName,
        }),
      ),
    ),
  });

  const fn = new sst.aws.Function('Evaluate', {
    name: names.function,
    description: 'driftguard: evaluate guardrail events, revert violations, notify',
    handler: 'packages/functions/src/evaluate.handler',
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    memory: EVALUATE_MEMORY,
    timeout: `${EVALUATE_TIMEOUT_SECONDS} seconds`,
    role: role.arn,
    concurrency: { reserved: settings.reservedConcurrency },
    logging: { format: 'json', retention: '3 months' },
    // Secrets only: SST encrypts their values into the bundle; no IAM permission is involved.
    link: Object.values(resources.secrets),
    environment: {
      DRIFTGUARD_CONFIG: functionConfigJson(context),
      DRIFTGUARD_TABLE: resources.table.name,
      DRIFTGUARD_TOPIC_ARN: resources.topic.arn,
      DRIFTGUARD_DLQ_URL: resources.deadLetterQueue.url,
    },
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
    { dependsOn: [rolePolicy] },
  );

  return { fn, role, rolePolicy, source };
}
