import { type Assessment, decide, type EventSummary } from './assess';
import type { Config } from './config';
import type { AccountPlacement } from './enforcement';
import { type Finding, GUARDDUTY_EVENT_SOURCE } from './events/guardduty';
import { CATALOG } from './rules/catalog';
import {
  describeFindingActor,
  describeFindingResource,
  GUARDDUTY_RULE_ID,
  guarddutyFinding,
  type PlaybookPlan,
  planPlaybooks,
} from './rules/guardduty-finding';
import type { Guardrail } from './rules/guardrail';
import { type TrustZone, trustZoneOf } from './trust-zone';
import type { Verdict } from './verdict';

/** What was last acted on for a finding id (kept in the state table by the pipeline). */
export interface FindingMark {
  updatedAt: string;
  count: number;
}

/**
 * How a delivery of a finding relates to what was already acted on. Pure.
 * - new: never seen → act and notify.
 * - update: a newer `updatedAt`, or the same with a higher count → act again (playbooks are
 *   idempotent) and refresh the alert and ticket.
 * - duplicate: the same `updatedAt` and count (EventBridge/SQS redelivery) → nothing.
 * - stale: older than what was acted on (out-of-order delivery) → nothing.
 */
export type FindingFreshness =
  | { kind: 'new' }
  | { kind: 'update'; previous: FindingMark }
  | { kind: 'duplicate'; previous: FindingMark }
  | { kind: 'stale'; previous: FindingMark };

export function findingFreshness(
  finding: Pick<Finding, 'updatedAt' | 'count'>,
  previous: FindingMark | undefined,
): FindingFreshness {
  if (!previous) return { kind: 'new' };
  const now = Date.parse(finding.updatedAt);
  const before = Date.parse(previous.updatedAt);
  if (now > before) return { kind: 'update', previous };
  if (now < before) return { kind: 'stale', previous };
  if (finding.count > previous.count) return { kind: 'update', previous };
  return { kind: finding.count === previous.count ? 'duplicate' : 'stale', previous };
}

/** Finding facts every consumer of an assessment (alerts, tickets, audit) may need. */
export interface FindingContext {
  id: string;
  arn?: string;
  type: string;
  severity: number;
  updatedAt: string;
  count: number;
  archived: boolean;
  /** True for a newer version of a finding already acted on: refresh the alert and ticket. */
  update: boolean;
  /** The version acted on before this one (updates, duplicates, stale deliveries). */
  previous?: FindingMark;
  /** What the finding is about, as alerts and ticket titles show it (describeFindingResource). */
  resource?: string;
  /** The remote actor GuardDuty saw, or "unknown" (describeFindingActor). */
  actor?: string;
}

/**
 * The flat who/what/where of a finding, in the shape of a CloudTrail event summary: eventId =
 * finding id, eventName = finding type, eventTime = updatedAt, actor = the IAM principal whose
 * credentials were used, else the remote address, else the resource that acted (DNS findings).
 */
export function summarizeFinding(finding: Finding): EventSummary {
  const key = finding.resource.accessKey;
  const principal = key?.userName ? `${key.userType ?? 'principal'}/${key.userName}` : undefined;
  const remote = finding.network.remoteIp;
  // Without a principal or a remote address (DNS findings), the resource itself acted.
  const resource = finding.resource;
  const self =
    resource.instance?.instanceId ??
    resource.lambda?.functionName ??
    resource.container?.name ??
    resource.eksCluster?.name ??
    resource.ecsCluster?.name;
  return {
    eventId: finding.id,
    eventName: finding.type.raw,
    eventSource: GUARDDUTY_EVENT_SOURCE,
    eventTime: finding.updatedAt,
    account: finding.account,
    region: finding.region,
    actor: principal ?? remote ?? self ?? 'unknown',
    actorType: principal
      ? (key?.userType ?? 'principal')
      : remote
        ? 'RemoteHost'
        : self
          ? 'Resource'
          : 'Unknown',
    ...(remote ? { sourceIp: remote } : {}),
    ...(finding.network.userAgent ? { userAgent: finding.network.userAgent } : {}),
  };
}

