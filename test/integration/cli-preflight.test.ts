/**
 * `driftguard preflight --stage <stage>` against a live organization in moto: a new organization
 * lacks everything a deploy needs and preflight names each gap with its fix; once the fixes are
 * applied (the same calls a platform team would run), it says ready. moto implements Organizations,
 * CloudTrail, GuardDuty's organization admin and EC2 regions; it has no Lambda GetAccountSettings
 * (mocked with GetFunctionConcurrency beside it), and its delegated administrators do not know the
 * StackSets service principal (ListDelegatedAdministrators for it is answered from the registrations
 * this test makes; every other Organizations call goes to moto).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { EnableOrganizationAdminAccountCommand, GuardDutyClient } from '@aws-sdk/client-guardduty';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  EnableAWSServiceAccessCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackReservedConcurrency } from '../../infra/sizing';
import { UsageError } from '../../packages/cli/src/errors';
import { type CheckResult, STACKSETS_PRINCIPAL } from '../../packages/cli/src/preflight/checks';
import { PREFLIGHT_EXIT, preflight } from '../../packages/cli/src/preflight/index';
import { clientOptions, credentialsInAccount, motoEndpoint, s3Client, unique } from '../support/aws';

/** The management account of this suite's own organization (moto keeps one per account). */
const MANAGEMENT = '263000000000';
const REGIONS = ['us-east-1', 'eu-west-1'];

