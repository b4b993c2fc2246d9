/**
 * The sweep's integrity check, pure parts: which forwarding rules the member template creates in an
 * account and region (compared with the generated template itself, so the two cannot drift), and
 * how driftguard-integrity judges an observation. The same tampering against moto through the
 * sweep worker is test/integration/footprint-sweep.test.ts.
 */

import { sweepEvent } from '@driftguard/aws';
import {
  CATALOG,
  type Change,
  driftguardIntegrity,
  type ExpectedRule,
  expectedForwardingRules,
  FOOTPRINT_OBSERVATION,
  FORWARDING_TARGET_ID,
  type FootprintObservation,
  memberAccountValues,
  normalizeCloudTrail,
  parseConfig,
  patternDifferences,
  remediationTrustPolicy,
  samePattern,
  trustZoneOf,
  type Verdict,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { memberTemplate } from '../../infra/member-template';

const ACCOUNT = '111122223333';
const PREFIX = 'driftguard-prod-forward-';
const ROLE = 'DriftGuardRemediation';
const CENTRAL_ROLE = 'arn:aws:iam::999988887777:role/driftguard-prod-central';
const CENTRAL_BUS = 'arn:aws:events:eu-west-1:999988887777:event-bus/driftguard-prod';
const ORGANIZATION = 'o-a1b2c3d4e5';
const EXTERNAL_ID = 'driftguard-ext-1234';

const expected = (region: string, forwardGuardDutyFindings = false, partition = 'aws') =>
  expectedForwardingRules({
    catalog: CATALOG,
    remediationRoleName: ROLE,
    forwardingPrefix: PREFIX,
    account: ACCOUNT,
    region,
    partition,
    forwardGuardDutyFindings,
  });

/** The template's rules as CloudFormation creates them in a region: conditions evaluated, Fn::Sub resolved. */
function templateRules(region: string, forwardGuardDuty: boolean, partition = 'aws'): ExpectedRule[] {
  const template = memberTemplate({ remediationRoleName: ROLE, forwardingPrefix: PREFIX });
  const holds: Record<string, boolean> = {
    InGlobalEventsRegion: ['us-east-1', 'cn-north-1', 'us-gov-west-1'].includes(region),
    ForwardGuardDuty: forwardGuardDuty,
  };
  const resolve = memberAccountValues({ account: ACCOUNT, partition });
  const substitute = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(substitute);
    if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (typeof record['Fn::Sub'] === 'string') return resolve(record['Fn::Sub']);
      return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, substitute(inner)]));
    }
    return value;
  };
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Events::Rule')
    .filter((resource) => !resource.Condition || holds[resource.Condition])
    .map((resource) => ({
      name: String(resource.Properties.Name),
      pattern: substitute(resource.Properties.EventPattern) as Record<string, unknown>,
    }));
}

describe('expectedForwardingRules: exactly what the member template creates in that account and region', () => {
  it.each([
    ['us-east-1', false],
    ['us-east-1', true],
    ['eu-west-1', false],
    ['eu-west-1', true],
  ])('%s, GuardDuty forwarded: %s', (region, guardDuty) => {
    const rules = expected(region, guardDuty);
    expect(rules.map((rule) => rule.name).sort()).toEqual(
      templateRules(region, guardDuty)
        .map((rule) => rule.name)
        .sort(),
    );
    for (const rule of templateRules(region, guardDuty))
      expect(rules.find((candidate) => candidate.name === rule.name)?.pattern).toEqual(rule.pattern);
  });

  it('global services (IAM) only in us-east-1, GuardDuty only when members forward it', () => {
    const iam = `${PREFIX}cloudtrail-iam`;
    expect(expected('us-east-1').map((rule) => rule.name)).toContain(iam);
    expect(expected('eu-west-1').map((rule) => rule.name)).not.toContain(iam);
    expect(expected('eu-west-1').some((rule) => rule.name.includes('guardduty'))).toBe(false);
    expect(expected('eu-west-1', true).some((rule) => rule.name.includes('guardduty'))).toBe(true);
  });

  it("the member's own remediation role is resolved into the patterns (this account, this partition)", () => {
    const text = JSON.stringify(expected('cn-north-1', false, 'aws-cn'));
    expect(text).toContain(`arn:aws-cn:iam::${ACCOUNT}:role/${ROLE}`);
    expect(text).not.toContain('AWS::');
    expect(expected('cn-north-1', false, 'aws-cn').map((rule) => rule.name)).toContain(
      `${PREFIX}cloudtrail-iam`,
    );
  });
});

