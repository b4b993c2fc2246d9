import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import type { Notifier } from '@driftguard/aws';
import { type Report, routeNotification } from '@driftguard/core';
import { memoryTicketStore, type TicketTracker, ticketNotifier } from '@driftguard/notify';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeIngressEvent,
  authorizeIngressForReal,
  type SimulatedActor,
} from '../../packages/cli/src/simulate/cloudtrail';
import { ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { clock, enforcedPipeline, recordingNotifier } from '../support/enforcement';
import { configWith } from '../support/notify';

const REGION = 'us-east-1';
const MIN = 60_000;
/**
 * Something that keeps putting the rule back: a deploy job re-applying its template. Its role is
 * configured as infrastructure as code whose changes are reverted too (only automation trips the
 * breaker).
 */
const DEPLOY_BOT: SimulatedActor = {
  account: HOME_ACCOUNT,
  roleName: 'legacy-deployer',
  sessionName: 'nightly-job',
  userAgent: 'aws-sdk-go/1.44',
};
const DEPLOY_BOT_ARN = `arn:aws:sts::${HOME_ACCOUNT}:assumed-role/legacy-deployer/nightly-job`;
const AUTOMATION = {
  infrastructureAsCode: { roleArns: [`arn:aws:iam::${HOME_ACCOUNT}:role/legacy-deployer`], mode: 'revert' },
} as const;
/** https from a public /24: a high (not critical) violation, so by default no ticket is routed. */
const https = (cidr: string): IpPermission[] => [
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: cidr }] },
];

/** A ticket system that records what it was asked to do. */
function recordingTracker() {
  const opened: Report[] = [];
  const comments: Report[] = [];
  const tracker: TicketTracker = {
    async open(report) {
      opened.push(report);
      return { ok: true, attempts: 1, ticket: { id: `SEC-${opened.length}` } };
    },
    async comment(_ticket, report) {
      comments.push(report);
      return { ok: true, attempts: 1 };
    },
    async state() {
      return 'open';
    },
  };
  return { tracker, opened, comments };
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

describe.skipIf(!motoEndpoint)('circuit breaker against moto', () => {
  let ec2: EC2Client;
  beforeAll(() => {
    ec2 = ec2Client(REGION);
  });

  it('reverts three rapid re-opens, stops on the 4th: one fight announcement with the actors, one ticket; closes after the quiet period', async () => {
    const config = configWith({ ...AUTOMATION, notifications: { jira: { project: 'SEC' } } });
    const time = clock();
    const { tracker, opened, comments } = recordingTracker();
    const tickets = ticketNotifier({ channel: 'jira', tracker, store: memoryTicketStore() }) as Notifier;
    const alerts = recordingNotifier('sns');
    const { pipeline, announcements, breakers } = await enforcedPipeline({
      config,
      clock: time,
      notifiers: [tickets, alerts],
      // The production routing: high severity → SNS (and Slack); ticket mode adds the ticket channels.
      route: (report) => routeNotification(report.assessment, config, ['jira', 'sns']),
    });
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('fight'), Description: 'fight', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const reopen = async (cidr: string) => {
      const permissions = https(cidr);
      const addedRules = await authorizeIngressForReal(ec2, groupId, permissions);
      time.advance(2 * MIN);
      return pipeline.process(
        authorizeIngressEvent({
          account: HOME_ACCOUNT,
          region: REGION,
          groupId,
          permissions,
          addedRules,
          actor: DEPLOY_BOT,
        }),
      );
    };

    // 1–3: reverted every time.
    for (let i = 1; i <= 3; i++) {
      const result = await reopen('0.0.0.0/0');
      expect(result.outcome.status, `re-open #${i}`).toBe('reverted');
      expect(await ingress(ec2, groupId)).toEqual([]);
    }
    expect(opened).toHaveLength(0);
    expect(announcements).toEqual([]);

    // 4: the breaker trips. Not reverted; a ticket instead; the fight is announced once.
    const fourth = await reopen('0.0.0.0/0');
    expect(fourth.assessment.action).toBe('ticket');
    expect(fourth.assessment.breaker).toMatchObject({ revertsInWindow: 3, maxReverts: 3, opening: true });
    expect(fourth.outcome.status).toBe('ticketed');
    expect(fourth.outcome.summary).toContain('circuit breaker open: 3 revert(s) within 30m, a fight with');
    expect(fourth.assessment.decisionReason).toContain(
      `a fight with ${DEPLOY_BOT_ARN}: ticket instead of revert`,
    );
    expect(await ingress(ec2, groupId)).toEqual(['443/0.0.0.0/0']);
    expect(opened).toHaveLength(1);
    expect(fourth.notifications.map((n) => [n.channel, n.ok])).toEqual([
      ['jira', true],
      ['sns', true],
    ]);
    expect(announcements).toHaveLength(1);
    expect(announcements[0]).toMatchObject({
      kind: 'circuit-breaker-tripped',
      breaker: { rule: 'sg-open-ingress', actors: [DEPLOY_BOT_ARN] },
    });

    // 5: the fight goes on — still not reverted, the same ticket is updated, no second announcement.
    const fifth = await reopen('198.51.100.0/24');
    expect(fifth.assessment.action).toBe('ticket');
    expect(fifth.assessment.breaker?.opening).toBe(false);
    expect(opened).toHaveLength(1);
    expect(comments).toHaveLength(1);
    expect(announcements).toHaveLength(1);
    expect(await ingress(ec2, groupId)).toEqual(['443/0.0.0.0/0', '443/198.51.100.0/24']);

    const record = await breakers.get(
      'sg-open-ingress',
      `arn:aws:ec2:${REGION}:${HOME_ACCOUNT}:security-group/${groupId}`,
    );
    expect(record?.openedAt).toBeDefined();

    // An hour without a violation: the breaker closes and the next violation is reverted again.
    time.advance(61 * MIN);
    const afterQuiet = await reopen('203.0.113.0/24');
    expect(afterQuiet.outcome.status).toBe('reverted');
    expect(afterQuiet.outcome.results[0]?.changed).toHaveLength(1);
    expect(await ingress(ec2, groupId)).toEqual(['443/0.0.0.0/0', '443/198.51.100.0/24']);
    expect(alerts.reports).toHaveLength(6);
  });

  it('slow re-opens (outside the window) never trip it', async () => {
    const config = configWith(AUTOMATION);
    const time = clock();
    const { pipeline, announcements } = await enforcedPipeline({ config, clock: time });
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('slow'), Description: 'slow', VpcId: Vpc?.VpcId }),
    );
    for (let i = 1; i <= 5; i++) {
      const permissions = https('0.0.0.0/0');
      const addedRules = await authorizeIngressForReal(ec2, GroupId as string, permissions);
      time.advance(16 * MIN);
      const result = await pipeline.process(
        authorizeIngressEvent({
          account: HOME_ACCOUNT,
          region: REGION,
          groupId: GroupId as string,
          permissions,
          addedRules,
          actor: DEPLOY_BOT,
        }),
      );
      expect(result.outcome.status, `re-open #${i}`).toBe('reverted');
    }
    expect(announcements).toEqual([]);
  });
});
