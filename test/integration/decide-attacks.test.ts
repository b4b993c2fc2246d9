import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  auditReader,
  dynamoBreakerStore,
  ensureStateTable,
  type Runtime,
  runtimeFromEnv,
} from '@driftguard/aws';
import { type Announcement, type ConfigInput, parseConfig, renderAnnouncement } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeIngressEvent,
  authorizeIngressForReal,
  type SimulatedActor,
} from '../../packages/cli/src/simulate/cloudtrail';
import { processRecord } from '../../packages/functions/src/evaluate';
import { dynamoClient, ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { clock } from '../support/enforcement';
import { sqsRecord } from '../support/lambda';

/**
 * The attacks on the decision (issue 13, sections 1 and 3), each through the evaluate handler
 * (`processRecord`, wired from its environment as in Lambda) against moto, with the production
 * state table: dedupe, audit, circuit breaker.
 */
const REGION = 'us-east-1';
const MIN = 60_000;
const SSH_OPEN: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];
const HTTPS_FROM = (cidr: string): IpPermission[] => [
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: cidr }] },
];

const PERSON: SimulatedActor = {
  account: HOME_ACCOUNT,
  roleName: 'AdministratorAccess',
  sessionName: 'mallory@example.com',
};
/** The organization's Terraform pipeline: its role is configured, exactly. */
const PIPELINE: SimulatedActor = { account: HOME_ACCOUNT, roleName: 'tf-apply', sessionName: 'gha-run-7' };
const PIPELINE_ROLE = `arn:aws:iam::${HOME_ACCOUNT}:role/tf-apply`;
/** A role anyone with iam:CreateRole can make, named like the example glob `role/terraform-*`. */
const LOOKALIKE: SimulatedActor = {
  account: HOME_ACCOUNT,
  roleName: 'terraform-totally-legit',
  sessionName: 'x',
};

interface Harness {
  runtime: Runtime;
  time: ReturnType<typeof clock>;
  pages: Announcement[];
  table: string;
  audit: ReturnType<typeof auditReader>;
}

async function harness(config: ConfigInput): Promise<Harness> {
  const parsed = parseConfig(config);
  if (!parsed.ok) throw new Error(parsed.reason);
  const table = unique('attacks');
  await ensureStateTable(dynamoClient(), table);
  const time = clock();
  const pages: Announcement[] = [];
  const runtime = runtimeFromEnv(
    {
      AWS_ENDPOINT_URL: motoEndpoint,
      AWS_REGION: REGION,
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
    },
    {
      config: parsed.config,
      now: time.now,
      announcements: [{ channel: 'pager', announce: async (a) => void pages.push(a) }],
    },
  );
  const audit = auditReader({ region: REGION, endpoint: motoEndpoint, tableName: table });
  return { runtime, time, pages, table, audit };
}

async function newGroup(ec2: EC2Client): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: unique('atk'), Description: 'attack', VpcId: Vpc?.VpcId }),
  );
  return GroupId as string;
}

async function ingress(ec2: EC2Client, groupId: string): Promise<string[]> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (SecurityGroupRules ?? [])
    .filter((rule) => !rule.IsEgress)
    .map((rule) => `${rule.FromPort}/${rule.CidrIpv4}`)
    .sort();
}

/** Makes the change in moto and builds its CloudTrail event, as made by `actor`. */
async function change(
  ec2: EC2Client,
  groupId: string,
  permissions: IpPermission[],
  actor: SimulatedActor,
  tweak?: (detail: Record<string, unknown>) => void,
) {
  const addedRules = await authorizeIngressForReal(ec2, groupId, permissions);
  const event = authorizeIngressEvent({
    account: HOME_ACCOUNT,
    region: REGION,
    groupId,
    permissions,
    addedRules,
    actor,
  });
  tweak?.(event.detail as Record<string, unknown>);
  return event;
}

/** Delivers the event to the evaluate handler, then reads the audit record of what it decided. */
async function deliver(h: Harness, event: Record<string, unknown>) {
  const detail = event.detail as { eventID: string; eventTime: string };
  await processRecord(sqsRecord(unique('m'), JSON.stringify(event)), h.runtime);
  const record = await h.audit.get({ eventTime: detail.eventTime, eventId: detail.eventID });
  if (!record) throw new Error(`no audit record for ${detail.eventID}`);
  return record;
}

