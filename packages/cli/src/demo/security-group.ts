import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { describeRule, renderSlack } from '@driftguard/core';
import { describeDeliveries } from '../delivery';
import { slackPreview } from '../format';
import { authorizeIngressEvent, authorizeIngressForReal } from '../simulate/cloudtrail';
import { type DemoScene, showProcessed } from './context';
import { readBackSns } from './sns-inbox';

/** The walking skeleton's scene: ssh and rdp opened to the internet in one call, reverted exactly. */
export const securityGroupScene: DemoScene = async (context) => {
  const ec2 = new EC2Client(context.clientSettings);
  context.step('Creating a VPC and a security group with one compliant rule');
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'web-tier', Description: 'web tier', VpcId: Vpc?.VpcId }),
  );
  const groupId = GroupId as string;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ],
    }),
  );
  context.line(`${Vpc?.VpcId} / ${groupId}: tcp/443 from 10.0.0.0/8`);

  context.step(
    'An engineer opens it to the internet: tcp/22 from 0.0.0.0/0 and tcp/3389 from ::/0, in one call',
  );
  const permissions = [
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
  ];
  const addedRules = await authorizeIngressForReal(ec2, groupId, permissions);
  const event = authorizeIngressEvent({
    account: context.account,
    region: context.region,
    groupId,
    permissions,
    addedRules,
  });
  const detail = event.detail as { eventID: string; userIdentity: { arn: string }; sourceIPAddress: string };
  context.line(`who:   ${detail.userIdentity.arn} from ${detail.sourceIPAddress}`);
  context.line(
    `what:  ec2:AuthorizeSecurityGroupIngress on ${groupId} → ${addedRules.map((rule) => rule.SecurityGroupRuleId).join(', ')}`,
  );
  context.line(`where: ${context.account} / ${context.region}   (CloudTrail event ${detail.eventID})`);

  context.step('driftguard evaluates the CloudTrail event (the same pipeline the Lambda runs)');
  const started = performance.now();
  const processed = await context.runtime.pipeline.process(event);
  const elapsed = performance.now() - started;
  showProcessed(context, processed);

  context.step('Verified result: the rules left on the group, re-read from EC2');
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  for (const rule of (SecurityGroupRules ?? []).filter((r) => !r.IsEgress)) {
    const source = rule.CidrIpv6
      ? { kind: 'ipv6' as const, cidr: rule.CidrIpv6 }
      : { kind: 'ipv4' as const, cidr: rule.CidrIpv4 ?? '' };
    const ingress = {
      protocol: rule.IpProtocol ?? '-1',
      fromPort: rule.FromPort,
      toPort: rule.ToPort,
      source,
    };
    context.line(`still on ${groupId}: ${rule.SecurityGroupRuleId} ${describeRule(ingress)}`);
  }

  context.step('The alert as it reads in Slack');
  console.log(slackPreview(renderSlack(processed)));
  for (const text of describeDeliveries(processed)) context.line(text);

  context.step('The alert as published to SNS (read back from the subscribed SQS queue)');
  await readBackSns(context);

  context.step('Timing');
  context.line(`event → verified revert: ${elapsed.toFixed(0)} ms (against moto on loopback)`);
  return processed.outcome.status === 'reverted' && processed.outcome.verified;
};
