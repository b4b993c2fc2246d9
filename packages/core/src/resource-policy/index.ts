import type { ResourcePolicyAdapter } from './adapter';
import { sqsQueuePolicy } from './sqs';

export * from './adapter';
export * from './sqs';

/** Every service the resource-policy guardrail reads: a new service is its adapter and one line here. */
export const RESOURCE_POLICY_ADAPTERS: readonly ResourcePolicyAdapter[] = [sqsQueuePolicy];

export function adapterFor(eventSource: string, eventName: string): ResourcePolicyAdapter | undefined {
  return RESOURCE_POLICY_ADAPTERS.find(
    (adapter) => adapter.eventSource === eventSource && adapter.eventNames.includes(eventName),
  );
}
