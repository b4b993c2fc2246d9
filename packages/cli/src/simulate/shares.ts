import { cloudTrailEvent, ec2Set, type SimulatedActor } from './cloudtrail';

/**
 * CloudTrail records of the share calls, built from the real request. Shapes as AWS records them
 * (see the public-snapshot fixtures): EC2 keeps the XML-derived set
 * `createVolumePermission.add.items[]` / `launchPermission.add.items[]` (`group`, `userId`,
 * `organizationArn`, `organizationalUnitArn`) with `_return` as the response; RDS records
 * `attributeName` and `valuesToAdd` and returns the attribute as it now is.
 */
interface Where {
  account: string;
  region: string;
  actor?: SimulatedActor;
}

export interface SharedWith {
  /** Public (`group: all` / `all`). */
  public?: boolean;
  accounts?: string[];
}

const grantees = (shared: SharedWith) => [
  ...(shared.public ? [{ group: 'all' }] : []),
  ...(shared.accounts ?? []).map((userId) => ({ userId })),
];

const values = (shared: SharedWith) => [...(shared.public ? ['all'] : []), ...(shared.accounts ?? [])];

/** ModifySnapshotAttribute adding create-volume permissions to an EBS snapshot. */
export function shareSnapshotEvent(input: Where & { snapshotId: string; add: SharedWith }) {
  return cloudTrailEvent({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'ModifySnapshotAttribute',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      snapshotId: input.snapshotId,
      attributeType: 'CREATE_VOLUME_PERMISSION',
      createVolumePermission: { add: ec2Set(grantees(input.add)) },
    },
    responseElements: { _return: true },
  });
}

/** ModifyImageAttribute adding launch permissions to an AMI. */
export function shareImageEvent(input: Where & { imageId: string; add: SharedWith }) {
  return cloudTrailEvent({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'ModifyImageAttribute',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      attributeType: 'launchPermission',
      imageId: input.imageId,
      launchPermission: { add: ec2Set(grantees(input.add)) },
    },
    responseElements: { _return: true },
  });
}

/** ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute adding `restore` values. */
export function shareDbSnapshotEvent(
  input: Where & { identifier: string; cluster?: boolean; add: SharedWith; after: string[] },
) {
  const key = input.cluster ? 'dBClusterSnapshotIdentifier' : 'dBSnapshotIdentifier';
  return cloudTrailEvent({
    eventSource: 'rds.amazonaws.com',
    eventName: input.cluster ? 'ModifyDBClusterSnapshotAttribute' : 'ModifyDBSnapshotAttribute',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: { [key]: input.identifier, attributeName: 'restore', valuesToAdd: values(input.add) },
    responseElements: {
      [key]: input.identifier,
      [input.cluster ? 'dBClusterSnapshotAttributes' : 'dBSnapshotAttributes']: [
        { attributeName: 'restore', attributeValues: input.after },
      ],
    },
  });
}
