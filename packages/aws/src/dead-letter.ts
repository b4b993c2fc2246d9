import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Input that can never succeed (not JSON, not an event driftguard understands) goes straight to
 * the dead-letter queue with the reason attached, instead of being retried until SQS gives up.
 * If this send fails the caller reports the item failed, so the message is never lost.
 */
export async function sendToDeadLetter(
  sqs: SQSClient,
  queueUrl: string,
  body: string,
  reason: string,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: reason.slice(0, 1000) },
        rejectedBy: { DataType: 'String', StringValue: 'driftguard-evaluate' },
      },
    }),
  );
}
