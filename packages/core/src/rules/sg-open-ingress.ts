import * as z from 'zod';
import type { Config, PortSpec, SgOpenIngressConfig } from '../config';
import type { Change } from '../events/change';
import { asArray, isRecord, setItems, toInt, toStr } from '../events/ec2-sets';
import {
  isAwsManagedPrefixList,
  type LiveFactQuery,
  type LiveFacts,
  type Lookup,
  type PrefixListFact,
} from '../live-facts';
import { cidrWithin, isAnyAddress, parseCidr, readCidr } from '../net/cidr';
import type { IpPermission, Operation, Target } from '../operations';
import type { Offense, ResourceRef, Severity, SnapshotCandidate, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail } from './guardrail';

/** One ingress rule as added by a call (or as it exists in live state). */
export interface IngressRule {
  /** sgr-…, known when CloudTrail reported it or when read from live state. */
  ruleId?: string;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  source:
    | { kind: 'ipv4' | 'ipv6'; cidr: string }
    | { kind: 'prefix-list'; id: string }
    | { kind: 'security-group'; id: string };
  description?: string;
}

export type RuleClassification =
  | { status: 'trusted'; reason: string }
  | { status: 'allowlisted'; reason: string }
  | { status: 'offending'; severity: Severity; reason: string; remediable: boolean };

export interface ClassifyOptions {
  groupId?: string;
  trustedCidrs: readonly string[];
  rule: SgOpenIngressConfig;
  /** Prefix lists read live (their entries are judged like CIDRs); absent: none was read. */
  prefixLists?: ReadonlyMap<string, Lookup<PrefixListFact>>;
}

const PROTOCOL_NAMES: Record<string, string> = {
  '-1': 'all',
  '6': 'tcp',
  '17': 'udp',
  '1': 'icmp',
  '58': 'icmpv6',
};

export function normalizeProtocol(protocol: string): string {
  const lower = protocol.toLowerCase();
  return PROTOCOL_NAMES[lower] ?? lower;
}

/** The inclusive port range a rule opens; protocols without ports open everything. */
export function portRange(rule: IngressRule): { from: number; to: number } {
  const protocol = normalizeProtocol(rule.protocol);
  if ((protocol === 'tcp' || protocol === 'udp') && rule.fromPort !== undefined && rule.fromPort >= 0) {
    return { from: rule.fromPort, to: rule.toPort ?? rule.fromPort };
  }
  return { from: 0, to: 65535 };
}

export function describeRule(rule: IngressRule): string {
  const protocol = normalizeProtocol(rule.protocol);
  const { from, to } = portRange(rule);
  const ports =
    protocol === 'all' ? 'all traffic' : from === to ? `${protocol}/${from}` : `${protocol}/${from}-${to}`;
  const source = 'cidr' in rule.source ? rule.source.cidr : rule.source.id;
  return `${ports} from ${source}`;
}

function portsAllowed(rule: IngressRule, specs: readonly PortSpec[]): boolean {
  const protocol = normalizeProtocol(rule.protocol);
  if (protocol !== 'tcp' && protocol !== 'udp') return false;
  const { from, to } = portRange(rule);
  return specs.some((spec) => {
    const [low, high] = typeof spec === 'number' ? [spec, spec] : spec.split('-').map(Number);
    return low !== undefined && high !== undefined && from >= low && to <= high;
  });
}

/**
 * The heart of the guardrail, shared by event evaluation and by the executor's re-read of live
 * state: is this one ingress rule open beyond the trust zone?
 */