describe('patternDifferences', () => {
  it('key order, array order and whitespace are the same pattern', () => {
    expect(samePattern({ a: ['x', 'y'], b: { c: [1] } }, { b: { c: [1] }, a: ['y', 'x'] })).toBe(true);
    expect(patternDifferences({ a: ['x', 'y'] }, { a: ['y', 'x'] })).toEqual([]);
  });

  it('names what was lost, gained, added or removed, by path', () => {
    expect(
      patternDifferences(
        { detail: { eventName: ['A', 'B', 'C'], errorCode: [{ exists: false }] } },
        { detail: { eventName: ['A', 'Z'] }, account: ['1'] },
      ),
    ).toEqual(['account added', 'detail.errorCode removed', 'detail.eventName lost B, C and gained Z']);
  });
});

const parsed = parseConfig({
  centralRoleArn: CENTRAL_ROLE,
  organizationId: ORGANIZATION,
  externalId: EXTERNAL_ID,
  footprint: { centralBusArn: CENTRAL_BUS, forwardingPrefix: PREFIX, roleRegion: 'eu-west-1' },
});
if (!parsed.ok) throw new Error(parsed.reason);
const config = parsed.config;
const zone = trustZoneOf(config);
const TEMPLATE_TRUST = JSON.stringify(
  remediationTrustPolicy({
    centralRoleArn: CENTRAL_ROLE,
    organizationId: ORGANIZATION,
    externalId: EXTERNAL_ID,
  }),
);
const TARGET = {
  id: FORWARDING_TARGET_ID,
  arn: CENTRAL_BUS,
  roleArn: `arn:aws:iam::${ACCOUNT}:role/driftguard/${PREFIX}eu-west-1`,
};

/** The footprint exactly as the template leaves it in eu-west-1 (the role region). */
function intact(): FootprintObservation {
  const rules = expected('eu-west-1');
  return {
    expectedRules: rules,
    rules: rules.map((rule) => ({
      name: rule.name,
      state: 'ENABLED',
      pattern: JSON.stringify(rule.pattern),
      targets: [{ ...TARGET }],
    })),
    role: { trustPolicy: TEMPLATE_TRUST },
  };
}

function judge(observation: FootprintObservation, actor?: Record<string, unknown>): Verdict {
  const { event } = sweepEvent(
    {
      runId: 'r1',
      account: ACCOUNT,
      region: 'eu-west-1',
      regions: ['eu-west-1'],
      clients: { get: async () => Promise.reject(new Error('no reads here')) },
      observedAt: '2026-12-04T21:00:00Z',
    },
    {
      eventSource: 'events.amazonaws.com',
      eventName: FOOTPRINT_OBSERVATION,
      resourceId: 'footprint',
      requestParameters: { ...observation },
    },
  );
  const detail = event.detail as Record<string, unknown>;
  if (actor) detail.userIdentity = actor;
  const normalized = normalizeCloudTrail(event);
  if (!normalized.ok) throw new Error(normalized.reason);
  return driftguardIntegrity.evaluate(normalized.change as Change, {
    config,
    trustZone: zone,
  });
}

const reasons = (verdict: Verdict) =>
  verdict.kind === 'violation' ? verdict.offenses.map((offense) => offense.reason).join(' | ') : '';

