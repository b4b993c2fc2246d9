import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
  paginateDescribeSecurityGroupRules,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import {
  type Config,
  classifyIngressRule,
  fromRuleRequest,
  type IngressRule,
  type IpPermission,
  type Lookup,
  type OperationResult,
  type PrefixListFact,
  parseSgRuleSnapshot,
  type RestoreSecurityGroupRules,
  type RevokeSecurityGroupIngress,
  type SecurityGroupRuleRequest,
  SG_RULE_SNAPSHOT_KIND,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import { readPrefixList } from '../live-facts';
import type { ExecutorContext } from './index';
import { alreadyCompliant, applied, failed } from './results';

/** Errors meaning "the rule is already gone": the desired end state, not a failure. */
export const ALREADY_GONE = new Set(['InvalidPermission.NotFound', 'InvalidSecurityGroupRuleId.NotFound']);

/** A live rule as the evaluators see it (for egress rules, `source` is the destination). */
export function toIngressRule(rule: SecurityGroupRule): IngressRule | undefined {
  const base = {
    ruleId: rule.SecurityGroupRuleId,
    protocol: rule.IpProtocol ?? '-1',
    fromPort: rule.FromPort,
    toPort: rule.ToPort,
  };
  if (rule.CidrIpv4) return { ...base, source: { kind: 'ipv4', cidr: rule.CidrIpv4 } };
  if (rule.CidrIpv6) return { ...base, source: { kind: 'ipv6', cidr: rule.CidrIpv6 } };
  if (rule.PrefixListId) return { ...base, source: { kind: 'prefix-list', id: rule.PrefixListId } };
  if (rule.ReferencedGroupInfo?.GroupId)
    return { ...base, source: { kind: 'security-group', id: rule.ReferencedGroupInfo.GroupId } };
  return undefined;
}

/**
 * The prefix lists the rules take their sources from, read live (entries judged like CIDRs), so
 * that the re-read before acting judges a prefix-list rule exactly as the evaluator did.
 */
async function livePrefixLists(
  ec2: EC2Client,
  rules: readonly (IngressRule | undefined)[],
  config: Config,
): Promise<Map<string, Lookup<PrefixListFact>>> {
  const trusted = config.rules['sg-open-ingress'].trustedPrefixLists;
  const ids = new Set(
    rules.flatMap((rule) =>
      rule?.source.kind === 'prefix-list' && !trusted.includes(rule.source.id) ? [rule.source.id] : [],
    ),
  );
  const lists = new Map<string, Lookup<PrefixListFact>>();
  for (const id of ids) lists.set(id, await readPrefixList(ec2, id));
  return lists;
}

const samePort = (a: number | undefined, b: number | undefined) => (a ?? -1) === (b ?? -1);

/** Does a live rule carry exactly this permission (protocol, ports, one of its sources)? */
export function matchesPermission(rule: SecurityGroupRule, permission: IpPermission): boolean {
  if ((rule.IpProtocol ?? '-1') !== permission.IpProtocol) return false;
  if (
    permission.IpProtocol !== '-1' &&
    (!samePort(rule.FromPort, permission.FromPort) || !samePort(rule.ToPort, permission.ToPort))
  ) {
    return false;
  }
  return (
    permission.IpRanges?.some((range) => range.CidrIp === rule.CidrIpv4) === true ||
    permission.Ipv6Ranges?.some((range) => range.CidrIpv6 === rule.CidrIpv6) === true ||
    permission.PrefixListIds?.some((list) => list.PrefixListId === rule.PrefixListId) === true ||
    permission.UserIdGroupPairs?.some((pair) => pair.GroupId === rule.ReferencedGroupInfo?.GroupId) === true
  );
}

async function resolveGroupId(
  ec2: EC2Client,
  input: RevokeSecurityGroupIngress['input'],
): Promise<string | undefined> {
  if ('GroupId' in input) return input.GroupId;
  const { SecurityGroups } = await ec2.send(
    new DescribeSecurityGroupsCommand({ GroupNames: [input.GroupName] }),
  );
  return SecurityGroups?.[0]?.GroupId;
}

async function ingressRules(ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  return groupRules(ec2, groupId, 'ingress');
}

/** Every rule on a group (of one direction when given), all pages. */
export async function groupRules(
  ec2: EC2Client,
  groupId: string,
  direction?: 'ingress' | 'egress',
): Promise<SecurityGroupRule[]> {
  const rules: SecurityGroupRule[] = [];
  const pages = paginateDescribeSecurityGroupRules(
    { client: ec2 },
    { Filters: [{ Name: 'group-id', Values: [groupId] }] },
  );
  for await (const page of pages) {
    for (const rule of page.SecurityGroupRules ?? []) {
      if (direction === undefined || (rule.IsEgress === true) === (direction === 'egress')) rules.push(rule);
    }
  }
  return rules;
}

/**
 * verify → act → verify for one RevokeSecurityGroupIngress: re-read the group, keep only the
 * targeted rules that still exist and still violate (events arrive late, twice, out of order),
 * revoke them by id, and re-read to prove they are gone.
 */
export async function revokeSecurityGroupIngress(
  operation: RevokeSecurityGroupIngress,
  { clients, config, beforeAct }: ExecutorContext,
): Promise<OperationResult> {
  const ec2 = await clients.get(EC2Client, operation.target);
  const groupId = await resolveGroupId(ec2, operation.input);
  if (!groupId) {
    return alreadyCompliant(operation, 'security group no longer exists');
  }
  const live = await ingressRules(ec2, groupId).catch((error: unknown) => {
    if (awsErrorCode(error) === 'InvalidGroup.NotFound') return [];
    throw error;
  });
  const targeted =
    'SecurityGroupRuleIds' in operation.input
      ? live.filter(
          (rule) =>
            rule.SecurityGroupRuleId &&
            (operation.input as { SecurityGroupRuleIds: string[] }).SecurityGroupRuleIds.includes(
              rule.SecurityGroupRuleId,
            ),
        )
      : live.filter((rule) =>
          (operation.input as { IpPermissions: IpPermission[] }).IpPermissions.some((p) =>
            matchesPermission(rule, p),
          ),
        );
  const prefixLists = await livePrefixLists(ec2, targeted.map(toIngressRule), config);
  const settings = {
    groupId,
    trustedCidrs: config.trustedCidrs,
    rule: config.rules['sg-open-ingress'],
    prefixLists,
  };
  const stillOffending = targeted.filter((rule) => {
    const ingress = toIngressRule(rule);
    if (!ingress) return false;
    const verdict = classifyIngressRule(ingress, settings);
    return verdict.status === 'offending' && verdict.remediable;
  });
  const ids = stillOffending
    .map((rule) => rule.SecurityGroupRuleId)
    .filter((id): id is string => id !== undefined);
  if (ids.length === 0) {
    return alreadyCompliant(operation, `no offending rule left on ${groupId}`);
  }
  // The first write: not before the pipeline's intent is recorded (the re-read above overlapped it).
  await beforeAct?.();
  try {
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ids }));
  } catch (error) {
    if (!ALREADY_GONE.has(awsErrorCode(error) ?? '')) throw error;
  }
  const after = await ingressRules(ec2, groupId);
  const remaining = after.filter(
    (rule) => rule.SecurityGroupRuleId && ids.includes(rule.SecurityGroupRuleId),
  );
  if (remaining.length > 0) {
    return failed(
      operation,
      `re-read of ${groupId} still shows ${remaining.map((rule) => rule.SecurityGroupRuleId).join(', ')}`,
    );
  }
  return applied(operation, `revoked ${ids.join(', ')} on ${groupId}`, ids);
}

