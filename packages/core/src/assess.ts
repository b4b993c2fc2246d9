import type { FindingContext } from './assess-finding';
import type { Config, Mode } from './config';
import { decideFindingAction, type FindingDecisionInput } from './decide-finding';
import {
  type DecisionDetails,
  type DecisionInput,
  decideEnforcement,
  type EnforcementContext,
} from './enforcement';
import type { Change } from './events/change';
import { dedupeLiveFactQueries, type LiveFactQuery, type LiveFacts } from './live-facts';
import type { Operation } from './operations';
import { isOwnChange } from './own-identity';
import { CATALOG } from './rules/catalog';
import { type EvaluationContext, type Guardrail, watchersOf } from './rules/guardrail';
import { type TrustZone, trustZoneOf } from './trust-zone';
import type { Severity, Verdict } from './verdict';
import { SEVERITIES } from './verdict';

export type Action = 'revert' | 'alert' | 'ticket' | 'shadow' | 'none';
export type Status = 'violation' | 'compliant' | 'not-applicable' | 'ignored';

/** See enforcement.ts for the rules and the optional details (setting, exemption, breaker, trace). */
export interface Decision extends DecisionDetails {
  action: Action;
  /** Which setting decided, and why, in words (shown by replay and in alerts). */
  reason: string;
}

export interface RuleResult {
  rule: string;
  title: string;
  verdict: Verdict;
  decision: Decision;
}

/** Who/what/where of an event, flat, for tables, JSON output and alerts. */
export interface EventSummary {
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime: string;
  account: string;
  /** The account's name in Organizations, when known (named by the account's owner: untrusted). */
  accountName?: string;
  region: string;
  actor: string;
  actorType: string;
  sourceIp?: string;
  userAgent?: string;
}

/** Everything driftguard decided about one event, before anything is executed. */
export interface Assessment {
  event: EventSummary;
  status: Status;
  /** The guardrail that decided the status (the most severe violation first). */
  rule?: string;
  title?: string;
  severity?: Severity;
  reason: string;
  action: Action;
  decisionReason: string;
  /** Operations to execute when action is revert; the would-be revert when shadow. */
  operations: Operation[];
  results: RuleResult[];
  /** How the change was found: a delivered event, or the reconciliation sweep reading live state. */
  origin?: 'event' | 'sweep';
  /** The primary decision's exemption, circuit breaker and would-be action (see enforcement.ts). */
  exemption?: Decision['exemption'];
  breaker?: Decision['breaker'];
  wouldBe?: Decision['wouldBe'];
  /** GuardDuty findings only: id, version and whether this is an update of one already acted on. */
  finding?: FindingContext;
}

export function summarizeEvent(change: Change): EventSummary {
  const { actor } = change;
  const summary: EventSummary = {
    eventId: change.eventId,
    eventName: change.eventName,
    eventSource: change.eventSource,
    eventTime: change.eventTime,
    account: change.account,
    region: change.region,
    actor: actor.arn ?? actor.invokedBy ?? actor.principalId ?? actor.type,
    actorType: actor.type,
  };
  // Optional keys assigned, not spread in: every event is summarized, and spreading into a
  // literal (or adding keys to a spread copy) takes V8's slow path on Node 20.
  if (actor.sourceIp) summary.sourceIp = actor.sourceIp;
  if (actor.userAgent) summary.userAgent = actor.userAgent;
  return summary;
}

export function modeOf(guardrail: Guardrail, config: Config): { mode: Mode; setting: string } {
  const configured = (config.rules as Record<string, { mode?: Mode } | undefined>)[guardrail.id]?.mode;
  return configured
    ? { mode: configured, setting: `rules.${guardrail.id}.mode = ${configured}` }
    : { mode: guardrail.defaultMode, setting: `default mode of ${guardrail.id} = ${guardrail.defaultMode}` };
}

/**
 * The one decision stage: the action for one verdict, for a CloudTrail change and a GuardDuty
 * finding alike, called once per event after the state it depends on was loaded. For a change:
 * mode (account/OU overrides, rule, default), dryRun/shadow, infrastructure-as-code actors,
 * exemptions, circuit breaker (enforcement.ts). For a finding: mode (overrides, rule), dryRun/shadow,
 * playbooks, routing by band (decide-finding.ts). `input` is optional for callers that only know
 * the verdict.
 */
