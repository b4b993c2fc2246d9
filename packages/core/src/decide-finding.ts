import type { Action, Decision } from './assess';
import type { Config } from './config';
import { type AccountPlacement, type ModeSetting, resolveMode } from './enforcement';
import type { Finding } from './events/guardduty';
import { GUARDDUTY_RULE_ID, type PlaybookPlan } from './rules/guardduty-finding';
import type { Verdict } from './verdict';

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

/** What deciding about a finding needs besides its verdict: the finding, its playbook plan, its version. */
export interface FindingDecisionInput {
  finding: Pick<Finding, 'account' | 'band' | 'severity'>;
  /** The playbooks that apply and why the others do not (planned once, when the finding was evaluated). */
  plan: Pick<PlaybookPlan, 'applied' | 'notes'>;
  /** A newer version of a finding already acted on: the alert and ticket are refreshed. */
  update: boolean;
  placement?: AccountPlacement;
}

const SEVERE = new Set(['high', 'critical']);

/**
 * The finding branch of the one decide stage (`decide` in assess.ts). Pure. The rules, in order:
 *
 * 1. No violation → none (archived findings never get here: they are not judged).
 * 2. The mode: an override (account, then OU) in the guardrails' vocabulary, else
 *    `rules.guardduty-finding.mode`. `off` → none.
 * 3. `shadow` (or `dryRun`) → shadow: notify, show the playbooks that would run, change nothing.
 * 4. Playbooks are the finding's revert: opted in by finding type, from playbookMinimumSeverity up,
 *    never on sample findings (`planPlaybooks`). They run (action `revert`) unless an override in
 *    `alert` / `ticket` keeps them from changing anything in the account.
 * 5. Otherwise notify: high and critical findings, and every finding in mode `ticket`, open a ticket.
 *
 * Infrastructure as code, break-glass exemptions and the circuit breaker do not apply to findings:
 * a finding is evidence of activity, not a configuration change someone asked for, and a playbook
 * answers a threat, it does not fight anyone's deploy (the trace says so).
 */
export function decideFindingAction(verdict: Verdict, config: Config, input: FindingDecisionInput): Decision {
  if (verdict.kind !== 'violation') {
    const reason = `no violation (${verdict.kind})`;
    return { action: 'none', reason, trace: [reason] };
  }
  const { finding, plan, update } = input;
  const resolved = findingModeOf(finding, config, input.placement);
  const trace = [
    `violation: ${verdict.summary}`,
    `mode: ${resolved.text}`,
    ...resolved.notes.map((note) => `  ${note}`),
    ...plan.notes.map((note) => `playbook: ${note}`),
    'infrastructure as code, exemptions and the circuit breaker do not apply to findings',
  ];
  const done = (action: Action, reason: string): Decision => {
    trace.push(`action: ${action}`);
    return { action, reason, ...(resolved.setting ? { setting: resolved.setting } : {}), trace };
  };
  const notes = [...plan.notes, ...resolved.notes];
  const noted = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  const refresh = update ? 'update of a finding already acted on (refreshes its alert and ticket); ' : '';
  if (resolved.mode === 'off') return done('none', `${resolved.text}: findings ignored`);
  if (resolved.mode === 'shadow' || config.dryRun) {
    const why = resolved.mode === 'shadow' ? resolved.text : 'dryRun = true';
    const would = plan.applied.length > 0 ? `, would run ${plan.applied.join(', ')}` : '';
    return done('shadow', `${refresh}${why}: notify only${would}${noted}`);
  }
  const routing: Action = resolved.mode === 'ticket' || SEVERE.has(finding.band) ? 'ticket' : 'alert';
  const base =
    resolved.mode === 'ticket'
      ? resolved.text
      : `${finding.band} finding → ${routing === 'ticket' ? 'alert + ticket' : 'alert'}${resolved.setting ? ` (${resolved.text})` : ''}`;
  const playbooks = verdict.remediation.length > 0;
  if (playbooks && resolved.playbooks) {
    return done(
      'revert',
      `${refresh}${base}; playbook ${plan.applied.join(', ')} at severity ${finding.severity}${noted}`,
    );
  }
  const held = playbooks
    ? `; playbook ${plan.applied.join(', ')} not run: the override changes nothing in this account`
    : '';
  return done(routing, `${refresh}${base}${held}${noted}`);
}
