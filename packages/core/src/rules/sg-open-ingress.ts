import type { Config } from '../config';
import type { Change } from '../events/change';
import type { LiveFactQuery, LiveFacts } from '../live-facts';
import type { IngressRule } from '../net/sg-rule';
import { toIpPermission } from '../net/sg-rule';
import { type AddedRules, addedIngressRules, modifiedRules } from '../net/sg-rule-changes';
import { classifyIngressRule } from '../net/sg-rule-classification';
import { sgRuleSnapshot } from '../net/sg-rule-snapshot';
import type { Operation, Target } from '../operations';
import type { Offense, ResourceRef, SnapshotCandidate, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

/** The prefix lists an SG rule set names, to read live (trusted ones need no read). */
export function prefixListQueries(
  rules: readonly (IngressRule | undefined)[],
  change: Change,
  config: Config,
): LiveFactQuery[] {
  const target = { account: change.account, region: change.region };
  const trusted = config.rules['sg-open-ingress'].trustedPrefixLists;
  const ids = new Set(
    rules.flatMap((rule) =>
      rule?.source.kind === 'prefix-list' && !trusted.includes(rule.source.id) ? [rule.source.id] : [],
    ),
  );
  return [...ids].map((prefixListId) => ({ kind: 'prefix-list' as const, target, prefixListId }));
}

export function securityGroupRef(
  target: Target,
  group: { groupId?: string; groupName?: string },
): ResourceRef {
  if (group.groupId) {
    return {
      type: 'AWS::EC2::SecurityGroup',
      id: group.groupId,
      arn: `arn:aws:ec2:${target.region}:${target.account}:security-group/${group.groupId}`,
    };
  }
  return { type: 'AWS::EC2::SecurityGroup', id: group.groupName ?? 'unknown' };
}

function revokeOperation(target: Target, added: AddedRules, offending: IngressRule[]): Operation | undefined {
  if (offending.length === 0) return undefined;
  const ids = offending.map((rule) => rule.ruleId).filter((id): id is string => id !== undefined);
  if (added.groupId && ids.length === offending.length) {
    return {
      service: 'ec2',
      operation: 'RevokeSecurityGroupIngress',
      target,
      input: { GroupId: added.groupId, SecurityGroupRuleIds: ids },
    };
  }
  const IpPermissions = offending.map(toIpPermission);
  if (added.groupId) {
    return {
      service: 'ec2',
      operation: 'RevokeSecurityGroupIngress',
      target,
      input: { GroupId: added.groupId, IpPermissions },
    };
  }
  if (added.groupName) {
    return {
      service: 'ec2',
      operation: 'RevokeSecurityGroupIngress',
      target,
      input: { GroupName: added.groupName, IpPermissions },
    };
  }
  return undefined;
}

interface Judged {
  offenses: Offense[];
  offending: IngressRule[];
  compliant: IngressRule[];
}

function judge(
  rules: readonly IngressRule[],
  groupId: string | undefined,
  config: Config,
  facts: LiveFacts | undefined,
): Judged {
  const judged: Judged = { offenses: [], offending: [], compliant: [] };
  const { trustedCidrs } = config;
  const settings = config.rules['sg-open-ingress'];
  for (const [index, rule] of rules.entries()) {
    const verdict = classifyIngressRule(
      rule,
      facts?.prefixLists
        ? { groupId, trustedCidrs, rule: settings, prefixLists: facts.prefixLists }
        : { groupId, trustedCidrs, rule: settings },
    );
    if (verdict.status !== 'offending') {
      judged.compliant.push(rule);
      continue;
    }
    judged.offenses.push({
      id: rule.ruleId ?? `permission-${index}`,
      severity: verdict.severity,
      reason: verdict.reason,
      remediable: verdict.remediable,
    });
    if (verdict.remediable) judged.offending.push(rule);
  }
  return judged;
}

/**
 * The verdict with its snapshot candidates as its last key, when there are any: assigned, not
 * spread into the literal (V8's slow path on Node 20, for every judged rule change).
 */
function withSnapshots(
  verdict: Verdict & { kind: 'compliant' | 'violation' },
  snapshots: SnapshotCandidate[],
): Verdict {
  if (snapshots.length > 0) verdict.snapshots = snapshots;
  return verdict;
}

function snapshotsOf(groupId: string | undefined, rules: readonly IngressRule[]): SnapshotCandidate[] {
  return rules.flatMap((rule) => sgRuleSnapshot(groupId, rule) ?? []);
}

function evaluateAuthorize(change: Change, config: Config, facts: LiveFacts | undefined): Verdict {
  const added = addedIngressRules(change);
  const target = { account: change.account, region: change.region };
  const resource = securityGroupRef(target, added);
  if (added.rules.length === 0) {
    return { kind: 'not-applicable', summary: 'the call added no ingress rule driftguard can read' };
  }
  const { offenses, offending, compliant } = judge(added.rules, added.groupId, config, facts);
  const snapshots = snapshotsOf(added.groupId, compliant);
  if (offenses.length === 0) {
    return withSnapshots(
      {
        kind: 'compliant',
        resource,
        summary: `${added.rules.length} added ingress rule(s), all within trusted networks or allowlisted`,
      },
      snapshots,
    );
  }
  const operation = revokeOperation(target, added, offending);
  return withSnapshots(
    {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `${offenses.length} of ${added.rules.length} added ingress rule(s) on ${resource.id} open beyond trusted networks`,
      offenses,
      remediation: operation ? [operation] : [],
    },
    snapshots,
  );
}

/**
 * ModifySecurityGroupRules does not say whether a rule is ingress or egress: the direction comes
 * from live facts (DescribeSecurityGroupRules by id, read by the pipeline before evaluating).
 */
function evaluateModify(change: Change, config: Config, facts: LiveFacts | undefined): Verdict {
  const modified = modifiedRules(change);
  const target = { account: change.account, region: change.region };
  if (modified.rules.length === 0) {
    return { kind: 'not-applicable', summary: 'the call modified no rule driftguard can read' };
  }
  const ids = modified.rules.map((entry) => entry.ruleId).join(', ');
  if (!facts) {
    return {
      kind: 'not-applicable',
      summary: `needs live confirmation: ModifySecurityGroupRules does not say whether ${ids} are ingress rules (no live read was made)`,
    };
  }
  const ingress: IngressRule[] = [];
  const skipped: string[] = [];
  let groupId = modified.groupId;
  for (const entry of modified.rules) {
    const lookup = facts.securityGroupRules.get(entry.ruleId);
    if (!lookup || lookup.status === 'missing') {
      skipped.push(`${entry.ruleId} no longer exists`);
      continue;
    }
    if (lookup.value.isEgress) {
      skipped.push(`${entry.ruleId} is an egress rule`);
      continue;
    }
    groupId ??= lookup.value.groupId;
    if (!entry.rule) {
      skipped.push(`${entry.ruleId} has no readable source`);
      continue;
    }
    ingress.push(entry.rule);
  }
  const resource = securityGroupRef(target, { ...(groupId ? { groupId } : {}) });
  if (ingress.length === 0) {
    return { kind: 'not-applicable', summary: `no modified ingress rule to judge (${skipped.join('; ')})` };
  }
  const { offenses, offending, compliant } = judge(ingress, groupId, config, facts);
  const snapshots = snapshotsOf(groupId, compliant);
  if (offenses.length === 0) {
    return withSnapshots(
      {
        kind: 'compliant',
        resource,
        summary: `${ingress.length} modified ingress rule(s), all within trusted networks or allowlisted`,
      },
      snapshots,
    );
  }
  const restore: Operation[] =
    groupId && offending.length > 0
      ? [
          {
            service: 'ec2',
            operation: 'RestoreSecurityGroupRules',
            target,
            input: {
              GroupId: groupId,
              SecurityGroupRuleIds: offending.map((rule) => rule.ruleId as string),
            },
          },
        ]
      : [];
  return withSnapshots(
    {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `${offenses.length} of ${ingress.length} modified ingress rule(s) on ${resource.id} now open beyond trusted networks`,
      offenses,
      remediation: restore,
    },
    snapshots,
  );
}

export const sgOpenIngress: Guardrail = {
  id: 'sg-open-ingress',
  title: 'Security group open beyond trusted networks',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    {
      eventSource: 'ec2.amazonaws.com',
      eventNames: ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules'],
    },
  ],
  liveFacts(change, config) {
    if (change.eventName !== 'ModifySecurityGroupRules') {
      return prefixListQueries(addedIngressRules(change).rules, change, config);
    }
    const target = { account: change.account, region: change.region };
    const modified = modifiedRules(change).rules;
    return [
      ...modified.map((entry) => ({ kind: 'security-group-rule' as const, target, ruleId: entry.ruleId })),
      ...prefixListQueries(
        modified.map((entry) => entry.rule),
        change,
        config,
      ),
    ];
  },
  evaluate(change: Change, { config, facts }): Verdict {
    if (change.eventName === 'ModifySecurityGroupRules') return evaluateModify(change, config, facts);
    return evaluateAuthorize(change, config, facts);
  },
};

