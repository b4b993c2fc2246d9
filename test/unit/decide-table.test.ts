import {
  type AccountPlacement,
  type Action,
  assess,
  type Exemption,
  normalizeCloudTrail,
  outcomeWithoutExecution,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith, sampleEvent } from '../support/notify';

/**
 * The decision table: every combination of rule mode × account/OU override × dryRun × exemption
 * × actor × circuit breaker, decided by `assess` and compared with the rules as the README states
 * them (`expected` below restates them independently; it never calls driftguard).
 *
 *   1. The mode is the most specific setting: an account override, else an override of the
 *      nearest OU (known only when the OU membership is), else rules.<id>.mode.
 *   2. off → nothing. shadow or dryRun → nothing is changed: the action is `shadow`, and
 *      `wouldBe` is what rules 3–5 would have done (with shadow read as revert).
 *   3. An infrastructure-as-code actor (CloudFormation, a role matching roleArnPatterns) turns
 *      revert into ticket (infrastructureAsCode.mode, default ticket).
 *   4. An exemption covers the violation when exemptions are enabled, it is for this account
 *      (and this resource and rule when it names them), it is in force now (granted, not expired,
 *      not revoked, not longer than maxDuration), its approver is not its requester, and its
 *      approver did not make the change → alert (exempted), whatever the mode (revert/alert/ticket).
 *   5. Otherwise a revert whose circuit breaker has tripped (3 reverts within 30 minutes) → ticket.
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

const ACTORS = ['human jdoe', 'CloudFormation', 'Terraform role'] as const;
type ActorCase = (typeof ACTORS)[number];

const BREAKERS = ['closed (2 reverts)', 'tripped (3 reverts in 30 min)'] as const;
type BreakerCase = (typeof BREAKERS)[number];

interface Scenario {
  mode: Mode;
  override: OverrideCase;
  dryRun: boolean;
  exemption: ExemptionCase;
  actor: ActorCase;
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
  if (s.actor !== 'human jdoe' && acting === 'revert') acting = 'ticket';
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
  } else if (acting === 'revert' && s.breaker === 'tripped (3 reverts in 30 min)') {
    acting = 'ticket';
    breaker = true;
  }
  if (shadow) return { mode, action: 'shadow', wouldBe: acting, exempted: false, breaker: false };
  return { mode, action: acting, exempted, breaker };
}

function eventFor(actor: ActorCase): unknown {
  const event = sampleEvent({ eventTime: '2024-03-01T10:05:00Z' }) as { detail: Record<string, unknown> };
  const detail = event.detail;
  if (actor === 'CloudFormation') {
    detail.userIdentity = {
      type: 'AssumedRole',
      principalId: 'AROACFNEXEC:AWSCloudFormation',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/cfn-exec/AWSCloudFormation`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/cfn-exec`, userName: 'cfn-exec' },
      },
      invokedBy: 'cloudformation.amazonaws.com',
    };
    detail.sourceIPAddress = 'cloudformation.amazonaws.com';
    detail.userAgent = 'cloudformation.amazonaws.com';
  }
  if (actor === 'Terraform role') {
    detail.userIdentity = {
      type: 'AssumedRole',
      principalId: 'AROATF:gha-run-42',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/terraform-deploy/gha-run-42`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::${ACCOUNT}:role/terraform-deploy`,
          userName: 'terraform-deploy',
        },
      },
    };
  }
  return event;
}

function decideScenario(s: Scenario) {
  const override = OVERRIDES[s.override];
  const config = configWith({
    dryRun: s.dryRun,
    rules: { 'sg-open-ingress': { mode: s.mode } },
    overrides: override.overrides,
    exemptions: { enabled: s.exemption !== 'active, exemptions disabled', maxDuration: '8h' },
    infrastructureAsCode: { roleArnPatterns: ['arn:aws:iam::*:role/terraform-*'] },
  });
  const normalized = normalizeCloudTrail(eventFor(s.actor));
  if (!normalized.ok) throw new Error(normalized.reason);
  const reverts = s.breaker === 'closed (2 reverts)' ? 2 : 3;
  return assess(normalized.change, config, undefined, undefined, undefined, {
    now: NOW,
    ...(override.placement ? { placement: PLACEMENT } : {}),
    exemptions: EXEMPTIONS[s.exemption] as readonly Exemption[],
    breakers: {
      [`sg-open-ingress#${GROUP_ARN}`]: { revertsInWindow: reverts, open: false, actors: ['arn:x/tf'] },
    },
  });
}

function scenarios(): Scenario[] {
  const all: Scenario[] = [];
  for (const mode of MODES)
    for (const override of Object.keys(OVERRIDES) as OverrideCase[])
      for (const dryRun of [false, true])
        for (const exemption of Object.keys(EXEMPTIONS) as ExemptionCase[])
          for (const actor of ACTORS)
            for (const breaker of BREAKERS) all.push({ mode, override, dryRun, exemption, actor, breaker });
  return all;
}

const TABLE = scenarios();
const name = (s: Scenario) =>
  `mode ${s.mode} · ${s.override} · dryRun ${s.dryRun} · exemption ${s.exemption} · ${s.actor} · breaker ${s.breaker}`;

describe('decision table', () => {
  it('covers every combination (5 modes × 7 overrides × 2 dryRun × 14 exemptions × 3 actors × 2 breakers)', () => {
    expect(TABLE).toHaveLength(5 * 7 * 2 * 14 * 3 * 2);
    // Every action is reached, so the table is not trivially uniform.
    const actions = new Set(TABLE.map((s) => expected(s).action));
    expect([...actions].sort()).toEqual(['alert', 'none', 'revert', 'shadow', 'ticket']);
  });

  it.each(TABLE.map((s) => [name(s), s] as const))('%s', (_name, s) => {
    const want = expected(s);
    const assessment = decideScenario(s);
    expect(assessment.status).toBe('violation');
    expect(
      { action: assessment.action, wouldBe: assessment.wouldBe },
      assessment.results[0]?.decision.trace?.join('\n'),
    ).toEqual({ action: want.action, wouldBe: want.wouldBe });
    expect(assessment.exemption !== undefined).toBe(want.exempted);
    expect(assessment.breaker !== undefined).toBe(want.breaker);

    // Only a revert executes, and a shadow lists exactly the revert it would have made.
    const plans = want.action === 'revert' || (want.action === 'shadow' && want.wouldBe === 'revert');
    expect(assessment.operations).toHaveLength(plans ? 1 : 0);

    // The outcome and the reason say what decided.
    const outcome = outcomeWithoutExecution(assessment);
    if (want.exempted) {
      expect(outcome.status).toBe('exempted');
      const approver = EXEMPTIONS[s.exemption][0]?.approver;
      expect(outcome.summary).toContain(`exempted until 2024-03-01T12:00:00Z by ${approver}`);
      expect(outcome.summary).toContain('reason: vendor migration window');
    }
    if (want.breaker) expect(assessment.decisionReason).toContain('circuit breaker trips: 3 revert(s)');
    if (want.action === 'shadow')
      expect(assessment.decisionReason).toMatch(
        want.mode === 'shadow'
          ? /mode = shadow: shadow, changes nothing/
          : /dryRun = true: shadow, changes nothing/,
      );
    if (s.override === 'account → alert')
      expect(assessment.decisionReason).toContain('override #1 (account 111122223333)');
    if (s.override === 'OU → ticket')
      expect(assessment.decisionReason).toContain(`override #1 (${NEAREST_OU}) sets mode ticket`);
    if (s.override === 'nearest OU → revert beats parent OU → off')
      expect(assessment.decisionReason).toContain(`override #2 (${NEAREST_OU}) sets mode revert`);
    if (s.override === 'OU → alert, OU membership unknown')
      expect(assessment.decisionReason).toContain('override(s) #1 by OU not considered');
  });
});
