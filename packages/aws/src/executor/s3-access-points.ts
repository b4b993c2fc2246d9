import {
  DeleteAccessPointPolicyCommand,
  GetAccessPointPolicyCommand,
  PutAccessPointPolicyCommand,
  type S3ControlClient,
} from '@aws-sdk/client-s3-control';
import {
  analyzeAccessPointPolicy,
  type DeleteAccessPointPolicy,
  type OperationResult,
  type PutAccessPointPolicy,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { revertTrustZone } from './revert-zone';
import { S3ControlClientAtEndpoint } from './s3';
import {
  findLiveOffenders,
  type PolicyRead,
  removeStatementsAndVerify,
  stillOffending,
} from './statement-removal';

async function readAccessPointPolicy(
  control: S3ControlClient,
  AccountId: string,
  Name: string,
): Promise<PolicyRead> {
  try {
    const { Policy } = await control.send(new GetAccessPointPolicyCommand({ AccountId, Name }));
    return Policy
      ? { state: 'present', text: Policy }
      : { state: 'absent', why: `access point ${Name} has no policy` };
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'NoSuchAccessPointPolicy')
      return { state: 'absent', why: `access point ${Name} has no policy` };
    if (code === 'NoSuchAccessPoint')
      return { state: 'absent', why: `access point ${Name} no longer exists` };
    throw error;
  }
}

/**
 * verify → act → verify for s3-access-point-policy: re-read the live policy, find the statements the
 * plan names that are still there and still offend (re-analyzed with the same trust zone), remove
 * exactly those (DeleteAccessPointPolicy when nothing would remain), then read it back to prove it.
 */
export async function revertAccessPointPolicy(
  operation: PutAccessPointPolicy | DeleteAccessPointPolicy,
  context: ExecutorContext,
): Promise<OperationResult> {
  const { clients, config } = context;
  const control = await clients.get(S3ControlClientAtEndpoint, operation.target);
  const { AccountId, Name } = operation.input;
  const where = `access point ${Name}`;
  const read = () => readAccessPointPolicy(control, AccountId, Name);
  const live = await findLiveOffenders(operation, where, await read(), async () => {
    const trustZone = await revertTrustZone(operation, context);
    return (policy) =>
      stillOffending(
        policy,
        operation.remove,
        analyzeAccessPointPolicy(policy, config, trustZone, operation.target.account).statements,
      );
  });
  if (!live.found) return live.result;
  return removeStatementsAndVerify(live, {
    operation,
    where,
    read,
    write: (Policy) =>
      Policy === undefined
        ? control.send(new DeleteAccessPointPolicyCommand({ AccountId, Name }))
        : control.send(new PutAccessPointPolicyCommand({ AccountId, Name, Policy })),
  });
}
