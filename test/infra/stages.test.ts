/**
 * Stage → account/region mapping and what differs between production and other stages:
 * `sst.config.ts`'s `app()` as SST evaluates it, and a non-production stack under Pulumi mocks
 * with the options production does not use (GuardDuty from members, a separate role region,
 * StackSets administered from the management account, channel settings).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  INSTALL_ONLY_ENV,
  loadStageFile,
  resolveStage,
  type StageSettings,
  validateStageFile,
} from '../../infra/stages';
import {
  FIXTURE_STAGES,
  type InfraModule,
  importInfra,
  MOCK_ENABLED_REGIONS,
  ROOT,
  type SstHarness,
  setupSst,
} from './support/sst-mocks';

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

const fixture = (stage: string) =>
  JSON.parse(readFileSync(join(FIXTURE_STAGES, `${stage}.json`), 'utf8')) as Record<string, unknown>;

describe('sst.config.ts app()', () => {
  const saved = { dir: process.env.DRIFTGUARD_STAGES_DIR, install: process.env[INSTALL_ONLY_ENV] };
  beforeAll(() => {
    process.env.DRIFTGUARD_STAGES_DIR = FIXTURE_STAGES;
  });
  afterEach(() => {
    delete process.env[INSTALL_ONLY_ENV];
  });
  afterAll(() => {
    process.env.DRIFTGUARD_STAGES_DIR = saved.dir;
    if (saved.install !== undefined) process.env[INSTALL_ONLY_ENV] = saved.install;
  });

  it('pins production to the account and region of its stage file, retains its resources and protects it from removal', async () => {
    const app = await appFor('prod');
    expect(app).toMatchObject({ name: 'driftguard', home: 'aws', removal: 'retain', protect: true });
    expect(app.providers.aws).toEqual({
      version: '7.20.0',
      region: 'us-east-1',
      allowedAccountIds: ['409842761733'],
    });
  });

  it('removes everything of a non-production stage on `sst remove`, still pinned to its account', async () => {
    const staging = await appFor('staging');
    expect(staging).toMatchObject({ removal: 'remove', protect: false });
    expect(staging.providers.aws).toMatchObject({ region: 'eu-west-1', allowedAccountIds: ['552084197301'] });
  });

  it('refuses a stage without a stage file, naming the file to create', async () => {
    await expect(appFor('alice')).rejects.toThrow(
      'stage "alice": test/infra/fixtures/stages/alice.json does not exist. Copy stages/prod.example.json',
    );
  });

  it('lets `sst install` evaluate a stage without a file, as a protected stand-in that keeps everything', async () => {
    process.env[INSTALL_ONLY_ENV] = '1';
    const ci = await appFor('ci');
    expect(ci).toMatchObject({ removal: 'retain', protect: true });
    // A stage that has a file is read as usual even then.
    expect((await appFor('staging')).providers.aws.allowedAccountIds).toEqual(['552084197301']);
  });
});

describe('stage files', () => {
  it('accept the fixtures a team would write', () => {
    for (const stage of ['prod', 'staging']) {
      expect(validateStageFile(fixture(stage)), stage).toMatchObject({ ok: true });
    }
  });

  it('refuse every placeholder of the committed example, naming each key', () => {
    const example = JSON.parse(readFileSync(join(ROOT, 'stages', 'prod.example.json'), 'utf8'));
    const result = validateStageFile(example);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    for (const key of [
      'account',
      'organizationId',
      'targetOrganizationalUnits[0]',
      'managementAccount.account',
      'channelSettings.JIRA_BASE_URL',
    ]) {
      expect(
        problems.some((problem) => problem.startsWith(`${key}: `)),
        key,
      ).toBe(true);
    }
    // Only placeholders are wrong with it: with real values it is a valid stage file.
    expect(
      validateStageFile({
        ...example,
        account: '409842761733',
        organizationId: 'o-k3v9x2m4q7',
        targetOrganizationalUnits: ['r-k3v9'],
        managementAccount: { account: '730335218694' },
        channelSettings: { JIRA_BASE_URL: 'https://acme.atlassian.net', JIRA_EMAIL: 'secops@acme.test' },
      }),
    ).toMatchObject({ ok: true });
  });

  it('refuse an external id: the deployment generates it per organization', () => {
    const result = validateStageFile({
      ...fixture('prod'),
      config: { externalId: 'driftguard-prod-change-me' },
    });
    expect(result).toEqual({
      ok: false,
      problems: ['config.externalId: is generated per organization by the deployment: remove it'],
    });
  });

  it('name what AWS would reject half-way through a deploy, key by key', () => {
    const result = validateStageFile({
      ...fixture('staging'),
      account: '1234',
      organizationId: 'org-1',
      targetOrganizationalUnits: ['ou-nope'],
      roleRegion: 'ap-south-1',
      reservedConcurrency: 1,
      channelSettings: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/x' },
      config: { rules: { 'sg-open-ingress': { mode: 'destroy' } } },
      surprise: true,
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    for (const key of [
      'account: must be a 12-digit',
      'organizationId: must be an organization id',
      'targetOrganizationalUnits[0]: must be an OU id',
      'reservedConcurrency: ',
      'channelSettings: Unrecognized key: "SLACK_WEBHOOK_URL"',
      '(file): Unrecognized key: "surprise"',
      'memberRegions: must include the role region ap-south-1',
      'config.rules.sg-open-ingress.mode: ',
    ]) {
      expect(
        problems.some((problem) => problem.startsWith(key)),
        `${key}\n${problems.join('\n')}`,
      ).toBe(true);
    }
  });

  it('read from disk with the file named in every problem; invalid JSON too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgdeploy-stages-'));
    writeFileSync(join(dir, 'dev.json'), JSON.stringify({ ...fixture('staging'), account: '111111111111' }));
    expect(() => loadStageFile('dev', dir)).toThrow(
      /dev\.json:\n- account: "111111111111" is a placeholder from the example/,
    );
    writeFileSync(join(dir, 'dev.json'), '{ "account": ');
    expect(() => loadStageFile('dev', dir)).toThrow(/dev\.json: not valid JSON/);
    expect(() => loadStageFile('../prod', dir)).toThrow(/stage names are lowercase/);
  });

  it('default the member regions to every enabled region, minus the excluded ones, role region first', () => {
    const prod = resolveStage(loadStageFile('prod', FIXTURE_STAGES), MOCK_ENABLED_REGIONS);
    expect(prod.memberRegions[0]).toBe('us-east-1');
    expect(prod.memberRegions).toHaveLength(MOCK_ENABLED_REGIONS.length - 1);
    expect(prod.memberRegions).not.toContain('me-central-1');
    // An explicit list wins over discovery.
    const staging = resolveStage(loadStageFile('staging', FIXTURE_STAGES), MOCK_ENABLED_REGIONS);
    expect(staging.memberRegions).toEqual(['eu-west-1', 'us-east-1']);
    expect(() =>
      resolveStage(
        { ...loadStageFile('prod', FIXTURE_STAGES), roleRegion: 'af-south-1' },
        MOCK_ENABLED_REGIONS,
      ),
    ).toThrow(/role region af-south-1 is not among the member regions/);
  });
});

describe('a non-production stack', () => {
  let sst: SstHarness;
  let infra: InfraModule;
  const settings: StageSettings = {
    ...resolveStage(loadStageFile('staging', FIXTURE_STAGES), []),
    region: 'us-east-1',
    memberRegions: ['us-east-1', 'eu-west-1'],
    roleRegion: 'eu-west-1',
    guardDutyFindings: 'member-accounts',
    stackSetsCallAs: 'SELF',
    sweepSchedule: 'rate(1 day)',
    channelSettings: { JIRA_EMAIL: 'driftguard@example.com' },
    config: { remediationRoleName: 'SandboxRemediation' },
  };

  beforeAll(async () => {
    sst = await setupSst('alice');
    infra = await importInfra();
    await sst.settle(infra.stackOutputs(infra.createDriftguard('alice', settings)));
  }, 180_000);
  afterAll(() => sst?.close());

  it('refuses invalid settings before creating anything', () => {
    expect(() => infra.createDriftguard('broken', { ...settings, organizationId: 'nope' })).toThrow(
      /stage "broken":\n- organizationId: must be an organization id/,
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
      ExternalId: '07'.repeat(24),
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

  it('deploys the listed regions in one operation, and leaves the management account out when told to', () => {
    const instances = sst.ofType('aws:cloudformation/stackInstances:StackInstances');
    // One operation; the order of regions inside it is not meaningful (us-east-1 is always added).
    expect(instances.map((instance) => [...(instance.inputs.regions as string[])].sort())).toEqual([
      ['eu-west-1', 'us-east-1'],
    ]);
    expect(sst.ofType('aws:cloudformation/stack:Stack')).toEqual([]);
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
    // The pipeline functions; the exemption API sends nothing but SNS announcements.
    for (const fn of functions.filter((f) => f.inputs.name !== 'driftguard-alice-exemption-api')) {
      const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      expect(variables.JIRA_EMAIL).toBe('driftguard@example.com');
    }
    expect(
      sst.ofType('aws:scheduler/schedule:Schedule').map((schedule) => schedule.inputs.scheduleExpression),
    ).toContain('rate(1 day)');
    const sweep = functions.find((fn) => fn.inputs.name === 'driftguard-alice-sweep');
    const environment = sweep?.inputs.environment as { variables: Record<string, string> } | undefined;
    expect(environment?.variables.DRIFTGUARD_SWEEP_REGIONS?.split(',').sort()).toEqual([
      'eu-west-1',
      'us-east-1',
    ]);
  });
});
