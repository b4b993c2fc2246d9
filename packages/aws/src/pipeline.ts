import {
  type Assessment,
  type Change,
  type Config,
  claimedFreshness,
  decideChange,
  decideFinding,
  evaluateChange,
  evaluateFindingEvent,
  type Finding,
  type LiveFacts,
  liveFactQueries,
  type NormalizedEvent,
  normalizeEvent,
  type OperationResult,
  type OrganizationInfo,
  type Outcome,
  outcomeFromResults,
  outcomeWithoutExecution,
  type Report,
  trustZoneOf,
} from '@driftguard/core';
import type { Enforcement } from './enforcement';
import { AuditWriteError, errorMessage, InvalidEventError } from './errors';
import {
  type CompleteAlongside,
  claimOnce,
  deliveryKeyOf,
  supersededOutcome,
  supersedingEvent,
} from './exactly-once';
import type { Executor } from './executor';
import { type ClaimedFinding, claimFinding } from './findings';
import { outcomeAfterIntent, recordIntent } from './intent';
import type { LiveFactReader } from './live-facts';
import { type NotificationResult, type Notifier, tell } from './notifications';
import { type AuditRef, type AuditStore, auditRecordOf, type NotificationLedger } from './store/audit';
import type { DedupeStore } from './store/dedupe';
import type { FindingMarkStore } from './store/findings';
import type { HighWaterMark, HighWaterStore } from './store/high-water';
import type { SnapshotStore } from './store/snapshots';

export type { NotificationResult, Notifier, NotifyOutcome } from './notifications';

export interface ProcessedEvent extends Report {
  notifications: NotificationResult[];
  /** Where the decision was recorded (when an audit store is configured). */
  audit?: { ref: AuditRef; first: boolean };
  /** Which routing setting chose the channels. */
  routing?: string;
  /** Milliseconds from the start of processing to the verified outcome. */
  processingMs: number;
  /** Set when this delivery was a duplicate: nothing was done, the first delivery's outcome is shown. */
  duplicate?: { key: string; firstCompletedAt: string };
}

/** How an input reached the pipeline. */
export interface ProcessContext {
  /** `sweep`: a change the reconciliation sweep built from live state (default: a delivered event). */
  origin?: 'event' | 'sweep';
  /** Where this input's compliant documents go instead of `PipelineOptions.snapshots` (the sweep worker defers a unit's: `deferredSnapshots`). */
  snapshots?: SnapshotStore;
}

export interface PipelineOptions {
  config: Config;
  execute: Executor;
  notifiers?: Notifier[];
  /** The organization's accounts (cached reader); config's trustedAccounts apply either way. */
  organization?: () => Promise<OrganizationInfo>;
  /** Where compliant documents are kept as last-known-good. */
  snapshots?: SnapshotStore;
  /**
   * Reads the live state some guardrails need before deciding (is this group a default group? is
   * this modified rule ingress?). Without it those changes are reported as needing live confirmation.
   */
  liveFacts?: LiveFactReader;
  /** Which channels fire for a report; default: every notifier, for every violation. */
  route?: (report: Report) => { channels: readonly string[]; reason: string };
  /** The audit trail: written after the revert, before any channel; a failed write throws. */
  audit?: AuditStore;
  /** One notification per channel per event, across duplicate deliveries. */
  ledger?: NotificationLedger;
  /** Where channel failures are logged (never with secrets); default stderr (the functions pass their Logger). */
  warn?: (message: string) => void;
  now?: () => number;
  /** Exactly-once effects: one claim per event across deliveries (see exactly-once.ts). */
  dedupe?: DedupeStore;
  /** Out-of-order delivery: per-document high-water marks of eventTime (see exactly-once.ts). */
  highWater?: HighWaterStore;
  /** GuardDuty: the last version of each finding acted on (new / update / duplicate / stale). */
  findings?: FindingMarkStore;
  /** OU placement, break-glass exemptions and the circuit breaker (see enforcement.ts). */
  enforcement?: Enforcement;
}

export interface Pipeline {
  /** Decides, acts, verifies and notifies for one EventBridge event or CloudTrail record. */
  process(input: unknown, context?: ProcessContext): Promise<ProcessedEvent>;
}