export function decide(
  guardrail: Guardrail,
  verdict: Verdict,
  config: Config,
  input?: DecisionInput & { finding?: FindingDecisionInput },
): Decision {
  if (input?.finding) return decideFindingAction(verdict, config, input.finding);
  return decideEnforcement(guardrail, verdict, config, input);
}

function applicableGuardrails(change: Change, catalog: readonly Guardrail[]): readonly Guardrail[] {
  return watchersOf(catalog, change.eventSource, change.eventName);
}

/**
 * The live reads the guardrails watching this change need before they can decide (see
 * live-facts.ts). None for failed calls and driftguard's own changes: those are never evaluated.
 */
export function liveFactQueries(
  change: Change,
  config: Config,
  catalog: readonly Guardrail[] = CATALOG,
): LiveFactQuery[] {
  if (change.errorCode || isOwnChange(change, config)) return [];
  return dedupeLiveFactQueries(
    applicableGuardrails(change, catalog).flatMap((guardrail) => guardrail.liveFacts?.(change, config) ?? []),
  );
}

/** One applicable guardrail's verdict on a change, before anything is decided about it. */
export interface EvaluatedRule {
  guardrail: Guardrail;
  verdict: Verdict;
}

/**
 * What the pure evaluation of one change found: the first stage of the one pass (normalize →
 * evaluate → load state → decide → plan). Everything the state loaders and the decision need to
 * know about the change itself is here; nothing in it depends on stored state.
 */
export interface Evaluation {
  change: Change;
  event: EventSummary;
  /** How the change was found: a delivered event, or the reconciliation sweep reading live state. */
  origin: 'event' | 'sweep';
  /** Set when no guardrail judges the change (failed call, driftguard's own change, nothing watches it). */
  skipped?: { status: 'ignored' | 'not-applicable'; reason: string; decisionReason: string };
  /** Each applicable guardrail's verdict, in catalog order. */
  verdicts: EvaluatedRule[];
}

export interface EvaluateOptions {
  trustZone?: TrustZone;
  catalog?: readonly Guardrail[];
  /** The live reads `liveFactQueries` asked for. */
  facts?: LiveFacts;
  /** Default `event`. */
  origin?: 'event' | 'sweep';
  /** The account's name in Organizations, shown next to its id (untrusted text: escaped on output). */
  accountName?: string;
}

type Skipped = NonNullable<Evaluation['skipped']>;

/** Built whole, not as a spread copy with keys added (V8's slow path on Node 20). */
function skippedEvaluation(
  change: Change,
  event: EventSummary,
  origin: Evaluation['origin'],
  skipped: Skipped,
): Evaluation {
  return { change, event, origin, verdicts: [], skipped };
}

/** normalize → **evaluate**: each applicable guardrail's verdict. Pure. */
export function evaluateChange(change: Change, config: Config, options: EvaluateOptions = {}): Evaluation {
  const summary = summarizeEvent(change);
  const event = options.accountName ? { ...summary, accountName: options.accountName } : summary;
  const origin = options.origin ?? 'event';
  if (change.errorCode) {
    return skippedEvaluation(change, event, origin, {
      status: 'ignored',
      reason: `the call failed (${change.errorCode}): nothing changed`,
      decisionReason: 'failed calls are ignored',
    });
  }
  if (isOwnChange(change, config)) {
    return skippedEvaluation(change, event, origin, {
      status: 'ignored',
      reason: `made by driftguard's own role (${change.actor.roleName ?? change.actor.arn})`,
      decisionReason: 'own changes are never acted on (loop guard)',
    });
  }
  const applicable = applicableGuardrails(change, options.catalog ?? CATALOG);
  if (applicable.length === 0) {
    return skippedEvaluation(change, event, origin, {
      status: 'not-applicable',
      reason: `no guardrail watches ${change.eventSource} ${change.eventName}`,
      decisionReason: 'nothing to decide',
    });
  }
  const trustZone = options.trustZone ?? trustZoneOf(config);
  const context: EvaluationContext = options.facts
    ? { config, trustZone, facts: options.facts }
    : { config, trustZone };
  const verdicts = applicable.map((guardrail) => ({
    guardrail,
    verdict: guardrail.evaluate(change, context),
  }));
  return { change, event, origin, verdicts };
}

function rank(verdict: Verdict): number {
  if (verdict.kind === 'violation') return 100 + SEVERITIES.indexOf(verdict.severity);
  return verdict.kind === 'compliant' ? 1 : 0;
}

