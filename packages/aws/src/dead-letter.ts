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
  const send = () =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: reason.slice(0, 1000) },
          rejectedBy: { DataType: 'String', StringValue: 'driftguard-evaluate' },
        },
      }),
    );
  // Tried again beyond the SDK's own attempts: on an event's last delivery, a send that fails
  // leaves SQS's redrive to move the message, without its reason (that is then only in the log).
  // A send whose answer was lost and is sent again makes a second letter with the same reason.
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (error) {
      if (attempt >= DEAD_LETTER_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}

/** Attempts at writing a dead letter, each with the SDK's own retries. */
const DEAD_LETTER_ATTEMPTS = 3;
