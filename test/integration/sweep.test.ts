import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  CreateVpcPeeringConnectionCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcPeeringConnectionsCommand,
  type EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import {
  ensureStateTable,
  keys,
  type Runtime,
  runSweep,
  runtimeFromEnv,
  type SweepReport,
} from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientOptions,
  credentialsInAccount,
  dynamoClient,
  ec2Client,
  motoEndpoint,
  s3Client,
  unique,
} from '../support/aws';
import { type FaultProxy, startFaultProxy } from '../support/faults';

// Accounts of their own: a sweep with --apply must not touch what other suites set up in moto.
const ACCOUNT_A = '210000000001';
const ACCOUNT_C = '210000000003';
/** Its member role cannot be assumed (not deployed, or it does not trust driftguard). */
const ACCOUNT_DENIED = '210000000002';
const REGIONS = ['us-east-1', 'eu-west-1'];

const ingress = async (ec2: EC2Client, groupId: string) =>
  (
    (
      await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      )
    ).SecurityGroupRules ?? []
  )
    .filter((rule) => !rule.IsEgress)
    .map((rule) => `${rule.IpProtocol}/${rule.FromPort}/${rule.CidrIpv4 ?? rule.CidrIpv6}`)
    .sort();

async function group(ec2: EC2Client, vpcId: string, permissions: { port: number; cidr: string }[]) {
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: unique('sweep'), Description: 'sweep test', VpcId: vpcId }),
  );
  for (const { port, cidr } of permissions) {
    const range = cidr.includes(':')
      ? { Ipv6Ranges: [{ CidrIpv6: cidr }] }
      : { IpRanges: [{ CidrIp: cidr }] };
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, ...range }],
      }),
    );
  }
  return GroupId as string;
}

async function loadBalancer(credentials: AwsCredentialIdentity, subnetId: string): Promise<string> {
  const cfn = new CloudFormationClient(clientOptions('us-east-1', credentials));
  const StackName = unique('nlb');
  await cfn.send(
    new CreateStackCommand({
      StackName,
      TemplateBody: JSON.stringify({
        Resources: {
          Nlb: {
            Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
            Properties: { Type: 'network', Scheme: 'internal', Subnets: [subnetId] },
          },
        },
        Outputs: { Arn: { Value: { Ref: 'Nlb' } } },
      }),
    }),
  );
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName }));
  return Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === 'Arn')?.OutputValue as string;
}