/**
 * The first of `items` whose verdict ranks highest: what a stable sort by descending rank puts
 * first, found in one pass without copying and sorting the list.
 */
function mostSevere<T extends { verdict: Verdict }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestRank = -1;
  for (const item of items) {
    const itemRank = rank(item.verdict);
    if (itemRank > bestRank) {
      best = item;
      bestRank = itemRank;
    }
  }
  return best;
}

/** The verdict that decides the event's status: the most severe violation, else compliant, else n/a. */
export function primaryVerdict(evaluation: Evaluation): EvaluatedRule | undefined {
  return mostSevere(evaluation.verdicts);
}

/** Whether a violation's remediation is planned: reverted, or shadowed where the revert would run. */
function plansRevert(decision: Decision): boolean {
  return (
    decision.action === 'revert' ||
    (decision.action === 'shadow' && (decision.wouldBe ?? 'revert') === 'revert')
  );
}

/**
 * evaluate → load state → **decide → plan**: the action for each verdict given the state the
 * pipeline loaded (placement, exemptions, circuit breakers, the decision time), and the exact
 * operations to run. Pure; called once per event.
 */
export function decideChange(
  evaluation: Evaluation,
  config: Config,
  context: EnforcementContext = {},
): Assessment {
  const { change, event, origin } = evaluation;
  // Only a sweep observation is marked: a delivered event is the default, as it always was.
  const sweep = origin === 'sweep';
  if (evaluation.skipped) {
    const { status, reason, decisionReason } = evaluation.skipped;
    return sweep
      ? { event, action: 'none', operations: [], results: [], origin, status, reason, decisionReason }
      : { event, action: 'none', operations: [], results: [], status, reason, decisionReason };
  }
  const results: RuleResult[] = evaluation.verdicts.map(({ guardrail, verdict }) => ({
    rule: guardrail.id,
    title: guardrail.title,
    verdict,
    decision: decide(guardrail, verdict, config, { change, context, origin }),
  }));
  const primary = mostSevere(results) as RuleResult;
  const planned: Operation[] = [];
  for (const { verdict, decision } of results)
    if (verdict.kind === 'violation' && plansRevert(decision)) planned.push(...verdict.remediation);
  const operations = dedupeOperations(planned);
  let reason = primary.verdict.summary;
  if (primary.verdict.kind === 'violation')
    for (const offense of primary.verdict.offenses) reason += `; ${offense.reason}`;
  // Keys assigned in the order assessments have always had (JSON output): spreading optional keys
  // into a literal takes V8's slow path on Node 20, and every watched event is decided here.
  const { verdict, decision } = primary;
  const assessment: Partial<Assessment> = {
    event,
    status: verdict.kind,
    rule: primary.rule,
    title: primary.title,
  };
  if (verdict.kind === 'violation') assessment.severity = verdict.severity;
  assessment.reason = reason;
  assessment.action = decision.action;
  assessment.decisionReason = decision.reason;
  assessment.operations = operations;
  assessment.results = results;
  if (sweep) assessment.origin = origin;
  if (decision.exemption) assessment.exemption = decision.exemption;
  if (decision.breaker) assessment.breaker = decision.breaker;
  if (decision.wouldBe) assessment.wouldBe = decision.wouldBe;
  return assessment as Assessment;
}

/**
 * evaluate → decide → plan for one change, with the state given as data. Pure: replay, explain
 * and tests call this and get the answers the pipeline gets from `evaluateChange` + `decideChange`.
 */
export function assess(
  change: Change,
  config: Config,
  trustZone: TrustZone = trustZoneOf(config),
  catalog: readonly Guardrail[] = CATALOG,
  facts?: LiveFacts,
  /** Placement, exemptions, circuit-breaker state and the decision time (see enforcement.ts). */
  context?: EnforcementContext,
  options: Pick<EvaluateOptions, 'origin' | 'accountName'> = {},
): Assessment {
  const evaluation = evaluateChange(change, config, {
    trustZone,
    catalog,
    facts,
    origin: options.origin,
    accountName: options.accountName,
  });
  return decideChange(evaluation, config, context);
}

function dedupeOperations(operations: Operation[]): Operation[] {
  // Most events plan one operation or none: nothing to compare (the key below serializes documents).
  if (operations.length < 2) return operations;
  const seen = new Set<string>();
  return operations.filter((operation) => {
    const key = JSON.stringify(operation);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
