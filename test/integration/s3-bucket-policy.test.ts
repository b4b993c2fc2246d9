import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoSnapshotStore, ensureStateTable, memorySnapshotStore } from '@driftguard/aws';
import { BUCKET_POLICY_SNAPSHOT, parseConfig } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { putBucketPolicyEvent, putBucketPolicyForReal } from '../../packages/cli/src/simulate/s3';
import { dynamoClient, HOME_ACCOUNT, motoEndpoint, s3Client, unique } from '../support/aws';
import { MEMBER_ACCOUNT, OUTSIDE_ACCOUNT } from '../support/network';
import { policyPipeline } from '../support/policy-pipeline';

const REGION = 'us-east-1';
const where = { account: HOME_ACCOUNT, region: REGION };

function statements(bucket: string) {
  const objects = `arn:aws:s3:::${bucket}/*`;
  return {
    appReader: {
      Sid: 'AppReader',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${HOME_ACCOUNT}:role/app` },
      Action: 's3:GetObject',
      Resource: objects,
    },
    publicRead: {
      Sid: 'PublicRead',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: objects,
    },
    orgWrite: {
      Sid: 'OrgWrite',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Resource: objects,
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    },
    member: {
      Sid: 'MemberAccount',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${MEMBER_ACCOUNT}:root` },
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${bucket}`,
    },
    vendor: {
      Sid: 'Vendor',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${OUTSIDE_ACCOUNT}:role/sync` },
      Action: 's3:GetObject',
      Resource: objects,
    },
    denyInsecure: {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: objects,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  };
}

