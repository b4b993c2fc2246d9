import {
  type AccountPlacement,
  type Action,
  assess,
  type Change,
  type Config,
  type Exemption,
  normalizeCloudTrail,
  outcomeWithoutExecution,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith, sampleEvent } from '../support/notify';

/**
 * The decision table: every combination of rule mode × account/OU override × dryRun × exemption
 * × actor × severity × circuit breaker, decided by `assess` and compared with the rules as the
 * README states them (`expected` below restates them independently; it never calls driftguard).
 *
 *   1. The mode is the most specific setting: an account override, else an override of the
 *      nearest OU (known only when the OU membership is), else rules.<id>.mode.
 *   2. off → nothing. shadow or dryRun → nothing is changed: the action is `shadow`, and
 *      `wouldBe` is what rules 3–5 would have done (with shadow read as revert).
 *   3. An infrastructure-as-code actor (a session of a role listed exactly in
 *      infrastructureAsCode.roleArns; never a CloudFormation stack as such, never a role whose
 *      name looks like a pipeline's) turns revert into infrastructureAsCode.mode (default ticket),
 *      except a critical violation, which is reverted (no criticalFollowsMode here).
 *   4. An exemption covers the violation when exemptions are enabled, it is for this account
 *      (and this resource and rule when it names them), it is in force now (granted, not expired,
 *      not revoked, not longer than maxDuration), its approver is not its requester, and its
 *      approver did not make the change → alert (exempted), whatever the mode (revert/alert/ticket).
 *   5. Otherwise a revert of a non-critical violation by a configured infrastructure-as-code role
 *      whose circuit breaker has tripped (3 reverts within 30 minutes) → ticket. People, unknown
 *      actors and critical exposures are always reverted.
 */

const ACCOUNT = '111122223333';
const GROUP = 'sg-0123456789abcdef0';
const GROUP_ARN = `arn:aws:ec2:eu-west-1:${ACCOUNT}:security-group/${GROUP}`;
const NEAREST_OU = 'ou-ab12-payments';
const PARENT_OU = 'ou-ab12-workload';
const NOW = Date.parse('2024-03-01T11:00:00Z');
const PLACEMENT: AccountPlacement = {
  account: ACCOUNT,
  organizationalUnits: [NEAREST_OU, PARENT_OU, 'r-ab12'],
};

const MODES = ['revert', 'alert', 'ticket', 'shadow', 'off'] as const;
type Mode = (typeof MODES)[number];

const OVERRIDES = {
  none: { overrides: [], placement: true },
  'account → alert': { overrides: [{ accounts: [ACCOUNT], mode: 'alert' }], placement: true },
  'OU → ticket': { overrides: [{ organizationalUnits: [NEAREST_OU], mode: 'ticket' }], placement: true },
  'account → revert beats OU → off': {
    overrides: [
      { organizationalUnits: [NEAREST_OU], mode: 'off' },
      { accounts: [ACCOUNT], mode: 'revert' },
    ],
    placement: true,
  },
  'nearest OU → revert beats parent OU → off': {
    overrides: [
      { organizationalUnits: [PARENT_OU], mode: 'off' },
      { organizationalUnits: [NEAREST_OU], mode: 'revert' },
    ],
    placement: true,
  },
  'OU → alert, OU membership unknown': {
    overrides: [{ organizationalUnits: [NEAREST_OU], mode: 'alert' }],
    placement: false,
  },
  'other account → off': { overrides: [{ accounts: ['444455556666'], mode: 'off' }], placement: true },
} as const;
type OverrideCase = keyof typeof OVERRIDES;

const BASE_EXEMPTION: Exemption = {
  id: 'ex-1',
  account: ACCOUNT,
  resource: GROUP,
  rule: 'sg-open-ingress',
  reason: 'vendor migration window',
  ticket: 'CHG-1',
  requester: 'alice@example.com',
  approver: 'bob@example.com',
  grantedAt: '2024-03-01T10:00:00Z',
  expiresAt: '2024-03-01T12:00:00Z',
};