export function classifyIngressRule(rule: IngressRule, options: ClassifyOptions): RuleClassification {
  const { source } = rule;
  if (source.kind === 'security-group') {
    return { status: 'trusted', reason: `source is security group ${source.id}` };
  }
  if (source.kind === 'prefix-list') {
    if (options.rule.trustedPrefixLists.includes(source.id)) {
      return { status: 'trusted', reason: `prefix list ${source.id} is trusted` };
    }
    return classifyPrefixListRule(rule, source.id, options);
  }
  const reading = readCidr(source.cidr);
  if (!reading.ok) {
    // Never a guess: a spelling parsers read differently (012.0.0.0/8: octal 10/8 or decimal
    // 12/8) cannot put a rule inside the trusted networks.
    return {
      status: 'offending',
      severity: 'high',
      remediable: true,
      reason: `${describeRule(rule)}: ${reading.reason}, so it is not trusted`,
    };
  }
  const { cidr } = reading;
  const trusted = options.trustedCidrs.find((text) => {
    const outer = parseCidr(text);
    return outer !== undefined && cidrWithin(cidr, outer);
  });
  if (trusted) return { status: 'trusted', reason: `${source.cidr} is within trusted ${trusted}` };
  if (options.groupId && options.rule.allowedSecurityGroups.includes(options.groupId)) {
    return { status: 'allowlisted', reason: `${options.groupId} is in allowedSecurityGroups` };
  }
  const allowedPorts = options.groupId ? options.rule.allowedPorts[options.groupId] : undefined;
  if (allowedPorts && portsAllowed(rule, allowedPorts)) {
    return {
      status: 'allowlisted',
      reason: `${describeRule(rule)} is in allowedPorts of ${options.groupId}`,
    };
  }
  const protocol = normalizeProtocol(rule.protocol);
  const { from, to } = portRange(rule);
  // ICMP and other port-less protocols reach no admin service; only tcp/udp ranges are checked.
  const hasPorts = protocol === 'tcp' || protocol === 'udp';
  const criticalPort = hasPorts
    ? options.rule.criticalPorts.find((port) => port >= from && port <= to)
    : undefined;
  const internet = isAnyAddress(cidr);
  if (internet && (protocol === 'all' || criticalPort !== undefined)) {
    const what = protocol === 'all' ? 'every protocol and port' : `admin/database port ${criticalPort}`;
    return {
      status: 'offending',
      severity: 'critical',
      remediable: true,
      reason: `${describeRule(rule)}: ${what} open to the whole internet`,
    };
  }
  return {
    status: 'offending',
    severity: 'high',
    remediable: true,
    reason: `${describeRule(rule)}: ${source.cidr} is outside the trusted networks`,
  };
}

/**
 * A rule whose source is a managed prefix list opens its ports to every entry of the list: each
 * entry (read live) is judged as if it were the rule's CIDR, and the rule offends when one does.
 * Without a live read, or for an AWS-managed list (AWS's own service addresses, which only the
 * organization can decide to trust: trustedPrefixLists), the rule is alerted on, never reverted.
 */
function classifyPrefixListRule(
  rule: IngressRule,
  listId: string,
  options: ClassifyOptions,
): RuleClassification {
  const lookup = options.prefixLists?.get(listId);
  const alert = (why: string): RuleClassification => ({
    status: 'offending',
    severity: 'medium',
    remediable: false,
    reason: `${describeRule(rule)}: ${why}`,
  });
  if (!lookup) {
    return alert(
      `needs live confirmation: the entries of prefix list ${listId} are read live (no live read was made); it is not in trustedPrefixLists`,
    );
  }
  if (lookup.status === 'missing') return alert(`prefix list ${listId} no longer exists`);
  const list = lookup.value;
  if (isAwsManagedPrefixList(list)) {
    return alert(
      `AWS-managed prefix list ${listId} (${list.name ?? 'unnamed'}) holds AWS's service addresses; add it to trustedPrefixLists if this group should accept them`,
    );
  }
  const offending = list.cidrs.flatMap((cidr) => {
    const kind = cidr.includes(':') ? ('ipv6' as const) : ('ipv4' as const);
    const entry = classifyIngressRule({ ...rule, source: { kind, cidr } }, options);
    return entry.status === 'offending' ? [{ cidr, verdict: entry }] : [];
  });
  if (offending.length === 0) {
    return {
      status: 'trusted',
      reason: `all ${list.cidrs.length} entries of prefix list ${listId} (read live, version ${list.version ?? '?'}) are within trusted networks or allowlisted`,
    };
  }
  const severity = maxSeverity(
    offending.map(({ verdict }) => (verdict.status === 'offending' ? verdict.severity : 'low')),
  );
  return {
    status: 'offending',
    severity,
    remediable: true,
    reason: `${describeRule(rule)}: prefix list ${listId} (read live, version ${list.version ?? '?'}) holds ${offending
      .map(({ cidr }) => cidr)
      .join(', ')} outside the trusted networks`,
  };
}

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

