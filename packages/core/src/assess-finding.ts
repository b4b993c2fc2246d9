import type { Action, Assessment, Decision, EventSummary } from './assess';
import type { Config } from './config';
import { type AccountPlacement, type ModeSetting, resolveMode } from './enforcement';
import { type Finding, GUARDDUTY_EVENT_SOURCE } from './events/guardduty';
import { CATALOG } from './rules/catalog';
import { GUARDDUTY_RULE_ID, guarddutyFinding, planPlaybooks } from './rules/guardduty-finding';
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

type FindingMode = Config['rules'][typeof GUARDDUTY_RULE_ID]['mode'];

/** How findings are handled in the finding's account, and the setting that says so. */
interface FindingModeSetting {
  mode: FindingMode;
  /** False when an override keeps playbooks from changing anything in this account. */
  playbooks: boolean;
  text: string;
  setting?: ModeSetting;
  notes: string[];
}

/**
 * Overrides speak the guardrails' modes; for findings they mean: `off` ignore, `shadow` notify and
 * show the playbooks, `alert` / `ticket` notify (ticket: every band) and change nothing in the
 * account, `revert` let the opted-in playbooks act. Without a winning override,
 * `rules.guardduty-finding.mode` decides.
 */
export function findingModeOf(
  finding: Pick<Finding, 'account'>,
  config: Pick<Config, 'overrides' | 'rules'>,
  placement?: AccountPlacement,
): FindingModeSetting {
  const ruleMode = config.rules[GUARDDUTY_RULE_ID].mode;
  const ruleText = `rules.${GUARDDUTY_RULE_ID}.mode = ${ruleMode}`;
  // Only overrides are asked: the rule's own mode is in a vocabulary of its own.
  const { setting, notes } = resolveMode(
    { id: GUARDDUTY_RULE_ID, defaultMode: 'revert' },
    { overrides: config.overrides },
    finding.account,
    placement,
  );
  if (setting.source !== 'override') return { mode: ruleMode, playbooks: true, text: ruleText, notes };
  if (setting.mode === 'revert')
    return { mode: ruleMode, playbooks: true, text: `${setting.text}, so ${ruleText}`, setting, notes };
  return { mode: setting.mode, playbooks: false, text: setting.text, setting, notes };
}

function decideFinding(
  finding: Finding,
  verdict: Verdict,
  config: Config,
  update: boolean,
  placement: AccountPlacement | undefined,
): Decision {
  const plan = planPlaybooks(finding, config);
  const resolved = findingModeOf(finding, config, placement);
  const detail = resolved.setting ? { setting: resolved.setting } : {};
  const notes = [...plan.notes, ...resolved.notes];
  const noted = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  const refresh = update ? 'update of a finding already acted on (refreshes its alert and ticket); ' : '';
  const operations = verdict.kind === 'violation' ? verdict.remediation : [];
  if (resolved.mode === 'off')
    return { action: 'none', reason: `${resolved.text}: findings ignored`, ...detail };
  if (resolved.mode === 'shadow' || config.dryRun) {
    const why = resolved.mode === 'shadow' ? resolved.text : 'dryRun = true';
    const would = plan.applied.length > 0 ? `, would run ${plan.applied.join(', ')}` : '';
    return { action: 'shadow', reason: `${refresh}${why}: notify only${would}${noted}`, ...detail };
  }
  const routing: Action = resolved.mode === 'ticket' || SEVERE.has(finding.band) ? 'ticket' : 'alert';
  const base =
    resolved.mode === 'ticket'
      ? resolved.text
      : `${finding.band} finding → ${routing === 'ticket' ? 'alert + ticket' : 'alert'}${resolved.setting ? ` (${resolved.text})` : ''}`;
  if (operations.length > 0 && resolved.playbooks) {
    return {
      action: 'revert',
      reason: `${refresh}${base}; playbook ${plan.applied.join(', ')} at severity ${finding.severity}${noted}`,
      ...detail,
    };
  }
  const held =
    operations.length > 0
      ? `; playbook ${plan.applied.join(', ')} not run: the override changes nothing in this account`
      : '';
  return { action: routing, reason: `${refresh}${base}${held}${noted}`, ...detail };
}

const SEVERE = new Set(['high', 'critical']);

/**
 * The GuardDuty path of "normalize → evaluate → decide → plan". Pure, like `assess`. `previous` is
 * what was last acted on for this finding id (from the state table; undefined in replay). The
 * result has the Assessment shape replay, alerts, tickets and the audit trail already read, plus
 * `finding` (id, updatedAt, count, update flag).
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
  const summary = summarizeFinding(finding);
  const event = options.accountName ? { ...summary, accountName: options.accountName } : summary;
  const freshness = findingFreshness(finding, options.previous);
  const context: Assessment['finding'] = {
    id: finding.id,
    ...(finding.arn ? { arn: finding.arn } : {}),
    type: finding.type.raw,
    severity: finding.severity,
    updatedAt: finding.updatedAt,
    count: finding.count,
    archived: finding.archived,
    update: freshness.kind === 'update',
    ...(freshness.kind === 'new' ? {} : { previous: freshness.previous }),
  };
  const base = { event, action: 'none' as const, operations: [], results: [], finding: context };
  const guardrail =
    (options.catalog ?? CATALOG).find((candidate) => candidate.id === GUARDDUTY_RULE_ID) ?? guarddutyFinding;
  if (finding.archived) {
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
  const trustZone = options.trustZone ?? trustZoneOf(config);
  const evaluate = guardrail.evaluateFinding ?? guarddutyFinding.evaluateFinding;
  const verdict = evaluate?.(finding, { config, trustZone }) ?? {
    kind: 'not-applicable' as const,
    summary: 'no guardrail reads GuardDuty findings',
  };
  if (verdict.kind !== 'violation') {
    return {
      ...base,
      status: verdict.kind,
      reason: verdict.summary,
      decisionReason: 'nothing to decide',
    };
  }
  const decision = decideFinding(finding, verdict, config, freshness.kind === 'update', options.placement);
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
    finding: context,
  };
}
