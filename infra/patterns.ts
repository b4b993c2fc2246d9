import { CATALOG, type Config, type EventPattern, eventPatterns, type Guardrail } from '@driftguard/core';

/** GuardDuty findings as EventBridge delivers them (DESIGN.md §1). */
export const GUARDDUTY_PATTERN: EventPattern = {
  name: 'guardduty-findings',
  pattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] },
};

/**
 * Roles whose calls are driftguard's own and must never reach the function (loop guard): the
 * member remediation role, roles named in the config, and the central function's role.
 */
export function ownRoleNames(config: Config, functionRoleName: string): string[] {
  return [...new Set([config.remediationRoleName, ...config.ownRoleNames, functionRoleName])].sort();
}

/**
 * The patterns both ends use: member default buses forward exactly what the central bus routes
 * to the queue, so an event is filtered once, at its source, and the same way everywhere.
 */
export function routedPatterns(options: {
  ownRoleNames: readonly string[];
  guardDutyFindings: boolean;
  catalog?: readonly Guardrail[];
}): EventPattern[] {
  return [
    ...eventPatterns(options.catalog ?? CATALOG, options.ownRoleNames),
    ...(options.guardDutyFindings ? [GUARDDUTY_PATTERN] : []),
  ];
}
