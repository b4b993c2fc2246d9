import {
  CATALOG,
  type EventPattern,
  eventPatterns,
  forwardingPlacement,
  type Guardrail,
  memberForwardingPatterns,
} from '@driftguard/core';

/**
 * The catalog's patterns (packages/core/src/rules/patterns.ts) as the central bus routes them to
 * the queue: driftguard's own calls there are the central function role's, by its full ARN.
 */
export function centralPatterns<V>(
  centralRoleArn: V,
  catalog: readonly Guardrail[] = CATALOG,
): EventPattern[] {
  return eventPatterns(catalog, { roleArn: centralRoleArn });
}

/**
 * The same patterns as every member default bus forwards them: driftguard's own calls there are
 * its session of the remediation role of that very account, as `Fn::Sub` (CloudFormation fills in
 * the account and partition of each stack). An event is filtered at its source, by exact ARN. The
 * builder is core's, shared with the sweep's integrity check (expectedForwardingRules).
 */
export function memberPatterns(
  remediationRoleName: string,
  catalog: readonly Guardrail[] = CATALOG,
): EventPattern[] {
  return memberForwardingPatterns(remediationRoleName, catalog, (substitution) => ({
    'Fn::Sub': substitution,
  }));
}

/** GuardDuty findings are forwarded only from where they should come from (infra/stages.ts). */
export function isGuardDutyPattern(pattern: EventPattern): boolean {
  return forwardingPlacement(pattern) === 'guardduty-opt-in';
}