/**
 * What a notification ledger should key one delivery on: the event id for CloudTrail, the finding
 * id *and* its updatedAt for findings (so an update notifies again, a redelivery does not).
 */
export function deliveryId(assessment: Pick<Assessment, 'event' | 'finding'>): string {
  return assessment.finding
    ? `${assessment.finding.id}@${assessment.finding.updatedAt}`
    : assessment.event.eventId;
}

/**
 * What the one conditional write on a finding's mark found (packages/aws claims each version before
 * deciding): `advanced` — this delivery's version is newer than any decided before (`previous` is the
 * one it replaced); otherwise `current` is what a delivery with an equal or newer version recorded.
 */
export type FindingClaim =
  | { advanced: true; previous?: FindingMark }
  | { advanced: false; current?: FindingMark };

/**
 * How a delivery relates to what was decided before, from its claim. Pure. A delivery that lost the
 * claim never acts: it is a duplicate, or stale when what is recorded is newer — even when the mark
 * it lost to has since been given back (a failed playbook): that delivery's retry acts, not this one.
 */
export function claimedFreshness(
  finding: Pick<Finding, 'updatedAt' | 'count'>,
  claim: FindingClaim,
): FindingFreshness {
  if (claim.advanced) return claim.previous ? { kind: 'update', previous: claim.previous } : { kind: 'new' };
  const current = claim.current ?? { updatedAt: finding.updatedAt, count: finding.count };
  const freshness = findingFreshness(finding, current);
  return freshness.kind === 'stale' ? freshness : { kind: 'duplicate', previous: current };
}

/**
 * What the pure evaluation of one finding found: the first stage of the one pass (normalize →
 * evaluate → load state → decide → plan), like `Evaluation` for a change. Nothing in it depends on
 * stored state (which version was acted on, the account's OUs).
 */
export interface FindingEvaluation {
  finding: Finding;
  event: EventSummary;
  guardrail: Guardrail;
  /** Set for archived findings: not judged, nothing to decide. */
  archived?: boolean;
  verdict: Verdict;
  /** The opted-in playbooks that apply, and why the others do not (planned once, here). */
  plan: PlaybookPlan;
}

/** normalize → **evaluate** for a finding. Pure. */
export function evaluateFindingEvent(
  finding: Finding,
  config: Config,
  options: {
    trustZone?: TrustZone;
    catalog?: readonly Guardrail[];
    /** The account's name in Organizations (untrusted text), shown next to its id. */
    accountName?: string;
  } = {},
): FindingEvaluation {
  const summary = summarizeFinding(finding);
  const event = options.accountName ? { ...summary, accountName: options.accountName } : summary;
  const guardrail =
    (options.catalog ?? CATALOG).find((candidate) => candidate.id === GUARDDUTY_RULE_ID) ?? guarddutyFinding;
  const plan = planPlaybooks(finding, config);
  if (finding.archived) {
    const verdict = {
      kind: 'not-applicable' as const,
      summary: `finding ${finding.id} is archived in GuardDuty`,
    };
    return { finding, event, guardrail, archived: true, verdict, plan };
  }
  const trustZone = options.trustZone ?? trustZoneOf(config);
  const evaluate = guardrail.evaluateFinding ?? guarddutyFinding.evaluateFinding;
  const verdict = evaluate?.(finding, { config, trustZone }) ?? {
    kind: 'not-applicable' as const,
    summary: 'no guardrail reads GuardDuty findings',
  };
  return { finding, event, guardrail, verdict, plan };
}

/** What deciding about a finding depends on besides the finding: loaded by packages/aws, as data. */
export interface FindingDecisionContext {
  /** How this delivery relates to what was decided before (default: new — replay has no state). */
  freshness?: FindingFreshness;
  /** The account's OUs, for overrides by OU. */
  placement?: AccountPlacement;
}

