import { CATALOG, type Config, type EventPattern, eventPatterns, type Guardrail } from '@driftguard/core';

/**
 * Roles whose calls are driftguard's own and must never reach the function (loop guard): the
 * member remediation role, roles named in the config, and the central function's role.
 */
export function ownRoleNames(config: Config, functionRoleName: string): string[] {
  return [...new Set([config.remediationRoleName, ...config.ownRoleNames, functionRoleName])].sort();
}

/**
 * The catalog's patterns (packages/core/src/rules/patterns.ts): the central bus routes exactly
 * these to the queue, and member default buses forward exactly these, so an event is filtered at
 * its source and the same way everywhere.
 */
export function catalogPatterns(
  ownRoles: readonly string[],
  catalog: readonly Guardrail[] = CATALOG,
): EventPattern[] {
  return eventPatterns(catalog, ownRoles);
}

/** GuardDuty findings are forwarded only from where they should come from (infra/stages.ts). */
export function isGuardDutyPattern(pattern: EventPattern): boolean {
  const source = pattern.pattern.source;
  return Array.isArray(source) && source.includes('aws.guardduty');
}