/** Rules by id; a missing id is simply absent from the result (never an error). */
async function rulesById(ec2: EC2Client, ids: readonly string[]): Promise<SecurityGroupRule[]> {
  const found: SecurityGroupRule[] = [];
  // One id per call: a single unknown id fails the whole call with ….NotFound.
  for (const id of ids) {
    try {
      const { SecurityGroupRules } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [id] }),
      );
      found.push(...(SecurityGroupRules ?? []));
    } catch (error) {
      if (awsErrorCode(error) !== 'InvalidSecurityGroupRuleId.NotFound') throw error;
    }
  }
  return found;
}

function offendsNow(
  rule: IngressRule | undefined,
  groupId: string,
  config: Config,
  prefixLists: ReadonlyMap<string, Lookup<PrefixListFact>>,
): boolean {
  if (!rule) return false;
  const verdict = classifyIngressRule(rule, {
    groupId,
    trustedCidrs: config.trustedCidrs,
    rule: config.rules['sg-open-ingress'],
    prefixLists,
  });
  return verdict.status === 'offending' && verdict.remediable;
}

/** The live rule equals the request (what ModifySecurityGroupRules set)? */
function sameRule(live: SecurityGroupRule, wanted: SecurityGroupRuleRequest): boolean {
  return (
    (live.IpProtocol ?? '-1') === wanted.IpProtocol &&
    (wanted.IpProtocol === '-1' ||
      (samePort(live.FromPort, wanted.FromPort) && samePort(live.ToPort, wanted.ToPort))) &&
    live.CidrIpv4 === wanted.CidrIpv4 &&
    live.CidrIpv6 === wanted.CidrIpv6 &&
    live.PrefixListId === wanted.PrefixListId &&
    live.ReferencedGroupInfo?.GroupId === wanted.ReferencedGroupId
  );
}