const EXEMPTIONS = {
  none: [],
  active: [BASE_EXEMPTION],
  'active, resource as ARN': [{ ...BASE_EXEMPTION, resource: GROUP_ARN }],
  'active, whole account, every rule': [{ ...BASE_EXEMPTION, resource: undefined, rule: undefined }],
  expired: [{ ...BASE_EXEMPTION, expiresAt: '2024-03-01T10:30:00Z' }],
  'not yet in force': [
    { ...BASE_EXEMPTION, grantedAt: '2024-03-01T11:30:00Z', expiresAt: '2024-03-01T13:00:00Z' },
  ],
  revoked: [{ ...BASE_EXEMPTION, revokedAt: '2024-03-01T10:45:00Z', revokedBy: 'carol@example.com' }],
  'longer than maxDuration': [{ ...BASE_EXEMPTION, grantedAt: '2024-03-01T02:00:00Z' }],
  'wrong account': [{ ...BASE_EXEMPTION, account: '444455556666' }],
  'wrong resource': [{ ...BASE_EXEMPTION, resource: 'sg-0fffffffffffffff0' }],
  'wrong rule': [{ ...BASE_EXEMPTION, rule: 'vpc-peering' }],
  'self-approved': [
    { ...BASE_EXEMPTION, approver: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice@example.com` },
  ],
  'approved by jdoe (the human actor)': [{ ...BASE_EXEMPTION, approver: 'jdoe' }],
  'active, exemptions disabled': [BASE_EXEMPTION],
} as const satisfies Record<string, readonly Partial<Exemption>[]>;
type ExemptionCase = keyof typeof EXEMPTIONS;

const ACTORS = [
  'human jdoe',
  "attacker's CloudFormation stack",
  'role named terraform-deploy, not configured',
  'configured IaC role (mode ticket)',
  'configured IaC role (mode revert)',
] as const;
type ActorCase = (typeof ACTORS)[number];
const IAC_ROLE = `arn:aws:iam::${ACCOUNT}:role/platform/tf-apply`;
const configuredIac = (actor: ActorCase) => actor.startsWith('configured IaC role');

/** tcp/443 to the world is high; tcp/22 to the world is critical. */
const SEVERITIES = ['high', 'critical'] as const;
type SeverityCase = (typeof SEVERITIES)[number];

const BREAKERS = ['closed (2 reverts)', 'tripped (3 reverts in 30 min)'] as const;
type BreakerCase = (typeof BREAKERS)[number];

interface Scenario {
  mode: Mode;
  override: OverrideCase;
  dryRun: boolean;
  exemption: ExemptionCase;
  actor: ActorCase;
  severity: SeverityCase;
  breaker: BreakerCase;
}

interface Expected {
  /** The mode the most specific setting chose. */
  mode: Mode;
  action: Action;
  wouldBe?: Action;
  exempted: boolean;
  breaker: boolean;
}

/** The rules above, restated. */
function expected(s: Scenario): Expected {
  const byOverride: Record<OverrideCase, Mode> = {
    none: s.mode,
    'account → alert': 'alert',
    'OU → ticket': 'ticket',
    'account → revert beats OU → off': 'revert',
    'nearest OU → revert beats parent OU → off': 'revert',
    'OU → alert, OU membership unknown': s.mode,
    'other account → off': s.mode,
  };
  const mode = byOverride[s.override];
  const nothing = { mode, action: 'none' as const, exempted: false, breaker: false };
  if (mode === 'off') return nothing;
  const shadow = mode === 'shadow' || s.dryRun;
  let acting: Action = mode === 'shadow' ? 'revert' : mode;
  if (s.actor === 'configured IaC role (mode ticket)' && acting === 'revert' && s.severity !== 'critical')
    acting = 'ticket';
  const covered =
    s.exemption === 'active' ||
    s.exemption === 'active, resource as ARN' ||
    s.exemption === 'active, whole account, every rule' ||
    (s.exemption === 'approved by jdoe (the human actor)' && s.actor !== 'human jdoe');
  let exempted = false;
  let breaker = false;
  if (covered) {
    acting = 'alert';
    exempted = true;
  } else if (
    acting === 'revert' &&
    configuredIac(s.actor) &&
    s.severity !== 'critical' &&
    s.breaker === 'tripped (3 reverts in 30 min)'
  ) {
    acting = 'ticket';
    breaker = true;
  }
  if (shadow) return { mode, action: 'shadow', wouldBe: acting, exempted: false, breaker: false };
  return { mode, action: acting, exempted, breaker };
}

function eventFor(actor: ActorCase, severity: SeverityCase): unknown {
  const event = sampleEvent({
    eventTime: '2024-03-01T10:05:00Z',
    port: severity === 'critical' ? 22 : 443,
  }) as { detail: Record<string, unknown> };
  const detail = event.detail;
  const session = (roleArn: string, name: string, sessionName: string) => ({
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${sessionName}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${sessionName}`,
    accountId: ACCOUNT,
    sessionContext: { sessionIssuer: { type: 'Role', arn: roleArn, userName: name } },
  });
  if (actor === "attacker's CloudFormation stack") {
    // A stack anyone can create, with a service role nobody configured.
    detail.userIdentity = {
      ...session(`arn:aws:iam::${ACCOUNT}:role/cfn-exec`, 'cfn-exec', 'AWSCloudFormation'),
      invokedBy: 'cloudformation.amazonaws.com',
    };
    detail.sourceIPAddress = 'cloudformation.amazonaws.com';
    detail.userAgent = 'cloudformation.amazonaws.com';
  }
  if (actor === 'role named terraform-deploy, not configured')
    detail.userIdentity = session(
      `arn:aws:iam::${ACCOUNT}:role/terraform-deploy`,
      'terraform-deploy',
      'gha-run-42',
    );
  if (configuredIac(actor)) detail.userIdentity = session(IAC_ROLE, 'tf-apply', 'gha-run-42');
  return event;
}

