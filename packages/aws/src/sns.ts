import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SnsNotification } from '@driftguard/core';

/** Publishes the rendered notification with string attributes subscribers can filter on. */
export async function publishToSns(
  sns: SNSClient,
  topicArn: string,
  notification: SnsNotification,
): Promise<string | undefined> {
  const { MessageId } = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: notification.subject,
      Message: notification.message,
      MessageAttributes: Object.fromEntries(
        Object.entries(notification.attributes).map(([name, value]) => [
          name,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  );
  return MessageId;
}
