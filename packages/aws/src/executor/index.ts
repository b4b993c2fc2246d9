import type { Config, Operation, OperationResult, OrganizationInfo } from '@driftguard/core';
import { type AccountClients, accountClients } from '../account-clients';
import type { CredentialsForAccount } from '../credentials';
import { awsErrorCode, errorMessage } from '../errors';
import type { IsolationStore } from '../store/isolations';
import type { SnapshotStore } from '../store/snapshots';
import { revokeDefaultSecurityGroupRules } from './default-security-groups';
import {
  modifyVpcEndpointServiceConfiguration,
  modifyVpcEndpointServicePermissions,
} from './endpoint-services';
import { enableForwardingRule, restoreForwardingTarget, restoreRemediationTrust } from './footprint';
import { removeLambdaPermission, requireFunctionUrlAuth } from './lambda';
import {
  blockBucketPublicAccess,
  deactivateAccessKey,
  isolateEc2Instance,
  revokeRoleSessions,
} from './playbooks';
import { removeManagedPrefixListEntries } from './prefix-lists';
import { revertResourcePolicy } from './resource-policies/index';
import { failed } from './results';
import { updateAssumeRolePolicy } from './role-trust';
import { putAccountPublicAccessBlock, putPublicAccessBlock, revertBucketPolicy } from './s3';
import { revertAccessPointPolicy } from './s3-access-points';
import { restoreSecurityGroupRules, revokeSecurityGroupIngress } from './security-groups';
import { removeShares } from './shares';
import { modifyVpcEndpointPolicy } from './vpc-endpoints';
import { revertVpcPeeringConnection } from './vpc-peering';

export { type AccountClients, accountClients, type ClientClass } from '../account-clients';

/** What every operation handler may use. */
export interface ExecutorContext {
  config: Config;
  clients: AccountClients;
  snapshots?: SnapshotStore;
  /** Where the isolate playbook records an instance's previous groups (the state table). */
  isolations?: IsolationStore;
  /** The clock playbooks stamp their actions with (session cut-off, isolation time). */
  now?: () => number;
  /** The organization's accounts (cached): policy reverts re-judge live documents with the full trust zone. */
  organization?: () => Promise<OrganizationInfo>;
  /**
   * Resolves once the handler may change anything (the pipeline's intent is recorded); rejects
   * when it must not. Only handlers in `GATED_IN_HANDLER` see it: they await it right before their
   * first write, so their re-read overlaps the wait; every other handler starts after it.
   */
  beforeAct?: () => Promise<void>;
}

type Handler<O extends Operation> = (operation: O, context: ExecutorContext) => Promise<OperationResult>;

/**
 * One handler per operation kind. The mapped type makes a new operation without a handler a
 * compile error. Each handler is verify → act → verify: re-read live state, act only on what
 * still violates, re-read to prove the result.
 */
const HANDLERS: { [K in Operation['operation']]: Handler<Extract<Operation, { operation: K }>> } = {
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
  RestoreSecurityGroupRules: restoreSecurityGroupRules,
  RevokeDefaultSecurityGroupRules: revokeDefaultSecurityGroupRules,
  RemoveManagedPrefixListEntries: removeManagedPrefixListEntries,
  RejectVpcPeeringConnection: revertVpcPeeringConnection,
  DeleteVpcPeeringConnection: revertVpcPeeringConnection,
  ModifyVpcEndpointServicePermissions: modifyVpcEndpointServicePermissions,
  ModifyVpcEndpointServiceConfiguration: modifyVpcEndpointServiceConfiguration,
  PutBucketPolicy: revertBucketPolicy,
  DeleteBucketPolicy: revertBucketPolicy,
  PutAccessPointPolicy: revertAccessPointPolicy,
  DeleteAccessPointPolicy: revertAccessPointPolicy,
  PutPublicAccessBlock: putPublicAccessBlock,
  PutAccountPublicAccessBlock: putAccountPublicAccessBlock,
  ModifyVpcEndpoint: modifyVpcEndpointPolicy,
  // public-snapshot
  ModifySnapshotAttribute: removeShares,
  ModifyImageAttribute: removeShares,
  ModifyDBSnapshotAttribute: removeShares,
  ModifyDBClusterSnapshotAttribute: removeShares,
  // lambda-public
  RemovePermission: removeLambdaPermission,
  UpdateFunctionUrlConfig: requireFunctionUrlAuth,
  // iam-role-trust
  UpdateAssumeRolePolicy: updateAssumeRolePolicy,
  // resource-policy
  SetQueueAttributes: revertResourcePolicy,
  SetTopicAttributes: revertResourcePolicy,
  PutKeyPolicy: revertResourcePolicy,
  SetRepositoryPolicy: revertResourcePolicy,
  DeleteRepositoryPolicy: revertResourcePolicy,
  PutResourcePolicy: revertResourcePolicy,
  DeleteResourcePolicy: revertResourcePolicy,
  // driftguard's own footprint (driftguard-integrity)
  EnableRule: enableForwardingRule,
  RestoreForwardingTarget: restoreForwardingTarget,
  RestoreRemediationTrust: restoreRemediationTrust,
  // GuardDuty playbooks
  IsolateEc2Instance: isolateEc2Instance,
  DeactivateAccessKey: deactivateAccessKey,
  RevokeRoleSessions: revokeRoleSessions,
  BlockBucketPublicAccess: blockBucketPublicAccess,
};

/**
 * Handlers that await `beforeAct` themselves, just before their first write (their re-read goes
 * out while the intent is being recorded). The hot path only: a handler listed here that wrote
 * before awaiting it would act without a recorded intent.
 */
const GATED_IN_HANDLER: ReadonlySet<Operation['operation']> = new Set(['RevokeSecurityGroupIngress']);

export interface ExecutorOptions {
  config: Config;
  credentialsFor: CredentialsForAccount;
  endpoint?: string;
  snapshots?: SnapshotStore;
  isolations?: IsolationStore;
  now?: () => number;
  organization?: () => Promise<OrganizationInfo>;
  /** Overrides client construction (tests inject mocks for errors an emulator cannot produce). */
  clients?: AccountClients;
}

export type Executor = (
  operation: Operation,
  /** Nothing may be changed before this resolves (see ExecutorContext.beforeAct). */
  beforeAct?: () => Promise<void>,
) => Promise<OperationResult>;

/**
 * Turns typed operations into SDK calls in the operation's account and region. Every failure
 * becomes a `failed` result with the reason: one bad operation never hides the others.
 */
export function createExecutor(options: ExecutorOptions): Executor {
  const context: ExecutorContext = {
    config: options.config,
    clients: options.clients ?? accountClients(options),
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
    ...(options.isolations ? { isolations: options.isolations } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.organization ? { organization: options.organization } : {}),
  };
  return async (operation, beforeAct) => {
    const handler = HANDLERS[operation.operation] as Handler<Operation>;
    try {
      if (!beforeAct) return await handler(operation, context);
      if (GATED_IN_HANDLER.has(operation.operation))
        return await handler(operation, { ...context, beforeAct });
      await beforeAct();
      return await handler(operation, context);
    } catch (error) {
      const code = awsErrorCode(error);
      return failed(
        operation,
        `${operation.operation} in ${operation.target.account}/${operation.target.region} failed: ${code ? `${code}: ` : ''}${errorMessage(error)}`,
      );
    }
  };
}
