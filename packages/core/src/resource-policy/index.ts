import type { ResourcePolicyAdapter } from './adapter';
import { ecrRepositoryPolicy } from './ecr';
import { kmsKeyPolicy } from './kms';
import { secretsManagerPolicy } from './secrets-manager';
import { snsTopicPolicy } from './sns';
import { sqsQueuePolicy } from './sqs';

export type { PolicyChange, ResourcePolicyAdapter } from './adapter';
export { defaultTopicPolicy } from './sns';
/** Every service the resource-policy guardrail reads: a new service is its adapter and one line here. */
export const RESOURCE_POLICY_ADAPTERS: readonly ResourcePolicyAdapter[] = [
  sqsQueuePolicy,
  snsTopicPolicy,
  kmsKeyPolicy,
  ecrRepositoryPolicy,
  secretsManagerPolicy,
];
export function adapterFor(eventSource: string, eventName: string): ResourcePolicyAdapter | undefined {
  return RESOURCE_POLICY_ADAPTERS.find(
    (adapter) => adapter.eventSource === eventSource && adapter.eventNames.includes(eventName),
  );
}
