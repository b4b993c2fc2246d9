import { GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SetQueuePolicy } from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { PolicyIo } from './io';

const GONE = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);

/** SQS: the `Policy` attribute; an empty string removes it. */
export const sqsPolicyIo: PolicyIo<SetQueuePolicy> = {
  name: (operation) => operation.input.QueueUrl,
  async read(operation, clients) {
    const sqs = await clients.get(SQSClient, operation.target);
    const { QueueUrl } = operation.input;
    try {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }),
      );
      const text = Attributes?.Policy;
      return text ? { state: 'present', text } : { state: 'absent', why: `${QueueUrl} has no queue policy` };
    } catch (error) {
      if (GONE.has(awsErrorCode(error) ?? ''))
        return { state: 'absent', why: `${QueueUrl} no longer exists` };
      throw error;
    }
  },
  async write(operation, policy, clients) {
    const sqs = await clients.get(SQSClient, operation.target);
    const { QueueUrl } = operation.input;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: policy ?? '' } }));
    return policy ? 'SetQueueAttributes' : 'SetQueueAttributes (Policy "", no statement remained)';
  },
};
