import { randomUUID } from 'node:crypto';
import {
  type Assessment,
  canonicalTime,
  type Evaluation,
  type NormalizedEvent,
  normalizeEvent,
  type Outcome,
  primaryVerdict,
  type Report,
  stateAspect,
} from '@driftguard/core';
import { EventInProgressError, errorMessage } from './errors';
import { stderrLogger, warnWith } from './log';
import type { Pipeline, ProcessContext, ProcessedEvent } from './pipeline';
import type { DedupeStore, PendingRecord } from './store/dedupe';
import type { HighWaterMark, HighWaterStore } from './store/high-water';

/**
 * The identity of an event across deliveries: CloudTrail's `eventID`; for GuardDuty the finding id
 * and its `updatedAt` (a finding updated with new occurrences is a new event). Undefined for input
 * that is not an event (the pipeline rejects it with the reason).
 */
export function deliveryKey(input: unknown): string | undefined {
  const normalized = normalizeEvent(input);
  return normalized.ok ? deliveryKeyOf(normalized) : undefined;
}

/** The same key for an event already normalized (the pipeline normalizes each input once). */
export function deliveryKeyOf(event: Extract<NormalizedEvent, { ok: true }>): string {
  if (event.kind === 'cloudtrail') return event.change.eventId;
  const { id, updatedAt } = event.finding;
  return `guardduty/${id}/${canonicalTime(updatedAt) ?? updatedAt}`;
}

const MAX_TEXT = 1_000;
const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** What a duplicate needs to say what the first delivery did (kept small: one DynamoDB item). */
function summaryOf({ assessment, outcome }: Pick<Report, 'assessment' | 'outcome'>): Record<string, unknown> {
  const { operations: _operations, results: _results, ...rest } = assessment;
  return {
    assessment: { ...rest, reason: clip(assessment.reason), decisionReason: clip(assessment.decisionReason) },
    outcome: { status: outcome.status, verified: outcome.verified, summary: clip(outcome.summary) },
  };
}

function duplicateOf(
  key: string,
  first: { completedAt: string; summary: Record<string, unknown> },
  processingMs: number,
): ProcessedEvent {
  const assessment = {
    ...(first.summary.assessment as Omit<Assessment, 'operations' | 'results'>),
    operations: [],
    results: [],
  } as Assessment;
  const previous = first.summary.outcome as Pick<Outcome, 'status' | 'verified' | 'summary'> | undefined;
  return {
    assessment,
    outcome: {
      status: previous?.status ?? 'ignored',
      verified: previous?.verified ?? false,
      summary: `duplicate delivery: already processed at ${first.completedAt} (${previous?.summary ?? 'no summary'})`,
      results: [],
    },
    notifications: [],
    duplicate: { key, firstCompletedAt: first.completedAt },
    processingMs,
  };
}

/**
 * Wraps a pipeline so that each event takes effect once, however often it is delivered (see
 * `claimOnce`). Input that is not an event goes straight to the pipeline, which rejects it.
 */
export function exactlyOnce(
  pipeline: Pipeline,
  dedupe: DedupeStore,
  now: () => number = Date.now,
  warn: (message: string) => void = warnWith(stderrLogger),
): Pipeline {
  return {
    async process(input, context?: ProcessContext) {
      const key = deliveryKey(input);
      if (key === undefined) return pipeline.process(input, context);
      return claimOnce(dedupe, key, () => pipeline.process(input, context), now, warn);
    },
  };
}

/**
 * Handed to the processing of a claimed event: marks it completed while its audit record is being
 * written (see `DedupeStore.completeAlongside`). Never throws: a marker that cannot be written is
 * written again, in full, once processing is done.
 */
export type CompleteAlongside = (
  report: Pick<Report, 'assessment' | 'outcome'>,
  pending: PendingRecord,
) => Promise<void>;

/**
 * Runs `process` for the event `key` once, however often it is delivered: claim the event
 * (conditional write), process it, then mark it completed — or release it when the revert failed
 * or processing threw, so the queue's retry processes it again. `process` may mark it completed
 * itself, alongside its audit record (`CompleteAlongside`); it is then not written again. A duplicate neither acts nor
 * notifies; it returns what the first delivery did, flagged `duplicate`.
 *
 * A dedupe store that cannot be reached fails the delivery (the queue retries it, then dead-letters
 * it with the reason): processing without the claim could act and notify twice.
 */
