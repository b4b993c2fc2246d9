import type { Context, SQSRecord } from 'aws-lambda';

/** An SQS record as Lambda's event source mapping delivers it (EventBridge → SQS → Lambda). */
export function sqsRecord(messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:driftguard-events',
    awsRegion: 'us-east-1',
  };
}

/** The Lambda context fields the handlers read. */
export const lambdaContext = {
  functionName: 'driftguard-evaluate',
  awsRequestId: 'test',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;