/**
 * The config and the normalized change a scenario is decided with: 280 configs and 10 changes across
 * the 39,200 scenarios, parsed once each (assess reads them and never changes them).
 */
const configs = new Map<string, Config>();
const changes = new Map<string, Change>();
const once = <T>(cache: Map<string, T>, key: string, make: () => T): T => {
  const known = cache.get(key);
  if (known !== undefined) return known;
  const made = make();
  cache.set(key, made);
  return made;
};

function configFor(s: Scenario): Config {
  const override = OVERRIDES[s.override];
  const iacMode = s.actor === 'configured IaC role (mode revert)' ? 'revert' : 'ticket';
  const exemptionsEnabled = s.exemption !== 'active, exemptions disabled';
  return once(configs, JSON.stringify([s.dryRun, s.mode, s.override, exemptionsEnabled, iacMode]), () =>
    configWith({
      dryRun: s.dryRun,
      rules: { 'sg-open-ingress': { mode: s.mode } },
      overrides: override.overrides,
      exemptions: { enabled: exemptionsEnabled, maxDuration: '8h' },
      infrastructureAsCode: { roleArns: [IAC_ROLE], mode: iacMode },
    }),
  );
}

function changeFor(s: Scenario): Change {
  return once(changes, `${s.actor}/${s.severity}`, () => {
    const normalized = normalizeCloudTrail(eventFor(s.actor, s.severity));
    if (!normalized.ok) throw new Error(normalized.reason);
    return normalized.change;
  });
}

function decideScenario(s: Scenario) {
  const override = OVERRIDES[s.override];
  const reverts = s.breaker === 'closed (2 reverts)' ? 2 : 3;
  return assess(changeFor(s), configFor(s), undefined, undefined, undefined, {
    now: NOW,
    ...(override.placement ? { placement: PLACEMENT } : {}),
    exemptions: EXEMPTIONS[s.exemption] as readonly Exemption[],
    breakers: {
      [`sg-open-ingress#${GROUP_ARN}`]: { revertsInWindow: reverts, open: false, actors: [IAC_ROLE] },
    },
  });
}

/** Every combination of the dimensions the decision reads before the actor (grouped per `it`). */
function scenariosFor(actor: ActorCase, severity: SeverityCase, breaker: BreakerCase): Scenario[] {
  const all: Scenario[] = [];
  for (const mode of MODES)
    for (const override of Object.keys(OVERRIDES) as OverrideCase[])
      for (const dryRun of [false, true])
        for (const exemption of Object.keys(EXEMPTIONS) as ExemptionCase[])
          all.push({ mode, override, dryRun, exemption, actor, severity, breaker });
  return all;
}

