import type { Action, Decision, Evaluation } from './assess';
import {
  type BreakerTrip,
  type BreakerView,
  breakerKey,
  breakerResourceKey,
  breakerSettings,
  breakerTripped,
} from './breaker';
import type { Config, Mode } from './config';
import type { Change } from './events/change';
import {
  checkExemption,
  describeExemption,
  type Exemption,
  type ExemptionUse,
  exemptionUse,
} from './exemption';
import { infrastructureAsCodeActor } from './iac';
import type { Guardrail } from './rules/guardrail';
import type { Verdict } from './verdict';

/**
 * Where an account sits in the organization: its OUs from the nearest (its parent) outwards, then
 * the root. Read from Organizations (ListParents, cached) by packages/aws and passed in as data.
 */
export interface AccountPlacement {
  account: string;
  organizationalUnits: readonly string[];
}

/**
 * Everything besides the change and the config that the decision depends on, as data: the core
 * stays pure, and `explain` can show exactly what was considered.
 */
export interface EnforcementContext {
  /** Decision time, epoch ms (exemptions and the breaker are judged at this instant); default: the event time. */
  now?: number;
  /** The change's account in the organization; OU overrides apply only when it is known. */
  placement?: AccountPlacement;
  /** The exemptions recorded for the change's account (any state: the decision checks each). */
  exemptions?: readonly Exemption[];
  /** Circuit-breaker state per breakerKey(rule, breakerResourceKey(…)). */
  breakers?: Readonly<Record<string, BreakerView>>;
}

/** The setting that chose a guardrail's mode. */
export interface ModeSetting {
  source: 'override' | 'rule' | 'default';
  mode: Mode;
  /** e.g. "override #2 (ou-abcd-12345678) sets mode alert for sg-open-ingress" */
  text: string;
  /** 1-based position in `overrides` (override #1 is overrides[0]). */
  override?: { number: number; scope: 'account' | 'organizational-unit'; id: string };
}

/** What a decision carries besides its action and one-line reason (all optional: additive). */
export interface DecisionDetails {
  /** The setting that chose the mode. */
  setting?: ModeSetting;
  /** For `shadow`: the action driftguard would have taken. */
  wouldBe?: Action;
  /** Why the actor counts as infrastructure as code, when it does. */
  iac?: string;
  /** The exemption that kept this violation from being reverted (action `alert`). */
  exemption?: ExemptionUse;
  /** The circuit breaker that turned a revert into a ticket (action `ticket`). */
  breaker?: BreakerTrip;
  /** Every step of the decision, in order, for `driftguard explain`. */
  trace?: string[];
}

export interface DecisionInput {
  change?: Change;
  context?: EnforcementContext;
  /** How the change was found (default: a delivered event). */
  origin?: 'event' | 'sweep';
}

/**
 * The stored state one decision depends on, derived from the evaluation alone (no decision has
 * been made yet), so the pipeline can read all of it at once, concurrently, and decide once.
 */
export interface DecisionStateQuery {
  account: string;
  /** The account's OUs: only when an override names OUs. */
  placement: boolean;
  /** The account's exemptions: only when exemptions are enabled and something violates. */
  exemptions: boolean;
  /** The circuit breakers of the violating resources the breaker can hold. */
  breakers: { rule: string; resource: string }[];
}

export function decisionStateQuery(evaluation: Evaluation, config: Config): DecisionStateQuery {
  const { change } = evaluation;
  const violations = evaluation.verdicts.filter(({ verdict }) => verdict.kind === 'violation');
  // Only automation's (and the sweep's) non-critical violations can be held by a breaker.
  const holdable =
    config.circuitBreaker.enabled &&
    (evaluation.origin === 'sweep' || infrastructureAsCodeActor(change.actor, config) !== undefined);
  const breakers = holdable
    ? violations.flatMap(({ guardrail, verdict }) =>
        verdict.kind === 'violation' && verdict.severity !== 'critical'
          ? [
              {
                rule: guardrail.id,
                resource: breakerResourceKey(change.account, change.region, verdict.resource),
              },
            ]
          : [],
      )
    : [];
  return {
    account: change.account,
    placement: config.overrides.some((override) => override.organizationalUnits),
    exemptions: config.exemptions.enabled && violations.length > 0,
    breakers,
  };
}

interface Candidate {
  level: number;
  distance: number;
  scoped: boolean;
  index: number;
  setting: ModeSetting;
}

/**
 * The guardrail's mode for this account: the most specific of an account override, an OU
 * override (the nearest OU first), `rules.<id>.mode`, the guardrail's default. At the same level
 * an override naming the rule beats one for every rule; then the override listed first wins.
 */