export async function claimOnce(
  dedupe: DedupeStore,
  key: string,
  process: (completeAlongside?: CompleteAlongside) => Promise<ProcessedEvent>,
  now: () => number = Date.now,
  warn: (message: string) => void = warnWith(stderrLogger),
): Promise<ProcessedEvent> {
  const started = now();
  const owner = randomUUID();
  const claim = await dedupe.begin(key, owner);
  if (claim.status === 'completed') return duplicateOf(key, claim.first, now() - started);
  if (claim.status === 'in-progress') {
    throw new EventInProgressError(
      `event ${key} is being processed by another delivery (claimed ${new Date(claim.claimedAt).toISOString()}); the queue will deliver it again`,
    );
  }
  let completedAlongside = false;
  const completeAlongside: CompleteAlongside | undefined = dedupe.completeAlongside
    ? (report, pending) =>
        (dedupe.completeAlongside?.(key, owner, summaryOf(report), pending) ?? Promise.resolve()).then(
          () => {
            completedAlongside = true;
          },
          // Written again below, after everything (`complete`).
          () => undefined,
        )
    : undefined;
  let processed: ProcessedEvent;
  try {
    processed = await process(completeAlongside);
  } catch (error) {
    await releaseSurely(dedupe, key, owner, warn);
    throw error;
  }
  if (completedAlongside && processed.outcome.status !== 'revert-failed') return processed;
  // The effects are done (or failed and will be retried either way): a marker that cannot be
  // written must not fail the delivery. Left in progress, it expires with the lock; a later
  // duplicate then runs again, which the executors' live re-read and the notification ledger
  // make harmless.
  if (processed.outcome.status === 'revert-failed') await releaseSurely(dedupe, key, owner, warn);
  else
    await dedupe
      .complete(key, owner, summaryOf(processed))
      .catch((error: unknown) =>
        warn(`[driftguard] dedupe marker of event ${key} not updated: ${errorMessage(error)}`),
      );
  return processed;
}

/** Attempts at giving an event back after a failure, beyond the SDK's own retries of each. */
const RELEASE_ATTEMPTS = 4;

/**
 * Gives a failed event back, trying again on a throttled or lost write: an event left claimed is
 * refused as in progress to every retry until its lock runs out, so a retry that comes sooner (a
 * queue's short redelivery, an operator's redrive) would dead-letter it as "in progress" instead
 * of with the failure that stopped it. Never throws: the lock still frees it in the end.
 */
async function releaseSurely(
  dedupe: DedupeStore,
  key: string,
  owner: string,
  warn: (message: string) => void,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dedupe.release(key, owner);
    } catch (error) {
      if (attempt >= RELEASE_ATTEMPTS)
        return warn(
          `[driftguard] event ${key} not given back (${errorMessage(error)}); it is refused as in progress until its lock runs out`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}

/**
 * Out-of-order delivery: for a call that sets a whole document (core `stateAspect`), raises the
 * document's high-water mark, or returns the newer event that already set it — in which case this
 * event must not be acted on. Sweep observations neither read nor raise the mark: they are judged
 * against live state as they find it.
 */
export async function supersedingEvent(
  store: HighWaterStore | undefined,
  evaluation: Evaluation,
): Promise<HighWaterMark | undefined> {
  if (!store || evaluation.origin === 'sweep') return undefined;
  const primary = primaryVerdict(evaluation)?.verdict;
  if (!primary || primary.kind === 'not-applicable') return undefined;
  const { change } = evaluation;
  const aspect = stateAspect(change);
  const eventTime = canonicalTime(change.eventTime);
  const resourceId = primary.resource?.id;
  if (!aspect || !eventTime || !resourceId) return undefined;
  const advance = await store.advance(
    { account: change.account, region: change.region, resourceId, aspect },
    { eventTime, eventId: change.eventId },
  );
  return advance.newest ? undefined : advance.mark;
}

/** The outcome of a revert not made because a newer event already set the document. */
export function supersededOutcome(mark: HighWaterMark): Outcome {
  return {
    status: 'superseded',
    verified: false,
    summary: `not reverted: a newer change (${mark.eventId} at ${mark.eventTime}) already set this document; that event decides`,
    results: [],
  };
}
