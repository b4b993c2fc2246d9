import { CLOUDTRAIL_DETAIL_TYPE } from '../events/normalize';
import { REMEDIATION_SESSION_NAME } from '../own-identity';
import type { EventTrigger, Guardrail } from './guardrail';

/** A value in a pattern: a string, or an expression the deployer resolves (CloudFormation `Fn::Sub`). */
export type PatternValue = string | Readonly<Record<string, unknown>>;

/**
 * driftguard's own identity where a pattern filters, by exact ARN (own-identity.ts): never a name.
 * Member accounts: the remediation role of *that* account and driftguard's session of it. Central
 * bus: the central function role (its sessions are named after the function, so no session ARN).
 */
export interface OwnIdentityPattern<V = PatternValue> {
  /** The exact ARN of the role (`sessionContext.sessionIssuer.arn`). */
  roleArn: V;
  /** When given, only this exact session (`userIdentity.arn`) of that role is driftguard's own. */
  sessionArn?: V;
}

/**
 * The remediation role of the account a member stack runs in, as `Fn::Sub` strings (the member
 * template wraps them; RULES.md shows them as they are).
 */
export function memberOwnIdentity(remediationRoleName: string): { roleArn: string; sessionArn: string } {
  return {
    roleArn: `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${remediationRoleName}`,
    sessionArn: `arn:\${AWS::Partition}:sts::\${AWS::AccountId}:assumed-role/${remediationRoleName}/${REMEDIATION_SESSION_NAME}`,
  };
}

export interface EventPattern {
  /** Stable name, usable as an EventBridge rule name suffix. */
  name: string;
  pattern: Record<string, unknown>;
}

/** `ec2.amazonaws.com` → `aws.ec2`, the `source` EventBridge gives CloudTrail events. */
export function eventBridgeSource(eventSource: string): string {
  return `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`;
}

/**
 * One EventBridge pattern per AWS service, generated from the catalog. Failed calls (`errorCode`)
 * and calls made by driftguard's own identity are filtered here so Lambda is not even invoked; the
 * code checks both again (defence in depth, and replay sees unfiltered logs).
 *
 * A call is forwarded unless it is a session (`AssumedRole`) whose issuer ARN is exactly `roleArn`
 * and, when given, whose session ARN is exactly `sessionArn`. As `$or` branches: not a role
 * session, or another issuer, or another session. `anything-but` never matches an absent field,
 * which is why the first branch exists (IAM users, root, services carry no issuer ARN).
 */
export function eventPatterns<V = PatternValue>(
  catalog: readonly Guardrail[],
  own: OwnIdentityPattern<V>,
): EventPattern[] {
  const namesBySource = new Map<string, Set<string>>();
  const prefixesBySource = new Map<string, Set<string>>();
  for (const guardrail of catalog) {
    for (const trigger of guardrail.triggers) {
      if (trigger.sweepOnly) continue;
      const names = namesBySource.get(trigger.eventSource) ?? new Set<string>();
      for (const name of trigger.eventNames) names.add(name);
      namesBySource.set(trigger.eventSource, names);
      const prefixes = prefixesBySource.get(trigger.eventSource) ?? new Set<string>();
      for (const prefix of trigger.eventNamePrefixes ?? []) prefixes.add(prefix);
      prefixesBySource.set(trigger.eventSource, prefixes);
    }
  }
  const cloudTrail = [...namesBySource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([eventSource, names]) => ({
      name: `cloudtrail-${eventSource.replace(/\.amazonaws\.com$/, '').replace(/[^a-z0-9-]/g, '-')}`,
      pattern: {
        source: [eventBridgeSource(eventSource)],
        'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
        detail: {
          eventSource: [eventSource],
          // Versioned names (Lambda's AddPermission20150331v2) as EventBridge prefix matches.
          eventName: [
            ...[...names].sort(),
            ...[...(prefixesBySource.get(eventSource) ?? [])].sort().map((prefix) => ({ prefix })),
          ],
          errorCode: [{ exists: false }],
          $or: [
            { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
            {
              userIdentity: {
                sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [own.roleArn] }] } },
              },
            },
            ...(own.sessionArn ? [{ userIdentity: { arn: [{ 'anything-but': [own.sessionArn] }] } }] : []),
          ],
        },
      },
    }));
  return [...cloudTrail, ...nonCloudTrailPatterns(catalog)];
}

/**
 * One pattern per non-CloudTrail event the catalog reads (GuardDuty findings): every finding is
 * delivered, whatever its severity; archived and repeated ones are filtered in code.
 */
function nonCloudTrailPatterns(catalog: readonly Guardrail[]): EventPattern[] {
  const seen = new Map<string, EventTrigger>();
  for (const guardrail of catalog)
    for (const trigger of guardrail.events ?? [])
      seen.set(`${trigger.source}/${trigger.detailType}`, trigger);
  return [...seen.values()].map((trigger) => ({
    name: trigger.detailType.toLowerCase().replace(/[^a-z0-9-]+/g, '-'),
    pattern: { source: [trigger.source], 'detail-type': [trigger.detailType] },
  }));
}
