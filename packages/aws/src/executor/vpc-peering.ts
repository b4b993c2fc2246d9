import {
  DeleteVpcPeeringConnectionCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
  RejectVpcPeeringConnectionCommand,
  type VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import {
  allowedPeering,
  type DeleteVpcPeeringConnection,
  type OperationResult,
  PEERING_GONE_STATES,
  type RejectVpcPeeringConnection,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { alreadyCompliant, applied, failed } from './results';

/**
 * The connection by id (moto ignores Filters here; ids work everywhere). AWS answers an unknown
 * id with InvalidVpcPeeringConnectionID.NotFound, moto with an empty list: both mean gone.
 */
async function readPeering(ec2: EC2Client, id: string): Promise<VpcPeeringConnection | undefined> {
  try {
    const { VpcPeeringConnections } = await ec2.send(
      new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }),
    );
    return VpcPeeringConnections?.find((connection) => connection.VpcPeeringConnectionId === id);
  } catch (error) {
    if (awsErrorCode(error)?.startsWith('InvalidVpcPeeringConnectionID')) return undefined;
    throw error;
  }
}

const sideOf = (info: VpcPeeringConnection['RequesterVpcInfo']) => ({
  ...(info?.OwnerId ? { account: info.OwnerId } : {}),
  ...(info?.VpcId ? { vpc: info.VpcId } : {}),
});

/**
 * verify → act → verify for vpc-peering, whichever call the plan named: re-read the connection;
 * leave it when it is gone or has become allowlisted; Reject when it is pending acceptance and the
 * target account is its accepter (an accepter cannot delete a pending request), Delete otherwise;
 * then read it back as rejected or deleted.
 */
export async function revertVpcPeeringConnection(
  operation: RejectVpcPeeringConnection | DeleteVpcPeeringConnection,
  { clients, config }: ExecutorContext,
): Promise<OperationResult> {
  const ec2 = await clients.get(EC2Client, operation.target);
  const id = operation.input.VpcPeeringConnectionId;
  const before = await readPeering(ec2, id);
  const state = before?.Status?.Code;
  if (!before || (state && PEERING_GONE_STATES.includes(state))) {
    return alreadyCompliant(operation, `${id} is ${state ?? 'gone'}`);
  }
  const peering = { requester: sideOf(before.RequesterVpcInfo), accepter: sideOf(before.AccepterVpcInfo) };
  if (allowedPeering(peering, config.rules['vpc-peering'])) {
    return alreadyCompliant(operation, `${id} is now in allowedPeerings: left in place`);
  }
  const reject =
    state === 'pending-acceptance' && before.AccepterVpcInfo?.OwnerId === operation.target.account;
  try {
    await ec2.send(
      reject
        ? new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })
        : new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }),
    );
  } catch (error) {
    if (!awsErrorCode(error)?.startsWith('InvalidVpcPeeringConnectionID')) throw error;
  }
  const after = await readPeering(ec2, id);
  const final = after?.Status?.Code;
  if (after && !(final && PEERING_GONE_STATES.includes(final))) {
    return failed(
      operation,
      `re-read of ${id} shows it ${final ?? 'in an unknown state'} after ${reject ? 'reject' : 'delete'}`,
    );
  }
  const action = reject ? 'rejected' : 'deleted';
  return applied(operation, `${action} ${id} (was ${state ?? 'unknown'}; now ${final ?? 'gone'})`, [
    `${id} ${action}`,
  ]);
}
