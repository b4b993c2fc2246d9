import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { publishToSns } from '@driftguard/aws';
import { renderSns } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { motoEndpoint, snsClient, sqsClient, unique } from '../support/aws';
import { sampleEvent, sampleReport } from '../support/notify';

const REGION = 'us-east-1';

/** The filter policy documented in the README: critical and high findings of one guardrail. */
const FILTER_POLICY = {
  severity: ['critical', 'high'],
  rule: ['sg-open-ingress'],
  outcome: [{ 'anything-but': ['compliant'] }],
};

async function drain(queueUrl: string): Promise<Message[]> {
  const sqs = sqsClient(REGION);
  const messages: Message[] = [];
  for (let round = 0; round < 3; round++) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: 1,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
      }),
    );
    messages.push(...(Messages ?? []));
    if ((Messages ?? []).length === 0 && messages.length > 0) break;
  }
  return messages;
}

describe.skipIf(!motoEndpoint)(
  'SNS alerts against moto, read back through filtered SQS subscriptions',
  () => {
    let topicArn: string;
    let filteredQueue: string;
    let everythingQueue: string;

    beforeAll(async () => {
      const sns = snsClient(REGION);
      const sqs = sqsClient(REGION);
      ({ TopicArn: topicArn = '' } = await sns.send(
        new CreateTopicCommand({ Name: unique('driftguard-alerts') }),
      ));
      const subscribe = async (filterPolicy?: object) => {
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique('inbox') }));
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
        );
        await sns.send(
          new SubscribeCommand({
            TopicArn: topicArn,
            Protocol: 'sqs',
            Endpoint: Attributes?.QueueArn,
            ...(filterPolicy ? { Attributes: { FilterPolicy: JSON.stringify(filterPolicy) } } : {}),
          }),
        );
        return QueueUrl as string;
      };
      filteredQueue = await subscribe(FILTER_POLICY);
      everythingQueue = await subscribe();
    });

    it('delivers critical and high alerts to the filtered subscriber, with the readable message and every attribute', async () => {
      const sns = snsClient(REGION);
      const critical = sampleReport(sampleEvent({ eventId: 'critical-1', port: 22 }));
      const high = sampleReport(sampleEvent({ eventId: 'high-1', port: 443 }));
      expect(critical.assessment.severity).toBe('critical');
      expect(high.assessment.severity).toBe('high');
      // A low alert of the same rule: the filter drops it.
      const low = { ...high, assessment: { ...high.assessment, severity: 'low' as const } };
      for (const report of [critical, high, low]) await publishToSns(sns, topicArn, renderSns(report));

      const filtered = await drain(filteredQueue);
      const everything = await drain(everythingQueue);
      expect(everything).toHaveLength(3);
      expect(filtered).toHaveLength(2);

      const envelopes = filtered
        .map(
          (message) =>
            JSON.parse(message.Body ?? '{}') as {
              Type: string;
              TopicArn: string;
              Subject: string;
              Message: string;
              MessageAttributes: Record<string, { Type: string; Value: string }>;
            },
        )
        .sort((a, b) => a.Subject.localeCompare(b.Subject));
      const [first, second] = envelopes;
      expect(first?.Type).toBe('Notification');
      expect(first?.TopicArn).toBe(topicArn);
      expect(first?.Subject).toBe('[driftguard] CRITICAL sg-open-ingress in 111122223333: reverted');
      expect(second?.Subject).toBe('[driftguard] HIGH sg-open-ingress in 111122223333: reverted');
      expect(first?.MessageAttributes).toEqual({
        rule: { Type: 'String', Value: 'sg-open-ingress' },
        severity: { Type: 'String', Value: 'critical' },
        account: { Type: 'String', Value: '111122223333' },
        action: { Type: 'String', Value: 'revert' },
        outcome: { Type: 'String', Value: 'reverted' },
      });
      const body = JSON.parse(first?.Message ?? '{}');
      expect(body).toMatchObject({
        rule: 'sg-open-ingress',
        severity: 'critical',
        status: 'violation',
        action: 'revert',
        outcome: 'reverted',
        verified: true,
        summary: 'reverted and verified (sgr-0a1b2c3d4e5f60718)',
        event: {
          eventId: 'critical-1',
          account: '111122223333',
          region: 'eu-west-1',
          sourceIp: '198.51.100.7',
        },
        resource: { type: 'AWS::EC2::SecurityGroup', id: 'sg-0123456789abcdef0' },
      });
      expect(body.offenses).toHaveLength(1);
      // Readable: indented JSON, not a one-line blob.
      expect(first?.Message).toContain('\n  "rule": "sg-open-ingress"');
    });
  },
);