/** What RULES.md says of `sgOpenIngress` (`npm run rules:docs`; the functions do not ship it). */
export const sgOpenIngressDocs: GuardrailDocs = {
  rationale:
    'Zero trust admits no network as trusted by default: an ingress rule from the internet (or any CIDR outside your own ranges) bypasses identity-aware access such as SSM Session Manager, Verified Access or PrivateLink, and is the first thing scanners find.',
  violation:
    "An added or modified ingress rule whose source is an IPv4/IPv6 CIDR outside `trustedCidrs` (default RFC 1918, 100.64.0.0/10, fc00::/7), unless the group is in `allowedSecurityGroups` or the ports are in `allowedPorts` for that group. All protocols, or an admin/database port (`criticalPorts`), from 0.0.0.0/0 or ::/0 is critical. A rule whose source is a customer-managed prefix list not in `trustedPrefixLists` is judged on the list's entries, read live before evaluating (DescribeManagedPrefixLists, GetManagedPrefixListEntries): each entry as if it were the rule's CIDR, and the rule is reverted like a CIDR rule when one offends (managed-prefix-list watches later changes to the list itself). An AWS-managed list (owner `AWS`, e.g. CloudFront's origin-facing list) not in `trustedPrefixLists`, and any list when no live read could be made (replay), is alerted on, never reverted. ModifySecurityGroupRules records do not say whether a rule is ingress or egress: the pipeline reads each modified rule (DescribeSecurityGroupRules) before evaluating; egress rules are out of scope. Compliant ingress rules (added or modified) are kept as last-known-good in the snapshot store, per rule id.",
  revert:
    'AuthorizeSecurityGroupIngress: RevokeSecurityGroupIngress with the offending SecurityGroupRuleIds only (from the CloudTrail response; when the record has none, the executor finds the ids by matching the exact permission). Compliant rules added by the same call stay. ModifySecurityGroupRules: each offending rule is put back as it was last seen compliant (ModifySecurityGroupRules with the snapshot, re-checked against the current config), or revoked by id when no good version is known; the executor re-reads the rule first and verifies the result.',
};
