import { type Channel, deliveryId, type Report, type TicketLink } from '@driftguard/core';
import { errorMessage } from './errors';
import { stderrLogger, warnWith } from './log';
import type { AuditRef, AuditStore, NotificationLedger } from './store/audit';

/** A channel that tells people about a decision (SNS, Slack, tickets…). */
/** Security Hub's channel name, known before its exporter is loaded (deferred.ts). */
export const SECURITY_HUB_CHANNEL = 'securityhub' satisfies Channel;

export interface Notifier {
  channel: string;
  /** `ticket` channels run before the others, so alerts can link to the ticket. */
  phase?: 'ticket' | 'alert';
  /** Throwing and returning `{ ok: false }` both mean failed; neither stops the pipeline. */
  // biome-ignore lint/suspicious/noConfusingVoidType: notifiers written as `async () => {}` return Promise<void>
  notify(report: Report): Promise<void | NotifyOutcome>;
}

export interface NotifyOutcome {
  ok: boolean;
  detail?: string;
  attempts?: number;
  ticket?: TicketLink;
}

export interface NotificationResult extends NotifyOutcome {
  channel: string;
  /** Not tried: another delivery of the same event already notified this channel. */
  skipped?: 'duplicate';
}

export interface DeliveryOptions {
  audit?: AuditStore;
  /** Where the decision was recorded: each channel's result is added to it. */
  auditRef?: AuditRef;
  ledger?: NotificationLedger;
  warn?: (message: string) => void;
  now?: () => number;
}

/**
 * Tells the selected channels, tickets first so that alerts can link to the ticket. Returns the
 * report as the alerts saw it (with its tickets) and every channel's result. Never throws.
 */
export async function tell(
  selected: readonly Notifier[],
  report: Report,
  options: DeliveryOptions,
): Promise<{ report: Report; notifications: NotificationResult[] }> {
  const ticketResults = await Promise.all(
    selected
      .filter((notifier) => notifier.phase === 'ticket')
      .map((notifier) => notifyOnce(notifier, report, options)),
  );
  const tickets = ticketResults.flatMap((result) => (result.ticket ? [result.ticket] : []));
  const linked: Report = tickets.length > 0 ? { ...report, tickets } : report;
  const alertResults = await Promise.all(
    selected
      .filter((notifier) => notifier.phase !== 'ticket')
      .map((notifier) => notifyOnce(notifier, linked, options)),
  );
  return { report: linked, notifications: [...ticketResults, ...alertResults] };
}

/**
 * One channel, at most once per event: claim the (event, rule, channel) marker, notify, then
 * confirm (or release on failure, so a redelivery may try again) and record the result in the
 * audit record. Never throws.
 */
async function notifyOnce(
  notifier: Notifier,
  report: Report,
  options: DeliveryOptions,
): Promise<NotificationResult> {
  const { channel } = notifier;
  // Findings: id + updatedAt, so an update of a finding notifies again and a redelivery does not.
  const eventId = deliveryId(report.assessment);
  const rule = report.assessment.rule ?? 'none';
  const warn = options.warn ?? warnWith(stderrLogger);
  const notes: string[] = [];
  if (options.ledger) {
    let claimed = true;
    try {
      claimed = await options.ledger.claim(eventId, rule, channel);
    } catch (error) {
      // Fail open: a possible duplicate beats a lost alert.
      notes.push(`dedupe marker unavailable (${errorMessage(error)})`);
    }
    if (!claimed)
      return { channel, ok: true, skipped: 'duplicate', detail: 'already notified for this event' };
  }
  let result: NotificationResult;
  try {
    const outcome = await notifier.notify(report);
    result = { channel, ...(outcome ?? { ok: true }) };
  } catch (error) {
    result = { channel, ok: false, detail: errorMessage(error) };
  }
  // The bookkeeping after the send: two items that do not depend on each other, written at once.
  const { ledger, audit, auditRef } = options;
  const sent = result;
  const bookkeeping = await Promise.all([
    ledger && notes.length === 0
      ? (sent.ok ? ledger.confirm(eventId, rule, channel) : ledger.release(eventId, rule, channel)).then(
          () => undefined,
          (error: unknown) => `dedupe marker not updated (${errorMessage(error)})`,
        )
      : undefined,
    audit && auditRef
      ? audit
          .recordChannel(auditRef, channel, {
            ok: sent.ok,
            at: new Date((options.now ?? Date.now)()).toISOString(),
            ...(sent.detail ? { detail: sent.detail } : {}),
            ...(sent.attempts !== undefined ? { attempts: sent.attempts } : {}),
            ...(sent.ticket ? { ticket: sent.ticket } : {}),
          })
          .then(
            () => undefined,
            (error: unknown) => `result not added to the audit record (${errorMessage(error)})`,
          )
      : undefined,
  ]);
  notes.push(...bookkeeping.filter((note): note is string => note !== undefined));
  if (notes.length > 0) result = { ...result, detail: [result.detail, ...notes].filter(Boolean).join('; ') };
  if (!result.ok)
    warn(
      `[driftguard] ${channel} notification for event ${eventId} failed: ${result.detail ?? 'no reason given'}`,
    );
  return result;
}
