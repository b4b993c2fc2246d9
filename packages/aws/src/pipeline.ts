import {
  type Assessment,
  assess,
  type Config,
  deliveryId,
  type EnforcementContext,
  liveFactQueries,
  normalizeEvent,
  type OperationResult,
  type OrganizationInfo,
  outcomeFromResults,
  outcomeWithoutExecution,
  type Report,
  type TicketLink,
  trustZoneOf,
} from '@driftguard/core';
import type { Enforcement } from './enforcement';
import { errorMessage, InvalidEventError } from './errors';
import { exactlyOnce, supersededOutcome, supersedingEvent } from './exactly-once';
import type { Executor } from './executor';
import { type GatedFinding, gateFinding } from './findings';
import type { LiveFactReader } from './live-facts';
import {
  type AuditRef,
  type AuditStore,
  AuditWriteError,
  auditRecordOf,
  type NotificationLedger,
} from './store/audit';
import type { DedupeStore } from './store/dedupe';
import type { FindingMarkStore } from './store/findings';
import type { HighWaterMark, HighWaterStore } from './store/high-water';
import type { SnapshotStore } from './store/snapshots';

/** A channel that tells people about a decision (SNS, Slack, tickets…). */
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
  /** Where channel failures are logged (never with secrets); default console.warn. */
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

/**
 * The one pipeline behind the Lambda, `replay --apply` and the demo: normalize → assess (pure) →
 * execute the exact revert (verify → act → verify) → notify. Notification failures are recorded,
 * never thrown: they must not hide or undo a verified revert.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const now = options.now ?? Date.now;
  const notifiers = options.notifiers ?? [];
  const pipeline: Pipeline = {
    async process(input, context = {}) {
      const started = now();
      const normalized = normalizeEvent(input);
      if (!normalized.ok) throw new InvalidEventError(normalized.reason);
      let assessment: Assessment;
      let superseded: HighWaterMark | undefined;
      let finding: GatedFinding | undefined;
      if (normalized.kind === 'finding') {
        // GuardDuty: no trust zone or live facts; acted on once per finding version (findings.ts);
        // overrides by account or OU apply (placement).
        const placement = await options.enforcement?.placement(normalized.finding.account);
        finding = await gateFinding(normalized.finding, options.config, options.findings, placement);
        assessment = finding.assessment;
      } else {
        const organization = options.organization ? await options.organization() : undefined;
        const queries = options.liveFacts ? liveFactQueries(normalized.change, options.config) : [];
        const facts = options.liveFacts && queries.length > 0 ? await options.liveFacts(queries) : undefined;
        const trustZone = trustZoneOf(options.config, organization);
        const change = normalized.change;
        const assessWith = (enforcement?: EnforcementContext) =>
          assess(change, options.config, trustZone, undefined, facts, enforcement);
        assessment = options.enforcement
          ? await options.enforcement.assess(change, assessWith)
          : assessWith();
        if (context.origin) assessment.origin = context.origin;
        superseded = await supersedingEvent(options.highWater, normalized.change, assessment);
      }
      await rememberCompliant(assessment, options.snapshots);
      let outcome = outcomeWithoutExecution(assessment);
      if (assessment.action === 'revert' && superseded) outcome = supersededOutcome(superseded);
      else if (assessment.action === 'revert') {
        const results: OperationResult[] = [];
        // Sequential on purpose: operations of one event touch the same resource.
        for (const operation of assessment.operations) results.push(await options.execute(operation));
        outcome = outcomeFromResults(results);
        // A failed playbook gives the finding version back, so the queue's retry acts again.
        if (outcome.status === 'revert-failed') await finding?.release();
      }
      // Count reverts, open circuit breakers, keep exemption uses for the expiry re-check.
      await options.enforcement?.record({ assessment, outcome }, input);
      const finished = now();
      const report: Report = {
        assessment,
        outcome,
        latencyMs: finished - Date.parse(assessment.event.eventTime),
      };
      const route = options.route
        ? options.route(report)
        : {
            channels: assessment.status === 'violation' ? notifiers.map((notifier) => notifier.channel) : [],
            reason: 'every channel for every violation',
          };
      // The decision is recorded before anyone is told: a lost alert is recoverable, a lost
      // decision is not. Only this failure fails the event (and, in Lambda, the batch item).
      let audit: ProcessedEvent['audit'];
      if (options.audit) {
        try {
          audit = await options.audit.record(
            auditRecordOf(report, { recordedAt: new Date(now()).toISOString(), routing: route.reason }),
          );
        } catch (error) {
          await finding?.release().catch(() => undefined);
          throw new AuditWriteError(
            `the audit record of event ${assessment.event.eventId} could not be written: ${errorMessage(error)}`,
            { cause: error },
          );
        }
      }
      const selected = notifiers.filter((notifier) => route.channels.includes(notifier.channel));
      const deliver = (notifier: Notifier, current: Report) =>
        notifyOnce(notifier, current, { ...options, ...(audit ? { auditRef: audit.ref } : {}) });
      const ticketResults = await Promise.all(
        selected
          .filter((notifier) => notifier.phase === 'ticket')
          .map((notifier) => deliver(notifier, report)),
      );
      const tickets = ticketResults.flatMap((result) => (result.ticket ? [result.ticket] : []));
      const linked: Report = tickets.length > 0 ? { ...report, tickets } : report;
      const alertResults = await Promise.all(
        selected
          .filter((notifier) => notifier.phase !== 'ticket')
          .map((notifier) => deliver(notifier, linked)),
      );
      return {
        ...linked,
        notifications: [...ticketResults, ...alertResults],
        ...(audit ? { audit } : {}),
        ...(options.route ? { routing: route.reason } : {}),
        processingMs: finished - started,
      };
    },
  };
  return options.dedupe ? exactlyOnce(pipeline, options.dedupe, now, options.warn) : pipeline;
}

/**
 * One channel, at most once per event: claim the (event, rule, channel) marker, notify, then
 * confirm (or release on failure, so a redelivery may try again) and record the result in the
 * audit record. Never throws.
 */
