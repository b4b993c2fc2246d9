import type { DeploymentContext } from './context';
import { MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_TIMEOUT_SECONDS } from './sizing';

/**
 * The buffer between the bus and the function, and its dead-letter queue. The DLQ collects three
 * kinds of failure, all alarmed on (infra/alarms.ts): events EventBridge could not deliver to the
 * buffer, messages that failed MAX_RECEIVE_COUNT times, and input the function rejected as
 * unprocessable (it sends those directly, with the reason).
 */
export function createQueues(context: DeploymentContext) {
  const { names } = context;

  const { queue, deadLetterQueue } = queueWithDeadLetter({
    queue: 'EventsQueue',
    deadLetterQueue: 'EventsDeadLetterQueue',
    name: names.queue,
    deadLetterName: names.deadLetterQueue,
    visibilityTimeoutSeconds: QUEUE_VISIBILITY_TIMEOUT_SECONDS,
    messageRetentionSeconds: 4 * 24 * 3600,
    maxReceiveCount: MAX_RECEIVE_COUNT,
  });

  return { queue, deadLetterQueue };
}

/**
 * A queue and its dead-letter queue (logical names `queue` and `deadLetterQueue`): both SSE-SQS —
 * rather than a customer key, so EventBridge can deliver without a key policy — and a message
 * received `maxReceiveCount` times moves to the DLQ.
 */
export function queueWithDeadLetter(options: {
  queue: string;
  deadLetterQueue: string;
  name: string;
  deadLetterName: string;
  visibilityTimeoutSeconds: number;
  messageRetentionSeconds: number;
  maxReceiveCount: number;
}) {
  const deadLetterQueue = new aws.sqs.Queue(options.deadLetterQueue, {
    name: options.deadLetterName,
    // The maximum: a dead letter is investigated, then redriven.
    messageRetentionSeconds: 14 * 24 * 3600,
    sqsManagedSseEnabled: true,
  });
  const queue = new aws.sqs.Queue(options.queue, {
    name: options.name,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    messageRetentionSeconds: options.messageRetentionSeconds,
    sqsManagedSseEnabled: true,
    redrivePolicy: deadLetterQueue.arn.apply((arn) =>
      JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: options.maxReceiveCount }),
    ),
  });
  return { queue, deadLetterQueue };
}