export interface AddedRules {
  groupId?: string;
  groupName?: string;
  rules: IngressRule[];
  /** True when the rule ids came from CloudTrail's securityGroupRuleSet. */
  withIds: boolean;
}

/**
 * Rules an AuthorizeSecurityGroupIngress/Egress call added: from `securityGroupRuleSet` when present
 * (exact ids), else the request. For egress rules `source` is the destination.
 */
export function addedRules(change: Change, direction: 'ingress' | 'egress'): AddedRules {
  const request = change.request;
  const egress = direction === 'egress';
  const reported = setItems(change.response.securityGroupRuleSet).filter(
    (item) => (item.isEgress === true || item.isEgress === 'true') === egress,
  );
  const requestGroupId = toStr(request.groupId);
  if (reported.length > 0) {
    const rules = reported.flatMap((item): IngressRule[] => {
      const source = sourceOfReported(item);
      if (!source) return [];
      const description = toStr(item.description);
      return [
        {
          ruleId: toStr(item.securityGroupRuleId),
          protocol: String(item.ipProtocol ?? '-1'),
          fromPort: toInt(item.fromPort),
          toPort: toInt(item.toPort),
          source,
          ...(description ? { description } : {}),
        },
      ];
    });
    return {
      groupId: toStr(reported[0]?.groupId) ?? requestGroupId,
      ...(toStr(request.groupName) ? { groupName: toStr(request.groupName) } : {}),
      rules,
      withIds: true,
    };
  }
  return {
    groupId: requestGroupId,
    groupName: toStr(request.groupName),
    rules: rulesFromRequest(request),
    withIds: false,
  };
}

/** Rules the call added: from `securityGroupRuleSet` when present (exact ids), else the request. */
export function addedIngressRules(change: Change): AddedRules {
  return addedRules(change, 'ingress');
}

function sourceOfReported(item: Record<string, unknown>): IngressRule['source'] | undefined {
  const cidrIpv4 = toStr(item.cidrIpv4);
  if (cidrIpv4) return { kind: 'ipv4', cidr: cidrIpv4 };
  const cidrIpv6 = toStr(item.cidrIpv6);
  if (cidrIpv6) return { kind: 'ipv6', cidr: cidrIpv6 };
  const prefixList = toStr(item.prefixListId);
  if (prefixList) return { kind: 'prefix-list', id: prefixList };
  const referenced = isRecord(item.referencedGroupInfo) ? toStr(item.referencedGroupInfo.groupId) : undefined;
  if (referenced) return { kind: 'security-group', id: referenced };
  return undefined;
}

function rulesFromRequest(request: Record<string, unknown>): IngressRule[] {
  const permissions = setItems(request.ipPermissions);
  // The legacy form of the API puts one permission at the top level (CidrIp, IpProtocol, ports).
  if (permissions.length === 0 && (request.cidrIp !== undefined || request.ipProtocol !== undefined)) {
    permissions.push({
      ...request,
      ipRanges: request.cidrIp ? { items: [{ cidrIp: request.cidrIp }] } : undefined,
    });
  }
  return permissions.flatMap((permission) => {
    const base = {
      protocol: String(permission.ipProtocol ?? '-1'),
      fromPort: toInt(permission.fromPort),
      toPort: toInt(permission.toPort),
    };
    const withDescription = (item: Record<string, unknown>) => {
      const description = toStr(item.description);
      return description ? { description } : {};
    };
    return [
      ...setItems(permission.ipRanges).map((r) => ({
        ...base,
        source: { kind: 'ipv4' as const, cidr: String(r.cidrIp ?? '') },
        ...withDescription(r),
      })),
      ...setItems(permission.ipv6Ranges).map((r) => ({
        ...base,
        source: { kind: 'ipv6' as const, cidr: String(r.cidrIpv6 ?? '') },
        ...withDescription(r),
      })),
      ...setItems(permission.prefixListIds).map((r) => ({
        ...base,
        source: { kind: 'prefix-list' as const, id: String(r.prefixListId ?? '') },
        ...withDescription(r),
      })),
      ...setItems(permission.groups).map((r) => ({
        ...base,
        source: { kind: 'security-group' as const, id: String(r.groupId ?? r.groupName ?? '') },
        ...withDescription(r),
      })),
    ];
  });
}

