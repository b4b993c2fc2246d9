import {
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  accountClients,
  accountCredentials,
  createExecutor,
  createPipeline,
  decodePolicyDocument,
  dynamoFindingMarkStore,
  dynamoIsolationStore,
  ensureStateTable,
  type FindingMarkStore,
  type IsolationStore,
  type Pipeline,
  restoreIsolation,
} from '@driftguard/aws';
import {
  type Config,
  ISOLATION_TAGS,
  QUARANTINE_GROUP_NAME,
  REVOKE_SESSIONS_POLICY_NAME,
} from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accessKeyResource,
  bucketResource,
  guardDutyFindingEvent,
  instanceResource,
} from '../../packages/cli/src/simulate/guardduty';
import {
  clientOptions,
  dynamoClient,
  ec2Client,
  HOME_ACCOUNT,
  motoEndpoint,
  s3Client,
  stsClient,
  unique,
} from '../support/aws';
import { runCli } from '../support/cli';
import { createGroup, createNetwork, describeInstance, runInstance } from '../support/guardduty';
import { configWith } from '../support/notify';

const REGION = 'us-east-1';

/** Every playbook opted in from high severity, each for the finding types it answers. */
const playbookConfig = (): Config =>
  configWith({
    rules: {
      'guardduty-finding': {
        playbookMinimumSeverity: 'high',
        playbooks: {
          'isolate-instance': ['Backdoor:EC2/*', 'CryptoCurrency:EC2/*'],
          'deactivate-access-key': ['UnauthorizedAccess:IAMUser/*'],
          'revoke-role-sessions': ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration*'],
          'block-s3-public-access': ['Policy:S3/*'],
        },
      },
    },
  });

async function interfaceGroups(ec2: EC2Client, instanceId: string): Promise<Record<string, string[]>> {
  const { NetworkInterfaces } = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }],
    }),
  );
  return Object.fromEntries(
    (NetworkInterfaces ?? []).map((eni) => [
      eni.NetworkInterfaceId as string,
      (eni.Groups ?? []).map((group) => group.GroupId as string).sort(),
    ]),
  );
}

async function quarantineGroups(ec2: EC2Client, vpcId: string) {
  const { SecurityGroups } = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: [QUARANTINE_GROUP_NAME] },
      ],
    }),
  );
  return SecurityGroups ?? [];
}

