import {
  CreateBucketCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  PutPublicAccessBlockCommand as PutAccountPublicAccessBlockCommand,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { STSClient } from '@aws-sdk/client-sts';
import { accountClients, accountCredentials, createExecutor, createPipeline } from '@driftguard/aws';
import { defaultConfig } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3ControlClientAtEndpoint } from '../../packages/aws/src/executor/s3';
import {
  accountPublicAccessBlockForReal,
  bucketPublicAccessBlockForReal,
} from '../../packages/cli/src/simulate/s3';
import {
  clientOptions,
  credentialsInAccount,
  HOME_ACCOUNT,
  motoEndpoint,
  s3Client,
  unique,
} from '../support/aws';
import { policyPipeline } from '../support/policy-pipeline';

const REGION = 'us-east-1';
/** Account-level settings are one per account: this suite owns its own moto account for them. */
const PAB_ACCOUNT = '220000000001';
const ALL_ON = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const ALL_OFF = {
  BlockPublicAcls: false,
  IgnorePublicAcls: false,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};

async function bucketSettings(s3: S3Client, bucket: string) {
  try {
    const { PublicAccessBlockConfiguration } = await s3.send(
      new GetPublicAccessBlockCommand({ Bucket: bucket }),
    );
    return PublicAccessBlockConfiguration;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchPublicAccessBlockConfiguration') return 'none';
    throw error;
  }
}

describe.skipIf(!motoEndpoint)(
  's3-public-access-block against moto: all four settings back on, verified',
  () => {
    let s3: S3Client;
    let control: S3ControlClient;

    beforeAll(async () => {
      s3 = s3Client(REGION);
      control = new S3ControlClientAtEndpoint(clientOptions(REGION, await credentialsInAccount(PAB_ACCOUNT)));
    });

    async function bucketWithAllOn(): Promise<string> {
      const bucket = unique('dg-pab');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(
        new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_ON }),
      );
      return bucket;
    }

    it('bucket: BlockPublicPolicy and RestrictPublicBuckets turned off for real are turned back on', async () => {
      const bucket = await bucketWithAllOn();
      const event = await bucketPublicAccessBlockForReal(s3, {
        account: HOME_ACCOUNT,
        region: REGION,
        bucket,
        settings: { ...ALL_ON, BlockPublicPolicy: false, RestrictPublicBuckets: false },
      });

      const result = await policyPipeline().process(event);

      expect(result.assessment).toMatchObject({
        status: 'violation',
        rule: 's3-public-access-block',
        severity: 'high',
      });
      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(result.outcome.results[0]?.changed).toEqual([
        `bucket ${bucket}: BlockPublicPolicy`,
        `bucket ${bucket}: RestrictPublicBuckets`,
      ]);
      expect(await bucketSettings(s3, bucket)).toEqual(ALL_ON);
    });

    it('bucket: DeletePublicAccessBlock for real is reverted to all four on', async () => {
      const bucket = await bucketWithAllOn();
      const event = await bucketPublicAccessBlockForReal(s3, {
        account: HOME_ACCOUNT,
        region: REGION,
        bucket,
      });
      expect(await bucketSettings(s3, bucket)).toBe('none');

      const result = await policyPipeline().process(event);

      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await bucketSettings(s3, bucket)).toEqual(ALL_ON);
    });

    it('bucket: settings turned back on by hand before driftguard acts — already compliant, nothing put', async () => {
      const bucket = await bucketWithAllOn();
      const event = await bucketPublicAccessBlockForReal(s3, {
        account: HOME_ACCOUNT,
        region: REGION,
        bucket,
        settings: ALL_OFF,
      });
      await s3.send(
        new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_ON }),
      );

      const result = await policyPipeline().process(event);

      expect(result.outcome).toMatchObject({ status: 'already-compliant', verified: true });
    });

    it('account: PutAccountPublicAccessBlock with all four off, in a member account (remediation role, S3 Control), reverted', async () => {
      const event = await accountPublicAccessBlockForReal(control, {
        account: PAB_ACCOUNT,
        region: REGION,
        settings: ALL_OFF,
      });

      const result = await policyPipeline().process(event);

      expect(result.assessment).toMatchObject({ status: 'violation', severity: 'critical' });
      expect(result.assessment.operations).toEqual([
        expect.objectContaining({ service: 's3control', operation: 'PutAccountPublicAccessBlock' }),
      ]);
      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      const { PublicAccessBlockConfiguration } = await control.send(
        new GetAccountPublicAccessBlockCommand({ AccountId: PAB_ACCOUNT }),
      );
      expect(PublicAccessBlockConfiguration).toEqual(ALL_ON);
    });

    it('account: DeleteAccountPublicAccessBlock for real is reverted', async () => {
      await control.send(
        new PutAccountPublicAccessBlockCommand({
          AccountId: PAB_ACCOUNT,
          PublicAccessBlockConfiguration: ALL_ON,
        }),
      );
      const event = await accountPublicAccessBlockForReal(control, { account: PAB_ACCOUNT, region: REGION });

      const result = await policyPipeline().process(event);

      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      const { PublicAccessBlockConfiguration } = await control.send(
        new GetAccountPublicAccessBlockCommand({ AccountId: PAB_ACCOUNT }),
      );
      expect(PublicAccessBlockConfiguration).toEqual(ALL_ON);
    });
  },
);

