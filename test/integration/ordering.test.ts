import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { ensureStateTable, type ProcessedEvent, type Runtime, runtimeFromEnv } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeIngressEvent,
  authorizeIngressForReal,
  cloudTrailEvent,
} from '../../packages/cli/src/simulate/cloudtrail';
import {
  credentialsInAccount,
  dynamoClient,
  ec2Client,
  motoEndpoint,
  s3Client,
  unique,
} from '../support/aws';
import { type FaultProxy, startFaultProxy } from '../support/faults';

const ACCOUNT = '230000000001';
const REGION = 'us-east-1';
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

const policy = (bucket: string, principal: unknown) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Read',
        Effect: 'Allow',
        Principal: principal,
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  });

describe.skipIf(!motoEndpoint)('duplicate and out-of-order delivery (moto, exactly-once stores on)', () => {
  let proxy: FaultProxy;
  let runtime: Runtime;
  const notified: string[] = [];

  beforeAll(async () => {
    const table = unique('ordering-state');
    await ensureStateTable(dynamoClient(), table);
    proxy = await startFaultProxy(motoEndpoint as string);
    runtime = runtimeFromEnv(
      {
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_REGION: REGION,
        DRIFTGUARD_TABLE: table,
        DRIFTGUARD_READ_ORGANIZATION: 'false',
        DRIFTGUARD_CONFIG: JSON.stringify({ trustedAccounts: [ACCOUNT] }),
      },
      {
        notifiers: [
          {
            channel: 'counter',
            notify: async (report) => void notified.push(report.assessment.event.eventId),
          },
        ],
      },
    );
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('the same event delivered three times: one revoke reaches AWS, one notification, two duplicates', async () => {
    const ec2 = ec2Client(REGION, await credentialsInAccount(ACCOUNT));
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('dup'), Description: 'dup', VpcId: Vpc?.VpcId }),
    );
    const permissions = [
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ];
    const added = await authorizeIngressForReal(ec2, GroupId as string, permissions);
    const event = authorizeIngressEvent({
      account: ACCOUNT,
      region: REGION,
      groupId: GroupId as string,
      permissions,
      addedRules: added,
    });

    const results: ProcessedEvent[] = [];
    for (let i = 0; i < 3; i++) results.push(await runtime.pipeline.process(structuredClone(event)));

    expect(results.map((result) => [result.outcome.status, result.duplicate !== undefined])).toEqual([
      ['reverted', false],
      ['reverted', true],
      ['reverted', true],
    ]);
    expect(results[1]?.outcome.summary).toMatch(/^duplicate delivery: already processed at /);
    expect(proxy.stats.revoked.get(added[0]?.SecurityGroupRuleId as string)).toBe(1);
    expect(notified.filter((id) => id === results[0]?.assessment.event.eventId)).toHaveLength(1);
  });

  it('an older bucket policy arriving after a newer one is superseded: the newer state stays', async () => {
    const credentials = await credentialsInAccount(ACCOUNT);
    const s3 = s3Client(REGION, credentials);
    const bucket = unique('ordered');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const publicPolicy = policy(bucket, '*');
    const ownPolicy = policy(bucket, { AWS: `arn:aws:iam::${ACCOUNT}:root` });
    // 10:00 someone made it public; 10:04 they fixed it. Live state is the fix.
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: ownPolicy }));
    const put = (text: string, minutes: number) =>
      cloudTrailEvent({
        eventSource: 's3.amazonaws.com',
        eventName: 'PutBucketPolicy',
        account: ACCOUNT,
        region: REGION,
        eventTime: minutesAgo(minutes),
        requestParameters: {
          bucketName: bucket,
          bucketPolicy: JSON.parse(text),
          host: [`${bucket}.s3.amazonaws.com`],
        },
        responseElements: null,
      });
    const older = put(publicPolicy, 5);
    const newer = put(ownPolicy, 1);
    const appliedBefore = new Map(proxy.stats.applied);

    const first = await runtime.pipeline.process(newer);
    const late = await runtime.pipeline.process(older);

    expect(first.assessment.status).toBe('compliant');
    expect(late.assessment.status).toBe('violation');
    expect(late.outcome.status).toBe('superseded');
    expect(late.outcome.summary).toContain((newer.detail as { eventID: string }).eventID);
    const { Policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    expect(JSON.parse(Policy as string)).toEqual(JSON.parse(ownPolicy));
    // Nothing was written to S3 for the stale event: no policy call reached moto.
    const s3Writes = [...proxy.stats.applied.entries()].filter(
      ([action, count]) => /^(PUT|DELETE) \//.test(action) && count !== (appliedBefore.get(action) ?? 0),
    );
    expect(s3Writes).toEqual([]);
  });

  it('an older rule added to a group still open is still reverted after a newer, compliant change to the same group', async () => {
    const ec2 = ec2Client(REGION, await credentialsInAccount(ACCOUNT));
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('order'), Description: 'order', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const open = [{ IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    const trusted = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }];
    const openRules = await authorizeIngressForReal(ec2, groupId, open);
    const trustedRules = await authorizeIngressForReal(ec2, groupId, trusted);
    const olderEvent = {
      ...authorizeIngressEvent({
        account: ACCOUNT,
        region: REGION,
        groupId,
        permissions: open,
        addedRules: openRules,
      }),
    };
    (olderEvent.detail as { eventTime: string }).eventTime = minutesAgo(10)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const newerEvent = authorizeIngressEvent({
      account: ACCOUNT,
      region: REGION,
      groupId,
      permissions: trusted,
      addedRules: trustedRules,
    });

    expect((await runtime.pipeline.process(newerEvent)).assessment.status).toBe('compliant');
    const late = await runtime.pipeline.process(olderEvent);

    // Adding a rule sets no whole document: the older call's own rule is still open, so it goes.
    expect(late.outcome).toMatchObject({ status: 'reverted', verified: true });
    const { SecurityGroupRules = [] } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect(SecurityGroupRules.filter((rule) => !rule.IsEgress).map((rule) => rule.CidrIpv4)).toEqual([
      '10.0.0.0/8',
    ]);
  });
});
