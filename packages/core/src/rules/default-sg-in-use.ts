import type { Change } from '../events/change';
import type { LiveFacts } from '../live-facts';
import { type IngressRule, normalizeProtocol, portRange, toIpPermission } from '../net/sg-rule';
import { type AddedRules, addedRules } from '../net/sg-rule-changes';
import type { Operation, Target } from '../operations';
import type { Offense, Verdict } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

type Direction = 'ingress' | 'egress';

const directionOf = (change: Change): Direction =>
  change.eventName === 'AuthorizeSecurityGroupEgress' ? 'egress' : 'ingress';

/** "tcp/22 from 10.0.0.0/8", "all traffic to 0.0.0.0/0". */
export function describeGroupRule(rule: IngressRule, direction: Direction): string {
  const protocol = normalizeProtocol(rule.protocol);
  const { from, to } = portRange(rule);
  const ports =
    protocol === 'all' ? 'all traffic' : from === to ? `${protocol}/${from}` : `${protocol}/${from}-${to}`;
  const peer = 'cidr' in rule.source ? rule.source.cidr : rule.source.id;
  return `${ports} ${direction === 'egress' ? 'to' : 'from'} ${peer}`;
}

type DefaultGroup = { status: 'default'; how: string } | { status: 'not-default'; summary: string };

/**
 * Is the group a VPC's default group? A request by `groupName: "default"` is certain (by-name calls
 * only reach the default VPC, whose default group has that name). A bare group id needs the group's
 * live name: the pipeline reads it (DescribeSecurityGroups) before evaluating.
 */
function defaultGroup(added: AddedRules, facts: LiveFacts | undefined): DefaultGroup {
  if (added.groupName === 'default') return { status: 'default', how: 'the call named the group "default"' };
  if (!added.groupId) {
    return {
      status: 'not-default',
      summary: `the call named group "${added.groupName ?? '?'}", not "default"`,
    };
  }
  if (!facts) {
    return {
      status: 'not-default',
      summary: `needs live confirmation: whether ${added.groupId} is a VPC default group (no live read was made)`,
    };
  }
  const lookup = facts.securityGroups.get(added.groupId);
  if (!lookup || lookup.status === 'missing') {
    return { status: 'not-default', summary: `${added.groupId} no longer exists` };
  }
  if (lookup.value.groupName !== 'default') {
    return {
      status: 'not-default',
      summary: `${added.groupId} is "${lookup.value.groupName}", not a VPC default group`,
    };
  }
  return {
    status: 'default',
    how: `${added.groupId} is the default group of ${lookup.value.vpcId ?? 'its VPC'} (read live)`,
  };
}

function revokeOf(target: Target, added: AddedRules, direction: Direction): Operation[] {
  const IsEgress = direction === 'egress';
  const ids = added.rules.map((rule) => rule.ruleId).filter((id): id is string => id !== undefined);
  const service = 'ec2';
  const operation = 'RevokeDefaultSecurityGroupRules';
  // Each operation built whole: a spread copy with keys added takes V8's slow path on Node 20.
  if (added.groupId && ids.length === added.rules.length) {
    const input = { GroupId: added.groupId, IsEgress, SecurityGroupRuleIds: ids };
    return [{ service, operation, target, input }];
  }
  const IpPermissions = added.rules.map(toIpPermission);
  if (added.groupId) {
    return [{ service, operation, target, input: { GroupId: added.groupId, IsEgress, IpPermissions } }];
  }
  if (added.groupName === 'default' && !IsEgress) {
    return [{ service, operation, target, input: { GroupName: 'default', IsEgress: false, IpPermissions } }];
  }
  return [];
}

export const defaultSgInUse: Guardrail = {
  id: 'default-sg-in-use',
  title: "Rule added to a VPC's default security group",
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    {
      eventSource: 'ec2.amazonaws.com',
      eventNames: ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress'],
    },
  ],
  liveFacts(change) {
    const added = addedRules(change, directionOf(change));
    if (added.groupName === 'default' || !added.groupId) return [];
    return [
      {
        kind: 'security-group',
        target: { account: change.account, region: change.region },
        groupId: added.groupId,
      },
    ];
  },
  evaluate(change: Change, { facts }): Verdict {
    const direction = directionOf(change);
    const added = addedRules(change, direction);
    if (added.rules.length === 0) {
      return { kind: 'not-applicable', summary: `the call added no ${direction} rule driftguard can read` };
    }
    const group = defaultGroup(added, facts);
    if (group.status === 'not-default') return { kind: 'not-applicable', summary: group.summary };
    const target = { account: change.account, region: change.region };
    const id = added.groupId ?? 'default';
    const resource = {
      type: 'AWS::EC2::SecurityGroup',
      id,
      ...(added.groupId
        ? { arn: `arn:aws:ec2:${target.region}:${target.account}:security-group/${added.groupId}` }
        : {}),
    };
    const offenses: Offense[] = added.rules.map((rule, index) => ({
      id: rule.ruleId ?? `permission-${index}`,
      severity: 'high',
      reason: `${describeGroupRule(rule, direction)} added to the default security group ${id}: the default group must stay empty (${group.how})`,
      remediable: true,
    }));
    const remediation = revokeOf(target, added, direction);
    for (const offense of offenses) offense.remediable = remediation.length > 0;
    return {
      kind: 'violation',
      severity: 'high',
      resource,
      summary: `${added.rules.length} ${direction} rule(s) added to the default security group ${id}`,
      offenses,
      remediation,
    };
  },
};

/** What RULES.md says of `defaultSgInUse` (`npm run rules:docs`; the functions do not ship it). */
export const defaultSgInUseDocs: GuardrailDocs = {
  rationale:
    'Every VPC has a default security group that AWS attaches to anything launched without an explicit group, so a rule added to it silently applies to resources nobody chose to expose. Zero trust wants access granted per workload, on purpose: the default group stays empty (CIS AWS Foundations, Security Hub EC2.2).',
  violation:
    'Any ingress or egress rule added (AuthorizeSecurityGroupIngress / AuthorizeSecurityGroupEgress) to a group named "default", whatever its source or destination. A request by `groupName: "default"` is certain; for a request by group id the pipeline reads the group\'s name live (DescribeSecurityGroups) before evaluating, because the record does not say (without that read, e.g. replay without AWS access, the change is reported as needing live confirmation, not guessed).',
  revert:
    'RevokeSecurityGroupIngress / RevokeSecurityGroupEgress of exactly the rule ids the call added (from the CloudTrail response; older records without ids are matched by exact permission). The executor confirms again that the group\'s name is "default" before revoking, and re-reads the group to verify the rules are gone.',
};