/** The exact permission that re-creates one rule, for revoking by permission. */
export function toIpPermission(rule: IngressRule): IpPermission {
  const permission: IpPermission = { IpProtocol: rule.protocol };
  if (rule.fromPort !== undefined) permission.FromPort = rule.fromPort;
  if (rule.toPort !== undefined) permission.ToPort = rule.toPort;
  if (rule.source.kind === 'ipv4') permission.IpRanges = [{ CidrIp: rule.source.cidr }];
  if (rule.source.kind === 'ipv6') permission.Ipv6Ranges = [{ CidrIpv6: rule.source.cidr }];
  if (rule.source.kind === 'prefix-list') permission.PrefixListIds = [{ PrefixListId: rule.source.id }];
  if (rule.source.kind === 'security-group') permission.UserIdGroupPairs = [{ GroupId: rule.source.id }];
  return permission;
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

/** The kind under which security-group rules are kept in the snapshot store. */
export const SG_RULE_SNAPSHOT_KIND = 'sg-rule';

/** A rule as ModifySecurityGroupRules takes it (the SDK's SecurityGroupRuleRequest). */
export interface SecurityGroupRuleRequest {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupId?: string;
  Description?: string;
}

/** The last-known-good document of one ingress rule, restored by ModifySecurityGroupRules. */
export interface SgRuleSnapshot {
  groupId: string;
  ruleId: string;
  rule: SecurityGroupRuleRequest;
}

const port = z.number().int().min(-1).max(65535);
const sgRuleSnapshotSchema = z.object({
  groupId: z.string().min(1),
  ruleId: z.string().min(1),
  rule: z.object({
    IpProtocol: z.string().min(1),
    FromPort: port.optional(),
    ToPort: port.optional(),
    CidrIpv4: z.string().optional(),
    CidrIpv6: z.string().optional(),
    PrefixListId: z.string().optional(),
    ReferencedGroupId: z.string().optional(),
    Description: z.string().optional(),
  }),
});

export function toRuleRequest(rule: IngressRule): SecurityGroupRuleRequest {
  const request: SecurityGroupRuleRequest = { IpProtocol: rule.protocol };
  if (rule.fromPort !== undefined) request.FromPort = rule.fromPort;
  if (rule.toPort !== undefined) request.ToPort = rule.toPort;
  if (rule.source.kind === 'ipv4') request.CidrIpv4 = rule.source.cidr;
  if (rule.source.kind === 'ipv6') request.CidrIpv6 = rule.source.cidr;
  if (rule.source.kind === 'prefix-list') request.PrefixListId = rule.source.id;
  if (rule.source.kind === 'security-group') request.ReferencedGroupId = rule.source.id;
  if (rule.description !== undefined) request.Description = rule.description;
  return request;
}

/** The ingress rule a SecurityGroupRuleRequest describes (undefined without a source). */
export function fromRuleRequest(request: SecurityGroupRuleRequest, ruleId?: string): IngressRule | undefined {
  const source: IngressRule['source'] | undefined = request.CidrIpv4
    ? { kind: 'ipv4', cidr: request.CidrIpv4 }
    : request.CidrIpv6
      ? { kind: 'ipv6', cidr: request.CidrIpv6 }
      : request.PrefixListId
        ? { kind: 'prefix-list', id: request.PrefixListId }
        : request.ReferencedGroupId
          ? { kind: 'security-group', id: request.ReferencedGroupId }
          : undefined;
  if (!source) return undefined;
  return {
    ...(ruleId ? { ruleId } : {}),
    protocol: request.IpProtocol,
    ...(request.FromPort !== undefined ? { fromPort: request.FromPort } : {}),
    ...(request.ToPort !== undefined ? { toPort: request.ToPort } : {}),
    source,
    ...(request.Description !== undefined ? { description: request.Description } : {}),
  };
}

/** A snapshot candidate for one compliant ingress rule whose id is known. */
export function sgRuleSnapshot(
  groupId: string | undefined,
  rule: IngressRule,
): SnapshotCandidate | undefined {
  if (!groupId || !rule.ruleId) return undefined;
  const document: SgRuleSnapshot = { groupId, ruleId: rule.ruleId, rule: toRuleRequest(rule) };
  return { kind: SG_RULE_SNAPSHOT_KIND, resourceId: rule.ruleId, document: JSON.stringify(document) };
}

/** Reads a stored sg-rule document; undefined when it is not one (never trust the store blindly). */
export function parseSgRuleSnapshot(document: string): SgRuleSnapshot | undefined {
  try {
    const parsed = sgRuleSnapshotSchema.safeParse(JSON.parse(document));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** One rule as a ModifySecurityGroupRules call set it. */
export interface ModifiedRule {
  ruleId: string;
  rule?: IngressRule;
}

const pick = (record: Record<string, unknown>, ...keys: string[]): unknown =>
  keys.map((key) => record[key]).find((value) => value !== undefined && value !== null);

/** An EC2 set in any of its CloudTrail forms: array, single object, or `{items|item}`. */
function entries(value: unknown): Record<string, unknown>[] {
  if (isRecord(value) && (value.items !== undefined || value.item !== undefined)) return setItems(value);
  return asArray(value).filter(isRecord);
}

/**
 * The rules a ModifySecurityGroupRules call set. The record wraps its parameters
 * (`ModifySecurityGroupRulesRequest`, PascalCase) and names each entry `SecurityGroupRule`
 * (an object for one entry, an array for several) holding `SecurityGroupRuleId` and the new
 * `SecurityGroupRule`; unwrapped and camelCase forms are read too.
 */
export function modifiedRules(change: Change): { groupId?: string; rules: ModifiedRule[] } {
  const wrapped = change.request.ModifySecurityGroupRulesRequest;
  const request = isRecord(wrapped) ? wrapped : change.request;
  const groupId = toStr(pick(request, 'GroupId', 'groupId'));
  const items = entries(pick(request, 'SecurityGroupRule', 'SecurityGroupRules', 'securityGroupRuleSet'));
  const rules = items.flatMap((item): ModifiedRule[] => {
    const ruleId = toStr(pick(item, 'SecurityGroupRuleId', 'securityGroupRuleId'));
    if (!ruleId) return [];
    const body = pick(item, 'SecurityGroupRule', 'securityGroupRule');
    if (!isRecord(body)) return [{ ruleId }];
    const text = (...keys: string[]) => toStr(pick(body, ...keys));
    const fromPort = toInt(pick(body, 'FromPort', 'fromPort'));
    const toPort = toInt(pick(body, 'ToPort', 'toPort'));
    const description = text('Description', 'description');
    const request: SecurityGroupRuleRequest = {
      IpProtocol: String(pick(body, 'IpProtocol', 'ipProtocol') ?? '-1'),
      ...(fromPort !== undefined ? { FromPort: fromPort } : {}),
      ...(toPort !== undefined ? { ToPort: toPort } : {}),
      ...(text('CidrIpv4', 'cidrIpv4') ? { CidrIpv4: text('CidrIpv4', 'cidrIpv4') } : {}),
      ...(text('CidrIpv6', 'cidrIpv6') ? { CidrIpv6: text('CidrIpv6', 'cidrIpv6') } : {}),
      ...(text('PrefixListId', 'prefixListId') ? { PrefixListId: text('PrefixListId', 'prefixListId') } : {}),
      ...(text('ReferencedGroupId', 'referencedGroupId')
        ? { ReferencedGroupId: text('ReferencedGroupId', 'referencedGroupId') }
        : {}),
      ...(description !== undefined ? { Description: description } : {}),
    };
    const rule = fromRuleRequest(request, ruleId);
    return [rule ? { ruleId, rule } : { ruleId }];
  });
  return { ...(groupId ? { groupId } : {}), rules };
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
  for (const [index, rule] of rules.entries()) {
    const verdict = classifyIngressRule(rule, {
      groupId,
      trustedCidrs: config.trustedCidrs,
      rule: config.rules['sg-open-ingress'],
      ...(facts?.prefixLists ? { prefixLists: facts.prefixLists } : {}),
    });
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
    return {
      kind: 'compliant',
      resource,
      summary: `${added.rules.length} added ingress rule(s), all within trusted networks or allowlisted`,
      ...(snapshots.length > 0 ? { snapshots } : {}),
    };
  }
  const operation = revokeOperation(target, added, offending);
  return {
    kind: 'violation',
    severity: maxSeverity(offenses.map((offense) => offense.severity)),
    resource,
    summary: `${offenses.length} of ${added.rules.length} added ingress rule(s) on ${resource.id} open beyond trusted networks`,
    offenses,
    remediation: operation ? [operation] : [],
    ...(snapshots.length > 0 ? { snapshots } : {}),
  };
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
    return {
      kind: 'compliant',
      resource,
      summary: `${ingress.length} modified ingress rule(s), all within trusted networks or allowlisted`,
      ...(snapshots.length > 0 ? { snapshots } : {}),
    };
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
  return {
    kind: 'violation',
    severity: maxSeverity(offenses.map((offense) => offense.severity)),
    resource,
    summary: `${offenses.length} of ${ingress.length} modified ingress rule(s) on ${resource.id} now open beyond trusted networks`,
    offenses,
    remediation: restore,
    ...(snapshots.length > 0 ? { snapshots } : {}),
  };
}

export const sgOpenIngress: Guardrail = {
  id: 'sg-open-ingress',
  title: 'Security group open beyond trusted networks',
  severity: 'high',
  defaultMode: 'revert',
  rationale:
    'Zero trust admits no network as trusted by default: an ingress rule from the internet (or any CIDR outside your own ranges) bypasses identity-aware access such as SSM Session Manager, Verified Access or PrivateLink, and is the first thing scanners find.',
  docs: {
    violation:
      "An added or modified ingress rule whose source is an IPv4/IPv6 CIDR outside `trustedCidrs` (default RFC 1918, 100.64.0.0/10, fc00::/7), unless the group is in `allowedSecurityGroups` or the ports are in `allowedPorts` for that group. All protocols, or an admin/database port (`criticalPorts`), from 0.0.0.0/0 or ::/0 is critical. A rule whose source is a customer-managed prefix list not in `trustedPrefixLists` is judged on the list's entries, read live before evaluating (DescribeManagedPrefixLists, GetManagedPrefixListEntries): each entry as if it were the rule's CIDR, and the rule is reverted like a CIDR rule when one offends (managed-prefix-list watches later changes to the list itself). An AWS-managed list (owner `AWS`, e.g. CloudFront's origin-facing list) not in `trustedPrefixLists`, and any list when no live read could be made (replay), is alerted on, never reverted. ModifySecurityGroupRules records do not say whether a rule is ingress or egress: the pipeline reads each modified rule (DescribeSecurityGroupRules) before evaluating; egress rules are out of scope. Compliant ingress rules (added or modified) are kept as last-known-good in the snapshot store, per rule id.",
    revert:
      'AuthorizeSecurityGroupIngress: RevokeSecurityGroupIngress with the offending SecurityGroupRuleIds only (from the CloudTrail response; when the record has none, the executor finds the ids by matching the exact permission). Compliant rules added by the same call stay. ModifySecurityGroupRules: each offending rule is put back as it was last seen compliant (ModifySecurityGroupRules with the snapshot, re-checked against the current config), or revoked by id when no good version is known; the executor re-reads the rule first and verifies the result.',
  },
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