// The first delivery loads the executor's SDK clients: slow on a busy machine.
describe.skipIf(!motoEndpoint)(
  'attacks on the decision, through the evaluate handler against moto',
  { timeout: 90_000 },
  () => {
    let ec2: EC2Client;
    beforeAll(() => {
      ec2 = ec2Client(REGION);
    });

    it('(a) a person opening tcp/22 to the world again and again is reverted every time; the breaker never trips', async () => {
      const h = await harness({});
      const groupId = await newGroup(ec2);
      for (let i = 1; i <= 5; i++) {
        h.time.advance(2 * MIN);
        const record = await deliver(h, await change(ec2, groupId, SSH_OPEN, PERSON));
        expect({ action: record.action, outcome: record.outcome.status }, `opening #${i}`).toEqual({
          action: 'revert',
          outcome: 'reverted',
        });
        expect(await ingress(ec2, groupId)).toEqual([]);
      }
      expect(h.pages).toEqual([]);
    });

    it('(a) the same with a non-critical port: people are never held back by the breaker', async () => {
      const h = await harness({});
      const groupId = await newGroup(ec2);
      for (let i = 1; i <= 5; i++) {
        h.time.advance(2 * MIN);
        const record = await deliver(h, await change(ec2, groupId, HTTPS_FROM('0.0.0.0/0'), PERSON));
        expect(record.outcome.status, `opening #${i}`).toBe('reverted');
      }
      expect(h.pages).toEqual([]);
    });

    it('(b) a configured pipeline fighting reverts trips the breaker and pages; a sweep observation does not extend it; it closes at the hard maximum', async () => {
      const h = await harness({ infrastructureAsCode: { roleArns: [PIPELINE_ROLE], mode: 'revert' } });
      const groupId = await newGroup(ec2);
      const breakerKey = `arn:aws:ec2:${REGION}:${HOME_ACCOUNT}:security-group/${groupId}`;
      const breakers = dynamoBreakerStore(DynamoDBDocumentClient.from(dynamoClient()), h.table);
      const reapply = async (cidr: string) => {
        h.time.advance(2 * MIN);
        return deliver(h, await change(ec2, groupId, HTTPS_FROM(cidr), PIPELINE));
      };
      for (let i = 1; i <= 3; i++)
        expect((await reapply('0.0.0.0/0')).outcome.status, `#${i}`).toBe('reverted');
      expect(h.pages).toEqual([]);

      // The 4th: not reverted, a ticket, and a page (critical announcement) naming the pipeline.
      const opened = h.time.now() + 2 * MIN;
      const fourth = await reapply('0.0.0.0/0');
      expect({ action: fourth.action, outcome: fourth.outcome.status }).toEqual({
        action: 'ticket',
        outcome: 'ticketed',
      });
      expect(h.pages).toHaveLength(1);
      const page = h.pages[0] as Announcement & { kind: 'circuit-breaker-tripped' };
      expect(page).toMatchObject({ kind: 'circuit-breaker-tripped', breaker: { rule: 'sg-open-ingress' } });
      expect(page.breaker.closesBy).toBe(new Date(opened + 120 * MIN).toISOString());
      expect(renderAnnouncement(page).attributes.severity).toBe('critical');
      expect(await ingress(ec2, groupId)).toEqual(['443/0.0.0.0/0']);
      const stored = await breakers.get('sg-open-ingress', breakerKey);

      // A sweep observation of the open group (the sweep's own path): held, but it extends nothing.
      h.time.advance(20 * MIN);
      const swept = authorizeIngressEvent({
        account: HOME_ACCOUNT,
        region: REGION,
        groupId,
        permissions: HTTPS_FROM('0.0.0.0/0'),
        addedRules: [],
        actor: { account: HOME_ACCOUNT, roleName: 'driftguard-sweep', sessionName: 'sweep' },
      });
      const observed = await h.runtime.pipeline.process(swept, { origin: 'sweep' });
      expect(observed.assessment.action).toBe('ticket');
      expect(await breakers.get('sg-open-ingress', breakerKey)).toEqual(stored);

      // The pipeline keeps going every 50 minutes (never quiet for an hour): still held…
      h.time.advance(28 * MIN);
      expect((await reapply('198.51.100.0/24')).action).toBe('ticket');
      h.time.advance(48 * MIN);
      expect((await reapply('198.51.101.0/24')).action).toBe('ticket');
      // …until two hours after it opened: reverting resumes, whatever kept happening.
      h.time.advance(opened + 120 * MIN - h.time.now() - 2 * MIN);
      const resumed = await reapply('203.0.113.0/24');
      expect({ action: resumed.action, outcome: resumed.outcome.status }).toEqual({
        action: 'revert',
        outcome: 'reverted',
      });
      expect(await ingress(ec2, groupId)).not.toContain('443/203.0.113.0/24');
      expect(h.pages).toHaveLength(1);
    });

    it('(c) a CloudFormation stack whose role nobody configured opens tcp/22: reverted, not ticketed', async () => {
      const h = await harness({});
      const groupId = await newGroup(ec2);
      const event = await change(
        ec2,
        groupId,
        SSH_OPEN,
        { account: HOME_ACCOUNT, roleName: 'attacker-stack-role', sessionName: 'AWSCloudFormation' },
        (detail) => {
          (detail.userIdentity as Record<string, unknown>).invokedBy = 'cloudformation.amazonaws.com';
          detail.sourceIPAddress = 'cloudformation.amazonaws.com';
          detail.userAgent = 'cloudformation.amazonaws.com';
        },
      );
      const record = await deliver(h, event);
      expect({ action: record.action, outcome: record.outcome.status }).toEqual({
        action: 'revert',
        outcome: 'reverted',
      });
      expect(await ingress(ec2, groupId)).toEqual([]);
    });

    it('(d) a role named to match the old example glob (role/terraform-*) is reverted: only exact configured roles are IaC', async () => {
      const h = await harness({ infrastructureAsCode: { roleArns: [PIPELINE_ROLE] } });
      const groupId = await newGroup(ec2);
      const record = await deliver(h, await change(ec2, groupId, HTTPS_FROM('0.0.0.0/0'), LOOKALIKE));
      expect({ action: record.action, outcome: record.outcome.status }).toEqual({
        action: 'revert',
        outcome: 'reverted',
      });
      expect(record.decision).not.toContain('infrastructure-as-code');
      expect(await ingress(ec2, groupId)).toEqual([]);
    });

    it('(e) the configured pipeline opening tcp/22 to the world (critical) is reverted, unless the rule opts in', async () => {
      const h = await harness({ infrastructureAsCode: { roleArns: [PIPELINE_ROLE] } });
      const groupId = await newGroup(ec2);
      const record = await deliver(h, await change(ec2, groupId, SSH_OPEN, PIPELINE));
      expect({ action: record.action, outcome: record.outcome.status }).toEqual({
        action: 'revert',
        outcome: 'reverted',
      });
      expect(record.decision).toContain('critical exposure by infrastructure as code');
      expect(await ingress(ec2, groupId)).toEqual([]);
      // A non-critical change by the same pipeline follows infrastructureAsCode.mode (ticket).
      const https = await deliver(h, await change(ec2, groupId, HTTPS_FROM('0.0.0.0/0'), PIPELINE));
      expect(https.action).toBe('ticket');

      const optedIn = await harness({
        infrastructureAsCode: { roleArns: [PIPELINE_ROLE], criticalFollowsMode: ['sg-open-ingress'] },
      });
      const other = await newGroup(ec2);
      const ticketed = await deliver(optedIn, await change(ec2, other, SSH_OPEN, PIPELINE));
      expect({ action: ticketed.action, outcome: ticketed.outcome.status }).toEqual({
        action: 'ticket',
        outcome: 'ticketed',
      });
      expect(await ingress(ec2, other)).toEqual(['22/0.0.0.0/0']);
    });
  },
);
