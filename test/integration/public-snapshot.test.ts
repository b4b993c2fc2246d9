import {
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  type EC2Client,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { ec2SharesDescriber, rdsSnapshotSharesDescriber } from '@driftguard/aws';
import { parseConfig } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  shareDbSnapshotEvent,
  shareImageEvent,
  shareSnapshotEvent,
} from '../../packages/cli/src/simulate/shares';
import { clientOptions, ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { MEMBER_ACCOUNT, networkPipeline, OUTSIDE_ACCOUNT } from '../support/network';
import { sweptInHomeAccount } from '../support/sweep';

const REGION = 'us-east-1';
const where = { account: HOME_ACCOUNT, region: REGION };

async function snapshotShares(ec2: EC2Client, SnapshotId: string): Promise<string[]> {
  const { CreateVolumePermissions } = await ec2.send(
    new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }),
  );
  return (CreateVolumePermissions ?? []).map((share) => share.Group ?? share.UserId ?? '').sort();
}

async function imageShares(ec2: EC2Client, ImageId: string): Promise<string[]> {
  const { LaunchPermissions } = await ec2.send(
    new DescribeImageAttributeCommand({ ImageId, Attribute: 'launchPermission' }),
  );
  return (LaunchPermissions ?? [])
    .map((share) => share.Group ?? share.UserId ?? share.OrganizationArn ?? '')
    .sort();
}

async function dbSnapshotShares(rds: RDSClient, DBSnapshotIdentifier: string): Promise<string[]> {
  const { DBSnapshotAttributesResult } = await rds.send(
    new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier }),
  );
  const restore = DBSnapshotAttributesResult?.DBSnapshotAttributes?.find(
    (a) => a.AttributeName === 'restore',
  );
  return [...(restore?.AttributeValues ?? [])].sort();
}

async function newSnapshot(ec2: EC2Client): Promise<string> {
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ Size: 1, AvailabilityZone: `${REGION}a` }));
  const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId }));
  return SnapshotId as string;
}

/** Shares the snapshot the way moto implements (OperationType form); CloudTrail records the add set. */
async function shareSnapshot(ec2: EC2Client, SnapshotId: string, groups: 'all'[], UserIds: string[]) {
  await ec2.send(
    new ModifySnapshotAttributeCommand({
      SnapshotId,
      Attribute: 'createVolumePermission',
      OperationType: 'add',
      ...(groups.length ? { GroupNames: groups } : {}),
      ...(UserIds.length ? { UserIds } : {}),
    }),
  );
}

