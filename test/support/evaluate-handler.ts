import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { expect } from 'vitest';
import { evaluateHandler } from '../../packages/functions/src/evaluate';
import { clientOptions, motoEndpoint, sqsClient, unique } from './aws';
import { lambdaContext, sqsRecord } from './lambda';

type Handler = (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: unknown[] }>;

export interface EvaluateHandlerOnMoto {
  /** Delivers one event as the queue does (one SQS record) and expects no item of the batch to fail. */
  run(event: Record<string, unknown>): Promise<void>;
  /** The alert texts published to the SNS topic since the last read (waits up to a second). */
  alerts(): Promise<string[]>;
}

/**
 * The deployed evaluate handler (packages/functions/src/evaluate.ts), wired from the settings the
 * stack gives it (`evaluateHandler`, which Lambda's `handler` is made by from the function's
 * environment) and pointed at moto: a dead-letter queue, the given config, organization reads off,
 * and an SNS alert topic with an SQS queue subscribed so that what was announced can be read back.
 * The process's environment is left alone, so files using this share their worker's module graph;
 * test/integration/evaluate-handler.test.ts covers `handler` reading the process's environment.
 */
export async function evaluateHandlerOnMoto(options: {
  config: Record<string, unknown>;
  region?: string;
  /** Where the handler's AWS calls go (a fault proxy or router in front of moto); default moto. */
  endpoint?: string;
}): Promise<EvaluateHandlerOnMoto> {
  const region = options.region ?? 'us-east-1';
  const sqs = sqsClient(region);
  const sns = new SNSClient(clientOptions(region));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: unique('driftguard-alerts') }));
  const { QueueUrl: alertQueue } = await sqs.send(new CreateQueueCommand({ QueueName: unique('alerts') }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: alertQueue, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
  const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: unique('dlq') }));
  const handler: Handler = evaluateHandler({
    // The suite's region (vitest.config.ts); the SDK finds the test credentials where Lambda's are.
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: options.endpoint ?? motoEndpoint,
    DRIFTGUARD_DLQ_URL: dlq,
    DRIFTGUARD_TOPIC_ARN: TopicArn,
    DRIFTGUARD_READ_ORGANIZATION: 'false',
    DRIFTGUARD_CONFIG: JSON.stringify(options.config),
  });
  return {
    async run(event) {
      const response = await handler(
        { Records: [sqsRecord(unique('m'), JSON.stringify(event))] },
        lambdaContext,
      );
      expect(response.batchItemFailures).toEqual([]);
    },
    async alerts() {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: alertQueue, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      return (Messages ?? []).map((message) =>
        String(JSON.parse(message.Body ?? '{}').Message ?? message.Body),
      );
    },
  };
}
