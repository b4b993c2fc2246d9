import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { memorySnapshotStore } from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloudTrailEvent } from '../../packages/cli/src/simulate/cloudtrail';
import { clientOptions, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { MEMBER_ACCOUNT, networkPipeline, OUTSIDE_ACCOUNT } from '../support/network';

// IAM delivers its CloudTrail events to EventBridge in us-east-1 only.
const REGION = 'us-east-1';
const policy = (...Statement: Record<string, unknown>[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement });
const ORG_ADMINS = {
  Sid: 'OrgAdmins',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${MEMBER_ACCOUNT}:root` },
  Action: 'sts:AssumeRole',
};
const VENDOR = {
  Sid: 'Vendor',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${OUTSIDE_ACCOUNT}:root` },
  Action: 'sts:AssumeRole',
};
const ANYONE = { Sid: 'Anyone', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' };

async function trustOf(iam: IAMClient, RoleName: string): Promise<{ Sid?: string }[]> {
  const { Role } = await iam.send(new GetRoleCommand({ RoleName }));
  return JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '')).Statement;
}

/** UpdateAssumeRolePolicy for real in moto, and the CloudTrail record IAM writes for it. */
async function updateTrust(iam: IAMClient, RoleName: string, PolicyDocument: string) {
  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument }));
  return cloudTrailEvent({
    eventSource: 'iam.amazonaws.com',
    eventName: 'UpdateAssumeRolePolicy',
    account: HOME_ACCOUNT,
    region: REGION,
    requestParameters: { roleName: RoleName, policyDocument: PolicyDocument },
    responseElements: null,
  });
}

describe.skipIf(!motoEndpoint)('iam-role-trust against moto', () => {
  let iam: IAMClient;
  beforeAll(() => {
    iam = new IAMClient(clientOptions(REGION));
  });

  it('an outside account added without sts:ExternalId: exactly that statement is removed, the organization statement stays, read back', async () => {
    const RoleName = unique('deploy');
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: policy(ORG_ADMINS) }));
    const event = await updateTrust(iam, RoleName, policy(ORG_ADMINS, VENDOR));

    const result = await networkPipeline().process(event);

    expect(result.assessment).toMatchObject({
      status: 'violation',
      rule: 'iam-role-trust',
      severity: 'high',
    });
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect((await trustOf(iam, RoleName)).map((statement) => statement.Sid)).toEqual(['OrgAdmins']);
  });

  it('the trust opened to "*" alone: the last-known-good policy (seen compliant at CreateRole) is put back', async () => {
    const RoleName = unique('reader');
    const snapshots = memorySnapshotStore();
    const pipeline = networkPipeline({ snapshots });
    const good = policy(ORG_ADMINS);
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: good }));
    const created = cloudTrailEvent({
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateRole',
      account: HOME_ACCOUNT,
      region: REGION,
      requestParameters: { roleName: RoleName, assumeRolePolicyDocument: good },
      responseElements: null,
    });
    expect((await pipeline.process(created)).assessment.status).toBe('compliant');
    const event = await updateTrust(iam, RoleName, policy(ANYONE));

    const result = await pipeline.process(event);

    expect(result.assessment).toMatchObject({ status: 'violation', severity: 'critical' });
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect((await trustOf(iam, RoleName)).map((statement) => statement.Sid)).toEqual(['OrgAdmins']);
  });

  it('every statement offends and no good policy is known: the role is left as it is and the revert says why', async () => {
    const RoleName = unique('orphan');
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: policy(VENDOR) }));
    const event = await updateTrust(iam, RoleName, policy(ANYONE));

    const result = await networkPipeline().process(event);

    expect(result.outcome.verified).toBe(false);
    expect(JSON.stringify(result.outcome)).toContain('nobody can assume');
    expect((await trustOf(iam, RoleName)).map((statement) => statement.Sid)).toEqual(['Anyone']);
  });
});