const GROUPS = ACTORS.flatMap((actor) =>
  SEVERITIES.flatMap((severity) => BREAKERS.map((breaker) => ({ actor, severity, breaker }))),
);
const name = (s: Scenario) =>
  `mode ${s.mode} · ${s.override} · dryRun ${s.dryRun} · exemption ${s.exemption} · ${s.actor} · ${s.severity} · breaker ${s.breaker}`;

function check(s: Scenario) {
  const want = expected(s);
  const assessment = decideScenario(s);
  const trace = `${name(s)}\n${assessment.results[0]?.decision.trace?.join('\n')}`;
  expect(assessment.status, trace).toBe('violation');
  expect(assessment.severity, trace).toBe(s.severity);
  expect({ action: assessment.action, wouldBe: assessment.wouldBe }, trace).toEqual({
    action: want.action,
    wouldBe: want.wouldBe,
  });
  expect(assessment.exemption !== undefined, trace).toBe(want.exempted);
  expect(assessment.breaker !== undefined, trace).toBe(want.breaker);

  // Only a revert executes, and a shadow lists exactly the revert it would have made.
  const plans = want.action === 'revert' || (want.action === 'shadow' && want.wouldBe === 'revert');
  expect(assessment.operations, trace).toHaveLength(plans ? 1 : 0);

  // The outcome and the reason say what decided.
  const outcome = outcomeWithoutExecution(assessment);
  if (want.exempted) {
    expect(outcome.status, trace).toBe('exempted');
    const approver = EXEMPTIONS[s.exemption][0]?.approver;
    expect(outcome.summary, trace).toContain(`exempted until 2024-03-01T12:00:00Z by ${approver}`);
    expect(outcome.summary, trace).toContain('reason: vendor migration window');
  }
  if (want.breaker) expect(assessment.decisionReason, trace).toContain('circuit breaker trips: 3 revert(s)');
  if (want.action === 'shadow')
    expect(assessment.decisionReason, trace).toMatch(
      want.mode === 'shadow'
        ? /mode = shadow: shadow, changes nothing/
        : /dryRun = true: shadow, changes nothing/,
    );
  if (s.override === 'account → alert')
    expect(assessment.decisionReason, trace).toContain('override #1 (account 111122223333)');
  if (s.override === 'OU → ticket')
    expect(assessment.decisionReason, trace).toContain(`override #1 (${NEAREST_OU}) sets mode ticket`);
  if (s.override === 'nearest OU → revert beats parent OU → off')
    expect(assessment.decisionReason, trace).toContain(`override #2 (${NEAREST_OU}) sets mode revert`);
  if (s.override === 'OU → alert, OU membership unknown')
    expect(assessment.decisionReason, trace).toContain('override(s) #1 by OU not considered');
}

describe('decision table', () => {
  it('covers every combination (5 modes × 7 overrides × 2 dryRun × 14 exemptions × 5 actors × 2 severities × 2 breakers)', () => {
    const all = GROUPS.flatMap((g) => scenariosFor(g.actor, g.severity, g.breaker));
    expect(all).toHaveLength(5 * 7 * 2 * 14 * 5 * 2 * 2);
    // Every action is reached, so the table is not trivially uniform; so are both special outcomes.
    const wants = all.map(expected);
    expect([...new Set(wants.map((want) => want.action))].sort()).toEqual([
      'alert',
      'none',
      'revert',
      'shadow',
      'ticket',
    ]);
    expect(wants.some((want) => want.breaker)).toBe(true);
    expect(wants.some((want) => want.exempted)).toBe(true);
  });

  it.each(GROUPS.map((g) => [`${g.actor} · ${g.severity} · breaker ${g.breaker}`, g] as const))(
    '%s (every mode × override × dryRun × exemption)',
    (_name, g) => {
      for (const s of scenariosFor(g.actor, g.severity, g.breaker)) check(s);
    },
  );
});