export function resolveMode(
  guardrail: Pick<Guardrail, 'id' | 'defaultMode'>,
  /** Without `rules`, only overrides are considered (then the guardrail's default). */
  config: Pick<Config, 'overrides'> & Partial<Pick<Config, 'rules'>>,
  account: string | undefined,
  placement: AccountPlacement | undefined,
): { setting: ModeSetting; notes: string[] } {
  const candidates: Candidate[] = [];
  const unknown: number[] = [];
  config.overrides.forEach((override, index) => {
    if (override.rules && !override.rules.includes(guardrail.id)) return;
    const number = index + 1;
    const scope = override.rules ? `for ${guardrail.id}` : `for every rule (so ${guardrail.id})`;
    const note = override.note ? ` — ${override.note}` : '';
    if (account && override.accounts?.includes(account)) {
      candidates.push({
        level: 3,
        distance: 0,
        scoped: override.rules !== undefined,
        index,
        setting: {
          source: 'override',
          mode: override.mode,
          text: `override #${number} (account ${account}) sets mode ${override.mode} ${scope}${note}`,
          override: { number, scope: 'account', id: account },
        },
      });
    }
    if (override.organizationalUnits) {
      if (!placement || placement.account !== account) {
        unknown.push(number);
        return;
      }
      const distances = override.organizationalUnits
        .map((ou) => placement.organizationalUnits.indexOf(ou))
        .filter((distance) => distance >= 0);
      if (distances.length === 0) return;
      const distance = Math.min(...distances);
      const ou = placement.organizationalUnits[distance] as string;
      candidates.push({
        level: 2,
        distance,
        scoped: override.rules !== undefined,
        index,
        setting: {
          source: 'override',
          mode: override.mode,
          text: `override #${number} (${ou}) sets mode ${override.mode} ${scope}${note}`,
          override: { number, scope: 'organizational-unit', id: ou },
        },
      });
    }
  });
  candidates.sort(
    (a, b) =>
      b.level - a.level ||
      a.distance - b.distance ||
      Number(b.scoped) - Number(a.scoped) ||
      a.index - b.index,
  );
  const notes: string[] = [];
  if (unknown.length > 0)
    notes.push(
      `OU membership of ${account ?? 'the account'} unknown: override(s) ${unknown.map((n) => `#${n}`).join(', ')} by OU not considered`,
    );
  if (placement && placement.account === account && placement.organizationalUnits.length > 0)
    notes.push(`${account} sits in ${placement.organizationalUnits.join(' < ')} (nearest first)`);
  for (const loser of candidates.slice(1)) notes.push(`${loser.setting.text}: less specific, not used`);
  const winner = candidates[0];
  if (winner) return { setting: winner.setting, notes };
  const configured = (config.rules as Record<string, { mode?: Mode } | undefined> | undefined)?.[guardrail.id]
    ?.mode;
  // The config schema fills rules.<id>.mode with the default, so it is named as the setting
  // whenever the guardrail has a config section (as replay and alerts always said).
  if (configured)
    return {
      setting: { source: 'rule', mode: configured, text: `rules.${guardrail.id}.mode = ${configured}` },
      notes,
    };
  return {
    setting: {
      source: 'default',
      mode: guardrail.defaultMode,
      text: `default mode of ${guardrail.id} = ${guardrail.defaultMode}`,
    },
    notes,
  };
}

function actorName(change: Change | undefined): string | undefined {
  if (!change) return undefined;
  const { actor } = change;
  return actor.arn ?? actor.invokedBy ?? actor.principalId ?? actor.type;
}

const PAST: Record<Action, string> = {
  revert: 'reverted',
  alert: 'alerted',
  ticket: 'opened a ticket',
  shadow: 'shadowed',
  none: 'done nothing',
};

/**
 * The action for one guardrail's verdict, and why. Pure. The rules, in order:
 *
 * 1. No violation → none.
 * 2. The mode: account override > OU override (nearest OU first) > rules.<id>.mode > default.
 * 3. `off` → none. `shadow` (or `dryRun`) → decide as below as if the mode were revert (dryRun:
 *    as the mode says), then replace the action by `shadow` (nothing is changed; `wouldBe` says
 *    what would have been done). Decisions of `none` stay `none`.
 * 4. Infrastructure-as-code actor (a role in infrastructureAsCode.roleArns, exactly) and mode
 *    revert → infrastructureAsCode.rules.<id> ?? infrastructureAsCode.mode (default ticket), except
 *    a critical violation, which is reverted unless infrastructureAsCode.criticalFollowsMode lists
 *    the guardrail.
 * 5. Mode revert, alert or ticket, exemptions enabled and an exemption in force covers the
 *    account/rule/resource, is not self-approved, and its approver did not make the change →
 *    `alert`, carrying the exemption ("exempted until … by …").
 * 6. Mode revert, a non-critical violation by an infrastructure-as-code role, and the circuit
 *    breaker for (rule, resource) is open or has counted circuitBreaker.maxReverts automation
 *    reverts within the window → `ticket`, carrying the breaker. A sweep observation is held only
 *    by an open breaker. People, unknown actors and critical exposures are always reverted.
 * 7. Mode revert without an exact revert → `alert`. Otherwise the mode is the action.
 */