/**
 * verify → act → verify for sg-open-ingress on ModifySecurityGroupRules: re-read each targeted
 * rule, keep the ingress rules that still offend, put each back to its last-known-good version
 * from the snapshot store (when that version still passes the current config) and revoke the rest
 * by id; then re-read to prove every rule is either restored exactly or gone.
 */
export async function restoreSecurityGroupRules(
  operation: RestoreSecurityGroupRules,
  { clients, config, snapshots }: ExecutorContext,
): Promise<OperationResult> {
  const ec2 = await clients.get(EC2Client, operation.target);
  const { GroupId, SecurityGroupRuleIds } = operation.input;
  const live = (await rulesById(ec2, SecurityGroupRuleIds)).filter(
    (rule) => rule.IsEgress !== true && rule.GroupId === GroupId,
  );
  const prefixLists = await livePrefixLists(ec2, live.map(toIngressRule), config);
  const offending = live.filter((rule) => offendsNow(toIngressRule(rule), GroupId, config, prefixLists));
  if (offending.length === 0) {
    return alreadyCompliant(
      operation,
      `no targeted ingress rule on ${GroupId} is still open beyond trusted networks`,
    );
  }
  const restores: { id: string; rule: SecurityGroupRuleRequest }[] = [];
  const revokes: string[] = [];
  for (const rule of offending) {
    const id = rule.SecurityGroupRuleId as string;
    const stored = await snapshots?.get(
      operation.target.account,
      operation.target.region,
      id,
      SG_RULE_SNAPSHOT_KIND,
    );
    const good = stored ? parseSgRuleSnapshot(stored.document) : undefined;
    // Restore only a document about this very rule that still passes the current config.
    const restorable =
      good?.groupId === GroupId && good.ruleId === id ? fromRuleRequest(good.rule, id) : undefined;
    // A good version naming another prefix list is judged on that list's live entries too.
    for (const [id, list] of await livePrefixLists(ec2, [restorable], config))
      if (!prefixLists.has(id)) prefixLists.set(id, list);
    if (good && restorable && !offendsNow(restorable, GroupId, config, prefixLists))
      restores.push({ id, rule: good.rule });
    else revokes.push(id);
  }
  if (restores.length > 0) {
    await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId,
        SecurityGroupRules: restores.map(({ id, rule }) => ({
          SecurityGroupRuleId: id,
          SecurityGroupRule: rule,
        })),
      }),
    );
  }
  if (revokes.length > 0) {
    try {
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, SecurityGroupRuleIds: revokes }));
    } catch (error) {
      if (!ALREADY_GONE.has(awsErrorCode(error) ?? '')) throw error;
    }
  }
  const after = await rulesById(ec2, [...restores.map((r) => r.id), ...revokes]);
  const problems = [
    ...restores.flatMap(({ id, rule }) => {
      const now = after.find((r) => r.SecurityGroupRuleId === id);
      return now && sameRule(now, rule) ? [] : [`${id} does not read back as its last-known-good version`];
    }),
    ...revokes.flatMap((id) =>
      after.some((r) => r.SecurityGroupRuleId === id) ? [`${id} still exists`] : [],
    ),
  ];
  if (problems.length > 0) {
    return failed(operation, `re-read of ${GroupId}: ${problems.join('; ')}`);
  }
  const parts = [
    ...(restores.length > 0
      ? [`restored ${restores.map((r) => r.id).join(', ')} to the last-known-good rule`]
      : []),
    ...(revokes.length > 0 ? [`revoked ${revokes.join(', ')} (no last-known-good version)`] : []),
  ];
  return applied(operation, `${parts.join('; ')} on ${GroupId}`, [
    ...restores.map((r) => `${r.id} restored`),
    ...revokes.map((id) => `${id} revoked`),
  ]);
}