describe.skipIf(!motoEndpoint)('public-snapshot against moto', () => {
  let ec2: EC2Client;
  let rds: RDSClient;
  beforeAll(() => {
    ec2 = ec2Client(REGION);
    rds = new RDSClient(clientOptions(REGION));
  });

  it('an EBS snapshot made public and shared with an outside account: exactly those two shares are removed, the organization account keeps its share, read back', async () => {
    const snapshotId = await newSnapshot(ec2);
    await shareSnapshot(ec2, snapshotId, [], [MEMBER_ACCOUNT]);
    await shareSnapshot(ec2, snapshotId, ['all'], [OUTSIDE_ACCOUNT]);
    expect(await snapshotShares(ec2, snapshotId)).toEqual(['all', MEMBER_ACCOUNT, OUTSIDE_ACCOUNT].sort());
    const event = shareSnapshotEvent({
      ...where,
      snapshotId,
      add: { public: true, accounts: [OUTSIDE_ACCOUNT] },
    });

    const result = await networkPipeline().process(event);

    expect(result.assessment).toMatchObject({
      status: 'violation',
      rule: 'public-snapshot',
      severity: 'critical',
    });
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await snapshotShares(ec2, snapshotId)).toEqual([MEMBER_ACCOUNT]);
  });

  it('a late event after the share was already withdrawn by hand: already compliant, nothing called', async () => {
    const snapshotId = await newSnapshot(ec2);
    const event = shareSnapshotEvent({ ...where, snapshotId, add: { public: true } });

    const result = await networkPipeline().process(event);

    expect(result.outcome).toMatchObject({ status: 'already-compliant', verified: true });
    expect(await snapshotShares(ec2, snapshotId)).toEqual([]);
  });

  it('an AMI made public beside an organization share: only "all" is removed', async () => {
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }));
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: Images?.[0]?.ImageId, MinCount: 1, MaxCount: 1 }),
    );
    const { ImageId } = await ec2.send(
      new CreateImageCommand({ InstanceId: Instances?.[0]?.InstanceId, Name: unique('golden') }),
    );
    const organizationArn = `arn:aws:organizations::${HOME_ACCOUNT}:organization/o-a1b2c3d4e5`;
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId,
        LaunchPermission: { Add: [{ Group: 'all' }, { OrganizationArn: organizationArn }] },
      }),
    );
    const event = shareImageEvent({ ...where, imageId: ImageId as string, add: { public: true } });

    const result = await networkPipeline().process(event);

    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await imageShares(ec2, ImageId as string)).toEqual([organizationArn]);
  });

  it('an RDS snapshot restorable by all and an outside account, a cluster snapshot by an outside account: ValuesToRemove of exactly those, read back', async () => {
    const instance = unique('orders');
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: instance,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'orders',
        MasterUserPassword: 'not-a-secret-1',
        AllocatedStorage: 20,
      }),
    );
    const snapshot = unique('orders-snap');
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: instance, DBSnapshotIdentifier: snapshot }),
    );
    await rds.send(
      new ModifyDBSnapshotAttributeCommand({
        DBSnapshotIdentifier: snapshot,
        AttributeName: 'restore',
        ValuesToAdd: [MEMBER_ACCOUNT, 'all', OUTSIDE_ACCOUNT],
      }),
    );
    const event = shareDbSnapshotEvent({
      ...where,
      identifier: snapshot,
      add: { public: true, accounts: [MEMBER_ACCOUNT, OUTSIDE_ACCOUNT] },
      after: await dbSnapshotShares(rds, snapshot),
    });

    const result = await networkPipeline().process(event);

    expect(result.assessment.operations).toEqual([
      expect.objectContaining({
        operation: 'ModifyDBSnapshotAttribute',
        input: {
          DBSnapshotIdentifier: snapshot,
          AttributeName: 'restore',
          ValuesToRemove: ['all', OUTSIDE_ACCOUNT],
        },
      }),
    ]);
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await dbSnapshotShares(rds, snapshot)).toEqual([MEMBER_ACCOUNT]);

    const cluster = unique('aurora');
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: cluster,
        Engine: 'aurora-postgresql',
        MasterUsername: 'orders',
        MasterUserPassword: 'not-a-secret-1',
      }),
    );
    const clusterSnapshot = unique('aurora-snap');
    await rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: cluster,
        DBClusterSnapshotIdentifier: clusterSnapshot,
      }),
    );
    await rds.send(
      new ModifyDBClusterSnapshotAttributeCommand({
        DBClusterSnapshotIdentifier: clusterSnapshot,
        AttributeName: 'restore',
        ValuesToAdd: [OUTSIDE_ACCOUNT],
      }),
    );
    const clusterEvent = shareDbSnapshotEvent({
      ...where,
      identifier: clusterSnapshot,
      cluster: true,
      add: { accounts: [OUTSIDE_ACCOUNT] },
      after: [OUTSIDE_ACCOUNT],
    });

    const clusterResult = await networkPipeline().process(clusterEvent);

    expect(clusterResult.outcome).toMatchObject({ status: 'reverted', verified: true });
    const { DBClusterSnapshotAttributesResult } = await rds.send(
      new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: clusterSnapshot }),
    );
    expect(DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes).toEqual([
      { AttributeName: 'restore', AttributeValues: [] },
    ]);
  });

  it('shadow mode: the would-be revert is planned, the snapshot stays public', async () => {
    const snapshotId = await newSnapshot(ec2);
    await shareSnapshot(ec2, snapshotId, ['all'], []);
    const parsed = parseConfig({ rules: { 'public-snapshot': { mode: 'shadow' } } });
    if (!parsed.ok) throw new Error(parsed.reason);
    const event = shareSnapshotEvent({ ...where, snapshotId, add: { public: true } });

    const result = await networkPipeline({ config: parsed.config }).process(event);

    expect(result.assessment.action).toBe('shadow');
    expect(await snapshotShares(ec2, snapshotId)).toEqual(['all']);
  });

  it('the sweep finds public and outside shares in live state (no event) and the same path reverts them', async () => {
    const snapshotId = await newSnapshot(ec2);
    await shareSnapshot(ec2, snapshotId, ['all'], [MEMBER_ACCOUNT]);
    const instance = unique('ledger');
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: instance,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'ledger',
        MasterUserPassword: 'not-a-secret-1',
        AllocatedStorage: 20,
      }),
    );
    const dbSnapshot = unique('ledger-snap');
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: instance, DBSnapshotIdentifier: dbSnapshot }),
    );
    await rds.send(
      new ModifyDBSnapshotAttributeCommand({
        DBSnapshotIdentifier: dbSnapshot,
        AttributeName: 'restore',
        ValuesToAdd: [OUTSIDE_ACCOUNT],
      }),
    );
    const found = await sweptInHomeAccount([ec2SharesDescriber, rdsSnapshotSharesDescriber], (resource) =>
      [snapshotId, dbSnapshot].includes(resource.resourceId),
    );
    expect(found.map((resource) => resource.resourceId)).toEqual([snapshotId, dbSnapshot]);

    const pipeline = networkPipeline();
    const outcomes = [];
    for (const resource of found) outcomes.push((await pipeline.process(resource.event)).outcome);

    expect(outcomes).toMatchObject([
      { status: 'reverted', verified: true },
      { status: 'reverted', verified: true },
    ]);
    expect(await snapshotShares(ec2, snapshotId)).toEqual([MEMBER_ACCOUNT]);
    expect(await dbSnapshotShares(rds, dbSnapshot)).toEqual([]);
  });
});
