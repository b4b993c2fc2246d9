import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotAttributeCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { renderSlack } from '@driftguard/core';
import { slackPreview } from '../format';
import { shareSnapshotEvent } from '../simulate/shares';
import { type DemoScene, showProcessed } from './context';
import { readBackSns } from './sns-inbox';

/** An account outside the organization the backup is handed to. */
const OUTSIDE_ACCOUNT = '999988887777';

async function sharedWith(ec2: EC2Client, SnapshotId: string): Promise<string[]> {
  const { CreateVolumePermissions } = await ec2.send(
    new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }),
  );
  return (CreateVolumePermissions ?? []).map((share) => share.Group ?? share.UserId ?? '?');
}

/**
 * An engineer makes the EBS snapshot of a database volume public and shares it with an account
 * outside the organization "to debug": anyone can restore the disk. driftguard removes exactly
 * those two shares and re-reads the snapshot's create-volume permissions.
 */
export const snapshotScene: DemoScene = async (context) => {
  const ec2 = new EC2Client(context.clientSettings);
  context.step(`Creating an EBS volume and its snapshot (the orders database's disk, ${context.account})`);
  const { VolumeId } = await ec2.send(
    new CreateVolumeCommand({ Size: 20, AvailabilityZone: `${context.region}a` }),
  );
  const { SnapshotId } = await ec2.send(
    new CreateSnapshotCommand({ VolumeId, Description: 'orders-db nightly backup' }),
  );
  const snapshotId = SnapshotId as string;
  context.line(`${VolumeId} → ${snapshotId}`);

  context.step(
    `An engineer shares the snapshot with "all" and with ${OUTSIDE_ACCOUNT} (outside the organization)`,
  );
  await ec2.send(
    new ModifySnapshotAttributeCommand({
      SnapshotId: snapshotId,
      Attribute: 'createVolumePermission',
      OperationType: 'add',
      GroupNames: ['all'],
      UserIds: [OUTSIDE_ACCOUNT],
    }),
  );
  context.line(`${snapshotId} shared with: ${(await sharedWith(ec2, snapshotId)).join(', ')}`);
  const event = shareSnapshotEvent({
    account: context.account,
    region: context.region,
    snapshotId,
    add: { public: true, accounts: [OUTSIDE_ACCOUNT] },
  });
  const detail = event.detail as { eventID: string; userIdentity: { arn: string } };
  context.line(`who:   ${detail.userIdentity.arn}`);
  context.line(`what:  ec2:ModifySnapshotAttribute ${snapshotId}   (CloudTrail event ${detail.eventID})`);

  context.step('driftguard evaluates the CloudTrail event');
  const processed = await context.runtime.pipeline.process(event);
  showProcessed(context, processed);

  context.step('Verified result: the create-volume permissions, re-read from EC2');
  const after = await sharedWith(ec2, snapshotId);
  context.line(
    `${snapshotId} shared with: ${after.length > 0 ? after.join(', ') : 'nobody (private again)'}`,
  );

  context.step('The alert as it reads in Slack');
  console.log(slackPreview(renderSlack(processed)));
  context.step('The alert as published to SNS');
  await readBackSns(context);

  return processed.outcome.status === 'reverted' && processed.outcome.verified && after.length === 0;
};
