import type { PortSpec, SgOpenIngressConfig } from '../config';
import { isAwsManagedPrefixList, type Lookup, type PrefixListFact } from '../live-facts';
import type { Severity } from '../verdict';
import { maxSeverity } from '../verdict';
import { isAnyAddress, readCidr, trustedCidrHolding } from './cidr';
import { describeRule, type IngressRule, normalizeProtocol, portRange } from './sg-rule';

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
  const trusted = trustedCidrHolding(cidr, options.trustedCidrs);
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
