import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { REMEDIATION_SESSION_NAME } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeIngressEvent,
  authorizeIngressForReal,
  cloudTrailEvent,
  type SimulatedActor,
} from '../../packages/cli/src/simulate/cloudtrail';
import {
  clientOptions,
  credentialsInAccount,
  ec2Client,
  HOME_ACCOUNT,
  motoEndpoint,
  unique,
} from '../support/aws';
import { clock, enforcedPipeline, recordingNotifier } from '../support/enforcement';
import { configWith } from '../support/notify';

const REGION = 'us-east-1';
const SSH_OPEN: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];
/**
 * driftguard's session of role DriftGuardRemediation, as the executor assumes it in member
 * accounts (credentials.ts): the role of the event's own account, driftguard's session name.
 */
const REMEDIATION: SimulatedActor = {
  account: HOME_ACCOUNT,
  roleName: 'DriftGuardRemediation',
  sessionName: REMEDIATION_SESSION_NAME,
  userAgent: 'aws-sdk-js/3 driftguard',
};

async function ingress(ec2: EC2Client, groupId: string): Promise<string[]> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (SecurityGroupRules ?? [])
    .filter((rule) => !rule.IsEgress)
    .map((rule) => `${rule.FromPort}/${rule.CidrIpv4}`)
    .sort();
}

describe.skipIf(!motoEndpoint)('loop guard: driftguard never acts on its own changes', () => {
  let ec2: EC2Client;
  let remediationEc2: EC2Client;
  let remediation: AwsCredentialIdentity;
  beforeAll(async () => {
    ec2 = ec2Client(REGION);
    remediation = await credentialsInAccount(HOME_ACCOUNT, 'DriftGuardRemediation', REMEDIATION_SESSION_NAME);
    remediationEc2 = ec2Client(REGION, remediation);
  });

  it('the revert’s own CloudTrail event (RevokeSecurityGroupIngress by the remediation session) produces no action', async () => {
    // The session really is the remediation role's: what CloudTrail would name as the actor.
    const identity = await new STSClient(clientOptions(REGION, remediation)).send(
      new GetCallerIdentityCommand({}),
    );
    expect(identity.Arn).toBe(
      `arn:aws:sts::${HOME_ACCOUNT}:assumed-role/${REMEDIATION.roleName}/${REMEDIATION.sessionName}`,
    );

    const time = clock();
    const alerts = recordingNotifier();
    const { pipeline, announcements } = await enforcedPipeline({
      config: configWith({}),
      clock: time,
      notifiers: [alerts],
    });
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('loop'), Description: 'loop', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const added = await authorizeIngressForReal(ec2, groupId, SSH_OPEN);
    const ruleIds = added.map((rule) => rule.SecurityGroupRuleId as string);

    // The revoke, made for real by the remediation session, and its record built from the response.
    const response = await remediationEc2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ruleIds }),
    );
    expect(response.Return).toBe(true);
    const ownEvent = cloudTrailEvent({
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RevokeSecurityGroupIngress',
      account: HOME_ACCOUNT,
      region: REGION,
      actor: REMEDIATION,
      requestParameters: {
        groupId,
        securityGroupRuleIds: { items: ruleIds.map((securityGroupRuleId) => ({ securityGroupRuleId })) },
      },
      responseElements: {
        requestId: response.$metadata.requestId,
        _return: response.Return,
        ...(response.UnknownIpPermissions?.length ? { unknownIpPermissionSet: {} } : {}),
      },
    });

    const result = await pipeline.process(ownEvent);

    expect(result.assessment.status).toBe('ignored');
    expect(result.assessment.action).toBe('none');
    expect(result.assessment.reason).toBe("made by driftguard's own role (DriftGuardRemediation)");
    expect(result.assessment.decisionReason).toBe('own changes are never acted on (loop guard)');
    expect(result.outcome.results).toEqual([]);
    expect(result.notifications).toEqual([]);
    expect(alerts.reports).toEqual([]);
    expect(announcements).toEqual([]);
  });

  it('even a change by the remediation session that opens a group (a restore) is ignored, and stays', async () => {
    const time = clock();
    const { pipeline } = await enforcedPipeline({ config: configWith({}), clock: time });
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: unique('restore'),
        Description: 'restore',
        VpcId: Vpc?.VpcId,
      }),
    );
    const groupId = GroupId as string;
    const addedRules = await authorizeIngressForReal(remediationEc2, groupId, SSH_OPEN);
    const event = authorizeIngressEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      groupId,
      permissions: SSH_OPEN,
      addedRules,
      actor: REMEDIATION,
    });

    const result = await pipeline.process(event);

    expect(result.assessment.status).toBe('ignored');
    expect(result.outcome.results).toEqual([]);
    expect(await ingress(ec2, groupId)).toEqual(['22/0.0.0.0/0']);
    // The same change by anyone else is a violation, reverted.
    const byPerson = authorizeIngressEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      groupId,
      permissions: SSH_OPEN,
      addedRules,
    });
    expect((await pipeline.process(byPerson)).outcome.status).toBe('reverted');
    expect(await ingress(ec2, groupId)).toEqual([]);
  });
});
