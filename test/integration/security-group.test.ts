import {
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SetSubscriptionAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { publishToSns } from '@driftguard/aws';
import { renderSns } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeIngressEvent, authorizeIngressForReal } from '../../packages/cli/src/simulate/cloudtrail';
import {
  ec2Client,
  HOME_ACCOUNT,
  motoEndpoint,
  openIngress,
  snsClient,
  sqsClient,
  unique,
} from '../support/aws';
import { webGroupWithTrustedRule } from '../support/network';
import { motoPipeline } from '../support/pipeline';

const REGION = 'us-east-1';
const OPEN = [
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
];

async function ingressSummary(ec2: EC2Client, groupId: string): Promise<string[]> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (SecurityGroupRules ?? [])
    .filter((rule) => !rule.IsEgress)
    .map((rule) => `${rule.IpProtocol}/${rule.FromPort}/${rule.CidrIpv4 ?? rule.CidrIpv6}`)
    .sort();
}

async function openGroup(ec2: EC2Client, groupId: string) {
  return (await openIngress(ec2, groupId, OPEN, REGION)).event;
}

describe.skipIf(!motoEndpoint)('sg-open-ingress against moto', () => {
  let ec2: EC2Client;
  beforeAll(() => {
    ec2 = ec2Client(REGION);
  });

  it('revokes only the two offending rules; the compliant sibling stays; SNS carries the alert and its attributes', async () => {
    const groupId = await webGroupWithTrustedRule(ec2);
    const sns = snsClient();
    const sqs = sqsClient();
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: unique('alerts') }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique('inbox') }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
    );
    // Only critical alerts of this rule reach this subscriber: the filter policy a user would write.
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn,
        AttributeName: 'FilterPolicy',
        AttributeValue: JSON.stringify({ rule: ['sg-open-ingress'], severity: ['critical'] }),
      }),
    );
    const pipeline = motoPipeline({
      notifiers: [
        {
          channel: 'sns',
          notify: async (report) => void (await publishToSns(sns, TopicArn as string, renderSns(report))),
        },
      ],
    });

    const event = await openGroup(ec2, groupId);
    expect(await ingressSummary(ec2, groupId)).toEqual([
      'tcp/22/0.0.0.0/0',
      'tcp/3389/::/0',
      'tcp/443/10.0.0.0/8',
    ]);

    const result = await pipeline.process(event);

    expect(result.assessment.status).toBe('violation');
    expect(result.assessment.severity).toBe('critical');
    expect(result.outcome.status).toBe('reverted');
    expect(result.outcome.verified).toBe(true);
    expect(result.outcome.results[0]?.changed).toHaveLength(2);
    expect(await ingressSummary(ec2, groupId)).toEqual(['tcp/443/10.0.0.0/8']);
    expect(result.notifications).toEqual([{ channel: 'sns', ok: true }]);

    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(1);
    const envelope = JSON.parse(Messages?.[0]?.Body ?? '{}');
    expect(envelope.Subject).toBe('[driftguard] CRITICAL sg-open-ingress in 123456789012: reverted');
    expect(envelope.MessageAttributes).toMatchObject({
      rule: { Type: 'String', Value: 'sg-open-ingress' },
      severity: { Value: 'critical' },
      account: { Value: HOME_ACCOUNT },
      action: { Value: 'revert' },
      outcome: { Value: 'reverted' },
    });
    const message = JSON.parse(envelope.Message);
    expect(message.resource.id).toBe(groupId);
    expect(message.offenses.map((offense: { reason: string }) => offense.reason).join(' ')).toContain('3389');
  });

  it('is idempotent: the same event twice revokes once, the second run reports already compliant', async () => {
    const groupId = await webGroupWithTrustedRule(ec2);
    const event = await openGroup(ec2, groupId);
    const pipeline = motoPipeline();

    const first = await pipeline.process(event);
    const second = await pipeline.process(event);

    expect(first.outcome.status).toBe('reverted');
    expect(second.outcome.status).toBe('already-compliant');
    expect(second.outcome.verified).toBe(true);
    expect(second.outcome.results[0]?.changed).toBeUndefined();
    expect(await ingressSummary(ec2, groupId)).toEqual(['tcp/443/10.0.0.0/8']);
  });

  it('treats a rule already revoked by hand as done, and still revokes the other one', async () => {
    const groupId = await webGroupWithTrustedRule(ec2);
    const event = await openGroup(ec2, groupId);
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [OPEN[0] as (typeof OPEN)[number]],
      }),
    );

    const result = await motoPipeline().process(event);

    expect(result.outcome.status).toBe('reverted');
    expect(result.outcome.results[0]?.changed).toHaveLength(1);
    expect(await ingressSummary(ec2, groupId)).toEqual(['tcp/443/10.0.0.0/8']);
  });

  it('revokes by exact permission when the record has no securityGroupRuleSet', async () => {
    const groupId = await webGroupWithTrustedRule(ec2);
    await authorizeIngressForReal(ec2, groupId, OPEN);
    const event = authorizeIngressEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      groupId,
      permissions: OPEN,
    });

    const result = await motoPipeline().process(event);

    expect(result.assessment.operations[0]?.input).toHaveProperty('IpPermissions');
    expect(result.outcome.status).toBe('reverted');
    expect(await ingressSummary(ec2, groupId)).toEqual(['tcp/443/10.0.0.0/8']);
  });

  it('does not revoke a rule a later change made compliant again (acts only on live state)', async () => {
    const groupId = await webGroupWithTrustedRule(ec2);
    const event = await openGroup(ec2, groupId);
    // Someone fixed it by hand before driftguard got the (late) event.
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: OPEN }));

    const result = await motoPipeline().process(event);

    expect(result.outcome.status).toBe('already-compliant');
    expect(await ingressSummary(ec2, groupId)).toEqual(['tcp/443/10.0.0.0/8']);
  });

  it('does nothing in shadow mode (dryRun): the open rules stay and the outcome says so', async () => {
    const { parseConfig } = await import('@driftguard/core');
    const parsed = parseConfig({ dryRun: true });
    if (!parsed.ok) throw new Error(parsed.reason);
    const groupId = await webGroupWithTrustedRule(ec2);
    const event = await openGroup(ec2, groupId);

    const result = await motoPipeline({ config: parsed.config }).process(event);

    expect(result.outcome.status).toBe('shadow');
    expect(result.outcome.summary).toContain('would have reverted');
    expect(await ingressSummary(ec2, groupId)).toHaveLength(3);
  });
});