async function notifyOnce(
  notifier: Notifier,
  report: Report,
  options: Pick<PipelineOptions, 'audit' | 'ledger' | 'warn' | 'now'> & { auditRef?: AuditRef },
): Promise<NotificationResult> {
  const { channel } = notifier;
  // Findings: id + updatedAt, so an update of a finding notifies again and a redelivery does not.
  const eventId = deliveryId(report.assessment);
  const rule = report.assessment.rule ?? 'none';
  const warn = options.warn ?? ((message: string) => console.warn(message));
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
  if (options.ledger && notes.length === 0) {
    try {
      if (result.ok) await options.ledger.confirm(eventId, rule, channel);
      else await options.ledger.release(eventId, rule, channel);
    } catch (error) {
      notes.push(`dedupe marker not updated (${errorMessage(error)})`);
    }
  }
  if (options.audit && options.auditRef) {
    try {
      await options.audit.recordChannel(options.auditRef, channel, {
        ok: result.ok,
        at: new Date((options.now ?? Date.now)()).toISOString(),
        ...(result.detail ? { detail: result.detail } : {}),
        ...(result.attempts !== undefined ? { attempts: result.attempts } : {}),
        ...(result.ticket ? { ticket: result.ticket } : {}),
      });
    } catch (error) {
      notes.push(`result not added to the audit record (${errorMessage(error)})`);
    }
  }
  if (notes.length > 0) result = { ...result, detail: [result.detail, ...notes].filter(Boolean).join('; ') };
  if (!result.ok)
    warn(
      `[driftguard] ${channel} notification for event ${eventId} failed: ${result.detail ?? 'no reason given'}`,
    );
  return result;
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
