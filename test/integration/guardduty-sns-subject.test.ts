import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { guardDutyFindingEvent } from '../../packages/cli/src/simulate/guardduty';
import { HOME_ACCOUNT, motoEndpoint, snsClient, sqsClient, unique } from '../support/aws';
import { lambdaContext as context, sqsRecord } from '../support/lambda';

/** A finding about an instance that need not exist: alerting reads nothing live. */
const INSTANCE = { resourceType: 'Instance', instanceDetails: { instanceId: 'i-0123456789abcdef0' } };

/**
 * The SNS alert of a GuardDuty finding, published by the real evaluate handler to a moto topic
 * and read back from an SQS subscription: its subject says which finding it is, and a hostile
 * type can neither break the subject nor make SNS refuse the publish.
 */
describe.skipIf(!motoEndpoint)('GuardDuty alerts on SNS name the finding type (moto SNS → SQS)', () => {
  let handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: unknown[] }>;
  let inbox: string;

  beforeAll(async () => {
    const { TopicArn } = await snsClient().send(new CreateTopicCommand({ Name: unique('alerts') }));
    const sqs = sqsClient();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique('inbox') }));
    inbox = QueueUrl as string;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }),
    );
    await snsClient().send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
    );
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_TOPIC_ARN: TopicArn,
      // GuardDuty's own default route sends high findings to Slack and tickets: SNS here.
      DRIFTGUARD_CONFIG: JSON.stringify({
        notifications: { byRule: { 'guardduty-finding': { high: ['sns'] } } },
      }),
    });
    delete process.env.DRIFTGUARD_TABLE;
    ({ handler } = await import('../../packages/functions/src/evaluate'));
  });

  async function subjects(count: number): Promise<string[]> {
    const found: string[] = [];
    for (let round = 0; round < 5 && found.length < count; round++) {
      const { Messages } = await sqsClient().send(
        new ReceiveMessageCommand({ QueueUrl: inbox, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      for (const message of Messages ?? []) found.push(JSON.parse(message.Body ?? '{}').Subject);
    }
    return found.sort();
  }

  it('the subject carries the type; a hostile type is one ASCII line, cut so the account and outcome stay', async () => {
    const finding = (type: string) =>
      guardDutyFindingEvent({
        type,
        severity: 8,
        account: HOME_ACCOUNT,
        region: 'us-east-1',
        resource: INSTANCE,
      });
    const hostile = `UnauthorizedAccess:EC2/\u202eHSN\u202c\nSubject-Injection: x ${'A'.repeat(150)}`;
    const response = await handler(
      {
        Records: [
          sqsRecord('plain', JSON.stringify(finding('CryptoCurrency:EC2/BitcoinTool.B!DNS'))),
          sqsRecord('hostile', JSON.stringify(finding(hostile))),
        ],
      },
      context,
    );

    expect(response.batchItemFailures).toEqual([]);
    const [plainSubject, hostileSubject] = await subjects(2);
    expect(plainSubject).toBe(
      `[driftguard] HIGH GuardDuty CryptoCurrency:EC2/BitcoinTool.B!DNS in ${HOME_ACCOUNT}: ticketed`,
    );
    expect(hostileSubject).toBe(
      `[driftguard] HIGH GuardDuty UnauthorizedAccess:EC2/HSN Subject-Injecti... in ${HOME_ACCOUNT}: ticketed`,
    );
    expect(hostileSubject).toHaveLength(99);
  });
});