describe.skipIf(!motoEndpoint)('GuardDuty playbooks against moto (verify → act → verify)', () => {
  const ec2 = motoEndpoint ? ec2Client(REGION) : (undefined as unknown as EC2Client);
  const iam = motoEndpoint ? new IAMClient(clientOptions(REGION)) : (undefined as unknown as IAMClient);
  let table: string;
  let isolations: IsolationStore;
  let marks: FindingMarkStore;
  let pipeline: Pipeline;
  const credentialsFor = () =>
    accountCredentials({ sts: stsClient(), roleName: 'DriftGuardRemediation', homeAccount: HOME_ACCOUNT });

  function pipelineWith(config: Config, stores: { isolations?: IsolationStore } = { isolations }): Pipeline {
    const execute = createExecutor({
      config,
      credentialsFor: credentialsFor(),
      endpoint: clientOptions().endpoint,
      ...stores,
    });
    return createPipeline({ config, execute, findings: marks });
  }

  beforeAll(async () => {
    table = unique('driftguard-state');
    await ensureStateTable(dynamoClient(REGION), table);
    const ddb = DynamoDBDocumentClient.from(dynamoClient(REGION));
    isolations = dynamoIsolationStore(ddb, table);
    marks = dynamoFindingMarkStore(ddb, table);
    pipeline = pipelineWith(playbookConfig());
  });

  describe('EC2 isolate', () => {
    let network: { vpcId: string; subnetId: string };
    let web: string;
    let admin: string;

    beforeAll(async () => {
      network = await createNetwork(ec2);
      web = await createGroup(ec2, network.vpcId, 443);
      admin = await createGroup(ec2, network.vpcId, 22);
    });

    it('swaps every interface to a quarantine group with no rules, tags the instance, records the previous groups; restore puts them back', async () => {
      const instance = await runInstance(ec2, network, [web, admin], [admin]);
      const instanceId = instance.InstanceId as string;
      const before = await interfaceGroups(ec2, instanceId);
      expect(Object.keys(before)).toHaveLength(2);
      const event = guardDutyFindingEvent({
        type: 'Backdoor:EC2/C&CActivity.B!DNS',
        severity: 9.2,
        account: HOME_ACCOUNT,
        region: REGION,
        resource: instanceResource(instance),
      });
      const findingId = (event.detail as { id: string }).id;

      const processed = await pipeline.process(event);
      expect(processed.assessment.action).toBe('revert');
      expect(processed.outcome.status).toBe('reverted');
      expect(processed.outcome.verified).toBe(true);
      expect(processed.outcome.results[0]?.status).toBe('applied');

      const quarantine = await quarantineGroups(ec2, network.vpcId);
      expect(quarantine).toHaveLength(1);
      const quarantineId = quarantine[0]?.GroupId as string;
      expect(quarantine[0]?.Tags).toEqual(
        expect.arrayContaining([{ Key: ISOLATION_TAGS.quarantine, Value: 'true' }]),
      );
      const { SecurityGroupRules } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [quarantineId] }] }),
      );
      expect(SecurityGroupRules).toEqual([]);
      const after = await interfaceGroups(ec2, instanceId);
      for (const eni of Object.keys(before)) expect(after[eni]).toEqual([quarantineId]);
      const tags = (await describeInstance(ec2, instanceId)).Tags ?? [];
      expect(tags).toEqual(expect.arrayContaining([{ Key: ISOLATION_TAGS.finding, Value: findingId }]));

      const record = await isolations.get(HOME_ACCOUNT, REGION, instanceId);
      expect(record).toMatchObject({
        status: 'isolated',
        vpcId: network.vpcId,
        quarantineGroupId: quarantineId,
        findingId,
        findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
      });
      expect(
        Object.fromEntries(
          (record?.interfaces ?? []).map((entry) => [entry.networkInterfaceId, [...entry.groups].sort()]),
        ),
      ).toEqual(before);

      // The same delivery again: acted on once.
      const again = await pipeline.process(event);
      expect(again.assessment.status).toBe('ignored');
      expect(again.outcome.results).toEqual([]);

      // An update (GuardDuty saw it again): acted on again, idempotently, flagged as an update; the
      // record keeps the real previous groups, not the quarantine group.
      const detail = event.detail as Record<string, unknown>;
      const update = {
        ...event,
        detail: {
          ...detail,
          updatedAt: new Date(Date.parse(detail.updatedAt as string) + 900_000).toISOString(),
          service: { ...(detail.service as object), count: 5 },
        },
      };
      const updated = await pipeline.process(update);
      expect(updated.assessment.finding?.update).toBe(true);
      expect(updated.assessment.finding?.previous).toEqual({ updatedAt: detail.updatedAt, count: 1 });
      expect(updated.outcome.results[0]?.status).toBe('already-compliant');
      const kept = await isolations.get(HOME_ACCOUNT, REGION, instanceId);
      expect(
        Object.fromEntries((kept?.interfaces ?? []).map((e) => [e.networkInterfaceId, [...e.groups].sort()])),
      ).toEqual(before);

      const restored = await restoreIsolation({
        clients: accountClients({ credentialsFor: credentialsFor(), endpoint: clientOptions().endpoint }),
        isolations,
        target: { account: HOME_ACCOUNT, region: REGION },
        instanceId,
      });
      expect(restored.ok).toBe(true);
      expect(await interfaceGroups(ec2, instanceId)).toEqual(before);
      const untagged = (await describeInstance(ec2, instanceId)).Tags ?? [];
      expect(untagged.map((tag) => tag.Key)).not.toContain(ISOLATION_TAGS.finding);
      expect((await isolations.get(HOME_ACCOUNT, REGION, instanceId))?.status).toBe('restored');
    });

    it('creates the quarantine group once per VPC and reuses it; `driftguard restore-isolation` restores', async () => {
      const first = await runInstance(ec2, network, [web]);
      const second = await runInstance(ec2, network, [admin]);
      for (const instance of [first, second]) {
        const processed = await pipeline.process(
          guardDutyFindingEvent({
            type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
            severity: 8,
            account: HOME_ACCOUNT,
            region: REGION,
            resource: instanceResource(instance),
          }),
        );
        expect(processed.outcome.status).toBe('reverted');
      }
      const quarantine = await quarantineGroups(ec2, network.vpcId);
      expect(quarantine).toHaveLength(1);
      const quarantineId = quarantine[0]?.GroupId as string;
      for (const result of [first, second])
        expect(Object.values(await interfaceGroups(ec2, result.InstanceId as string))).toEqual([
          [quarantineId],
        ]);

      const env = {
        AWS_ENDPOINT_URL: clientOptions().endpoint,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        DRIFTGUARD_TABLE: table,
      };
      const secondId = second.InstanceId as string;
      const cli = await runCli(
        ['restore-isolation', secondId, '--account', HOME_ACCOUNT, '--region', REGION],
        {
          env,
        },
      );
      expect(cli.stderr).toBe('');
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain(`${secondId} restored and verified (1 interface(s))`);
      expect(Object.values(await interfaceGroups(ec2, secondId))).toEqual([[admin]]);
      // The other instance stays isolated.
      expect(Object.values(await interfaceGroups(ec2, first.InstanceId as string))).toEqual([[quarantineId]]);

      const twice = await runCli(['restore-isolation', secondId, '--region', REGION], { env });
      expect(twice.code).toBe(1);
      expect(twice.stdout).toContain('already restored');
      const unknown = await runCli(['restore-isolation', 'i-0123456789abcdef0', '--region', REGION], { env });
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toContain('no isolation record for i-0123456789abcdef0');
      const noTable = await runCli(['restore-isolation', secondId], {
        env: { ...env, DRIFTGUARD_TABLE: '' },
      });
      expect(noTable.code).toBe(2);
      expect(noTable.stderr).toContain('no state table');
    }, 60_000);

    it('refuses to isolate without a place to record the previous groups, and gives the finding back for a retry', async () => {
      const instance = await runInstance(ec2, network, [web]);
      const instanceId = instance.InstanceId as string;
      const event = guardDutyFindingEvent({
        type: 'Backdoor:EC2/C&CActivity.B',
        severity: 9,
        account: HOME_ACCOUNT,
        region: REGION,
        resource: instanceResource(instance),
      });
      const withoutTable = pipelineWith(playbookConfig(), {});
      const processed = await withoutTable.process(event);
      expect(processed.outcome.status).toBe('revert-failed');
      expect(processed.outcome.summary).toContain('no state table configured');
      expect(Object.values(await interfaceGroups(ec2, instanceId))).toEqual([[web]]);
      // Released: the retry (now with a table) acts.
      expect(await marks.get((event.detail as { id: string }).id)).toBeUndefined();
      const retried = await pipeline.process(event);
      expect(retried.outcome.status).toBe('reverted');
    });
  });

  it('finding marks advance with one conditional write: a version is claimed once, a newer one over it', async () => {
    const mark = { updatedAt: '2024-03-01T10:50:00.000Z', count: 1 };
    const id = unique('finding');
    // One after the other: moto's threaded server does not make concurrent conditional writes atomic
    // as DynamoDB does (guardduty-one-decision.test.ts serializes them to test concurrent deliveries).
    expect(await marks.advance(id, mark)).toEqual({ advanced: true });
    expect(await marks.advance(id, mark)).toEqual({ advanced: false, current: mark });
    // The same instant written differently is the same version; an older one never advances.
    expect(await marks.advance(id, { updatedAt: '2024-03-01T10:50:00Z', count: 1 })).toMatchObject({
      advanced: false,
    });
    expect(await marks.advance(id, { updatedAt: '2024-03-01T10:40:00Z', count: 7 })).toMatchObject({
      advanced: false,
    });
    const newer = { updatedAt: '2024-03-01T11:05:00.000Z', count: 4 };
    expect(await marks.advance(id, newer)).toEqual({ advanced: true, previous: mark });
    expect(await marks.get(id)).toEqual(newer);
  });

  it('IAM access key → Inactive (never deleted)', async () => {
    const userName = unique('dev');
    await iam.send(new CreateUserCommand({ UserName: userName }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const accessKeyId = AccessKey?.AccessKeyId as string;
    const processed = await pipeline.process(
      guardDutyFindingEvent({
        type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
        severity: 8,
        account: HOME_ACCOUNT,
        region: REGION,
        resource: accessKeyResource({ accessKeyId, userName, userType: 'IAMUser' }),
        action: {
          actionType: 'AWS_API_CALL',
          awsApiCallAction: {
            api: 'ListBuckets',
            serviceName: 's3.amazonaws.com',
            remoteIpDetails: { ipAddressV4: '198.51.100.77', country: { countryName: 'Netherlands' } },
          },
        },
      }),
    );
    expect(processed.outcome.status).toBe('reverted');
    expect(processed.outcome.verified).toBe(true);
    const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
    expect(AccessKeyMetadata).toEqual([
      expect.objectContaining({ AccessKeyId: accessKeyId, Status: 'Inactive' }),
    ]);
  });

  it('IAM role → inline deny-all for sessions issued before now (document read back)', async () => {
    const roleName = unique('web-server');
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    const started = Date.now();
    const processed = await pipeline.process(
      guardDutyFindingEvent({
        type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        severity: 8,
        account: HOME_ACCOUNT,
        region: REGION,
        resource: accessKeyResource({
          accessKeyId: 'ASIAEXAMPLETEMPKEY01',
          userName: roleName,
          userType: 'AssumedRole',
        }),
      }),
    );
    expect(processed.outcome.status).toBe('reverted');
    // The access-key playbook is opted in for UnauthorizedAccess:IAMUser/* too, but a role session's
    // temporary key cannot be deactivated: only the role playbook ran.
    expect(processed.assessment.operations.map((operation) => operation.operation)).toEqual([
      'RevokeRoleSessions',
    ]);
    const { PolicyDocument } = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY_NAME }),
    );
    const document = decodePolicyDocument(PolicyDocument) as {
      Statement: {
        Effect: string;
        Action: string[];
        Resource: string[];
        Condition: Record<string, Record<string, string>>;
      }[];
    };
    expect(document.Statement).toHaveLength(1);
    const [statement] = document.Statement;
    expect(statement).toMatchObject({ Effect: 'Deny', Action: ['*'], Resource: ['*'] });
    const cutoff = Date.parse(statement?.Condition.DateLessThan?.['aws:TokenIssueTime'] as string);
    expect(cutoff).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(cutoff).toBeLessThanOrEqual(Date.now());
  });

  it('S3 → public access block, all four settings on', async () => {
    const bucket = unique('public-site').toLowerCase();
    const s3 = s3Client(REGION);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: false,
          IgnorePublicAcls: false,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: false,
        },
      }),
    );
    const processed = await pipeline.process(
      guardDutyFindingEvent({
        type: 'Policy:S3/BucketAnonymousAccessGranted',
        severity: 7,
        account: HOME_ACCOUNT,
        region: REGION,
        resource: bucketResource(bucket),
        action: {
          actionType: 'AWS_API_CALL',
          awsApiCallAction: { api: 'PutBucketPolicy', serviceName: 's3.amazonaws.com' },
        },
      }),
    );
    expect(processed.outcome.status).toBe('reverted');
    expect(processed.outcome.results[0]?.changed).toHaveLength(4);
    const { PublicAccessBlockConfiguration } = await s3.send(
      new GetPublicAccessBlockCommand({ Bucket: bucket }),
    );
    expect(PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
  });
});
