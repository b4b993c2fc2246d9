import * as z from 'zod/mini';
import { safeParseWithMessages } from '../schema';
import type { SnapshotCandidate } from '../verdict';
import type { IngressRule } from './sg-rule';

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

const port = z.optional(z.number().check(z.int(), z.minimum(-1), z.maximum(65535)));
const nonEmpty = z.string().check(z.minLength(1));
const optionalString = z.optional(z.string());
const sgRuleSnapshotSchema = z.object({
  groupId: nonEmpty,
  ruleId: nonEmpty,
  rule: z.object({
    IpProtocol: nonEmpty,
    FromPort: port,
    ToPort: port,
    CidrIpv4: optionalString,
    CidrIpv6: optionalString,
    PrefixListId: optionalString,
    ReferencedGroupId: optionalString,
    Description: optionalString,
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
  // Keys assigned in order, optional ones only when present: spreading them into a literal takes
  // V8's slow path on Node 20.
  const rule: Partial<IngressRule> = {};
  if (ruleId) rule.ruleId = ruleId;
  rule.protocol = request.IpProtocol;
  if (request.FromPort !== undefined) rule.fromPort = request.FromPort;
  if (request.ToPort !== undefined) rule.toPort = request.ToPort;
  rule.source = source;
  if (request.Description !== undefined) rule.description = request.Description;
  return rule as IngressRule;
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
    const parsed = safeParseWithMessages(sgRuleSnapshotSchema, JSON.parse(document));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
