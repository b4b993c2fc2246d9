import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Lambda's SQS event source mapping, locally, against a real (moto) queue: pollers receive batches,
 * call the handler, delete what it did not report failed, and leave failures to reappear after the
 * visibility timeout, until the queue's redrive policy dead-letters them. This is the delivery
 * contract the evaluate handler is written for (at least once, partial batch failures).
 */
export interface QueueRunOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn?: string;
  handle(event: SQSEvent): Promise<SQSBatchResponse>;
  /** Pollers, i.e. concurrent Lambda invocations (default 4). */
  concurrency?: number;
  batchSize?: number;
  /** Seconds a received message stays hidden (the retry delay of a failed item). */
  visibilityTimeout?: number;
  /**
   * Seconds a failed item stays hidden after its batch returned, when shorter than the visibility
   * timeout: the redelivery SQS makes once that timeout has run out, brought forward so the test
   * does not sit idle. The timeout still guards the items being worked on (longer than any takes).
   */
  retryDelay?: number;
  /**
   * Seconds a received message is hidden, renewed while its handler runs (a heartbeat), in place of
   * `visibilityTimeout` for the messages being worked on. A receive whose answer was lost on the
   * way (the SDK retried the call, and the messages moto had already handed out stay hidden) then
   * comes back after this, not after the long timeout the deployed queue uses; a unit still being
   * worked on is never delivered twice, as with that long timeout. Lambda's event source mapping
   * has no heartbeat; what it has instead is a function timeout far shorter than the visibility
   * timeout (6×), which this harness cannot impose on an in-process handler. Use it where a batch
   * may run long (faults, load) or where a lost receive must not stall a measured run.
   */
  keepHidden?: number;
  /** Give up (throw) after this long. */
  timeoutMs?: number;
  onBatch?(size: number, failed: number): void;
  /** Keep polling until this says the producer has sent everything (default: already has). */
  producing?(): boolean;
}

export interface QueueRunStats {
  batches: number;
  records: number;
  failedItems: number;
  /** Entries SQS refused in a delete or visibility change (stale receipt handles). */
  refused: number;
  /** Receives the SDK had to send again (an error or a lost answer; messages may have been handed out). */
  retriedReceives: number;
}

function recordOf(message: Message, queueArn: string): SQSRecord {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: message.Attributes?.SentTimestamp ?? '0',
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

async function remaining(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Hides `messages` for another `seconds` every third of that, until the interval is cleared. */
function keepHiddenWhileWorking(sqs: SQSClient, queueUrl: string, messages: Message[], seconds: number) {
  return setInterval(
    () =>
      void sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: seconds,
            })),
          }),
        )
        // A missed beat shows as a second delivery of the unit, which the handler is built for.
        .catch(() => undefined),
    (seconds * 1000) / 3,
  );
}

/** Runs until the queue is empty (everything processed, or moved to the DLQ by the redrive policy). */
export async function drainQueue(options: QueueRunOptions): Promise<QueueRunStats> {
  const { sqs, queueUrl } = options;
  const queueArn = options.queueArn ?? 'arn:aws:sqs:us-east-1:123456789012:driftguard-events';
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const stats: QueueRunStats = { batches: 0, records: 0, failedItems: 0, refused: 0, retriedReceives: 0 };
  let done = false;
  let lastReceived = Date.now();
  const poller = async () => {
    try {
      await poll();
    } catch (error) {
      done = true;
      throw error;
    }
  };
  const poll = async () => {
    while (!done) {
      if (Date.now() > deadline) throw new Error(`queue not drained within ${options.timeoutMs} ms`);
      const { Messages = [], $metadata } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: options.batchSize ?? 10,
          VisibilityTimeout: options.keepHidden ?? options.visibilityTimeout ?? 1,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: [
            'ApproximateReceiveCount',
            'SentTimestamp',
            'ApproximateFirstReceiveTimestamp',
          ],
        }),
      );
      if (($metadata.attempts ?? 1) > 1) stats.retriedReceives += 1;
      if (Messages.length === 0) continue;
      lastReceived = Date.now();
      let response: SQSBatchResponse;
      const heartbeat = options.keepHidden
        ? keepHiddenWhileWorking(sqs, queueUrl, Messages, options.keepHidden)
        : undefined;
      try {
        response = await options.handle({ Records: Messages.map((message) => recordOf(message, queueArn)) });
      } catch {
        // The invocation failed as a whole (e.g. Powertools' FullBatchFailureError when every record
        // failed): Lambda returns the whole batch to the queue.
        response = {
          batchItemFailures: Messages.map((message) => ({ itemIdentifier: message.MessageId ?? '' })),
        };
      } finally {
        clearInterval(heartbeat);
      }
      const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      const succeeded = Messages.filter((message) => !failed.has(message.MessageId ?? ''));
      stats.batches += 1;
      stats.records += Messages.length;
      stats.failedItems += failed.size;
      options.onBatch?.(Messages.length, failed.size);
      if (options.retryDelay !== undefined && failed.size > 0) {
        const { Failed = [] } = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.filter((message) => failed.has(message.MessageId ?? '')).map(
              (message, index) => ({
                Id: String(index),
                ReceiptHandle: message.ReceiptHandle,
                VisibilityTimeout: options.retryDelay,
              }),
            ),
          }),
        );
        stats.refused += Failed.length;
      }
      if (succeeded.length > 0) {
        // A batch call answers per entry: a refused delete (a receipt handle gone stale because the
        // message was delivered again meanwhile) is not an error of the call, so it is counted.
        const { Failed = [] } = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: succeeded.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
        stats.refused += Failed.length;
      }
    }
  };
  // Asks the queue for its counts only once the pollers have gone quiet: moto computes them by
  // walking every message, which is costly on a queue of thousands.
  const watcher = async () => {
    let empty = 0;
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (options.producing?.() || Date.now() - lastReceived < 2_000) continue;
      empty = (await remaining(sqs, queueUrl)) === 0 ? empty + 1 : 0;
      if (empty >= 2) done = true;
    }
  };
  await Promise.all([watcher(), ...Array.from({ length: options.concurrency ?? 4 }, poller)]);
  return stats;
}

/** Every message in a dead-letter queue, with its `reason` attribute (read until it stays empty). */
export async function deadLetters(
  sqs: SQSClient,
  queueUrl: string,
  visibilityTimeout = 60,
): Promise<{ body: string; reason?: string }[]> {
  const letters: { body: string; reason?: string }[] = [];
  const seen = new Set<string>();
  for (let idle = 0; idle < 2; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilityTimeout,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
    idle = fresh.length === 0 ? idle + 1 : 0;
    for (const message of fresh) {
      seen.add(message.MessageId ?? '');
      letters.push({ body: message.Body ?? '', reason: message.MessageAttributes?.reason?.StringValue });
    }
  }
  return letters;
}
