import type { Target } from './operations';

/**
 * public-snapshot: take back exactly the shares a call added that open a snapshot or an image
 * beyond the trust zone. `input` uses the SDK's own field names. Each executor re-reads the
 * attribute first, removes only the listed grantees that are still there, and reads it back.
 */
/** One AMI launch permission, as the SDK names it. */
export interface ImageShare {
  /** `all`: public. */
  Group?: 'all';
  UserId?: string;
  OrganizationArn?: string;
  OrganizationalUnitArn?: string;
}

/**
 * EBS snapshot: ModifySnapshotAttribute removing createVolumePermission by group (`all`) and
 * account. The OperationType form of the API is used because it is the one both AWS and moto
 * implement (moto ignores `CreateVolumePermission.Remove`); AWS treats the two forms alike.
 */
export interface RemoveSnapshotShares {
  service: 'ec2';
  operation: 'ModifySnapshotAttribute';
  target: Target;
  input: {
    SnapshotId: string;
    Attribute: 'createVolumePermission';
    OperationType: 'remove';
    GroupNames?: 'all'[];
    UserIds?: string[];
  };
}

/** AMI: ModifyImageAttribute launchPermission Remove. */
export interface RemoveImageShares {
  service: 'ec2';
  operation: 'ModifyImageAttribute';
  target: Target;
  input: { ImageId: string; LaunchPermission: { Remove: ImageShare[] } };
}

/** RDS DB snapshot: ModifyDBSnapshotAttribute restore ValuesToRemove (`all` or account ids). */
export interface RemoveDbSnapshotShares {
  service: 'rds';
  operation: 'ModifyDBSnapshotAttribute';
  target: Target;
  input: { DBSnapshotIdentifier: string; AttributeName: 'restore'; ValuesToRemove: string[] };
}

/** RDS cluster snapshot: ModifyDBClusterSnapshotAttribute restore ValuesToRemove. */
export interface RemoveDbClusterSnapshotShares {
  service: 'rds';
  operation: 'ModifyDBClusterSnapshotAttribute';
  target: Target;
  input: { DBClusterSnapshotIdentifier: string; AttributeName: 'restore'; ValuesToRemove: string[] };
}

export type ShareOperation =
  | RemoveSnapshotShares
  | RemoveImageShares
  | RemoveDbSnapshotShares
  | RemoveDbClusterSnapshotShares;