async function newBucket(s3: S3Client): Promise<string> {
  const bucket = unique('dg-policy');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function livePolicy(s3: S3Client, bucket: string): Promise<{ Statement: unknown[] } | 'none'> {
  try {
    const { Policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    return JSON.parse(Policy ?? '{}');
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchBucketPolicy') return 'none';
    throw error;
  }
}

describe.skipIf(!motoEndpoint)(
  's3-bucket-policy against moto: exact, verified removal of offending statements',
  () => {
    let s3: S3Client;
    beforeAll(() => {
      s3 = s3Client(REGION);
    });

    it('one public statement between compliant ones: exactly it is removed; the others keep their Sids and order', async () => {
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const policy = {
        Version: '2012-10-17',
        Statement: [s.appReader, s.publicRead, s.orgWrite, s.denyInsecure],
      };
      const event = await putBucketPolicyForReal(s3, { ...where, bucket, policy });

      const result = await policyPipeline().process(event);

      expect(result.assessment).toMatchObject({
        status: 'violation',
        rule: 's3-bucket-policy',
        severity: 'critical',
      });
      expect(result.assessment.operations.map((o) => o.operation)).toEqual(['PutBucketPolicy']);
      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(result.outcome.results[0]?.changed).toEqual([`${bucket} Statement[1] "PublicRead"`]);
      expect(await livePolicy(s3, bucket)).toEqual({
        Version: '2012-10-17',
        Statement: [s.appReader, s.orgWrite, s.denyInsecure],
      });
    });

    it('a grant to an account outside the organization is removed; a member account of the organization stays', async () => {
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.vendor, s.member] },
      });

      const result = await policyPipeline().process(event);

      expect(result.assessment).toMatchObject({ status: 'violation', severity: 'high' });
      expect(result.assessment.reason).toContain(OUTSIDE_ACCOUNT);
      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await livePolicy(s3, bucket)).toEqual({ Version: '2012-10-17', Statement: [s.member] });
    });

    // Issue 15, over-remediation: before, the legacy CloudTrail policy was deleted (audit logs stop).
    it('the legacy CloudTrail log-delivery policy (no source pin) stays in place and is alerted with the condition to add', async () => {
      const bucket = await newBucket(s3);
      const cloudTrail = [
        {
          Sid: 'AWSCloudTrailAclCheck',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:GetBucketAcl',
          Resource: `arn:aws:s3:::${bucket}`,
        },
        {
          Sid: 'AWSCloudTrailWrite',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${bucket}/AWSLogs/${HOME_ACCOUNT}/*`,
          Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
        },
      ];
      const s = statements(bucket);
      const policy = { Version: '2012-10-17', Statement: cloudTrail };
      const alone = await putBucketPolicyForReal(s3, { ...where, bucket, policy });

      const result = await policyPipeline().process(alone);

      expect(result.assessment).toMatchObject({ status: 'violation', action: 'alert', operations: [] });
      expect(result.assessment.decisionReason).toContain('removing it would cut CloudTrail log delivery');
      expect(result.assessment.reason).toContain(
        'add "Condition": {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}',
      );
      expect(await livePolicy(s3, bucket)).toEqual(policy);

      // Next to a public statement: the public one goes, the delivery grants stay.
      const mixed = { Version: '2012-10-17', Statement: [s.publicRead, ...cloudTrail] };
      const both = await putBucketPolicyForReal(s3, { ...where, bucket, policy: mixed });
      const second = await policyPipeline().process(both);
      expect(second.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await livePolicy(s3, bucket)).toEqual(policy);
    });

    it('when every statement offends the policy is deleted (DeleteBucketPolicy), verified by NoSuchBucketPolicy', async () => {
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.publicRead, s.vendor] },
      });

      const result = await policyPipeline().process(event);

      expect(result.assessment.operations.map((o) => o.operation)).toEqual(['DeleteBucketPolicy']);
      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await livePolicy(s3, bucket)).toBe('none');
    });

    it('a record carrying the policy as a JSON string is handled the same way', async () => {
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.publicRead, s.appReader] },
        asString: true,
      });
      expect(
        typeof (event.detail as { requestParameters: { bucketPolicy: unknown } }).requestParameters
          .bucketPolicy,
      ).toBe('string');

      const result = await policyPipeline().process(event);

      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await livePolicy(s3, bucket)).toEqual({ Version: '2012-10-17', Statement: [s.appReader] });
    });

    it('the same event delivered twice: the second run finds nothing left and changes nothing', async () => {
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.appReader, s.publicRead] },
      });
      const pipeline = policyPipeline();
      await pipeline.process(event);

      const again = await pipeline.process(event);

      expect(again.outcome).toMatchObject({ status: 'already-compliant', verified: true });
      expect(await livePolicy(s3, bucket)).toEqual({ Version: '2012-10-17', Statement: [s.appReader] });
    });

    it('a late event: the policy was already fixed by hand, nothing is changed', async () => {
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.appReader, s.publicRead] },
      });
      const fixed = { Version: '2012-10-17', Statement: [s.appReader, s.member] };
      await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(fixed) }));

      const result = await policyPipeline().process(event);

      expect(result.outcome).toMatchObject({ status: 'already-compliant', verified: true });
      expect(await livePolicy(s3, bucket)).toEqual(fixed);
    });

    it('only the statements this event added are removed: an offending statement added by a later call waits for its own event', async () => {
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.appReader, s.publicRead] },
      });
      const later = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.appReader, s.publicRead, s.vendor] },
      });

      const first = await policyPipeline().process(event);

      expect(first.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await livePolicy(s3, bucket)).toEqual({
        Version: '2012-10-17',
        Statement: [s.appReader, s.vendor],
      });

      const second = await policyPipeline().process(later);

      expect(second.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await livePolicy(s3, bucket)).toEqual({ Version: '2012-10-17', Statement: [s.appReader] });
    });

    it("restore: last-known-good puts back the last compliant policy, kept in the snapshot store on moto's DynamoDB", async () => {
      const tableName = unique('driftguard-state');
      const ddb = dynamoClient(REGION);
      await ensureStateTable(ddb, tableName);
      const snapshots = dynamoSnapshotStore(DynamoDBDocumentClient.from(ddb), tableName);
      const parsed = parseConfig({ rules: { 's3-bucket-policy': { restore: 'last-known-good' } } });
      if (!parsed.ok) throw new Error(parsed.reason);
      const pipeline = policyPipeline({ config: parsed.config, snapshots });
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const good = { Version: '2012-10-17', Statement: [s.appReader, s.member] };

      const seen = await pipeline.process(
        await putBucketPolicyForReal(s3, { ...where, bucket, policy: good }),
      );
      expect(seen.assessment.status).toBe('compliant');
      expect(
        JSON.parse(
          (await snapshots.get(HOME_ACCOUNT, REGION, bucket, BUCKET_POLICY_SNAPSHOT))?.document ?? '{}',
        ),
      ).toEqual(good);

      const bad = { Version: '2012-10-17', Statement: [s.publicRead] };
      const result = await pipeline.process(
        await putBucketPolicyForReal(s3, { ...where, bucket, policy: bad }),
      );

      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(result.outcome.results[0]?.detail).toContain('restored the last-known-good policy');
      expect(await livePolicy(s3, bucket)).toEqual(good);
    });

    it('restore: last-known-good without a snapshot store (replay) falls back to removing the statements', async () => {
      const parsed = parseConfig({ rules: { 's3-bucket-policy': { restore: 'last-known-good' } } });
      if (!parsed.ok) throw new Error(parsed.reason);
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.appReader, s.publicRead] },
      });

      const result = await policyPipeline({ config: parsed.config }).process(event);

      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(result.outcome.results[0]?.detail).toContain('removed Statement[1] "PublicRead"');
      expect(await livePolicy(s3, bucket)).toEqual({ Version: '2012-10-17', Statement: [s.appReader] });
    });

    it('restore: last-known-good with an empty store (no compliant policy seen yet) also removes the statements', async () => {
      const parsed = parseConfig({ rules: { 's3-bucket-policy': { restore: 'last-known-good' } } });
      if (!parsed.ok) throw new Error(parsed.reason);
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = await putBucketPolicyForReal(s3, {
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.publicRead, s.denyInsecure] },
      });

      const result = await policyPipeline({
        config: parsed.config,
        snapshots: memorySnapshotStore(),
      }).process(event);

      expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await livePolicy(s3, bucket)).toEqual({ Version: '2012-10-17', Statement: [s.denyInsecure] });
    });

    it('dryRun: shadow, the would-be revert is reported and the public policy stays', async () => {
      const parsed = parseConfig({ dryRun: true });
      if (!parsed.ok) throw new Error(parsed.reason);
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const policy = { Version: '2012-10-17', Statement: [s.publicRead] };
      const event = await putBucketPolicyForReal(s3, { ...where, bucket, policy });

      const result = await policyPipeline({ config: parsed.config }).process(event);

      expect(result.outcome.status).toBe('shadow');
      expect(await livePolicy(s3, bucket)).toEqual(policy);
    });

    it('the bucket has no policy any more when driftguard acts (deleted since): already compliant', async () => {
      const bucket = await newBucket(s3);
      const s = statements(bucket);
      const event = putBucketPolicyEvent({
        ...where,
        bucket,
        policy: { Version: '2012-10-17', Statement: [s.publicRead] },
      });

      const result = await policyPipeline().process(event);

      expect(result.assessment.status).toBe('violation');
      expect(result.outcome).toMatchObject({ status: 'already-compliant', verified: true });
      expect(result.outcome.results[0]?.detail).toContain('has no bucket policy');
    });
  },
);
