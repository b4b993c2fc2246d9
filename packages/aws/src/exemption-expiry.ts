import type { Exemption, RecheckResult } from '@driftguard/core';
import type { Announce } from './announce';
import { errorMessage } from './errors';
import type { Pipeline } from './pipeline';
import type { DueExemption, ExemptionStore } from './store/exemptions';

export interface ExpiryCheckOptions {
  exemptions: ExemptionStore;
  /** The production pipeline: the executor's verify → act → verify applies to live state. */
  pipeline: Pipeline;
  announce?: Announce;
  now?: () => number;
  warn?: (message: string) => void;
}

export interface ExpiryCheck {
  exemption: Exemption;
  rechecked: RecheckResult[];
  /** False when a re-run failed: the exemption stays due and the next run tries again. */
  complete: boolean;
}

/**
 * The id a re-check runs under: a new delivery for exactly-once processing, the audit trail and
 * notifications (the original event was already processed, as "exempted"), traceable to both the
 * original event and the exemption.
 */
export function recheckEventId(eventId: string, exemptionId: string): string {
  return `${eventId}/recheck/${exemptionId}`;
}

/** The stored event with its CloudTrail eventID replaced by the re-check id (envelope or raw record). */
export function recheckEvent(event: unknown, exemptionId: string): unknown {
  if (typeof event !== 'object' || event === null) return event;
  const copy = structuredClone(event) as Record<string, unknown>;
  const detail = copy.detail as Record<string, unknown> | undefined;
  const record = detail && typeof detail === 'object' ? detail : copy;
  if (typeof record.eventID === 'string') record.eventID = recheckEventId(record.eventID, exemptionId);
  if (detail && typeof copy.id === 'string') copy.id = recheckEventId(copy.id, exemptionId);
  return copy;
}

/**
 * For each exemption that has ended (expired or revoked) and not been re-checked: re-run every
 * event it kept from being reverted through the pipeline, oldest first. The exemption no longer
 * covers them, so the normal decision applies to whatever still violates on live state (the
 * executor re-reads before and after acting; a rule removed meanwhile is "already compliant").
 * The end is announced with what the re-check did. The scheduled sweep, once it exists, covers
 * resources the exemption let drift without an event reaching driftguard.
 */
export async function checkExpiredExemptions(options: ExpiryCheckOptions): Promise<ExpiryCheck[]> {
  const now = options.now ?? Date.now;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const checks: ExpiryCheck[] = [];
  for (const due of await options.exemptions.due(now())) {
    const check = await checkOne(due, options, warn, now);
    if (check) checks.push(check);
  }
  return checks;
}

async function checkOne(
  due: DueExemption,
  options: ExpiryCheckOptions,
  warn: (message: string) => void,
  now: () => number,
): Promise<ExpiryCheck | undefined> {
  const record = await options.exemptions.get(due.account, due.id);
  if (!record) {
    warn(`[driftguard] exemption ${due.id} in ${due.account} is due but its record is gone; dropping it`);
    await options.exemptions.markChecked(due, new Date(now()).toISOString(), []);
    return undefined;
  }
  const rechecked: RecheckResult[] = [];
  let complete = true;
  for (const trigger of await options.exemptions.triggers(due.account, due.id)) {
    try {
      const processed = await options.pipeline.process(recheckEvent(JSON.parse(trigger.event), due.id));
      rechecked.push({
        eventId: trigger.eventId,
        rule: trigger.rule,
        outcome: processed.outcome.status,
        summary: processed.outcome.summary,
      });
      if (processed.outcome.status === 'revert-failed') complete = false;
    } catch (error) {
      complete = false;
      rechecked.push({
        eventId: trigger.eventId,
        rule: trigger.rule,
        outcome: 'error',
        summary: errorMessage(error),
      });
    }
  }
  if (complete) await options.exemptions.markChecked(due, new Date(now()).toISOString(), rechecked);
  else warn(`[driftguard] exemption ${due.id}: re-check incomplete, will retry on the next run`);
  await options.announce?.({
    kind: 'exemption-expired',
    at: new Date(now()).toISOString(),
    exemption: record.exemption,
    rechecked,
  });
  return { exemption: record.exemption, rechecked, complete };
}
