import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { defaultConfig } from '@driftguard/core';
import { memberPatterns } from '../../infra/patterns';
import { unique } from './aws';

/** The account of the fixture events (test/fixtures/cases): the member the routing bus stands for. */
export const FIXTURE_ACCOUNT = '111122223333';

/**
 * A pattern of the member template as CloudFormation deploys it in `account`: every
 * `{"Fn::Sub": "…${AWS::AccountId}…"}` becomes that account's string.
 */
export function resolveForAccount<T>(pattern: T, account: string, partition = 'aws'): T {
  return JSON.parse(
    JSON.stringify(pattern).replace(/\{"Fn::Sub":"([^"]*)"\}/g, (_, text: string) =>
      JSON.stringify(
        text.replace(/\$\{AWS::(Partition|AccountId)\}/g, (_, name) =>
          name === 'Partition' ? partition : account,
        ),
      ),
    ),
  ) as T;
}

/**
 * A bus in moto's EventBridge with driftguard's generated rules as a member account forwards them
 * (the member template's patterns, resolved for `account`), all targeting one SQS queue: an
 * independent check that the patterns route what they should and nothing else.
 */
export interface RoutingBus {
  /** PutEvents for EventBridge-shaped events (10 per call); returns the failed entry count. */
  put(events: Record<string, unknown>[]): Promise<number>;
  /** Every event the rules routed to the queue so far (receives until the queue is empty). */
  drain(): Promise<Record<string, unknown>[]>;
}

export async function routingBus(
  events: EventBridgeClient,
  sqs: SQSClient,
  account = FIXTURE_ACCOUNT,
): Promise<RoutingBus> {
  const busName = unique('driftguard-bus');
  await events.send(new CreateEventBusCommand({ Name: busName }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique('routed') }));
  const queueUrl = QueueUrl as string;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  for (const { name, pattern: template } of memberPatterns(defaultConfig().remediationRoleName)) {
    const pattern = resolveForAccount(template, account);
    await events.send(
      new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: JSON.stringify(pattern) }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: name,
        EventBusName: busName,
        Targets: [
          {
            Id: 'queue',
            Arn: Attributes?.QueueArn,
            // The whole event, as EventBridge delivers it. Without a transformer moto builds the
            // input from eight JSONPaths it parses again for every delivery (~13 ms of Python CPU
            // each, on the server all suites share); one path is the least it accepts.
            InputTransformer: {
              InputPathsMap: { source: '$.source' },
              InputTemplate: '<aws.events.event.json>',
            },
          },
        ],
      }),
    );
  }
  return {
    async put(batch) {
      let failed = 0;
      for (let index = 0; index < batch.length; index += 10) {
        const { FailedEntryCount } = await events.send(
          new PutEventsCommand({
            Entries: batch.slice(index, index + 10).map((event) => ({
              EventBusName: busName,
              Source: event.source as string,
              DetailType: event['detail-type'] as string,
              Detail: JSON.stringify(event.detail),
            })),
          }),
        );
        failed += FailedEntryCount ?? 0;
      }
      return failed;
    },
    async drain() {
      const delivered: Record<string, unknown>[] = [];
      for (;;) {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        if (!Messages?.length) return delivered;
        for (const message of Messages) delivered.push(JSON.parse(message.Body ?? '{}'));
      }
    },
  };
}
