import type { Config, Mode } from '../config';
import type { Change } from '../events/change';
import type { Finding } from '../events/guardduty';
import type { LiveFactQuery, LiveFacts } from '../live-facts';
import type { ChannelRef } from '../notifications-config';
import type { TrustZone } from '../trust-zone';
import type { Severity, Verdict } from '../verdict';

/** A CloudTrail call that can break a guardrail. */
export interface Trigger {
  /** e.g. ec2.amazonaws.com */
  eventSource: string;
  eventNames: readonly string[];
  /**
   * Calls CloudTrail records under a versioned name (Lambda: `AddPermission20150331v2`,
   * `CreateFunctionUrlConfig20211031`), matched by prefix in code and in the EventBridge patterns.
   */
  eventNamePrefixes?: readonly string[];
  /**
   * A synthetic observation only the sweep builds (never a CloudTrail call): matched by the
   * evaluator, left out of the EventBridge patterns.
   */
  sweepOnly?: boolean;
}

/** An EventBridge event that is not a CloudTrail call (GuardDuty findings). */
export interface EventTrigger {
  /** e.g. aws.guardduty */
  source: string;
  /** e.g. GuardDuty Finding */
  detailType: string;
}

export interface EvaluationContext {
  config: Config;
  trustZone: TrustZone;
  /** Live reads the guardrail asked for (`liveFacts`); undefined when none could be made (replay). */
  facts?: LiveFacts;
}

/**
 * What RULES.md says of a guardrail. Kept beside each guardrail but out of `Guardrail`: only
 * `npm run rules:docs` reads it, so the functions' bundles leave it out (~24 KB of the evaluate
 * function's cold start).
 */
export interface GuardrailDocs {
  /** Why this matters for zero trust. */
  rationale: string;
  /** What counts as a violation. */
  violation: string;
  /** What the revert does. */
  revert: string;
}

/**
 * One zero-trust guardrail. `evaluate` is pure: the same change and config always give the same
 * verdict, so replay, the Lambda and the sweep agree.
 */
export interface Guardrail {
  id: string;
  title: string;
  /** Severity when the guardrail itself does not grade the offense. */
  severity: Severity;
  defaultMode: Mode;
  triggers: readonly Trigger[];
  /**
   * Live state the verdict depends on but the record does not carry (e.g. whether a group is a
   * VPC's default group). Pure: the pipeline performs the reads and passes them to `evaluate`.
   */
  liveFacts?(change: Change, config: Config): LiveFactQuery[];
  evaluate(change: Change, context: EvaluationContext): Verdict;
  /** Non-CloudTrail events the guardrail reads (their EventBridge patterns come from here). */
  events?: readonly EventTrigger[];
  /** Pure verdict on a GuardDuty finding (guardrails with `events`). */
  evaluateFinding?(finding: Finding, context: EvaluationContext): Verdict;
  /** Channels per severity when `notifications.byRule` does not name them (GuardDuty: low → SNS…). */
  defaultRoute?: Partial<Record<Severity, readonly ChannelRef[]>>;
}

/** Whether a guardrail's CloudTrail triggers include this call: the one test of "who watches what". */
export function watchesCall(guardrail: Guardrail, eventSource: string, eventName: string): boolean {
  return guardrail.triggers.some(
    (trigger) => trigger.eventSource === eventSource && triggerNames(trigger, eventName),
  );
}

/** Whether a trigger names this call: exactly, or by one of its prefixes (versioned names). */
export function triggerNames(trigger: Trigger, eventName: string): boolean {
  return (
    trigger.eventNames.includes(eventName) ||
    (trigger.eventNamePrefixes ?? []).some((prefix) => eventName.startsWith(prefix))
  );
}

const NO_GUARDRAIL: readonly Guardrail[] = Object.freeze([]);

/** The guardrails that watch calls of one event source. */
interface SourceWatchers {
  /** Every event name a trigger of this source lists: its watchers (`watchesCall`), in catalog order. */
  byName: Map<string, readonly Guardrail[]>;
  /**
   * The guardrails with name prefixes at this source, in catalog order: a name no trigger lists
   * can only be watched through a prefix, so only these are tested for it.
   */
  byPrefix: readonly Guardrail[];
}

/** Per catalog, its watchers by event source (catalogs are never mutated). */
const bySource = new WeakMap<readonly Guardrail[], Map<string, SourceWatchers>>();

function sourceIndex(catalog: readonly Guardrail[]): Map<string, SourceWatchers> {
  let index = bySource.get(catalog);
  if (index) return index;
  const candidates = new Map<string, Guardrail[]>();
  for (const guardrail of catalog)
    for (const { eventSource } of guardrail.triggers) {
      const watchers = candidates.get(eventSource) ?? [];
      if (!watchers.includes(guardrail)) watchers.push(guardrail);
      candidates.set(eventSource, watchers);
    }
  index = new Map();
  for (const [eventSource, guardrails] of candidates) {
    const triggers = guardrails.flatMap((guardrail) =>
      guardrail.triggers.filter((trigger) => trigger.eventSource === eventSource),
    );
    const byName = new Map<string, readonly Guardrail[]>();
    for (const eventName of new Set(triggers.flatMap((trigger) => trigger.eventNames))) {
      const watchers = guardrails.filter((guardrail) => watchesCall(guardrail, eventSource, eventName));
      byName.set(eventName, Object.freeze(watchers));
    }
    const byPrefix = guardrails.filter((guardrail) =>
      guardrail.triggers.some(
        (trigger) => trigger.eventSource === eventSource && (trigger.eventNamePrefixes ?? []).length > 0,
      ),
    );
    index.set(eventSource, { byName, byPrefix: Object.freeze(byPrefix) });
  }
  bySource.set(catalog, index);
  return index;
}

/**
 * The guardrails of `catalog` whose triggers include this call (`watchesCall`), in catalog order.
 * Every record of a trail asks, most of them about a call no guardrail watches: the answer comes
 * from an index by event source and name (shared, frozen lists), testing triggers only for a
 * name that no trigger lists but a prefix might match.
 */
export function watchersOf(
  catalog: readonly Guardrail[],
  eventSource: string,
  eventName: string,
): readonly Guardrail[] {
  const watchers = sourceIndex(catalog).get(eventSource);
  if (!watchers) return NO_GUARDRAIL;
  const named = watchers.byName.get(eventName);
  if (named) return named;
  if (watchers.byPrefix.length === 0) return NO_GUARDRAIL;
  return watchers.byPrefix.filter((guardrail) => watchesCall(guardrail, eventSource, eventName));
}
