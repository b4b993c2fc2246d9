import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  accountPlacementReader,
  createPipeline,
  dynamoExemptionStore,
  ensureStateTable,
  organizationReader,
} from '@driftguard/aws';
import { type Report, renderGitHubIssue, renderSlack } from '@driftguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '../../packages/cli/src/moto';
import { bucketResource, guardDutyFindingEvent } from '../../packages/cli/src/simulate/guardduty';
import { motoEndpoint } from '../support/aws';
import { runCli } from '../support/cli';
import { ALICE_ARN, approvedExemption, BOB_ARN } from '../support/exemptions';
import { configWith, sampleEvent } from '../support/notify';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * OU membership from Organizations, and `explain` as a user runs it. The organization is made in
 * a moto server of this file's own: an organization in the shared server would change the trust
 * zone other suites see.
 */
describe.skipIf(!motoEndpoint)('OU placement from Organizations, explain --ou / --live', () => {
  let moto: MotoServer;
  let organizations: OrganizationsClient;
  let account: string;
  let payments: string;
  let workload: string;
  let root: string;
  let dir: string;

  beforeAll(async () => {
    moto = await startMoto();
    organizations = new OrganizationsClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    root = (await organizations.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
    workload = (
      await organizations.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'workload' }))
    ).OrganizationalUnit?.Id as string;
    payments = (
      await organizations.send(new CreateOrganizationalUnitCommand({ ParentId: workload, Name: 'payments' }))
    ).OrganizationalUnit?.Id as string;
    const created = await organizations.send(
      new CreateAccountCommand({ Email: 'payments@example.com', AccountName: 'payments-prod' }),
    );
    account = created.CreateAccountStatus?.AccountId as string;
    await organizations.send(
      new MoveAccountCommand({ AccountId: account, SourceParentId: root, DestinationParentId: payments }),
    );
    dir = tmpdir();
  }, 60_000);

  afterAll(async () => {
    await moto?.stop();
  });

  it('reads the OU path nearest first, up to the root, and caches it', async () => {
    let calls = 0;
    const counting = {
      send: (command: Parameters<OrganizationsClient['send']>[0]) => {
        calls += 1;
        return organizations.send(command);
      },
    } as unknown as OrganizationsClient;
    const reader = accountPlacementReader({ organizations: counting });
    expect(await reader(account)).toEqual({ account, organizationalUnits: [payments, workload, root] });
    expect(calls).toBe(3);
    expect(await reader(account)).toEqual({ account, organizationalUnits: [payments, workload, root] });
    expect(calls).toBe(3);
  });

  it('an account Organizations does not know: no placement, and the reason says why', async () => {
    const errors: string[] = [];
    const reader = accountPlacementReader({ organizations, onError: (message) => errors.push(message) });
    expect(await reader('999988887777')).toBeUndefined();
    expect(errors[0]).toContain('cannot read the OUs of account 999988887777');
  });

  it('reads the accounts with their names; alerts and tickets show the name next to the id', async () => {
    const read = organizationReader({ organizations });
    const info = await read();
    expect(info.accounts).toContain(account);
    expect(info.accountNames?.[account]).toBe('payments-prod');
    expect(info.organizationId).toMatch(/^o-/);

    const reports: Report[] = [];
    const pipeline = createPipeline({
      config: configWith({}),
      organization: read,
      execute: async (operation) => ({ operation, status: 'applied', verified: true, detail: 'stub' }),
      notifiers: [{ channel: 'slack', notify: async (report) => void reports.push(report) }],
    });
    const processed = await pipeline.process(sampleEvent({ account }));
    expect(processed.assessment.event.accountName).toBe('payments-prod');
    const slack = JSON.stringify(renderSlack(reports[0] as Report));
    expect(slack).toContain(`*Account*\\n\`${account} (payments-prod)\``);
    expect(renderGitHubIssue(reports[0] as Report).body).toContain(
      `- **Account:** \`${account} (payments-prod)\``,
    );
  });

  async function files() {
    const event = sampleEvent({ account });
    const config = {
      overrides: [
        { organizationalUnits: [workload], mode: 'off' },
        {
          organizationalUnits: [payments],
          rules: ['sg-open-ingress'],
          mode: 'alert',
          note: 'payments freeze',
        },
      ],
      exemptions: { enabled: true },
    };
    const eventFile = join(dir, `explain-event-${account}.json`);
    const configFile = join(dir, `explain-config-${account}.json`);
    await writeFile(eventFile, JSON.stringify(event));
    await writeFile(configFile, JSON.stringify(config));
    return { eventFile, configFile };
  }

  it('explain --ou (offline) and --live (Organizations) name the override that decided', async () => {
    const { eventFile, configFile } = await files();
    const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', DRIFTGUARD_TABLE: '' };
    const offline = await runCli(['explain', '--event', eventFile, '--config', configFile], { env });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain(
      `because: rules.sg-open-ingress.mode = revert; OU membership of ${account} unknown`,
    );

    const given = await runCli(
      ['explain', '--event', eventFile, '--config', configFile, '--ou', `${payments},${workload}`],
      {
        env,
      },
    );
    expect(given.stdout).toContain(
      `because: override #2 (${payments}) sets mode alert for sg-open-ingress — payments freeze`,
    );

    const live = await runCli(['explain', '--event', eventFile, '--config', configFile, '--live', '--json'], {
      env,
    });
    expect(live.stderr).toBe('');
    const explained = JSON.parse(live.stdout.trim().split('\n')[0] as string);
    const sg = explained.results.find((result: { rule: string }) => result.rule === 'sg-open-ingress');
    expect(sg).toMatchObject({
      action: 'alert',
      reason: `override #2 (${payments}) sets mode alert for sg-open-ingress — payments freeze`,
      setting: { source: 'override', override: { number: 2, scope: 'organizational-unit', id: payments } },
    });
    expect(sg.steps).toContain(`  ${account} sits in ${payments} < ${workload} < ${root} (nearest first)`);
    expect(sg.steps).toContain(
      `  override #1 (${workload}) sets mode off for every rule (so sg-open-ingress): less specific, not used`,
    );
  }, 120_000);

  it('explain --live shows an exemption recorded in the state table, and --at judges it at that time', async () => {
    const { eventFile, configFile } = await files();
    const table = `explain-${account}`;
    const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
    await ensureStateTable(ddb, table);
    const granted = {
      exemption: approvedExemption(
        { account, duration: '2h', reason: 'payments vendor migration', ticket: 'CHG-9' },
        configWith({ exemptions: { enabled: true } }),
        { id: 'ex-explain-1', now: Date.parse('2024-03-01T10:00:00Z') },
      ),
    };
    await dynamoExemptionStore(DynamoDBDocumentClient.from(ddb), table).grant(granted.exemption);
    const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', DRIFTGUARD_TABLE: table };

    const during = await runCli(
      ['explain', '--event', eventFile, '--config', configFile, '--live', '--at', '2024-03-01T10:30:00Z'],
      { env },
    );
    expect(during.stdout).toContain(
      `exempted until 2024-03-01T12:00:00.000Z by ${BOB_ARN} (exemption ex-explain-1, requested by ${ALICE_ARN}, ticket CHG-9), reason: payments vendor migration`,
    );
    const after = await runCli(
      ['explain', '--event', eventFile, '--config', configFile, '--live', '--at', '2024-03-01T13:00:00Z'],
      { env },
    );
    expect(after.stdout).toContain(
      'exemption ex-explain-1 does not apply: expired at 2024-03-01T12:00:00.000Z',
    );
  }, 120_000);

  it('explain --live applies OU overrides to GuardDuty findings too', async () => {
    const { configFile } = await files();
    const findingFile = join(dir, `explain-finding-${account}.json`);
    await writeFile(
      findingFile,
      JSON.stringify(
        guardDutyFindingEvent({
          type: 'Policy:S3/BucketAnonymousAccessGranted',
          severity: 9.2,
          account,
          region: 'us-east-1',
          resource: bucketResource('payments-ledger'),
        }),
      ),
    );
    const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', DRIFTGUARD_TABLE: '' };
    const offline = await runCli(['explain', '--event', findingFile, '--config', configFile], { env });
    expect(offline.stdout).toContain(`OU membership of ${account} unknown`);
    const live = await runCli(['explain', '--event', findingFile, '--config', configFile, '--live'], { env });
    expect(live.stderr).toBe('');
    expect(live.stdout).toContain(
      `because: override #1 (${workload}) sets mode off for every rule (so guardduty-finding): findings ignored`,
    );
  }, 120_000);
});
