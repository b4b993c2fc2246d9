import type { DeploymentContext } from './context';
import { MAX_RECEIVE_COUNT } from './queue';

/** Lambda caps all environment variables of a function at 4 KB together; SST adds its own. */
const MAX_CONFIG_BYTES = 3 * 1024;

/**
 * The config the functions run with: the stage's config, plus the central role's real ARN, so code
 * and the central bus's patterns agree on which calls are driftguard's own (loop guard).
 */
export function functionConfigJson(context: DeploymentContext, centralRoleArn: string): string {
  const json = JSON.stringify({ ...context.settings.config, centralRoleArn });
  if (Buffer.byteLength(json) > MAX_CONFIG_BYTES) {
    throw new Error(
      `the driftguard config is ${Buffer.byteLength(json)} bytes; Lambda's environment holds 4 KB in all`,
    );
  }
  return json;
}

/**
 * What both central functions read (packages/aws/src/runtime.ts, RuntimeEnv): where the state,
 * the alerts and the dead letters are, and the queue's receive limit, so the last failing delivery
 * can attach its reason before SQS dead-letters it.
 */
export function functionEnvironment(
  context: DeploymentContext,
  resources: {
    table: aws.dynamodb.Table;
    topic: aws.sns.Topic;
    deadLetterQueue: aws.sqs.Queue;
  },
): Record<string, $util.Input<string>> {
  return {
    ...context.settings.channelSettings,
    DRIFTGUARD_CONFIG: context.centralRoleArn.apply((arn) => functionConfigJson(context, arn)),
    // Generated per organization (infra/external-id.ts); never part of the published config.
    DRIFTGUARD_EXTERNAL_ID: context.externalId,
    DRIFTGUARD_TABLE: resources.table.name,
    DRIFTGUARD_TOPIC_ARN: resources.topic.arn,
    DRIFTGUARD_DLQ_URL: resources.deadLetterQueue.url,
    DRIFTGUARD_MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
  };
}
