import {
  DescribeImageAttributeCommand,
  DescribeSnapshotAttributeCommand,
  EC2Client,
  paginateDescribeImages,
  paginateDescribeSnapshots,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
  RDSClient,
} from '@aws-sdk/client-rds';
import { shareKey } from '../executor/shares';
import { type Describer, type DescribeScope, ec2Set, type SweptResource, sweepEvent } from './describer';

/** A launch/create-volume permission as CloudTrail writes it (`group`, `userId`, organization ARNs). */
function cloudTrailItem(share: {
  Group?: string;
  UserId?: string;
  OrganizationArn?: string;
  OrganizationalUnitArn?: string;
}): Record<string, string> {
  if (share.Group) return { group: share.Group };
  if (share.UserId) return { userId: share.UserId };
  if (share.OrganizationArn) return { organizationArn: share.OrganizationArn };
  return share.OrganizationalUnitArn ? { organizationalUnitArn: share.OrganizationalUnitArn } : {};
}

/**
 * Every EBS snapshot and AMI this account owns that is shared at all, read as the
 * ModifySnapshotAttribute / ModifyImageAttribute that added all of its current grantees
 * (public-snapshot removes exactly those outside the trust zone). One attribute read per owned
 * snapshot or image: EC2 has no list of shared ones.
 */
export const ec2SharesDescriber: Describer = {
  id: 'ec2-shares',
  rules: ['public-snapshot'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const ec2 = await scope.clients.get(EC2Client, { account: scope.account, region: scope.region });
    // The owner-id filter repeats `self` on purpose: moto ignores OwnerIds and would list every
    // public snapshot it ships with; AWS answers the same either way.
    const snapshots = paginateDescribeSnapshots(
      { client: ec2, pageSize: 1000 },
      { OwnerIds: ['self'], Filters: [{ Name: 'owner-id', Values: [scope.account] }] },
    );
    for await (const page of snapshots) {
      for (const snapshot of page.Snapshots ?? []) {
        if (!snapshot.SnapshotId || snapshot.OwnerId !== scope.account) continue;
        const { CreateVolumePermissions } = await ec2.send(
          new DescribeSnapshotAttributeCommand({
            SnapshotId: snapshot.SnapshotId,
            Attribute: 'createVolumePermission',
          }),
        );
        const items = (CreateVolumePermissions ?? []).map(cloudTrailItem);
        if (items.length === 0) continue;
        yield sweepEvent(scope, {
          eventSource: 'ec2.amazonaws.com',
          eventName: 'ModifySnapshotAttribute',
          resourceId: snapshot.SnapshotId,
          requestParameters: {
            snapshotId: snapshot.SnapshotId,
            attributeType: 'CREATE_VOLUME_PERMISSION',
            createVolumePermission: { add: ec2Set(items) },
          },
          responseElements: { _return: true },
        });
      }
    }
    for await (const page of paginateDescribeImages({ client: ec2, pageSize: 1000 }, { Owners: ['self'] })) {
      for (const image of page.Images ?? []) {
        if (!image.ImageId || image.OwnerId !== scope.account) continue;
        const { LaunchPermissions } = await ec2.send(
          new DescribeImageAttributeCommand({ ImageId: image.ImageId, Attribute: 'launchPermission' }),
        );
        const items = (LaunchPermissions ?? []).filter((share) => shareKey(share) !== '').map(cloudTrailItem);
        if (items.length === 0) continue;
        yield sweepEvent(scope, {
          eventSource: 'ec2.amazonaws.com',
          eventName: 'ModifyImageAttribute',
          resourceId: image.ImageId,
          requestParameters: {
            imageId: image.ImageId,
            attributeType: 'launchPermission',
            launchPermission: { add: ec2Set(items) },
          },
          responseElements: { _return: true },
        });
      }
    }
  },
};

/**
 * Every manual RDS DB snapshot and DB cluster snapshot (only manual ones can be shared) with a
 * `restore` attribute, read as the ModifyDB(Cluster)SnapshotAttribute that added its values.
 */
export const rdsSnapshotSharesDescriber: Describer = {
  id: 'rds-snapshot-shares',
  rules: ['public-snapshot'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const rds = await scope.clients.get(RDSClient, { account: scope.account, region: scope.region });
    const restoreOf = (attributes: { AttributeName?: string; AttributeValues?: string[] }[] = []) =>
      attributes.find((attribute) => attribute.AttributeName === 'restore')?.AttributeValues ?? [];
    for await (const page of paginateDescribeDBSnapshots({ client: rds }, { SnapshotType: 'manual' })) {
      for (const snapshot of page.DBSnapshots ?? []) {
        const DBSnapshotIdentifier = snapshot.DBSnapshotIdentifier;
        if (!DBSnapshotIdentifier) continue;
        const { DBSnapshotAttributesResult } = await rds.send(
          new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier }),
        );
        const values = restoreOf(DBSnapshotAttributesResult?.DBSnapshotAttributes);
        if (values.length === 0) continue;
        yield sweepEvent(scope, {
          eventSource: 'rds.amazonaws.com',
          eventName: 'ModifyDBSnapshotAttribute',
          resourceId: DBSnapshotIdentifier,
          requestParameters: {
            dBSnapshotIdentifier: DBSnapshotIdentifier,
            attributeName: 'restore',
            valuesToAdd: values,
          },
        });
      }
    }
    for await (const page of paginateDescribeDBClusterSnapshots(
      { client: rds },
      { SnapshotType: 'manual' },
    )) {
      for (const snapshot of page.DBClusterSnapshots ?? []) {
        const DBClusterSnapshotIdentifier = snapshot.DBClusterSnapshotIdentifier;
        if (!DBClusterSnapshotIdentifier) continue;
        const { DBClusterSnapshotAttributesResult } = await rds.send(
          new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier }),
        );
        const values = restoreOf(DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes);
        if (values.length === 0) continue;
        yield sweepEvent(scope, {
          eventSource: 'rds.amazonaws.com',
          eventName: 'ModifyDBClusterSnapshotAttribute',
          resourceId: DBClusterSnapshotIdentifier,
          requestParameters: {
            dBClusterSnapshotIdentifier: DBClusterSnapshotIdentifier,
            attributeName: 'restore',
            valuesToAdd: values,
          },
        });
      }
    }
  },
};