export function decideEnforcement(
  guardrail: Pick<Guardrail, 'id' | 'defaultMode'>,
  verdict: Verdict,
  config: Config,
  input: DecisionInput = {},
): Decision {
  const { change, context = {} } = input;
  if (verdict.kind !== 'violation') {
    const reason = `no violation (${verdict.kind})`;
    return { action: 'none', reason, trace: [reason] };
  }
  const trace: string[] = [`violation: ${verdict.summary}`];
  const { setting, notes } = resolveMode(guardrail, config, change?.account, context.placement);
  trace.push(`mode: ${setting.text}`, ...notes.map((note) => `  ${note}`));
  const clauses = [setting.text];
  if (notes[0]?.startsWith('OU membership')) clauses.push(notes[0]);

  if (setting.mode === 'off') {
    clauses.push('guardrail switched off');
    return decision('none', clauses, setting, {}, trace);
  }
  let shadow: string | undefined;
  if (setting.mode === 'shadow') shadow = `${setting.text}`;
  else if (config.dryRun) shadow = 'dryRun = true';
  let mode: Mode = setting.mode === 'shadow' ? 'revert' : setting.mode;

  const iac = change ? infrastructureAsCodeActor(change.actor, config) : undefined;
  const critical = verdict.severity === 'critical';
  const criticalFollowsMode = config.infrastructureAsCode.criticalFollowsMode.includes(guardrail.id);
  if (iac && mode === 'revert' && critical && !criticalFollowsMode) {
    const clause = `critical exposure by infrastructure as code (${iac}): reverted all the same (infrastructureAsCode.criticalFollowsMode does not list ${guardrail.id})`;
    clauses.push(clause);
    trace.push(clause);
  } else if (iac && mode === 'revert') {
    const own = config.infrastructureAsCode.rules[guardrail.id];
    const iacMode = own ?? config.infrastructureAsCode.mode;
    const name = own ? `infrastructureAsCode.rules.${guardrail.id}` : 'infrastructureAsCode.mode';
    const clause = `infrastructure-as-code change by ${iac}: ${name} = ${iacMode} replaces revert`;
    clauses.push(clause);
    trace.push(clause);
    if (iacMode === 'off') return decision('none', clauses, setting, { iac }, trace);
    if (iacMode === 'shadow') shadow ??= `${name} = shadow`;
    else mode = iacMode;
  } else if (iac) {
    trace.push(`infrastructure-as-code change by ${iac}: mode ${mode} is not revert, unchanged`);
  }

  // Exemptions (rule 5).
  let exemption: ExemptionUse | undefined;
  const candidates = context.exemptions ?? [];
  if (candidates.length > 0 && change) {
    if (!config.exemptions.enabled) {
      trace.push(`exemptions.enabled = false: ${candidates.length} recorded exemption(s) not considered`);
    } else {
      const now = context.now ?? Date.parse(change.eventTime);
      const target = {
        account: change.account,
        rule: guardrail.id,
        resource: verdict.resource,
        actor: change.actor,
      };
      const checks = candidates.map((candidate) => checkExemption(candidate, target, config, now));
      for (const check of checks) {
        if (!check.applies) trace.push(`exemption ${check.exemption.id} does not apply: ${check.why}`);
      }
      const applying = checks
        .filter((check) => check.applies)
        .map((check) => check.exemption)
        .sort((a, b) => b.expiresAt.localeCompare(a.expiresAt));
      const chosen = applying[0];
      if (chosen) {
        exemption = exemptionUse(chosen);
        trace.push(`exemption ${chosen.id} applies: ${describeExemption(exemption)}`);
        const refused = checks.find((check) => !check.applies && check.inScope);
        if (refused && !refused.applies)
          trace.push(`  (exemption ${refused.exemption.id} was refused: ${refused.why})`);
      }
    }
  }

  let action: Action = mode === 'revert' || mode === 'alert' || mode === 'ticket' ? mode : 'none';
  const details: DecisionDetails = iac ? { iac } : {};
  if (exemption && action !== 'none') {
    clauses.push(
      `${describeExemption(exemption)}: alert${action === 'alert' ? '' : ` instead of ${action}`}`,
    );
    action = 'alert';
    if (!shadow) details.exemption = exemption;
  } else if (action === 'revert' && change && config.circuitBreaker.enabled) {
    // Circuit breaker (rule 6).
    const trip = breakerHold(guardrail.id, verdict, change, config, context, {
      automation: iac !== undefined,
      sweep: input.origin === 'sweep',
    });
    trace.push(trip.why);
    if (trip.held) {
      clauses.push(trip.why);
      action = 'ticket';
      if (!shadow) details.breaker = trip.held;
    }
  }
  if (action === 'revert' && verdict.remediation.length === 0) {
    clauses.push(
      verdict.notReverted
        ? `${verdict.notReverted}: alerting instead`
        : 'no exact revert exists for this change: alerting instead',
    );
    action = 'alert';
  }
  if (shadow && action !== 'none') {
    clauses.push(`${shadow}: shadow, changes nothing (would have ${PAST[action]})`);
    details.wouldBe = action;
    return decision('shadow', clauses, setting, details, trace);
  }
  return decision(action, clauses, setting, details, trace);
}

