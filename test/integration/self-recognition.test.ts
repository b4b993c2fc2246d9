/**
 * Issue 12 §1, through the real evaluate handler against moto: driftguard recognises its own
 * changes by exact identity, never by a name. A member-account administrator opens tcp/22 to the
 * world in their account while looking like driftguard in every way a name allows; each attempt
 * must be reverted. driftguard's real session (its remediation role of that very account, its
 * session name) is still ignored (loop guard).
 *
 * The handler runs as in Lambda, configured as infra/environment.ts configures it: the central
 * role's full ARN in `centralRoleArn`. The member account is one moto keys off an assumed-role
 * session; the handler reaches it by assuming DriftGuardRemediation, as deployed.
 */
import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { REMEDIATION_SESSION_NAME } from '@driftguard/core';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeIngressEvent, authorizeIngressForReal } from '../../packages/cli/src/simulate/cloudtrail';
import {
  credentialsInAccount,
  ec2Client,
  HOME_ACCOUNT,
  motoEndpoint,
  sqsClient,
  unique,
} from '../support/aws';
import { lambdaContext as context, sqsRecord } from '../support/lambda';

const REGION = 'us-east-1';
/** The security account is moto's home account; the member is any other. */
const MEMBER = String(200_000_000_000 + Math.floor(Math.random() * 700_000_000_000));
const OTHER_ACCOUNT = '444455556666';
const CENTRAL_ROLE_NAME = 'driftguard-prod-central';
const CENTRAL_ROLE_ARN = `arn:aws:iam::${HOME_ACCOUNT}:role/${CENTRAL_ROLE_NAME}`;
const SSH_OPEN: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];

interface Identity {
  type: string;
  arn: string;
  accountId: string;
  issuer: { type: string; arn: string; userName: string };
}

/** CloudTrail's `userIdentity` for a session of `issuer` (a role, or an IAM user's federation token). */
function userIdentity({ type, arn, accountId, issuer }: Identity) {
  return {
    type,
    principalId: `AROAEXAMPLEID:${arn.split('/').at(-1)}`,
    arn,
    accountId,
    accessKeyId: 'ASIAEXAMPLEKEYID',
    sessionContext: {
      sessionIssuer: { ...issuer, principalId: 'AROAEXAMPLEID', accountId: issuer.arn.split(':')[4] },
      attributes: { creationDate: new Date().toISOString(), mfaAuthenticated: 'false' },
    },
  };
}

/** A role session as CloudTrail writes it: the session ARN names the role without its path. */
const roleSession = (account: string, rolePath: string, roleName: string, session: string): Identity => ({
  type: 'AssumedRole',
  arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${session}`,
  accountId: account,
  issuer: { type: 'Role', arn: `arn:aws:iam::${account}:role${rolePath}${roleName}`, userName: roleName },
});

describe.skipIf(!motoEndpoint)('self-recognition by exact identity, through the evaluate handler', () => {
  let handler: (
    event: SQSEvent,
    context: Context,
  ) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  let memberEc2: EC2Client;

  beforeAll(async () => {
    const { QueueUrl } = await sqsClient().send(new CreateQueueCommand({ QueueName: unique('selfid-dlq') }));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_DLQ_URL: QueueUrl,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_CONFIG: JSON.stringify({ centralRoleArn: CENTRAL_ROLE_ARN }),
    });
    ({ handler } = await import('../../packages/functions/src/evaluate'));
    // The member's administrator, acting in their own account.
    memberEc2 = ec2Client(REGION, await credentialsInAccount(MEMBER, 'Admin', 'mallory'));
  });

  /** Opens tcp/22 to the world in the member account for real, as `identity`, and runs the handler on its event. */
  async function openAs(identity: Identity): Promise<string[]> {
    const { Vpc } = await memberEc2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await memberEc2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('selfid'), Description: 'd', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const addedRules = await authorizeIngressForReal(memberEc2, groupId, SSH_OPEN);
    const event = authorizeIngressEvent({
      account: MEMBER,
      region: REGION,
      groupId,
      permissions: SSH_OPEN,
      addedRules,
    });
    (event.detail as Record<string, unknown>).userIdentity = userIdentity(identity);
    const response = await handler({ Records: [sqsRecord(unique('m'), JSON.stringify(event))] }, context);
    expect(response.batchItemFailures).toEqual([]);
    const { SecurityGroupRules } = await memberEc2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    return (SecurityGroupRules ?? [])
      .filter((rule) => !rule.IsEgress)
      .map((rule) => `${rule.FromPort}/${rule.CidrIpv4}`);
  }

  it('(a) a role at a path named like the central role, in a member account, is reverted', async () => {
    expect(await openAs(roleSession(MEMBER, '/attacker/', CENTRAL_ROLE_NAME, 'deploy'))).toEqual([]);
  });

  it('(a′) role/attacker/DriftGuardRemediation with driftguard’s session name is reverted', async () => {
    // Its session ARN is exactly driftguard's (session ARNs drop the path): only the issuer ARN differs.
    expect(
      await openAs(roleSession(MEMBER, '/attacker/', 'DriftGuardRemediation', REMEDIATION_SESSION_NAME)),
    ).toEqual([]);
  });

  it('(b) an IAM user named DriftGuardRemediation through GetFederationToken is reverted', async () => {
    const federated: Identity = {
      type: 'FederatedUser',
      arn: `arn:aws:sts::${MEMBER}:federated-user/DriftGuardRemediation`,
      accountId: MEMBER,
      issuer: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${MEMBER}:user/DriftGuardRemediation`,
        userName: 'DriftGuardRemediation',
      },
    };
    expect(await openAs(federated)).toEqual([]);
  });

  it('(c) DriftGuardRemediation of another account as the issuer is reverted', async () => {
    expect(
      await openAs(roleSession(OTHER_ACCOUNT, '/', 'DriftGuardRemediation', REMEDIATION_SESSION_NAME)),
    ).toEqual([]);
  });

  it('(d) the remediation role with another session name is reverted', async () => {
    expect(await openAs(roleSession(MEMBER, '/', 'DriftGuardRemediation', 'mallory'))).toEqual([]);
  });

  it('(e) driftguard’s own session of this account’s remediation role is still ignored (loop guard)', async () => {
    expect(await openAs(roleSession(MEMBER, '/', 'DriftGuardRemediation', REMEDIATION_SESSION_NAME))).toEqual(
      ['22/0.0.0.0/0'],
    );
  });

  it('(e′) the central role’s name in a member account is not the central role', async () => {
    // The real central role is at arn:aws:iam::<security account>:role/driftguard-prod-central only.
    expect(await openAs(roleSession(MEMBER, '/', CENTRAL_ROLE_NAME, 'driftguard-prod-evaluate'))).toEqual([]);
  });
});