const PUBLIC_READ = (bucket: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Public',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  });
const OWN_ACCOUNT = (bucket: string, account: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Own',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  });

describe.skipIf(!motoEndpoint)(
  'the reconciliation sweep against moto: several accounts and regions, faults on',
  () => {
    let proxy: FaultProxy;
    let runtime: Runtime;
    let table: string;
    const made = {} as {
      openA: string;
      siblingsA: string;
      compliantEu: string;
      openC: string;
      peering: string;
      publicBucket: string;
      goodBucket: string;
      endpoint: string;
      service: string;
    };
    let ec2A: EC2Client;
    let ec2AEu: EC2Client;
    let ec2C: EC2Client;
    let credentialsA: AwsCredentialIdentity;
    let first: SweepReport;

    beforeAll(async () => {
      credentialsA = await credentialsInAccount(ACCOUNT_A);
      const credentialsC = await credentialsInAccount(ACCOUNT_C);
      ec2A = ec2Client('us-east-1', credentialsA);
      ec2AEu = ec2Client('eu-west-1', credentialsA);
      ec2C = ec2Client('eu-west-1', credentialsC);
      const vpc = async (ec2: EC2Client, cidr: string) =>
        (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId as string;
      const vpcA = await vpc(ec2A, '10.1.0.0/16');
      const vpcA2 = await vpc(ec2A, '10.2.0.0/16');
      made.openA = await group(ec2A, vpcA, [{ port: 22, cidr: '0.0.0.0/0' }]);
      made.siblingsA = await group(ec2A, vpcA, [
        { port: 443, cidr: '10.0.0.0/8' },
        { port: 5432, cidr: '203.0.113.0/24' },
      ]);
      made.compliantEu = await group(ec2AEu, await vpc(ec2AEu, '10.3.0.0/16'), [
        { port: 443, cidr: '10.0.0.0/8' },
      ]);
      made.openC = await group(ec2C, await vpc(ec2C, '10.4.0.0/16'), [{ port: 3389, cidr: '::/0' }]);
      const { VpcPeeringConnection } = await ec2A.send(
        new CreateVpcPeeringConnectionCommand({ VpcId: vpcA, PeerVpcId: vpcA2 }),
      );
      made.peering = VpcPeeringConnection?.VpcPeeringConnectionId as string;
      const { VpcEndpoint } = await ec2A.send(
        new CreateVpcEndpointCommand({
          VpcId: vpcA,
          ServiceName: 'com.amazonaws.us-east-1.s3',
          VpcEndpointType: 'Gateway',
        }),
      );
      made.endpoint = VpcEndpoint?.VpcEndpointId as string;
      const { Subnet } = await ec2A.send(
        new CreateSubnetCommand({ VpcId: vpcA, CidrBlock: '10.1.1.0/24', AvailabilityZone: 'us-east-1a' }),
      );
      const { ServiceConfiguration } = await ec2A.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [await loadBalancer(credentialsA, Subnet?.SubnetId as string)],
          AcceptanceRequired: false,
        }),
      );
      made.service = ServiceConfiguration?.ServiceId as string;
      await ec2A.send(
        new ModifyVpcEndpointServicePermissionsCommand({
          ServiceId: made.service,
          AddAllowedPrincipals: ['arn:aws:iam::999988887777:root', `arn:aws:iam::${ACCOUNT_C}:root`],
        }),
      );
      const s3 = s3Client('us-east-1', credentialsA);
      made.publicBucket = unique('public');
      made.goodBucket = unique('good');
      for (const bucket of [made.publicBucket, made.goodBucket])
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(
        new PutBucketPolicyCommand({ Bucket: made.publicBucket, Policy: PUBLIC_READ(made.publicBucket) }),
      );
      await s3.send(
        new PutBucketPolicyCommand({
          Bucket: made.goodBucket,
          Policy: OWN_ACCOUNT(made.goodBucket, ACCOUNT_A),
        }),
      );

      table = unique('sweep-state');
      await ensureStateTable(dynamoClient(), table);
      proxy = await startFaultProxy(motoEndpoint as string, {
        throttle: 0.15,
        deniedAccounts: [ACCOUNT_DENIED],
        seed: 7,
      });
      runtime = runtimeFromEnv({
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_REGION: 'us-east-1',
        DRIFTGUARD_TABLE: table,
        DRIFTGUARD_READ_ORGANIZATION: 'false',
        DRIFTGUARD_CONFIG: JSON.stringify({ trustedAccounts: [ACCOUNT_A, ACCOUNT_C] }),
        DRIFTGUARD_REQUEST_TIMEOUT_MS: '3000',
      });
      first = await sweepAll();
    }, 180_000);

    afterAll(async () => {
      await proxy?.close();
    });

    const sweepAll = () =>
      runSweep({
        accounts: [ACCOUNT_A, ACCOUNT_DENIED, ACCOUNT_C],
        regions: REGIONS,
        clients: runtime.clients as NonNullable<Runtime['clients']>,
        config: runtime.config,
        handle: (event) => runtime.pipeline.process(event, { origin: 'sweep' }),
      });

    const itemOf = (report: SweepReport, resourceId: string, rule?: string) =>
      report.items.filter((item) => item.resourceId === resourceId && (!rule || item.rule === rule));

    it('reports the account whose role cannot be assumed, and sweeps every other account and region', () => {
      const denied = first.units.filter((unit) => unit.account === ACCOUNT_DENIED);
      expect(denied.length).toBeGreaterThan(0);
      for (const unit of denied) {
        expect(unit.status).toBe('failed');
        expect(unit.error).toMatch(
          /cannot assume arn:aws:iam::210000000002:role\/DriftGuardRemediation: .*AccessDenied|not authorized/,
        );
      }
      const others = first.units.filter((unit) => unit.account !== ACCOUNT_DENIED);
      expect(
        others.map(
          (unit) => `${unit.account}/${unit.region}/${unit.describer}: ${unit.status} ${unit.error ?? ''}`,
        ),
      ).toEqual(others.map((unit) => `${unit.account}/${unit.region}/${unit.describer}: ok `));
      expect(new Set(others.map((unit) => `${unit.account}/${unit.region}`))).toEqual(
        new Set([
          `${ACCOUNT_A}/us-east-1`,
          `${ACCOUNT_A}/eu-west-1`,
          `${ACCOUNT_C}/us-east-1`,
          `${ACCOUNT_C}/eu-west-1`,
        ]),
      );
    });

    it('reverts exactly the offending security-group rules, found by sweep, and verifies them', async () => {
      for (const id of [made.openA, made.siblingsA, made.openC]) {
        const [item] = itemOf(first, id, 'sg-open-ingress');
        expect(item).toMatchObject({ status: 'violation', outcome: 'reverted', verified: true });
      }
      expect(await ingress(ec2A, made.openA)).toEqual([]);
      expect(await ingress(ec2A, made.siblingsA)).toEqual(['tcp/443/10.0.0.0/8']);
      expect(await ingress(ec2C, made.openC)).toEqual([]);
      expect(itemOf(first, made.compliantEu)).toEqual([expect.objectContaining({ status: 'compliant' })]);
      expect(await ingress(ec2AEu, made.compliantEu)).toEqual(['tcp/443/10.0.0.0/8']);
    });

    it("empties the VPC default groups' rules (default-sg-in-use)", async () => {
      const { SecurityGroups = [] } = await ec2A.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
      );
      expect(SecurityGroups.length).toBeGreaterThan(0);
      for (const defaultGroup of SecurityGroups) {
        const { SecurityGroupRules = [] } = await ec2A.send(
          new DescribeSecurityGroupRulesCommand({
            Filters: [{ Name: 'group-id', Values: [defaultGroup.GroupId as string] }],
          }),
        );
        expect(SecurityGroupRules).toEqual([]);
      }
    });

    it('removes the peering, the public bucket statement, the open endpoint policy and the open endpoint service', async () => {
      expect(itemOf(first, made.peering)).toEqual([
        expect.objectContaining({ rule: 'vpc-peering', outcome: 'reverted', verified: true }),
      ]);
      const { VpcPeeringConnections = [] } = await ec2A.send(
        new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [made.peering] }),
      );
      expect(['deleted', 'rejected']).toContain(VpcPeeringConnections[0]?.Status?.Code);

      expect(itemOf(first, made.publicBucket, 's3-bucket-policy')).toEqual([
        expect.objectContaining({ outcome: 'reverted', verified: true }),
      ]);
      const s3 = s3Client('us-east-1', credentialsA);
      await expect(s3.send(new GetBucketPolicyCommand({ Bucket: made.publicBucket }))).rejects.toThrow(
        /policy/i,
      );

      expect(itemOf(first, made.endpoint)).toEqual([
        expect.objectContaining({ rule: 'vpc-endpoint-policy', outcome: 'reverted', verified: true }),
      ]);
      const { VpcEndpoints = [] } = await ec2A.send(
        new DescribeVpcEndpointsCommand({ VpcEndpointIds: [made.endpoint] }),
      );
      expect(VpcEndpoints[0]?.PolicyDocument).toContain('aws:PrincipalAccount');

      const service = itemOf(first, made.service);
      expect(service.map((item) => [item.eventName, item.outcome, item.verified])).toEqual(
        expect.arrayContaining([
          ['CreateVpcEndpointServiceConfiguration', 'reverted', true],
          ['ModifyVpcEndpointServicePermissions', 'reverted', true],
        ]),
      );
      const { ServiceConfigurations = [] } = await ec2A.send(
        new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [made.service] }),
      );
      expect(ServiceConfigurations[0]?.AcceptanceRequired).toBe(true);
      const { AllowedPrincipals = [] } = await ec2A.send(
        new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: made.service }),
      );
      expect(AllowedPrincipals.map((allowed) => allowed.Principal)).toEqual([
        `arn:aws:iam::${ACCOUNT_C}:root`,
      ]);
    });

    it('turns Block Public Access back on for the accounts and their buckets', async () => {
      for (const account of [ACCOUNT_A, ACCOUNT_C]) {
        expect(itemOf(first, account, 's3-public-access-block')).toEqual([
          expect.objectContaining({ outcome: 'reverted', verified: true }),
        ]);
      }
      const s3 = s3Client('us-east-1', credentialsA);
      const { PublicAccessBlockConfiguration } = await s3.send(
        new GetPublicAccessBlockCommand({ Bucket: made.goodBucket }),
      );
      expect(PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
    });

    it('keeps compliant documents as last-known-good, marked as seen by the sweep', async () => {
      const ddb = DynamoDBDocumentClient.from(dynamoClient());
      const { Item } = await ddb.send(
        new GetCommand({
          TableName: table,
          Key: keys.snapshot(ACCOUNT_A, 'us-east-1', made.goodBucket, 'bucket-policy'),
        }),
      );
      expect(Item?.snapshot).toMatchObject({
        source: 'sweep',
        resourceId: made.goodBucket,
        kind: 'bucket-policy',
      });
      expect(JSON.parse(Item?.snapshot.document)).toEqual(
        JSON.parse(OWN_ACCOUNT(made.goodBucket, ACCOUNT_A)),
      );
    });

    it('throttling was absorbed by the retries, and a second sweep finds nothing left to do', async () => {
      expect(proxy.stats.throttled).toBeGreaterThan(0);
      expect(first.totals.failedItems).toBe(0);
      const second = await sweepAll();
      expect(second.totals.failedItems).toBe(0);
      // No member stack was deployed in these accounts: driftguard's own footprint is missing in
      // every run, by design (test/integration/footprint-sweep.test.ts covers that check).
      const open = second.items.filter(
        (item) => item.status === 'violation' && item.rule !== 'driftguard-integrity',
      );
      expect(open).toEqual([]);
      // Every revert happened once: the rules revoked by the first sweep were revoked exactly once.
      expect([...proxy.stats.revoked.values()].every((count) => count === 1)).toBe(true);
    }, 120_000);
  },
);
