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
 * One zero-trust guardrail. `evaluate` is pure: the same change and config always give the same
 * verdict, so replay, the Lambda and the sweep agree.
 */
export interface Guardrail {
  id: string;
  title: string;
  /** Severity when the guardrail itself does not grade the offense. */
  severity: Severity;
  defaultMode: Mode;
  /** Why this matters for zero trust; rendered into RULES.md and alerts. */
  rationale: string;
  /** What counts as a violation and what the revert does, for RULES.md. */
  docs: { violation: string; revert: string };
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

/** Per catalog, its guardrails by the event sources their triggers name (catalogs are never mutated). */
const bySource = new WeakMap<readonly Guardrail[], Map<string, Guardrail[]>>();

function sourceIndex(catalog: readonly Guardrail[]): Map<string, Guardrail[]> {
  let index = bySource.get(catalog);
  if (index) return index;
  index = new Map();
  for (const guardrail of catalog)
    for (const { eventSource } of guardrail.triggers) {
      const watchers = index.get(eventSource) ?? [];
      if (!watchers.includes(guardrail)) watchers.push(guardrail);
      index.set(eventSource, watchers);
    }
  bySource.set(catalog, index);
  return index;
}

/**
 * The guardrails of `catalog` whose triggers include this call (`watchesCall`), in catalog order.
 * Every record of a trail asks, most of them about a service no guardrail watches: those are
 * answered from an index by event source, without testing each guardrail's triggers.
 */
export function watchersOf(
  catalog: readonly Guardrail[],
  eventSource: string,
  eventName: string,
): readonly Guardrail[] {
  const candidates = sourceIndex(catalog).get(eventSource);
  if (!candidates) return NO_GUARDRAIL;
  return candidates.filter((guardrail) => watchesCall(guardrail, eventSource, eventName));
}