describe('s3-public-access-block: answers moto cannot give (client mock)', () => {
  function mockedPipeline(clients: { s3?: S3Client; control?: S3ControlClient }) {
    const config = defaultConfig();
    // The home account needs no role: no STS call is made, so the mocks run without moto too.
    const credentialsFor = accountCredentials({
      sts: new STSClient({ region: REGION }),
      roleName: 'r',
      homeAccount: HOME_ACCOUNT,
    });
    const real = accountClients({ credentialsFor });
    const execute = createExecutor({
      config,
      credentialsFor,
      clients: {
        get: async (client, target) => {
          if (client === S3Client && clients.s3) return clients.s3 as never;
          if (client === S3ControlClientAtEndpoint && clients.control) return clients.control as never;
          return real.get(client, target);
        },
      },
    });
    return createPipeline({ config, execute });
  }

  const event = (eventName: string, settings?: Record<string, boolean>) => ({
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      arn: `arn:aws:iam::${HOME_ACCOUNT}:user/alice`,
      accountId: HOME_ACCOUNT,
    },
    eventTime: '2024-05-01T09:15:00Z',
    eventSource: 's3.amazonaws.com',
    eventName,
    awsRegion: REGION,
    requestParameters: {
      bucketName: 'mocked-bucket',
      ...(settings ? { PublicAccessBlockConfiguration: settings } : {}),
    },
    responseElements: null,
    eventID: unique('event'),
    recipientAccountId: HOME_ACCOUNT,
  });

  it('AccessDenied on PutPublicAccessBlock (an SCP, a missing permission): revert failed, with the reason', async () => {
    const s3 = new S3Client({ region: REGION });
    const mock = mockClient(s3);
    mock.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_OFF });
    mock
      .on(PutPublicAccessBlockCommand)
      .rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    const result = await mockedPipeline({ s3 }).process(event('PutBucketPublicAccessBlock', ALL_OFF));

    expect(result.outcome).toMatchObject({ status: 'revert-failed', verified: false });
    expect(result.outcome.summary).toContain('AccessDenied: Access Denied');
    mock.restore();
  });

  it('a re-read that still shows a setting off (S3 not yet consistent) is reported as not verified', async () => {
    const control = new S3ControlClient({ region: REGION });
    const mock = mockClient(control);
    mock
      .on(GetAccountPublicAccessBlockCommand)
      .resolvesOnce({ PublicAccessBlockConfiguration: ALL_OFF })
      .resolves({ PublicAccessBlockConfiguration: { ...ALL_ON, RestrictPublicBuckets: false } });
    mock.on(PutAccountPublicAccessBlockCommand).resolves({});

    const result = await mockedPipeline({ control }).process(event('DeleteAccountPublicAccessBlock'));

    expect(result.outcome).toMatchObject({ status: 'revert-failed', verified: false });
    expect(result.outcome.summary).toContain('still shows RestrictPublicBuckets off');
    expect(mock.commandCalls(PutAccountPublicAccessBlockCommand)[0]?.args[0].input).toEqual({
      AccountId: HOME_ACCOUNT,
      PublicAccessBlockConfiguration: ALL_ON,
    });
    mock.restore();
  });
});