describe("driftguard-integrity judging the sweep's observation", () => {
  it('the untampered footprint matches the template', () => {
    expect(judge(intact())).toMatchObject({ kind: 'compliant' });
  });

  it('a missing rule is critical', () => {
    const observed = intact();
    const gone = observed.rules.shift();
    const verdict = judge(observed);
    expect(verdict).toMatchObject({ kind: 'violation', severity: 'critical' });
    expect(reasons(verdict)).toContain(`${gone?.name} is missing`);
  });

  it('a disabled rule is enabled again', () => {
    const observed = intact();
    const rule = observed.rules[0];
    if (rule) rule.state = 'DISABLED';
    const verdict = judge(observed);
    expect(reasons(verdict)).toContain('is DISABLED');
    expect(verdict.kind === 'violation' && verdict.remediation.map((op) => op.operation)).toEqual([
      'EnableRule',
    ]);
  });

  it('a changed pattern says what changed', () => {
    const observed = intact();
    const rule = observed.rules.find((candidate) => candidate.name === `${PREFIX}cloudtrail-ec2`);
    if (!rule) throw new Error('no ec2 rule');
    const pattern = JSON.parse(rule.pattern ?? '{}');
    pattern.detail.eventName = ['DescribeInstances'];
    rule.pattern = JSON.stringify(pattern);
    const text = reasons(judge(observed));
    expect(text).toContain(`${PREFIX}cloudtrail-ec2's event pattern differs from the template`);
    expect(text).toMatch(
      /detail\.eventName lost .*AuthorizeSecurityGroupIngress.* and gained DescribeInstances/,
    );
  });

  it('a target redirected to another bus names the bus it now sends to', () => {
    const observed = intact();
    const rule = observed.rules[0];
    const elsewhere = 'arn:aws:events:eu-west-1:444455556666:event-bus/attacker';
    if (rule) rule.targets = [{ ...TARGET, arn: elsewhere }];
    const verdict = judge(observed);
    expect(reasons(verdict)).toContain(`sends events to ${elsewhere}, not the central bus ${CENTRAL_BUS}`);
    expect(verdict.kind === 'violation' && verdict.remediation.map((op) => op.operation)).toEqual([
      'RestoreForwardingTarget',
    ]);
  });

  it('a widened trust names who else it trusts, and the template trust is restored', () => {
    const observed = intact();
    const widened = JSON.parse(TEMPLATE_TRUST);
    widened.Statement.push({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'sts:AssumeRole',
    });
    observed.role = { trustPolicy: JSON.stringify(widened) };
    const verdict = judge(observed);
    expect(reasons(verdict)).toContain(`it also trusts arn:aws:iam::${ACCOUNT}:root`);
    expect(verdict.kind === 'violation' && verdict.remediation.map((op) => op.operation)).toEqual([
      'RestoreRemediationTrust',
    ]);
  });

  it('a look-alike rule with the prefix is reported (high) and never given the central target or enabled', () => {
    const observed = intact();
    observed.rules.push({
      name: `${PREFIX}copy-everything`,
      state: 'DISABLED',
      pattern: JSON.stringify({ source: [{ prefix: '' }] }),
      targets: [{ id: 'elsewhere', arn: 'arn:aws:events:eu-west-1:444455556666:event-bus/attacker' }],
    });
    const verdict = judge(observed);
    expect(verdict.kind === 'violation' && verdict.offenses).toEqual([
      expect.objectContaining({ id: `${PREFIX}copy-everything`, severity: 'high', remediable: false }),
    ]);
    expect(verdict.kind === 'violation' && verdict.remediation).toEqual([]);
  });

  it('a role that is gone is critical', () => {
    const observed = intact();
    observed.role = null;
    expect(reasons(judge(observed))).toContain(`${ROLE} does not exist`);
  });

  it('an unreadable footprint is a finding, never a pass', () => {
    const verdict = judge({ expectedRules: [], rules: [], unreadable: 'AccessDenied: ListRules' });
    expect(verdict).toMatchObject({ kind: 'violation', severity: 'critical' });
    expect(reasons(verdict)).toBe("cannot verify driftguard's footprint: AccessDenied: ListRules");
  });

  it('settings the comparison needs but the deployment did not set: cannot verify, not a pass', () => {
    const bare = parseConfig({ footprint: { forwardingPrefix: PREFIX } });
    if (!bare.ok) throw new Error(bare.reason);
    const { event } = sweepEvent(
      {
        runId: 'r1',
        account: ACCOUNT,
        region: 'eu-west-1',
        regions: ['eu-west-1'],
        clients: { get: async () => Promise.reject(new Error('no reads')) },
        observedAt: '2026-12-04T21:00:00Z',
      },
      {
        eventSource: 'events.amazonaws.com',
        eventName: FOOTPRINT_OBSERVATION,
        resourceId: 'footprint',
        requestParameters: { ...intact() },
      },
    );
    const normalized = normalizeCloudTrail(event);
    if (!normalized.ok) throw new Error(normalized.reason);
    const verdict = driftguardIntegrity.evaluate(normalized.change, {
      config: bare.config,
      trustZone: trustZoneOf(bare.config),
    });
    expect(verdict.kind).toBe('violation');
    expect(reasons(verdict)).toContain("cannot verify driftguard's footprint: footprint.centralBusArn");
    expect(reasons(verdict)).toContain("cannot verify driftguard's footprint: DriftGuardRemediation's trust");
  });

  it('an observation delivered by anyone but the sweep is not one', () => {
    const verdict = judge(
      { expectedRules: [], rules: [], unreadable: 'forged' },
      { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/mallory`, accountId: ACCOUNT },
    );
    expect(verdict.kind).toBe('not-applicable');
  });
});
