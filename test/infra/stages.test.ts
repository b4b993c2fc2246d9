/**
 * Stage → account/region mapping and what differs between production and other stages:
 * `sst.config.ts`'s `app()` as SST evaluates it, and a non-production stack under Pulumi mocks
 * with the options production does not use (GuardDuty from members, a separate role region,
 * StackSets administered from the management account, channel settings).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, STAGES, type StageSettings, settingsProblems } from '../../infra/stages';
import { type InfraModule, importInfra, ROOT, type SstHarness, setupSst } from './support/sst-mocks';

interface AppConfig {
  name: string;
  home: string;
  removal: string;
  protect: boolean;
  providers: { aws: { region: string; version: string; allowedAccountIds?: string[] } };
}

async function appFor(stage: string): Promise<AppConfig> {
  // SST defines `$config` as the identity before it evaluates the file.
  (globalThis as Record<string, unknown>).$config = (config: unknown) => config;
  const { default: config } = (await import(pathToFileURL(join(ROOT, 'sst.config.ts')).href)) as {
    default: { app(input: { stage: string }): Promise<AppConfig> };
  };
  return config.app({ stage });
}

describe('sst.config.ts app()', () => {
  it('pins production to its account and region, retains its resources and protects it from removal', async () => {
    const prod = STAGES.prod;
    const app = await appFor('prod');
    expect(app).toMatchObject({ name: 'driftguard', home: 'aws', removal: 'retain', protect: true });
    expect(app.providers.aws).toEqual({
      version: '7.20.0',
      region: prod?.region,
      allowedAccountIds: [prod?.account],
    });
  });

  it('removes everything of other stages on `sst remove`, in any account for unlisted ones', async () => {
    const staging = await appFor('staging');
    expect(staging).toMatchObject({ removal: 'remove', protect: false });
    expect(staging.providers.aws.allowedAccountIds).toEqual([STAGES.staging?.account]);
    const personal = await appFor('alice');
    expect(personal).toMatchObject({ removal: 'remove', protect: false });
    expect(personal.providers.aws).not.toHaveProperty('allowedAccountIds');
  });
});

describe('stage settings', () => {
  it('are valid for every listed stage', () => {
    for (const [stage, settings] of Object.entries({ ...STAGES, sandbox: SANDBOX })) {
      expect(settingsProblems(settings), stage).toEqual([]);
    }
  });

  it('name what AWS would reject half-way through a deploy', () => {
    const broken: StageSettings = {
      ...SANDBOX,
      account: '1234',
      organizationId: 'org-1',
      targetOrganizationalUnits: ['ou-nope'],
      roleRegion: 'eu-central-1',
      reservedConcurrency: 1,
      channelSettings: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/x' } as StageSettings['channelSettings'],
      config: { externalId: 'x' },
    };
    expect(settingsProblems(broken)).toEqual([
      expect.stringContaining('12-digit'),
      expect.stringContaining('organization id'),
      expect.stringContaining('ou-nope'),
      expect.stringContaining('role region'),
      expect.stringContaining('reservedConcurrency'),
      expect.stringContaining('channelSettings.SLACK_WEBHOOK_URL'),
      expect.stringContaining('externalId'),
    ]);
  });
});

describe('a non-production stack', () => {
  let sst: SstHarness;
  let infra: InfraModule;
  const settings: StageSettings = {
    ...SANDBOX,
    memberRegions: ['us-east-1', 'eu-west-1'],
    roleRegion: 'eu-west-1',
    guardDutyFindings: 'member-accounts',
    stackSetsCallAs: 'SELF',
    sweepSchedule: 'rate(1 day)',
    channelSettings: { JIRA_EMAIL: 'driftguard@example.com' },
    config: { externalId: 'sandbox-external-id', remediationRoleName: 'SandboxRemediation' },
  };

  beforeAll(async () => {
    sst = await setupSst('alice');
    infra = await importInfra();
    await sst.settle(infra.stackOutputs(infra.createDriftguard('alice', settings)));
  }, 180_000);
  afterAll(() => sst?.close());

  it('refuses invalid settings before creating anything', () => {
    expect(() => infra.createDriftguard('broken', { ...settings, organizationId: 'nope' })).toThrow(
      /infra\/stages.ts, stage "broken":\n- organizationId "nope"/,
    );
  });

  it('has no deletion protection on its table', () => {
    expect(sst.named('StateTable').inputs).toMatchObject({
      name: 'driftguard-alice-state',
      deletionProtectionEnabled: false,
      pointInTimeRecovery: { enabled: true },
    });
  });

  it('has members forward their own GuardDuty findings, and no default-bus forwarding centrally', () => {
    const stackSet = sst.named('MemberStackSet');
    expect(stackSet.inputs.callAs).toBe('SELF');
    expect(stackSet.inputs.parameters).toMatchObject({
      ForwardGuardDutyFindings: 'true',
      RoleRegion: 'eu-west-1',
      ExternalId: 'sandbox-external-id',
      CentralFunctionRoleArn: expect.stringMatching(/:role\/driftguard-alice-central$/),
    });
    const template = JSON.parse(String(stackSet.inputs.templateBody));
    expect(template.Resources.RemediationRole.Properties.RoleName).toBe('SandboxRemediation');
    expect(
      sst
        .ofType('aws:cloudwatch/eventRule:EventRule')
        .filter((rule) => rule.inputs.eventBusName === 'default'),
    ).toEqual([]);
  });

  it('deploys the role region’s stack instance first', () => {
    const instances = sst.ofType('aws:cloudformation/stackSetInstance:StackSetInstance');
    expect(instances.map((instance) => instance.inputs.stackSetInstanceRegion)).toEqual([
      'eu-west-1',
      'us-east-1',
    ]);
  });

  it('lets the central role assume the configured remediation role name only', () => {
    const policy = JSON.parse(String(sst.named('CentralRolePolicy').inputs.policy)) as {
      Statement: { Action: string[]; Resource: string }[];
    };
    const assume = policy.Statement.find((statement) => statement.Action.includes('sts:AssumeRole'));
    expect(assume?.Resource).toBe('arn:aws:iam::*:role/SandboxRemediation');
  });

  it('passes channel settings and the sweep schedule through', () => {
    const functions = sst.ofType('aws:lambda/function:Function');
    for (const fn of functions) {
      const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      expect(variables.JIRA_EMAIL).toBe('driftguard@example.com');
    }
    expect(
      sst.ofType('aws:scheduler/schedule:Schedule').map((schedule) => schedule.inputs.scheduleExpression),
    ).toContain('rate(1 day)');
    const sweep = functions.find((fn) => fn.inputs.name === 'driftguard-alice-sweep');
    const environment = sweep?.inputs.environment as { variables: Record<string, string> } | undefined;
    expect(environment?.variables.DRIFTGUARD_SWEEP_REGIONS).toBe('us-east-1,eu-west-1');
  });
});