/**
 * evaluate → load state → **decide → plan** for a finding: called once per delivery, after its
 * version was claimed. Pure. The result has the Assessment shape replay, alerts, tickets and the
 * audit trail read, plus `finding` (id, updatedAt, count, update flag).
 */
export function decideFinding(
  evaluation: FindingEvaluation,
  config: Config,
  context: FindingDecisionContext = {},
): Assessment {
  const { finding, event, guardrail, verdict, plan } = evaluation;
  const freshness = context.freshness ?? { kind: 'new' };
  const findingContext: FindingContext = {
    id: finding.id,
    ...(finding.arn ? { arn: finding.arn } : {}),
    type: finding.type.raw,
    severity: finding.severity,
    updatedAt: finding.updatedAt,
    count: finding.count,
    archived: finding.archived,
    update: freshness.kind === 'update',
    ...(freshness.kind === 'new' ? {} : { previous: freshness.previous }),
    resource: describeFindingResource(finding),
    actor: describeFindingActor(finding),
  };
  const base = { event, action: 'none' as const, operations: [], results: [], finding: findingContext };
  if (evaluation.archived) {
    return {
      ...base,
      // Named, so that the ticket an earlier version opened can be told (render/ticket.ts).
      rule: guardrail.id,
      title: guardrail.title,
      severity: finding.band,
      status: 'ignored',
      reason: `finding ${finding.id} is archived in GuardDuty: not acted on`,
      decisionReason: 'archived findings are not acted on',
    };
  }
  if (freshness.kind === 'duplicate' || freshness.kind === 'stale') {
    const { previous } = freshness;
    return {
      ...base,
      status: 'ignored',
      reason:
        freshness.kind === 'duplicate'
          ? `finding ${finding.id} (updatedAt ${finding.updatedAt}, count ${finding.count}) was already acted on`
          : `finding ${finding.id} at ${finding.updatedAt} (count ${finding.count}) is older than the version already acted on (${previous.updatedAt}, count ${previous.count})`,
      decisionReason:
        freshness.kind === 'duplicate'
          ? 'a finding version is acted on once'
          : 'out-of-order delivery: an older version never overrides a newer one',
    };
  }
  if (verdict.kind !== 'violation') {
    return { ...base, status: verdict.kind, reason: verdict.summary, decisionReason: 'nothing to decide' };
  }
  const decision = decide(guardrail, verdict, config, {
    finding: {
      finding,
      plan,
      update: freshness.kind === 'update',
      ...(context.placement ? { placement: context.placement } : {}),
    },
  });
  return {
    event,
    status: 'violation',
    rule: guardrail.id,
    title: guardrail.title,
    severity: verdict.severity,
    reason: [verdict.summary, ...verdict.offenses.map((offense) => offense.reason)].join('; '),
    action: decision.action,
    decisionReason: decision.reason,
    operations: decision.action === 'revert' || decision.action === 'shadow' ? verdict.remediation : [],
    results: [{ rule: guardrail.id, title: guardrail.title, verdict, decision }],
    finding: findingContext,
  };
}

/**
 * evaluate → decide → plan for one finding, with the state given as data. Pure: replay, explain and
 * tests call this and get the answers the pipeline gets from `evaluateFindingEvent` + `decideFinding`.
 * `previous` is what was last acted on for this finding id (undefined in replay: every finding is new).
 */
export function assessFinding(
  finding: Finding,
  config: Config,
  options: {
    previous?: FindingMark;
    trustZone?: TrustZone;
    catalog?: readonly Guardrail[];
    /** The account's OUs, for overrides by OU (packages/aws reads them when such overrides exist). */
    placement?: AccountPlacement;
    /** The account's name in Organizations (untrusted text), shown next to its id. */
    accountName?: string;
  } = {},
): Assessment {
  const { previous, placement, ...evaluate } = options;
  const evaluation = evaluateFindingEvent(finding, config, evaluate);
  return decideFinding(evaluation, config, {
    freshness: findingFreshness(finding, previous),
    ...(placement ? { placement } : {}),
  });
}
