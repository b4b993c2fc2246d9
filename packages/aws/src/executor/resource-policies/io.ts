import type { ResourcePolicyOperation, ResourcePolicyService } from '@driftguard/core';
import type { AccountClients } from '../index';
import type { PolicyRead } from '../statement-removal';

/** One read of a service's live policy (the shape every statement revert reads). */
export type LivePolicy = PolicyRead;

/**
 * How one service's policy is read and written live. `write` puts `policy` (JSON text), or clears
 * the policy the way the service allows when it is undefined, and says which call it made.
 */
export interface PolicyIo<O extends ResourcePolicyOperation = ResourcePolicyOperation> {
  /** How alerts name the resource (queue URL, topic ARN, key id…). */
  name(operation: O): string;
  read(operation: O, clients: AccountClients): Promise<LivePolicy>;
  write(operation: O, policy: string | undefined, clients: AccountClients): Promise<string>;
}

/** One PolicyIo per service: the mapped type makes a new service without one a compile error. */
export type PolicyIoTable = {
  [S in ResourcePolicyService]: PolicyIo<Extract<ResourcePolicyOperation, { service: S }>>;
};
