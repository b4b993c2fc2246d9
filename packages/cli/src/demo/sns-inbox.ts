import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { red } from '../format';
import type { DemoContext } from './context';

let inboxUrl: string | undefined;

/** An SNS topic with an SQS queue subscribed, so the demo can read back what was published. */
export async function createAlertTopic(clientSettings: DemoContext['clientSettings']): Promise<string> {
  const sns = new SNSClient(clientSettings);
  const sqs = new SQSClient(clientSettings);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'driftguard-alerts' }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'driftguard-alerts-inbox' }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
  inboxUrl = QueueUrl;
  return TopicArn as string;
}

/** Prints the subject and filterable attributes of the next SNS message in the inbox. */
export async function readBackSns(context: DemoContext): Promise<void> {
  const sqs = new SQSClient(context.clientSettings);
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: inboxUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 1 }),
  );
  const body = Messages?.[0]?.Body;
  if (!body) return context.line(red('no SNS message arrived'));
  const envelope = JSON.parse(body) as {
    Subject?: string;
    MessageAttributes?: Record<string, { Value: string }>;
  };
  context.line(`subject: ${envelope.Subject}`);
  const attributes = Object.entries(envelope.MessageAttributes ?? {}).map(
    ([name, value]) => `${name}=${value.Value}`,
  );
  context.line(`attributes: ${attributes.join(' ')}`);
}
