import { randomUUID } from 'node:crypto';
import type { Assessment, Outcome } from '@driftguard/core';
import { AuditWriteError, errorMessage } from './errors';
import { type AuditRecord, type AuditStore, auditRecordOf, INTENDED } from './store/audit';

/**
 * The record of a revert survives a failure after the act: the plan is written to the audit
 * trail, keyed by the event, *before* anything is done. When the result cannot be recorded (the
 * table throttles after the revert), the event fails and is redelivered; the redelivery finds the
 * resource already compliant, and finds the intent, so it reports driftguard's own revert (and
 * verifies it by re-reading live state) instead of "already compliant".
 */
export async function recordIntent(
  audit: AuditStore,
  assessment: Assessment,
  at: string,
): Promise<{ intent: NonNullable<AuditRecord['intent']>; earlier?: AuditRecord }> {
  const intent = {
    id: randomUUID(),
    at,
    operations: assessment.operations.map((operation) => ({
      operation: `${operation.service}:${operation.operation}`,
      target: operation.target,
      input: operation.input,
    })),
  };
  const outcome: Outcome = {
    status: INTENDED as Outcome['status'],
    verified: false,
    summary: `about to revert (${intent.operations.length} operation(s)); the verified result replaces this record`,
    results: [],
  };
  try {
    const { earlier } = await audit.intend({
      ...auditRecordOf({ assessment, outcome }, { recordedAt: at }),
      intent,
    });
    return { intent, ...(earlier ? { earlier } : {}) };
  } catch (error) {
    throw new AuditWriteError(
      `the intent of event ${assessment.event.eventId} could not be recorded, so nothing was done: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/**
 * The outcome of a redelivery that found nothing left to revert, after an earlier delivery of the
 * same event recorded its intent to revert and never its result: that revert was driftguard's own.
 */
export function outcomeAfterIntent(earlier: AuditRecord | undefined, outcome: Outcome): Outcome {
  if (earlier?.outcome.status !== INTENDED || outcome.status !== 'already-compliant') return outcome;
  const at = earlier.intent?.at ?? earlier.recordedAt;
  return {
    ...outcome,
    status: 'reverted',
    summary: `reverted by driftguard: an earlier delivery of this event set out to revert it at ${at} and its result was never recorded; re-read now: nothing left to revert${outcome.verified ? ' (verified)' : ''}`,
  };
}
