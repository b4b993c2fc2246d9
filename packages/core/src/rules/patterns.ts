import { CLOUDTRAIL_DETAIL_TYPE } from '../events/normalize';
import type { EventTrigger, Guardrail } from './guardrail';

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
 * and calls made by driftguard's own roles are filtered here so Lambda is not even invoked; the
 * code checks both again (defence in depth, and replay sees unfiltered logs).
 */
export function eventPatterns(
  catalog: readonly Guardrail[],
  ownRoleNames: readonly string[],
): EventPattern[] {
  const namesBySource = new Map<string, Set<string>>();
  for (const guardrail of catalog) {
    for (const trigger of guardrail.triggers) {
      const names = namesBySource.get(trigger.eventSource) ?? new Set<string>();
      for (const name of trigger.eventNames) names.add(name);
      namesBySource.set(trigger.eventSource, names);
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
          eventName: [...names].sort(),
          errorCode: [{ exists: false }],
          // anything-but does not match an absent field, so non-role identities need their own branch.
          $or: [
            { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
            {
              userIdentity: {
                sessionContext: { sessionIssuer: { userName: [{ 'anything-but': [...ownRoleNames] }] } },
              },
            },
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
