import { CreateSecurityGroupCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import {
  type AwsSecurityFinding,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { type RuntimeEnv, runtimeFromEnv, securityHubFindingId } from '@driftguard/aws';
import { type Config, parseConfig } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientOptions, ec2Client, HOME_ACCOUNT, motoEndpoint, openIngress, unique } from '../support/aws';

const REGION = 'us-east-1';
const NOW = Date.parse('2026-12-04T12:00:00.000Z');
const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${HOME_ACCOUNT}:product/${HOME_ACCOUNT}/default`;

function configWith(raw: Record<string, unknown>): Config {
  const parsed = parseConfig({ trustedCidrs: ['10.0.0.0/8'], ...raw });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.config;
}

/** The production wiring (runtimeFromEnv) against moto: the channel is on only through the config. */
function pipelineWith(config: Config) {
  const env: RuntimeEnv = {
    AWS_ENDPOINT_URL: motoEndpoint,
    AWS_REGION: REGION,
    DRIFTGUARD_READ_ORGANIZATION: 'false',
  };
  return runtimeFromEnv(env, { config, now: () => NOW }).pipeline;
}

async function findingsWithId(id: string): Promise<AwsSecurityFinding[]> {
  const hub = new SecurityHubClient(clientOptions(REGION));
  const { Findings = [] } = await hub.send(
    new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: 'EQUALS' }] } }),
  );
  // moto ignores filters: the id is matched here too.
  return Findings.filter((finding) => finding.Id === id);
}

async function newGroup(): Promise<string> {
  const ec2 = ec2Client(REGION);
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: unique('hub'), Description: 'd', VpcId: Vpc?.VpcId }),
  );
  return GroupId as string;
}

const SSH_FROM_ANYWHERE = [
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];

describe.skipIf(!motoEndpoint)('Security Hub findings (ASFF) against moto, through the pipeline', () => {
  beforeAll(async () => {
    await new SecurityHubClient(clientOptions(REGION)).send(new EnableSecurityHubCommand({}));
  });

  it('imports a verified revert as one RESOLVED finding with a note, and a later shadow decision reopens the same finding as NEW', async () => {
    const groupId = await newGroup();
    const resourceArn = `arn:aws:ec2:${REGION}:${HOME_ACCOUNT}:security-group/${groupId}`;
    const id = securityHubFindingId('sg-open-ingress', resourceArn);
    const ec2 = ec2Client(REGION);

    const first = await openIngress(ec2, groupId, SSH_FROM_ANYWHERE, REGION);
    const reverted = await pipelineWith(configWith({ notifications: { securityHub: {} } })).process(
      first.event,
    );
    expect(reverted.outcome.status).toBe('reverted');
    expect(reverted.notifications).toContainEqual({
      channel: 'securityhub',
      ok: true,
      detail: `finding ${id} RESOLVED`,
    });
    const eventId = reverted.assessment.event.eventId;
    const eventTime = reverted.assessment.event.eventTime;
    const actor = reverted.assessment.event.actor;
    const [resolved, ...others] = await findingsWithId(id);
    expect(others).toEqual([]);
    const summary = `reverted and verified (${first.addedRules[0]?.SecurityGroupRuleId})`;
    expect(resolved).toEqual({
      SchemaVersion: '2018-10-08',
      Id: id,
      ProductArn: PRODUCT_ARN,
      GeneratorId: 'driftguard/sg-open-ingress',
      AwsAccountId: HOME_ACCOUNT,
      Types: ['Software and Configuration Checks/AWS Security Best Practices'],
      CreatedAt: eventTime,
      UpdatedAt: '2026-12-04T12:00:00.000Z',
      FirstObservedAt: eventTime,
      LastObservedAt: eventTime,
      Severity: { Label: 'CRITICAL', Original: 'critical' },
      FindingProviderFields: {
        Severity: { Label: 'CRITICAL', Original: 'critical' },
        Types: ['Software and Configuration Checks/AWS Security Best Practices'],
      },
      Title: `${reverted.assessment.title}: ${groupId}`,
      Description: expect.stringContaining(`Outcome: ${summary}.`),
      Resources: [{ Type: 'AwsEc2SecurityGroup', Id: resourceArn, Partition: 'aws', Region: REGION }],
      ProductFields: {
        'driftguard/rule': 'sg-open-ingress',
        'driftguard/account': HOME_ACCOUNT,
        'driftguard/eventId': eventId,
        'driftguard/eventName': 'AuthorizeSecurityGroupIngress',
        'driftguard/actor': actor,
        'driftguard/action': 'revert',
        'driftguard/outcome': 'reverted',
        'driftguard/verified': 'true',
      },
      Compliance: { Status: 'PASSED' },
      Workflow: { Status: 'RESOLVED' },
      RecordState: 'ACTIVE',
      Note: {
        Text: `driftguard ${summary} after event ${eventId} (AuthorizeSecurityGroupIngress by ${actor}).`,
        UpdatedBy: 'driftguard',
        UpdatedAt: '2026-12-04T12:00:00.000Z',
      },
    });

    // The same opening again, now in shadow mode: the same finding, failed and NEW, without a note.
    const again = await openIngress(ec2, groupId, SSH_FROM_ANYWHERE, REGION);
    const shadow = await pipelineWith(
      configWith({ rules: { 'sg-open-ingress': { mode: 'shadow' } }, notifications: { securityHub: {} } }),
    ).process(again.event);
    expect(shadow.outcome.status).toBe('shadow');
    expect(shadow.notifications).toContainEqual({
      channel: 'securityhub',
      ok: true,
      detail: `finding ${id} NEW`,
    });
    const [reopened, ...more] = await findingsWithId(id);
    expect(more).toEqual([]);
    expect(reopened).toMatchObject({
      Compliance: { Status: 'FAILED' },
      Workflow: { Status: 'NEW' },
      ProductFields: {
        'driftguard/action': 'shadow',
        'driftguard/outcome': 'shadow',
        'driftguard/verified': 'false',
      },
    });
  });

  it('keeps an alert decision NEW, and imports nothing when the channel is not configured', async () => {
    const groupId = await newGroup();
    const id = securityHubFindingId(
      'sg-open-ingress',
      `arn:aws:ec2:${REGION}:${HOME_ACCOUNT}:security-group/${groupId}`,
    );
    const ec2 = ec2Client(REGION);

    const off = await openIngress(ec2, groupId, SSH_FROM_ANYWHERE, REGION);
    const unconfigured = await pipelineWith(
      configWith({ rules: { 'sg-open-ingress': { mode: 'alert' } } }),
    ).process(off.event);
    expect(unconfigured.notifications.map((result) => result.channel)).not.toContain('securityhub');
    expect(await findingsWithId(id)).toEqual([]);

    const alerted = await pipelineWith(
      configWith({ rules: { 'sg-open-ingress': { mode: 'alert' } }, notifications: { securityHub: {} } }),
    ).process(off.event);
    expect(alerted.outcome.status).toBe('alerted');
    const [finding] = await findingsWithId(id);
    expect(finding).toMatchObject({ Workflow: { Status: 'NEW' }, Compliance: { Status: 'FAILED' } });
    expect(finding?.Note).toBeUndefined();
  });

  it('leaves violations below minSeverity out', async () => {
    const groupId = await newGroup();
    const id = securityHubFindingId(
      'sg-open-ingress',
      `arn:aws:ec2:${REGION}:${HOME_ACCOUNT}:security-group/${groupId}`,
    );
    // tcp/443 from anywhere is high, not critical.
    const https = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    const { event } = await openIngress(ec2Client(REGION), groupId, https, REGION);
    const result = await pipelineWith(
      configWith({ notifications: { securityHub: { minSeverity: 'critical' } } }),
    ).process(event);
    expect(result.assessment.severity).toBe('high');
    expect(result.notifications.map((n) => n.channel)).not.toContain('securityhub');
    expect(await findingsWithId(id)).toEqual([]);
  });

  it('writes hostile actor text as one inert line within the ASFF limits', async () => {
    const groupId = await newGroup();
    const id = securityHubFindingId(
      'sg-open-ingress',
      `arn:aws:ec2:${REGION}:${HOME_ACCOUNT}:security-group/${groupId}`,
    );
    const { event } = await openIngress(ec2Client(REGION), groupId, SSH_FROM_ANYWHERE, REGION);
    const hostile = `arn:aws:sts::${HOME_ACCOUNT}:assumed-role/Admin/x\u202e\n## fake heading\r\n${'A'.repeat(3_000)}`;
    const detail = (event as { detail: { userIdentity: { arn: string } } }).detail;
    detail.userIdentity.arn = hostile;
    const result = await pipelineWith(
      configWith({ rules: { 'sg-open-ingress': { mode: 'alert' } }, notifications: { securityHub: {} } }),
    ).process(event);
    expect(result.notifications).toContainEqual({
      channel: 'securityhub',
      ok: true,
      detail: `finding ${id} NEW`,
    });
    const [finding] = await findingsWithId(id);
    const texts = [finding?.Title, finding?.Description, ...Object.values(finding?.ProductFields ?? {})];
    for (const value of texts) {
      expect(value).toBeDefined();
      expect(value).not.toMatch(/[\r\n\u202e]/);
    }
    expect(finding?.Description?.length).toBeLessThanOrEqual(1024);
    expect(finding?.Description).toMatch(/… \[truncated\]$/);
    expect(finding?.ProductFields?.['driftguard/actor']?.length).toBeLessThanOrEqual(2048);
  });
});
