import type { EventSummary } from './assess';
import type { BreakerTrip } from './breaker';
import {
  describeExemption,
  describeScope,
  type Exemption,
  type ExemptionUse,
  exemptionUse,
} from './exemption';

/** What an expiry re-check did with one stored triggering event. */
export interface RecheckResult {
  eventId: string;
  rule?: string;
  /** The outcome status of the re-run (reverted, already-compliant, revert-failed, …). */
  outcome: string;
  summary: string;
}

/**
 * Something people must hear about that is not one event's decision: the life of a break-glass
 * exemption and the start of a fight. Channels render it with `renderAnnouncement` (SNS) or their
 * own formatting; every field is data, nothing is pre-rendered.
 */
export type Announcement =
  | { kind: 'exemption-granted'; at: string; exemption: Exemption }
  | {
      kind: 'exemption-used';
      at: string;
      exemption: ExemptionUse;
      event: EventSummary;
      rule: string;
      resource: string;
    }
  | { kind: 'exemption-revoked'; at: string; exemption: Exemption; by: string }
  | { kind: 'exemption-expired'; at: string; exemption: Exemption; rechecked: RecheckResult[] }
  | { kind: 'circuit-breaker-tripped'; at: string; breaker: BreakerTrip; event: EventSummary };

export type AnnouncementKind = Announcement['kind'];

export interface RenderedAnnouncement {
  /** One line, ASCII-safe for SNS subjects (under 100 characters). */
  subject: string;
  /** Plain text for people. */
  text: string;
  /** String attributes subscribers can filter on (`kind`, `account`, `rule`). */
  attributes: Record<string, string>;
}

const ascii = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 99);

export function renderAnnouncement(announcement: Announcement): RenderedAnnouncement {
  const base = { kind: announcement.kind };
  switch (announcement.kind) {
    case 'exemption-granted': {
      const { exemption } = announcement;
      return {
        subject: ascii(`[driftguard] exemption ${exemption.id} granted in ${exemption.account}`),
        text:
          `Break-glass exemption ${exemption.id} granted: ${describeScope(exemption)}, ` +
          `from ${exemption.grantedAt} until ${exemption.expiresAt}. Requested by ${exemption.requester}, ` +
          `approved by ${exemption.approver}, ticket ${exemption.ticket}. Reason: ${exemption.reason}. ` +
          'Violations in this scope are alerted on, not reverted; at expiry whatever still violates is reverted.',
        attributes: {
          ...base,
          account: exemption.account,
          ...(exemption.rule ? { rule: exemption.rule } : {}),
        },
      };
    }
    case 'exemption-used': {
      const { exemption, event, rule, resource } = announcement;
      return {
        subject: ascii(`[driftguard] exemption ${exemption.id} used: ${rule} on ${resource}`),
        text:
          `${event.eventName} by ${event.actor} in ${event.account}/${event.region} violates ${rule} on ${resource}; ` +
          `not reverted: ${describeExemption(exemption)}.`,
        attributes: { ...base, account: exemption.account, rule },
      };
    }
    case 'exemption-revoked': {
      const { exemption, by } = announcement;
      return {
        subject: ascii(`[driftguard] exemption ${exemption.id} revoked in ${exemption.account}`),
        text:
          `Break-glass exemption ${exemption.id} (${describeScope(exemption)}) was revoked by ${by} at ${announcement.at}, ` +
          `before its expiry ${exemption.expiresAt}. The next expiry check reverts whatever it covered that still violates.`,
        attributes: { ...base, account: exemption.account },
      };
    }
    case 'exemption-expired': {
      const { exemption, rechecked } = announcement;
      const lines = rechecked.map(
        (result) =>
          `- event ${result.eventId}${result.rule ? ` (${result.rule})` : ''}: ${result.outcome}, ${result.summary}`,
      );
      return {
        subject: ascii(`[driftguard] exemption ${exemption.id} ended in ${exemption.account}`),
        text: [
          `Break-glass exemption ${exemption.id} (${describeScope(exemption)}) ${exemption.revokedAt ? `was revoked at ${exemption.revokedAt}` : `expired at ${exemption.expiresAt}`}. ` +
            (rechecked.length === 0
              ? 'No violation used it: nothing to re-check.'
              : `The ${rechecked.length} change(s) it covered were re-checked against live state:`),
          ...lines,
        ].join('\n'),
        attributes: { ...base, account: exemption.account },
      };
    }
    case 'circuit-breaker-tripped': {
      const { breaker, event } = announcement;
      // A page: automation is fighting driftguard and a change is left in place for a while.
      return {
        subject: ascii(
          `[driftguard] CRITICAL: fight on ${breaker.resource}: ${breaker.rule} stopped reverting`,
        ),
        text:
          `Circuit breaker open for ${breaker.rule} on ${breaker.resource}: driftguard reverted it ${breaker.revertsInWindow} time(s) ` +
          `within ${breaker.window} and automation changed it back again (${event.eventName} by ${event.actor}). ` +
          `Automation roles: ${breaker.actors.join(', ') || 'unknown'}. driftguard stops reverting their non-critical changes of this resource ` +
          `and opens one ticket; people's changes and critical exposures are still reverted. Reverting resumes after a quiet period, ` +
          `and at ${breaker.closesBy ?? 'the end of circuitBreaker.maxOpen'} at the latest. Fix the pipeline's template or its role.`,
        attributes: { ...base, account: event.account, rule: breaker.rule, severity: 'critical' },
      };
    }
  }
}

/** The exemption-used announcement for a decided violation. */
export function exemptionUsedAnnouncement(
  exemption: Exemption | ExemptionUse,
  event: EventSummary,
  rule: string,
  resource: string,
  at: string,
): Announcement {
  const use = 'grantedAt' in exemption ? exemptionUse(exemption) : exemption;
  return { kind: 'exemption-used', at, exemption: use, event, rule, resource };
}
