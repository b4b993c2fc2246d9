import {
  DescribeImageAttributeCommand,
  DescribeSnapshotAttributeCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import type { ImageShare, OperationResult, ShareOperation } from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { alreadyCompliant, applied, failed } from './results';

/** The resource no longer exists: nothing is shared any more. */
const GONE = new Set([
  'InvalidSnapshot.NotFound',
  'InvalidAMIID.NotFound',
  'InvalidAMIID.Unavailable',
  'DBSnapshotNotFound',
  'DBSnapshotNotFoundFault',
  'DBClusterSnapshotNotFoundFault',
]);

/** One grantee as a comparable string: `all`, an account id, or an organization (unit) ARN. */
export function shareKey(share: ImageShare): string {
  return share.Group ?? share.UserId ?? share.OrganizationArn ?? share.OrganizationalUnitArn ?? '';
}

/** How to read and shrink one kind of share. */
interface ShareAccess {
  label: string;
  /** Current grantees; undefined when the resource is gone. */
  read(): Promise<Set<string> | undefined>;
  /** Removes exactly these grantees (keys as `shareKey` gives them). */
  remove(keys: readonly string[]): Promise<void>;
}

async function orGone<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (GONE.has(awsErrorCode(error) ?? '')) return undefined;
    throw error;
  }
}

function restoreValues(
  attributes: { AttributeName?: string; AttributeValues?: string[] }[] | undefined,
): Set<string> {
  return new Set(
    attributes?.find((attribute) => attribute.AttributeName === 'restore')?.AttributeValues ?? [],
  );
}

async function accessOf(operation: ShareOperation, { clients }: ExecutorContext): Promise<ShareAccess> {
  switch (operation.operation) {
    case 'ModifySnapshotAttribute': {
      const ec2 = await clients.get(EC2Client, operation.target);
      const { SnapshotId } = operation.input;
      return {
        label: `snapshot ${SnapshotId}`,
        read: () =>
          orGone(async () => {
            const { CreateVolumePermissions } = await ec2.send(
              new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }),
            );
            return new Set((CreateVolumePermissions ?? []).map(shareKey));
          }),
        remove: async (keys) => {
          const UserIds = keys.filter((key) => key !== 'all');
          await ec2.send(
            new ModifySnapshotAttributeCommand({
              SnapshotId,
              Attribute: 'createVolumePermission',
              OperationType: 'remove',
              ...(keys.includes('all') ? { GroupNames: ['all'] } : {}),
              ...(UserIds.length > 0 ? { UserIds } : {}),
            }),
          );
        },
      };
    }
    case 'ModifyImageAttribute': {
      const ec2 = await clients.get(EC2Client, operation.target);
      const { ImageId, LaunchPermission } = operation.input;
      return {
        label: `image ${ImageId}`,
        read: () =>
          orGone(async () => {
            const { LaunchPermissions } = await ec2.send(
              new DescribeImageAttributeCommand({ ImageId, Attribute: 'launchPermission' }),
            );
            return new Set((LaunchPermissions ?? []).map(shareKey));
          }),
        remove: async (keys) => {
          const Remove = LaunchPermission.Remove.filter((share) => keys.includes(shareKey(share)));
          await ec2.send(new ModifyImageAttributeCommand({ ImageId, LaunchPermission: { Remove } }));
        },
      };
    }
    case 'ModifyDBSnapshotAttribute': {
      const rds = await clients.get(RDSClient, operation.target);
      const { DBSnapshotIdentifier } = operation.input;
      return {
        label: `DB snapshot ${DBSnapshotIdentifier}`,
        read: () =>
          orGone(async () => {
            const { DBSnapshotAttributesResult } = await rds.send(
              new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier }),
            );
            return restoreValues(DBSnapshotAttributesResult?.DBSnapshotAttributes);
          }),
        remove: async (keys) => {
          await rds.send(
            new ModifyDBSnapshotAttributeCommand({
              DBSnapshotIdentifier,
              AttributeName: 'restore',
              ValuesToRemove: [...keys],
            }),
          );
        },
      };
    }
    case 'ModifyDBClusterSnapshotAttribute': {
      const rds = await clients.get(RDSClient, operation.target);
      const { DBClusterSnapshotIdentifier } = operation.input;
      return {
        label: `DB cluster snapshot ${DBClusterSnapshotIdentifier}`,
        read: () =>
          orGone(async () => {
            const { DBClusterSnapshotAttributesResult } = await rds.send(
              new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier }),
            );
            return restoreValues(DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes);
          }),
        remove: async (keys) => {
          await rds.send(
            new ModifyDBClusterSnapshotAttributeCommand({
              DBClusterSnapshotIdentifier,
              AttributeName: 'restore',
              ValuesToRemove: [...keys],
            }),
          );
        },
      };
    }
  }
}

function plannedKeys(operation: ShareOperation): string[] {
  switch (operation.operation) {
    case 'ModifySnapshotAttribute':
      return [...(operation.input.GroupNames ?? []), ...(operation.input.UserIds ?? [])];
    case 'ModifyImageAttribute':
      return operation.input.LaunchPermission.Remove.map(shareKey);
    default:
      return operation.input.ValuesToRemove;
  }
}

/**
 * verify → act → verify for public-snapshot: re-read who the snapshot or image is shared with,
 * remove only the planned grantees still there (every other share stays), and re-read to prove
 * they are gone.
 */
export async function removeShares(
  operation: ShareOperation,
  context: ExecutorContext,
): Promise<OperationResult> {
  const access = await accessOf(operation, context);
  const planned = plannedKeys(operation);
  const before = await access.read();
  if (!before) {
    return alreadyCompliant(operation, `${access.label} no longer exists`);
  }
  const present = planned.filter((key) => before.has(key));
  if (present.length === 0) {
    return alreadyCompliant(operation, `${access.label} is no longer shared with ${planned.join(', ')}`);
  }
  await access.remove(present);
  const after = await access.read();
  const remaining = present.filter((key) => after?.has(key));
  if (remaining.length > 0) {
    return failed(operation, `re-read of ${access.label} still shares it with ${remaining.join(', ')}`);
  }
  return applied(operation, `${access.label} no longer shared with ${present.join(', ')}`, present);
}