describe.skipIf(!motoEndpoint)('driftguard preflight (moto)', () => {
  const stagesDir = mkdtempSync(join(tmpdir(), 'sweepscale-preflight-'));
  const lambda = mockClient(LambdaClient);
  let management: AwsCredentialIdentity;
  let security: AwsCredentialIdentity;
  let securityAccount: string;
  let organizationId: string;
  /** Organizations as preflight sees it: moto, except the StackSets delegated administrators. */
  let organizations: OrganizationsClient;
  const delegatedAdmins: string[] = [];

  const stageFile = (stage: string, overrides: Record<string, unknown> = {}) =>
    writeFileSync(
      join(stagesDir, `${stage}.json`),
      JSON.stringify({
        account: securityAccount,
        region: 'us-east-1',
        production: true,
        organizationId,
        targetOrganizationalUnits: ['r-k3v9'],
        memberRegions: REGIONS,
        managementAccount: { account: MANAGEMENT },
        guardDutyFindings: 'central-account',
        reservedConcurrency: 10,
        config: { dryRun: true },
        ...overrides,
      }),
    );

  const run = async (stage: string) => {
    let text = '';
    const out = new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    });
    const code = await preflight({
      stage,
      stagesDir,
      json: true,
      out,
      credentials: { management, security },
      organizations,
    });
    const { checks } = JSON.parse(text) as { checks: CheckResult[] };
    return { code, checks, byId: (id: string) => checks.filter((check) => check.id === id) };
  };

  const withLambda = (unreserved: number) => {
    lambda.reset();
    lambda
      .on(GetAccountSettingsCommand)
      .resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: unreserved } });
    lambda
      .on(GetFunctionConcurrencyCommand)
      .rejects(Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' }));
  };

  beforeAll(async () => {
    process.env.AWS_ENDPOINT_URL = motoEndpoint;
    management = await credentialsInAccount(MANAGEMENT, 'OrganizationAccountAccessRole');
    const setup = new OrganizationsClient(clientOptions('us-east-1', management));
    const { Organization } = await setup.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    organizationId = Organization?.Id ?? '';
    const { CreateAccountStatus } = await setup.send(
      new CreateAccountCommand({ AccountName: 'security', Email: `${unique('sec')}@example.com` }),
    );
    const status = await setup.send(
      new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: CreateAccountStatus?.Id }),
    );
    securityAccount = status.CreateAccountStatus?.AccountId ?? '';
    security = await credentialsInAccount(securityAccount, 'OrganizationAccountAccessRole');
    organizations = new OrganizationsClient(clientOptions('us-east-1', management));
    const moto = new OrganizationsClient(clientOptions('us-east-1', management));
    const fake = mockClient(organizations);
    fake
      .on(ListDelegatedAdministratorsCommand, { ServicePrincipal: STACKSETS_PRINCIPAL })
      .callsFake(async () => ({
        DelegatedAdministrators: delegatedAdmins.map((Id) => ({ Id })),
      }));
    fake
      .on(DescribeOrganizationCommand)
      .callsFake((input) => moto.send(new DescribeOrganizationCommand(input)));
    fake
      .on(ListAWSServiceAccessForOrganizationCommand)
      .callsFake((input) => moto.send(new ListAWSServiceAccessForOrganizationCommand(input)));
    stageFile('prod');
  });

  afterAll(() => lambda.restore());

  it('names every gap of a new organization with its fix, and exits 1', async () => {
    withLambda(1000);
    const { code, byId } = await run('prod');
    expect(code).toBe(PREFLIGHT_EXIT.missing);
    expect(byId('organization')[0]?.status).toBe('ok');
    expect(byId('stacksets-trusted-access')[0]).toMatchObject({
      status: 'missing',
      fix: 'in the management account: aws cloudformation activate-organizations-access',
    });
    expect(byId('stacksets-delegated-admin')[0]).toMatchObject({
      status: 'missing',
      fix: `in the management account: aws organizations register-delegated-administrator --service-principal ${STACKSETS_PRINCIPAL} --account-id ${securityAccount}`,
    });
    expect(byId('organization-trail')[0]?.status).toBe('missing');
    const guardDuty = byId('guardduty-admin')[0];
    expect(guardDuty?.status).toBe('missing');
    for (const region of REGIONS)
      expect(guardDuty?.fix).toContain(
        `aws guardduty enable-organization-admin-account --admin-account-id ${securityAccount} --region ${region}`,
      );
    expect(byId('lambda-concurrency')[0]?.status).toBe('ok');
  });

  it('says ready once the organization has what the stage needs, and exits 0', async () => {
    await new OrganizationsClient(clientOptions('us-east-1', management)).send(
      new EnableAWSServiceAccessCommand({ ServicePrincipal: STACKSETS_PRINCIPAL }),
    );
    // aws organizations register-delegated-administrator (moto does not take this principal).
    delegatedAdmins.push(securityAccount);
    const bucket = unique('org-trail');
    await s3Client('us-east-1', management).send(new CreateBucketCommand({ Bucket: bucket }));
    const cloudtrail = new CloudTrailClient(clientOptions('us-east-1', management));
    await cloudtrail.send(
      new CreateTrailCommand({
        Name: 'org-trail',
        S3BucketName: bucket,
        IsOrganizationTrail: true,
        IsMultiRegionTrail: true,
      }),
    );
    // Created but not logging: still a blind spot.
    withLambda(1000);
    const notLogging = await run('prod');
    expect(notLogging.byId('organization-trail')[0]?.detail).toContain('not logging');
    await cloudtrail.send(new StartLoggingCommand({ Name: 'org-trail' }));
    for (const region of REGIONS) {
      await new GuardDutyClient(clientOptions(region, management)).send(
        new EnableOrganizationAdminAccountCommand({ AdminAccountId: securityAccount }),
      );
    }
    const { code, checks } = await run('prod');
    expect(checks.filter((check) => check.status !== 'ok')).toEqual([]);
    expect(code).toBe(PREFLIGHT_EXIT.ready);
  });

  it('refuses a Lambda quota that cannot hold what the stack reserves, naming the quota to raise', async () => {
    const needed = stackReservedConcurrency({ reservedConcurrency: 10 });
    withLambda(100 + needed - 1);
    const { code, byId } = await run('prod');
    expect(code).toBe(PREFLIGHT_EXIT.missing);
    expect(byId('lambda-concurrency')[0]).toMatchObject({ status: 'missing' });
    expect(byId('lambda-concurrency')[0]?.detail).toContain(`the stack needs ${needed}`);
    expect(byId('lambda-concurrency')[0]?.fix).toContain('L-B99A9384');
    withLambda(100 + needed);
    expect((await run('prod')).code).toBe(PREFLIGHT_EXIT.ready);
  });

  it('refuses placeholders from the example and a stage of another organization', async () => {
    withLambda(1000);
    stageFile('copied', { organizationId: 'o-exampleorg1' });
    const copied = await run('copied');
    expect(copied.code).toBe(PREFLIGHT_EXIT.missing);
    expect(copied.byId('stage-file')[0]?.detail).toContain(
      'organizationId: "o-exampleorg1" is a placeholder',
    );
    stageFile('other', { organizationId: 'o-k3v9x2m4q7' });
    const other = await run('other');
    expect(other.byId('organization')[0]).toMatchObject({ status: 'missing' });
    expect(other.byId('organization')[0]?.detail).toContain(
      `organization ${organizationId}, not o-k3v9x2m4q7`,
    );
  });

  it('an unknown stage is a usage error (exit 2), never a check of defaults', async () => {
    await expect(run('nosuchstage')).rejects.toThrow(UsageError);
  });

  it('says what it could not check with credentials of the wrong account (exit 3 when nothing else is missing)', async () => {
    withLambda(1000);
    let text = '';
    const out = new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    });
    const code = await preflight({
      stage: 'prod',
      stagesDir,
      json: true,
      out,
      credentials: { management, security: management },
      organizations,
    });
    const { checks } = JSON.parse(text) as { checks: CheckResult[] };
    expect(checks.find((check) => check.id === 'lambda-concurrency')).toMatchObject({
      status: 'unknown',
      detail: `the security credentials are for account ${MANAGEMENT}, not ${securityAccount}`,
    });
    expect(code).toBe(PREFLIGHT_EXIT.unchecked);
  });
});
