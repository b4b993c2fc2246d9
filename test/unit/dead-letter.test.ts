import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sendToDeadLetter } from '@driftguard/aws';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';

// Throttling on every attempt the SDK makes is what moto cannot produce; the mock stands in for it.
const sqsMock = mockClient(SQSClient);
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('sendToDeadLetter', () => {
  afterEach(() => sqsMock.reset());

  it('writes the letter with its reason even when the first sends are throttled', async () => {
    sqsMock.on(SendMessageCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    await sendToDeadLetter(new SQSClient({}), 'https://sqs.test/dlq', '{"x":1}', 'not a CloudTrail record');
    const sends = sqsMock.commandCalls(SendMessageCommand);
    expect(sends).toHaveLength(3);
    expect(sends[2]?.args[0].input.MessageAttributes?.reason?.StringValue).toBe('not a CloudTrail record');
  });

  it('fails after its attempts, so the caller fails the item and the message is not lost', async () => {
    sqsMock.on(SendMessageCommand).rejects(throttled());
    await expect(sendToDeadLetter(new SQSClient({}), 'https://sqs.test/dlq', '{}', 'reason')).rejects.toThrow(
      'Rate exceeded',
    );
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(3);
  });
});