/** What the decide stage hands on: the assessment, and what acting on it depends on. */
interface Decided {
  assessment: Assessment;
  /** A newer event already set this document: the older one must not undo it. */
  superseded?: HighWaterMark;
  /** GuardDuty: the claim on this finding version (given back when the playbook or audit fails). */
  finding?: ClaimedFinding;
}

type EventInput = Extract<NormalizedEvent, { ok: true }>;
/** The reads a change's evaluation needs, which depend on nothing stored (see readBeforeClaim). */
interface PreClaimReads {
  organization: OrganizationInfo | undefined;
  facts: LiveFacts | undefined;
}
type Intended = Awaited<ReturnType<typeof recordIntent>>;

/**
 * The one pipeline behind the Lambda, `replay --apply`, the sweep and the demo. One pass per event:
 * normalize (once) → evaluate (pure) → load state (independent reads at once) → decide (pure, once)
 * → plan → act (verify → act → verify) → record → tell (tickets, then alerts). Notification failures
 * are recorded, never thrown: they must not hide or undo a verified revert.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const now = options.now ?? Date.now;
  const notifiers = options.notifiers ?? [];
  const { config } = options;

  /**
   * What evaluating a change needs: the organization (trust zone, account names) and the live
   * facts. Reads only, so they start with the exactly-once claim instead of after it: a delivery
   * that turns out to be a duplicate has made one read it did not need, and nothing else.
   */
  function readBeforeClaim(change: Change): Promise<PreClaimReads> {
    const queries = options.liveFacts ? liveFactQueries(change, config) : [];
    return Promise.all([
      options.organization?.(),
      options.liveFacts && queries.length > 0 ? options.liveFacts(queries) : undefined,
    ]).then(([organization, facts]) => ({ organization, facts }));
  }

  /** CloudTrail: evaluate with the live facts, then decide with the stored state. */
  async function decideChangeEvent(
    change: Change,
    context: ProcessContext,
    reads: Promise<PreClaimReads>,
  ): Promise<Decided> {
    const { organization, facts } = await reads;
    const accountName = organization?.accountNames?.[change.account];
    const evaluation = evaluateChange(change, config, {
      trustZone: trustZoneOf(config, organization),
      ...(facts ? { facts } : {}),
      ...(context.origin ? { origin: context.origin } : {}),
      ...(accountName ? { accountName } : {}),
    });
    // What deciding needs, read at once: placement, exemptions, breakers, the high-water mark.
    const [state, superseded] = await Promise.all([
      options.enforcement?.load(evaluation),
      supersedingEvent(options.highWater, evaluation),
    ]);
    const assessment = decideChange(evaluation, config, state);
    return { assessment, ...(superseded ? { superseded } : {}) };
  }

  /**
   * GuardDuty: the same one pass. Evaluation is pure and reads nothing stored, so the state is read
   * in one concurrent round (organization, placement, and the claim on this finding version — one
   * conditional write), then the finding is decided once. A delivery that lost the claim is decided
   * as a duplicate or stale one, never acted on and never decided again.
   */
  async function decideFindingEvent(finding: Finding): Promise<Decided> {
    const [organization, placement, claimed] = await Promise.all([
      options.organization?.(),
      options.enforcement?.placement(finding.account),
      claimFinding(options.findings, finding),
    ]);
    const accountName = organization?.accountNames?.[finding.account];
    const evaluation = evaluateFindingEvent(finding, config, {
      trustZone: trustZoneOf(config, organization),
      ...(accountName ? { accountName } : {}),
    });
    const assessment = decideFinding(evaluation, config, {
      freshness: claimedFreshness(finding, claimed.claim),
      ...(placement ? { placement } : {}),
    });
    return { assessment, finding: claimed };
  }

  /** `beforeAct`: nothing may be changed before it resolves (the intent is recorded meanwhile). */
  async function act(
    { assessment, superseded, finding }: Decided,
    beforeAct: (() => Promise<void>) | undefined,
  ): Promise<Outcome> {
    if (assessment.action !== 'revert') return outcomeWithoutExecution(assessment);
    if (superseded) return supersededOutcome(superseded);
    const results: OperationResult[] = [];
    // Sequential on purpose: operations of one event touch the same resource.
    for (const operation of assessment.operations) results.push(await options.execute(operation, beforeAct));
    const outcome = outcomeFromResults(results);
    // A failed playbook gives the finding version back, so the queue's retry acts again.
    if (outcome.status === 'revert-failed') await finding?.release();
    return outcome;
  }

  /**
   * The decision is recorded before anyone is told: a lost alert is recoverable, a lost decision
   * is not. Only this failure fails the event (and, in Lambda, the batch item).
   */
  async function record(
    report: Report,
    routing: string,
    finding: ClaimedFinding | undefined,
    intended: Intended | undefined,
  ) {
    // A recorded intent is always completed; otherwise compliant sweep observations are not kept.
    if (!options.audit || (!intended && !auditWorthy(report))) return undefined;
    try {
      const written = auditRecordOf(report, { recordedAt: new Date(now()).toISOString(), routing });
      return await options.audit.record({
        ...written,
        ...(intended ? { intent: intended.intent } : {}),
        // The delivery whose result was lost counts as one.
        ...(intended?.earlier ? { deliveries: (intended.earlier.deliveries ?? 1) + 1 } : {}),
      });
    } catch (error) {
      await finding?.release().catch(() => undefined);
      throw new AuditWriteError(
        `the audit record of event ${report.assessment.event.eventId} could not be written: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  const routeOf = (report: Report) =>
    options.route
      ? options.route(report)
      : {
          channels:
            report.assessment.status === 'violation' ? notifiers.map((notifier) => notifier.channel) : [],
          reason: 'every channel for every violation',
        };

  const decide = (
    event: EventInput,
    reads: Promise<PreClaimReads> | undefined,
    context: ProcessContext,
  ): Promise<Decided> =>
    event.kind === 'finding'
      ? decideFindingEvent(event.finding)
      : decideChangeEvent(event.change, context, reads ?? readBeforeClaim(event.change));

  async function handle(
    event: EventInput,
    reads: Promise<PreClaimReads> | undefined,
    input: unknown,
    context: ProcessContext,
    completeAlongside?: CompleteAlongside,
  ): Promise<ProcessedEvent> {
    const started = now();
    return carryOut(await decide(event, reads, context), input, context, started, completeAlongside);
  }

  /** Everything after the decision: remember, record the intent, act, count, record, tell. */
  async function carryOut(
    decided: Decided,
    input: unknown,
    context: ProcessContext,
    started: number,
    completeAlongside?: CompleteAlongside,
  ): Promise<ProcessedEvent> {
    const { assessment } = decided;
    await rememberCompliant(assessment, context.snapshots ?? options.snapshots);
    // Record: the intent before acting (a revert's trace survives a failure after the act). It is
    // written while the executor re-reads live state; nothing is changed before it is recorded.
    const intent =
      options.audit && assessment.action === 'revert' && !decided.superseded
        ? recordIntent(options.audit, assessment, new Date(now()).toISOString())
        : undefined;
    const intentRecorded = intent?.then(() => undefined);
    // Its failure is thrown below, once the executor is done (it changed nothing without it).
    intentRecorded?.catch(() => undefined);
    const acted = await act(decided, intentRecorded && (() => intentRecorded));
    const intended = await intent?.catch(async (error: unknown) => {
      // Nothing was done: the finding version goes back, so the queue's retry acts.
      await decided.finding?.release().catch(() => undefined);
      throw error;
    });
    const outcome = outcomeAfterIntent(intended?.earlier, acted);
    // Count reverts, open circuit breakers, keep exemption uses for the expiry re-check.
    await options.enforcement?.record({ assessment, outcome }, input);
    const finished = now();
    const report: Report = {
      assessment,
      outcome,
      latencyMs: finished - Date.parse(assessment.event.eventTime),
    };
    const route = routeOf(report);
    const selected = notifiers.filter((notifier) => route.channels.includes(notifier.channel));
    const recorded = record(report, route.reason, decided.finding, intended);
    // The event's completion goes out with its record (one round trip, not two after each other)
    // when the record replaces this delivery's own intent, i.e. a revert's. A duplicate trusts that
    // marker only once the record holds the result and every selected channel's result
    // (DedupeStore.completeAlongside). A crash or a failed write at each point stays resolvable:
    // - neither landed: the claim is in progress; after the lock a retry processes the event.
    // - the marker landed, the record did not: the record still holds the intent, so a duplicate
    //   finds the event in progress and, once the lock expires, takes it over and records the
    //   verified revert as driftguard's own (record-survives.test.ts, "dies after marking"); a
    //   record that failed while the function lives gives the marker back at once (release).
    // - the record landed, the marker did not: in progress until the lock expires; the retry finds
    //   the record and counts itself (as when the marker was written last).
    // - both landed, the function dies while telling: the record lacks a channel's result, so the
    //   marker does not stand; the retry tells it (the ledger keeps each channel to one message).
    const marked =
      completeAlongside && intended && !intended.earlier && outcome.status !== 'revert-failed'
        ? completeAlongside(report, {
            eventTime: assessment.event.eventTime,
            eventId: assessment.event.eventId,
            channels: selected.map((notifier) => notifier.channel),
          })
        : undefined;
    // The marker never throws; the record's failure is thrown once both are settled.
    const [audit] = await Promise.all([recorded, marked]).catch(async (error: unknown) => {
      await marked;
      throw error;
    });
    const told = await tell(selected, report, { ...options, ...(audit ? { auditRef: audit.ref } : {}) });
    return {
      ...told.report,
      notifications: told.notifications,
      ...(audit ? { audit } : {}),
      ...(options.route ? { routing: route.reason } : {}),
      processingMs: finished - started,
    };
  }

  /**
   * A sweep observation is decided before it is claimed: most are compliant, and a compliant one has
   * no effect to do twice (no revert, notification, audit record or count; its last-known-good write
   * is idempotent), so it costs no claim — two DynamoDB writes per resource per run. A violation is
   * claimed before anything is done, as a delivered event is.
   */
  async function processObservation(
    dedupe: DedupeStore,
    event: EventInput,
    input: unknown,
    context: ProcessContext,
  ): Promise<ProcessedEvent> {
    const started = now();
    const decided = await decide(event, undefined, context);
    const run = (completeAlongside?: CompleteAlongside) =>
      carryOut(decided, input, context, started, completeAlongside);
    if (decided.assessment.status !== 'violation') return run();
    return claimOnce(dedupe, deliveryKeyOf(event), run, now, options.warn);
  }

  return {
    async process(input, context = {}) {
      // Normalized once: the dedupe key and every stage read this one result.
      const event = normalizeEvent(input);
      if (!event.ok) throw new InvalidEventError(event.reason);
      const { dedupe } = options;
      if (!dedupe) return handle(event, undefined, input, context);
      if (context.origin === 'sweep') return processObservation(dedupe, event, input, context);
      // The claim and the reads that need no claim go out together (one round trip, not two).
      const reads = event.kind === 'cloudtrail' ? readBeforeClaim(event.change) : undefined;
      // A duplicate never looks at them: their failure is this delivery's only if it goes on.
      const settled = reads?.then(
        () => undefined,
        () => undefined,
      );
      const run = (completeAlongside?: CompleteAlongside) =>
        handle(event, reads, input, context, completeAlongside);
      try {
        return await claimOnce(dedupe, deliveryKeyOf(event), run, now, options.warn);
      } finally {
        // Nothing of this delivery is left running when it returns (the Lambda may freeze).
        await settled;
      }
    },
  };
}

/**
 * What the audit trail keeps. Every delivered event: it is the record of who changed what. Of the
 * sweep's observations only violations and failures: a sweep re-reads every resource of the
 * organization every few hours, and writing each compliant one (most of them) would make the trail
 * its biggest cost while saying nothing the next run would not say again.
 */
export function auditWorthy(report: Report): boolean {
  if (report.assessment.origin !== 'sweep') return true;
  return report.assessment.status === 'violation' || report.outcome.status === 'revert-failed';
}

/** Compliant documents become the last-known-good that later reverts restore. */
async function rememberCompliant(
  assessment: Assessment,
  snapshots: SnapshotStore | undefined,
): Promise<void> {
  if (!snapshots) return;
  for (const result of assessment.results) {
    const { verdict } = result;
    if (verdict.kind === 'not-applicable') continue;
    // Compliant documents, and the compliant parts of a violating change (e.g. sibling rules).
    const candidates = [
      ...(verdict.kind === 'compliant' && verdict.snapshot ? [verdict.snapshot] : []),
      ...(verdict.snapshots ?? []),
    ];
    for (const candidate of candidates) {
      await snapshots.put({
        ...candidate,
        account: assessment.event.account,
        region: assessment.event.region,
        seenAt: assessment.event.eventTime,
        source: assessment.origin ?? 'event',
      });
    }
  }
}
