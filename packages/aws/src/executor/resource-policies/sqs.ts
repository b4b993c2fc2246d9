import { GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SetQueuePolicy } from '@driftguard/core';
import type { PolicyRead } from '../statement-removal';
import type { PolicyIo } from './io';
import { readPolicyAttribute } from './policy-attribute';

const QUEUE_GONE = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);

/** A queue's live policy (its `Policy` attribute), or why it has none. */
export function readQueuePolicy(sqs: SQSClient, QueueUrl: string): Promise<PolicyRead> {
  return readPolicyAttribute(
    { name: QueueUrl, noun: 'queue', gone: QUEUE_GONE },
    async () =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }))).Attributes,
  );
}

/** SQS: the `Policy` attribute; an empty string removes it. */
export const sqsPolicyIo: PolicyIo<SetQueuePolicy> = {
  name: (operation) => operation.input.QueueUrl,
  async read(operation, clients) {
    return readQueuePolicy(await clients.get(SQSClient, operation.target), operation.input.QueueUrl);
  },
  async write(operation, policy, clients) {
    const sqs = await clients.get(SQSClient, operation.target);
    const { QueueUrl } = operation.input;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: policy ?? '' } }));
    return policy ? 'SetQueueAttributes' : 'SetQueueAttributes (Policy "", no statement remained)';
  },
};