/** The decision, its reason (the clauses, in order) and its trace (ending with the action). */
function decision(
  action: Action,
  clauses: readonly string[],
  setting: ModeSetting,
  details: DecisionDetails,
  trace: string[],
): Decision {
  trace.push(`action: ${action}`);
  // Keys assigned in the order a spread of `details` gave them (JSON output): spreading into a
  // literal takes V8's slow path on Node 20, and every watched event's verdicts are decided here.
  const made: Decision = { action, reason: clauses.join('; '), setting };
  if (details.iac !== undefined) made.iac = details.iac;
  if (details.exemption) made.exemption = details.exemption;
  if (details.breaker) made.breaker = details.breaker;
  if (details.wouldBe) made.wouldBe = details.wouldBe;
  made.trace = trace;
  return made;
}

/**
 * Whether the circuit breaker keeps this revert from happening, and why (or why not). Only
 * configured automation (infrastructure-as-code roles) can be held back, never a critical
 * exposure; a sweep observation respects a breaker that is open but never trips or extends it.
 */
function breakerHold(
  rule: string,
  verdict: Extract<Verdict, { kind: 'violation' }>,
  change: Change,
  config: Config,
  context: EnforcementContext,
  actor: { automation: boolean; sweep: boolean },
): { held?: BreakerTrip; why: string } {
  const resource = breakerResourceKey(change.account, change.region, verdict.resource);
  const view = context.breakers?.[breakerKey(rule, resource)];
  const settings = breakerSettings(config);
  if (verdict.severity === 'critical')
    return { why: 'circuit breaker: never holds back a critical exposure (revert)' };
  if (!actor.automation && !actor.sweep)
    return {
      why: `circuit breaker: ${actorName(change) ?? 'the actor'} is not a configured automation role (infrastructureAsCode.roleArns): people and unknown actors are always reverted`,
    };
  const holds = view && (actor.sweep ? view.open : breakerTripped(view, settings));
  if (!view || !holds)
    return {
      why: `circuit breaker closed: ${view?.revertsInWindow ?? 0} automation revert(s) within ${config.circuitBreaker.window} (max ${settings.maxReverts})`,
    };
  const actors = [...view.actors];
  const current = actorName(change);
  if (actor.automation && current && !actors.includes(current)) actors.push(current);
  const closesBy = view.closesBy ?? (context.now ?? Date.parse(change.eventTime)) + settings.maxOpenMs;
  const held: BreakerTrip = {
    rule,
    resource,
    revertsInWindow: view.revertsInWindow,
    maxReverts: settings.maxReverts,
    window: config.circuitBreaker.window,
    opening: !view.open && !actor.sweep,
    ...(view.openedAt !== undefined ? { openedAt: new Date(view.openedAt).toISOString() } : {}),
    closesBy: new Date(closesBy).toISOString(),
    actors,
    ...(actor.sweep ? { observation: true } : {}),
  };
  const state = view.open ? 'open' : 'trips';
  const fight = `${view.revertsInWindow} revert(s) of ${verdict.resource.id} within ${config.circuitBreaker.window} (circuitBreaker.maxReverts = ${settings.maxReverts}), a fight with ${actors.join(', ') || 'unknown actors'}`;
  const sweep = actor.sweep ? ' (a sweep observation: counted nowhere, extends nothing)' : '';
  return {
    held,
    why: `circuit breaker ${state}: ${fight}: ticket instead of revert until ${held.closesBy} at the latest${sweep}`,
  };
}
