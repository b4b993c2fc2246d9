import {
  createEnforcement,
  createPipeline,
  type Executor,
  memoryFindingMarkStore,
  type Notifier,
} from '@driftguard/aws';
import {
  assessFinding,
  CATALOG,
  claimedFreshness,
  defaultConfig,
  deliveryId,
  eventPatterns,
  type Finding,
  findingFreshness,
  findingModeOf,
  findingTypeMatches,
  memberOwnIdentity,
  normalizeGuardDuty,
  type OperationResult,
  parseConfig,
  parseFindingType,
  planPlaybooks,
  renderGitHubComment,
  renderJiraComment,
  renderTicketPayload,
  routeNotification,
  severityBand,
  ticketKey,
  ticketTitle,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { rulesMarkdown } from '../../packages/cli/src/rules-doc';
import {
  accessKeyResource,
  type FindingEventInput,
  guardDutyFinding,
  guardDutyFindingEvent,
} from '../../packages/cli/src/simulate/guardduty';
import { configWith } from '../support/notify';

const INSTANCE = {
  resourceType: 'Instance',
  instanceDetails: {
    instanceId: 'i-0a1b2c3d4e5f60718',
    networkInterfaces: [
      { networkInterfaceId: 'eni-1', vpcId: 'vpc-1', securityGroups: [{ groupId: 'sg-1' }] },
    ],
  },
};

function findingOf(overrides: Partial<FindingEventInput> = {}): Finding {
  const normalized = normalizeGuardDuty(
    guardDutyFinding({
      type: 'Backdoor:EC2/C&CActivity.B!DNS',
      severity: 9.2,
      account: '111122223333',
      region: 'eu-west-1',
      resource: INSTANCE,
      id: 'f00dfeedf00dfeedf00dfeedf00dfeed',
      updatedAt: new Date('2024-03-01T10:50:00.000Z'),
      ...overrides,
    }),
  );
  if (!normalized.ok) throw new Error(normalized.reason);
  return normalized.finding;
}

const isolateFromHigh = configWith({
  rules: {
    'guardduty-finding': {
      playbookMinimumSeverity: 'high',
      playbooks: { 'isolate-instance': ['Backdoor:EC2/*'] },
    },
  },
});

describe('severity bands', () => {
  it.each([
    [1, 'low'],
    [3.9, 'low'],
    [4, 'medium'],
    [6.9, 'medium'],
    [7, 'high'],
    [8.9, 'high'],
    [9, 'critical'],
    [10, 'critical'],
  ] as const)('%s is %s', (severity, band) => {
    expect(severityBand(severity)).toBe(band);
    expect(findingOf({ severity }).band).toBe(band);
  });
});

describe('finding types', () => {
  it.each([
    [
      'Backdoor:EC2/C&CActivity.B!DNS',
      {
        threatPurpose: 'Backdoor',
        resourceType: 'EC2',
        family: 'C&CActivity',
        variant: 'B',
        artifact: 'DNS',
      },
    ],
    [
      'CryptoCurrency:EC2/BitcoinTool.B',
      { threatPurpose: 'CryptoCurrency', resourceType: 'EC2', family: 'BitcoinTool', variant: 'B' },
    ],
    [
      'Recon:EC2/PortProbeUnprotectedPort',
      { threatPurpose: 'Recon', resourceType: 'EC2', family: 'PortProbeUnprotectedPort' },
    ],
    ['Backdoor:EC2/DenialOfService.Tcp', { family: 'DenialOfService', variant: 'Tcp' }],
    ['Trojan:EC2/DGADomainRequest.C!DNS', { family: 'DGADomainRequest', variant: 'C', artifact: 'DNS' }],
    [
      'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
      { resourceType: 'IAMUser', variant: 'InsideAWS' },
    ],
    ['Execution:Runtime/NewBinaryExecuted', { resourceType: 'Runtime', family: 'NewBinaryExecuted' }],
    [
      'CredentialAccess:Kubernetes/MaliciousIPCaller.Custom',
      { resourceType: 'Kubernetes', variant: 'Custom' },
    ],
    ['Discovery:RDS/MaliciousIPCaller', { resourceType: 'RDS' }],
    [
      'Impact:S3/AnomalousBehavior.Delete',
      { resourceType: 'S3', family: 'AnomalousBehavior', variant: 'Delete' },
    ],
    ['AttackSequence:EKS/CompromisedCluster', { threatPurpose: 'AttackSequence', resourceType: 'EKS' }],
  ])('%s', (raw, parts) => {
    expect(parseFindingType(raw)).toMatchObject({ raw, ...parts });
  });

  it('keeps a type outside the scheme raw, without guessing', () => {
    expect(parseFindingType('NotAType')).toEqual({ raw: 'NotAType' });
    expect(parseFindingType('Only:Purpose')).toEqual({ raw: 'Only:Purpose' });
  });

  it.each([
    ['UnauthorizedAccess:EC2/*', 'UnauthorizedAccess:EC2/SSHBruteForce', true],
    ['UnauthorizedAccess:EC2/*', 'UnauthorizedAccess:IAMUser/TorIPCaller', false],
    ['*:EC2/*', 'Backdoor:EC2/C&CActivity.B!DNS', true],
    ['Backdoor:EC2/C&CActivity.B!DNS', 'Backdoor:EC2/C&CActivity.B!DNS', true],
    ['Backdoor:EC2/C&CActivity.B', 'Backdoor:EC2/C&CActivity.B!DNS', false],
    ['Backdoor:EC2/C&CActivity.?!DNS', 'Backdoor:EC2/C&CActivity.B!DNS', true],
    ['backdoor:ec2/*', 'Backdoor:EC2/C&CActivity.B', false],
    ['Policy:S3/Bucket*', 'Policy:S3/BucketAnonymousAccessGranted', true],
    ['Policy:S3/Bucket*', 'Policy:S3/AccountBlockPublicAccessDisabled', false],
  ])('glob %s on %s → %s', (pattern, type, matches) => {
    expect(findingTypeMatches(pattern, type)).toBe(matches);
  });
});

describe('config rules.guardduty-finding', () => {
  it('defaults: alert, playbooks off, minimum critical', () => {
    expect(defaultConfig().rules['guardduty-finding']).toEqual({
      mode: 'alert',
      playbookMinimumSeverity: 'critical',
      playbooks: {
        'isolate-instance': [],
        'deactivate-access-key': [],
        'revoke-role-sessions': [],
        'block-s3-public-access': [],
      },
    });
  });

  it.each([
    [{ mode: 'revert' }, 'mode'],
    [{ playbookMinimumSeverity: 11 }, 'playbookMinimumSeverity'],
    [{ playbookMinimumSeverity: 'severe' }, 'playbookMinimumSeverity'],
    [{ playbooks: { 'isolate-instance': ['Backdoor: EC2/*'] } }, 'no spaces'],
    [{ playbooks: { 'delete-everything': ['*'] } }, 'delete-everything'],
  ])('rejects %j with a reason naming %s', (rule, text) => {
    const parsed = parseConfig({ rules: { 'guardduty-finding': rule } });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(text);
  });
});

describe('playbook selection', () => {
  it('no playbook runs by default, whatever the severity', () => {
    expect(planPlaybooks(findingOf({ severity: 10 }), defaultConfig()).operations).toEqual([]);
  });

  it('runs from the minimum up, never below it', () => {
    for (const [severity, runs] of [
      [6.9, false],
      [7, true],
      [9.9, true],
    ] as const) {
      const assessment = assessFinding(findingOf({ severity }), isolateFromHigh);
      expect(assessment.operations.length > 0, String(severity)).toBe(runs);
      expect(assessment.action).toBe(runs ? 'revert' : severity >= 7 ? 'ticket' : 'alert');
    }
  });

  it('a numeric minimum is a score, not a band', () => {
    const config = configWith({
      rules: {
        'guardduty-finding': { playbookMinimumSeverity: 8.5, playbooks: { 'isolate-instance': ['*'] } },
      },
    });
    expect(planPlaybooks(findingOf({ severity: 8.4 }), config).operations).toEqual([]);
    expect(planPlaybooks(findingOf({ severity: 8.5 }), config).operations).toHaveLength(1);
  });

  it('only for the finding types opted in', () => {
    expect(
      planPlaybooks(findingOf({ type: 'UnauthorizedAccess:EC2/TorClient' }), isolateFromHigh).operations,
    ).toEqual([]);
  });

  it('dryRun shows the playbook and runs nothing', () => {
    const config = { ...isolateFromHigh, dryRun: true };
    const assessment = assessFinding(findingOf(), config);
    expect(assessment.action).toBe('shadow');
    expect(assessment.operations).toHaveLength(1);
    expect(assessment.decisionReason).toContain('dryRun = true');
  });

  it('the role playbook acts on role sessions only, the key playbook on user keys only', () => {
    const config = configWith({
      rules: {
        'guardduty-finding': {
          playbookMinimumSeverity: 1,
          playbooks: { 'deactivate-access-key': ['*'], 'revoke-role-sessions': ['*'] },
        },
      },
    });
    const user = findingOf({
      type: 'UnauthorizedAccess:IAMUser/TorIPCaller',
      resource: accessKeyResource({ accessKeyId: 'AKIAEXAMPLE', userName: 'alice', userType: 'IAMUser' }),
    });
    expect(planPlaybooks(user, config).operations.map((op) => op.operation)).toEqual(['DeactivateAccessKey']);
    const role = findingOf({
      type: 'UnauthorizedAccess:IAMUser/TorIPCaller',
      resource: accessKeyResource({
        accessKeyId: 'ASIAEXAMPLE',
        userName: 'deployer',
        userType: 'AssumedRole',
      }),
    });
    expect(planPlaybooks(role, config).operations.map((op) => op.operation)).toEqual(['RevokeRoleSessions']);
  });

  it("never revokes the sessions of driftguard's own roles or the organization's protected roles", () => {
    const config = configWith({
      centralRoleArn: 'arn:aws:iam::111122223333:role/driftguard-prod-central',
      rules: {
        'guardduty-finding': { playbookMinimumSeverity: 1, playbooks: { 'revoke-role-sessions': ['*'] } },
      },
    });
    const plan = (userName: string, account = '111122223333') =>
      planPlaybooks(
        findingOf({
          account,
          type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
          resource: accessKeyResource({ accessKeyId: 'ASIAEXAMPLE', userName, userType: 'AssumedRole' }),
        }),
        config,
      );
    for (const [userName, why] of [
      ['DriftGuardRemediation', "driftguard's own remediation role"],
      ['driftguard-prod-central', "driftguard's own central role"],
      ['OrganizationAccountAccessRole', 'the Organizations access role'],
      ['AWSReservedSSO_AdministratorAccess_0123456789abcdef', 'an IAM Identity Center (SSO) role'],
      ['AWSServiceRoleForSupport', 'a service-linked role'],
      ['stacksets-exec-0123456789abcdef0123456789abcdef', 'the service-managed StackSets execution role'],
      ['AWSCloudFormationStackSetExecutionRole', 'the self-managed StackSets execution role'],
    ] as const) {
      const refused = plan(userName);
      expect(refused.operations, userName).toEqual([]);
      expect(refused.notes.join()).toContain(`${userName} is ${why}`);
    }
    // The central role counts in its own account only: elsewhere that name is anyone's role.
    expect(plan('driftguard-prod-central', '444455556666').operations.map((op) => op.operation)).toEqual([
      'RevokeRoleSessions',
    ]);
    expect(plan('stacksets-exec-short').operations.map((op) => op.operation)).toEqual(['RevokeRoleSessions']);
  });
});

describe('dedupe: one action per finding version, updates refresh', () => {
  const mark = { updatedAt: '2024-03-01T10:50:00.000Z', count: 3 };

  it('decides new / update / duplicate / stale (pure)', () => {
    expect(findingFreshness({ updatedAt: mark.updatedAt, count: 3 }, undefined)).toEqual({ kind: 'new' });
    expect(findingFreshness({ updatedAt: '2024-03-01T11:05:00.000Z', count: 3 }, mark).kind).toBe('update');
    expect(findingFreshness({ updatedAt: mark.updatedAt, count: 4 }, mark).kind).toBe('update');
    expect(findingFreshness({ updatedAt: mark.updatedAt, count: 3 }, mark).kind).toBe('duplicate');
    // Same instant, written differently, is the same version.
    expect(findingFreshness({ updatedAt: '2024-03-01T10:50:00Z', count: 3 }, mark).kind).toBe('duplicate');
    expect(findingFreshness({ updatedAt: '2024-03-01T10:35:00.000Z', count: 9 }, mark).kind).toBe('stale');
    expect(findingFreshness({ updatedAt: mark.updatedAt, count: 2 }, mark).kind).toBe('stale');
  });

  it('a duplicate or stale delivery is ignored; an update is flagged and acted on again', () => {
    const finding = findingOf({ count: 3 });
    expect(assessFinding(finding, isolateFromHigh, { previous: mark })).toMatchObject({
      status: 'ignored',
      operations: [],
      finding: { update: false, previous: mark },
    });
    const older = findingOf({ updatedAt: new Date('2024-03-01T10:20:00Z'), count: 1 });
    expect(assessFinding(older, isolateFromHigh, { previous: mark }).reason).toContain(
      'older than the version',
    );
    const newer = findingOf({ updatedAt: new Date('2024-03-01T11:05:00Z'), count: 5 });
    const update = assessFinding(newer, isolateFromHigh, { previous: mark });
    expect(update).toMatchObject({
      status: 'violation',
      action: 'revert',
      finding: { update: true, count: 5 },
    });
    expect(update.decisionReason).toContain('update of a finding already acted on');
  });

  it('keys notifications on id + updatedAt for findings, on eventId for CloudTrail', () => {
    const assessment = assessFinding(findingOf(), defaultConfig());
    expect(deliveryId(assessment)).toBe('f00dfeedf00dfeedf00dfeedf00dfeed@2024-03-01T10:50:00.000Z');
    expect(deliveryId({ event: { ...assessment.event, eventId: 'ct-1' } })).toBe('ct-1');
  });

  it('two concurrent deliveries of the same version: one is decided and acts, the other is a duplicate', async () => {
    const executed: string[] = [];
    const pipeline = createPipeline({
      config: isolateFromHigh,
      findings: memoryFindingMarkStore(),
      execute: async (operation) => {
        executed.push(operation.operation);
        return { operation, status: 'applied', verified: true, detail: 'stub' };
      },
    });
    const event = guardDutyFindingEvent({
      type: 'Backdoor:EC2/C&CActivity.B!DNS',
      severity: 9.2,
      account: '111122223333',
      region: 'eu-west-1',
      resource: INSTANCE,
    });
    const processed = await Promise.all([pipeline.process(event), pipeline.process(event)]);
    expect(processed.map((p) => p.assessment.status).sort()).toEqual(['ignored', 'violation']);
    const loser = processed.find((p) => p.assessment.status === 'ignored');
    expect(loser?.assessment.decisionReason).toBe('a finding version is acted on once');
    expect(loser?.assessment.results).toEqual([]); // not decided: no rule result
    expect(executed).toEqual(['IsolateEc2Instance']);
  });

  it('a claim lost to a version since given back is still a duplicate: the loser never acts', () => {
    const finding = findingOf({ count: 3 });
    expect(claimedFreshness(finding, { advanced: false }).kind).toBe('duplicate');
    expect(claimedFreshness(finding, { advanced: false, current: mark }).kind).toBe('duplicate');
    const older = { updatedAt: '2024-03-01T10:20:00.000Z', count: 1 };
    expect(claimedFreshness(finding, { advanced: false, current: older }).kind).toBe('duplicate');
    const newer = { updatedAt: '2024-03-01T11:20:00.000Z', count: 1 };
    expect(claimedFreshness(finding, { advanced: false, current: newer }).kind).toBe('stale');
    expect(claimedFreshness(finding, { advanced: true, previous: older })).toEqual({
      kind: 'update',
      previous: older,
    });
  });

  it('through the pipeline: act once, refresh on update, never act on stale; a failed playbook is retried', async () => {
    const executed: string[] = [];
    let fail = true;
    const execute: Executor = async (operation) => {
      executed.push(operation.operation);
      const result: OperationResult = fail
        ? { operation, status: 'failed', verified: false, detail: 'simulated failure' }
        : { operation, status: 'applied', verified: true, detail: 'stub' };
      return result;
    };
    const notified: string[] = [];
    const notifier: Notifier = {
      channel: 'slack',
      notify: async (report) => void notified.push(`${report.assessment.finding?.update ? 'update' : 'new'}`),
    };
    const pipeline = createPipeline({
      config: isolateFromHigh,
      execute,
      notifiers: [notifier],
      findings: memoryFindingMarkStore(),
    });
    const base = {
      type: 'Backdoor:EC2/C&CActivity.B!DNS',
      severity: 9.2,
      account: '111122223333',
      region: 'eu-west-1',
      resource: INSTANCE,
      id: 'abcabcabcabcabcabcabcabcabcabcab',
    };
    const first = guardDutyFindingEvent({ ...base, updatedAt: new Date('2024-03-01T10:50:00Z'), count: 1 });

    expect((await pipeline.process(first)).outcome.status).toBe('revert-failed');
    fail = false;
    expect((await pipeline.process(first)).outcome.status).toBe('reverted'); // the retry acts
    expect((await pipeline.process(first)).assessment.status).toBe('ignored'); // redelivery: nothing
    const update = guardDutyFindingEvent({ ...base, updatedAt: new Date('2024-03-01T11:05:00Z'), count: 4 });
    const updated = await pipeline.process(update);
    expect(updated.assessment.finding?.update).toBe(true);
    const stale = guardDutyFindingEvent({ ...base, updatedAt: new Date('2024-03-01T10:55:00Z'), count: 2 });
    expect((await pipeline.process(stale)).assessment.status).toBe('ignored');
    expect(executed).toEqual(['IsolateEc2Instance', 'IsolateEc2Instance', 'IsolateEc2Instance']);
    expect(notified).toEqual(['new', 'new', 'update']);
  });
});

describe('overrides by account and OU apply to findings', () => {
  const ACCOUNT = '111122223333';
  const OU = 'ou-ab12-prod0001';
  const withOverrides = (...overrides: unknown[]) =>
    configWith({ ...isolateFromHigh, overrides } as Parameters<typeof configWith>[0]);
  const placement = { account: ACCOUNT, organizationalUnits: [OU, 'r-ab12'] };

  it('an account in alert or ticket mode is told, and no playbook changes anything in it', () => {
    for (const mode of ['alert', 'ticket'] as const) {
      const config = withOverrides({ accounts: [ACCOUNT], mode, note: 'payments: hands off' });
      const assessment = assessFinding(findingOf(), config);
      expect(assessment.action, mode).toBe('ticket'); // critical: alert + ticket either way
      expect(assessment.operations).toEqual([]);
      expect(assessment.decisionReason).toContain(`override #1 (account ${ACCOUNT}) sets mode ${mode}`);
      expect(assessment.decisionReason).toContain('payments: hands off');
      expect(assessment.decisionReason).toContain('isolate-instance (Backdoor:EC2/*) not run');
    }
    const medium = assessFinding(
      findingOf({ severity: 5 }),
      withOverrides({ accounts: [ACCOUNT], mode: 'ticket' }),
    );
    expect(medium.action).toBe('ticket'); // ticket: every band tickets
  });

  it('an OU in shadow shows the playbook it would run; off ignores findings', () => {
    const shadow = assessFinding(findingOf(), withOverrides({ organizationalUnits: [OU], mode: 'shadow' }), {
      placement,
    });
    expect(shadow.action).toBe('shadow');
    expect(shadow.operations.map((operation) => operation.operation)).toEqual(['IsolateEc2Instance']);
    expect(shadow.decisionReason).toContain(`override #1 (${OU}) sets mode shadow`);
    expect(shadow.decisionReason).toContain('would run isolate-instance');
    const off = assessFinding(findingOf(), withOverrides({ accounts: [ACCOUNT], mode: 'off' }));
    expect([off.action, off.operations]).toEqual(['none', []]);
  });

  it('revert lets the opted-in playbooks act; an override for another rule does not apply', () => {
    const revert = assessFinding(findingOf(), withOverrides({ accounts: [ACCOUNT], mode: 'revert' }));
    expect(revert.action).toBe('revert');
    expect(revert.decisionReason).toContain('so rules.guardduty-finding.mode = alert');
    const other = assessFinding(
      findingOf(),
      withOverrides({ accounts: [ACCOUNT], rules: ['sg-open-ingress'], mode: 'off' }),
    );
    expect(other.action).toBe('revert');
    expect(findingModeOf(findingOf(), withOverrides()).text).toBe('rules.guardduty-finding.mode = alert');
  });

  it('an OU override with unknown membership is not applied, and the decision says so', () => {
    const assessment = assessFinding(findingOf(), withOverrides({ organizationalUnits: [OU], mode: 'off' }));
    expect(assessment.action).toBe('revert');
    expect(assessment.decisionReason).toContain(`OU membership of ${ACCOUNT} unknown`);
  });

  it('through the pipeline: the OU is read, and nothing is executed in a shadowed OU', async () => {
    const config = withOverrides({ organizationalUnits: [OU], mode: 'shadow' });
    const asked: string[] = [];
    const enforcement = createEnforcement({
      config,
      placement: async (account) => {
        asked.push(account);
        return placement;
      },
    });
    const executed: string[] = [];
    const pipeline = createPipeline({
      config,
      enforcement,
      findings: memoryFindingMarkStore(),
      execute: async (operation) => {
        executed.push(operation.operation);
        return { operation, status: 'applied', verified: true, detail: 'stub' };
      },
    });
    const processed = await pipeline.process(
      guardDutyFindingEvent({
        type: 'Backdoor:EC2/C&CActivity.B!DNS',
        severity: 9.2,
        account: ACCOUNT,
        region: 'eu-west-1',
        resource: INSTANCE,
      }),
    );
    expect(processed.assessment.action).toBe('shadow');
    expect(processed.outcome.status).toBe('shadow');
    expect(asked).toEqual([ACCOUNT]);
    expect(executed).toEqual([]);
  });
});

describe('archived findings: the ticket an earlier version opened is told', () => {
  const report = (assessment: ReturnType<typeof assessFinding>) => ({
    assessment,
    outcome: { status: 'ignored' as const, verified: false, results: [], summary: assessment.reason },
  });
  const active = report(assessFinding(findingOf({ severity: 8 }), defaultConfig()));
  const archived = report(
    assessFinding(
      findingOf({ severity: 8, archived: true, updatedAt: new Date('2024-03-01T12:00:00Z') }),
      defaultConfig(),
    ),
  );

  it('keys and titles the archived version like the ticket of the active one', () => {
    expect(archived.assessment.status).toBe('ignored');
    expect(ticketKey(archived)).toEqual(ticketKey(active));
    expect(ticketTitle(archived)).toBe(ticketTitle(active));
  });

  it('routes only to the configured ticket channels, and says why', () => {
    const config = defaultConfig();
    expect(routeNotification(archived.assessment, config, ['slack', 'sns', 'github'])).toEqual({
      channels: ['github'],
      reason: 'archived finding → github: an open ticket for it is told',
    });
    expect(routeNotification(archived.assessment, config, ['slack', 'sns']).channels).toEqual([]);
    expect(routeNotification(active.assessment, config, ['slack', 'sns', 'github']).channels).toEqual([
      'github',
      'slack',
    ]);
  });

  it('the comments say it was archived, and that a person closes the ticket', () => {
    expect(renderGitHubComment(archived)).toContain(
      '**Archived in GuardDuty:** `Backdoor:EC2/C&CActivity.B!DNS`',
    );
    expect(renderGitHubComment(archived)).toContain('closes no ticket');
    expect(JSON.stringify(renderJiraComment(archived))).toContain('Archived in GuardDuty: ');
    expect(renderTicketPayload(archived, 'ticket.updated')).toMatchObject({
      archived: true,
      rule: 'guardduty-finding',
      dedupeKey: `${ticketKey(active)?.rule}#${ticketKey(active)?.resource}`,
    });
    expect(renderTicketPayload(active, 'ticket.updated')).not.toHaveProperty('archived');
  });
});

describe('catalog, patterns and RULES.md', () => {
  it('generates the GuardDuty EventBridge pattern from the catalog', () => {
    const patterns = eventPatterns(CATALOG, memberOwnIdentity(defaultConfig().remediationRoleName));
    expect(patterns).toContainEqual({
      name: 'guardduty-finding',
      pattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] },
    });
  });

  it('documents the guardrail with its trigger', () => {
    expect(rulesMarkdown()).toContain(
      '| `guardduty-finding` | GuardDuty finding | alert | medium | aws.guardduty: GuardDuty Finding |',
    );
  });
});
