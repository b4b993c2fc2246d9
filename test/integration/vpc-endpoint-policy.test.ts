import {
  CreateRouteTableCommand,
  CreateVpcCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcEndpointCommand,
} from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import { accountCredentials, createExecutor, createPipeline, memorySnapshotStore } from '@driftguard/aws';
import { dataPerimeterEndpointPolicy, ENDPOINT_POLICY_SNAPSHOT, parseConfig } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createVpcEndpointForReal,
  modifyVpcEndpointEvent,
  modifyVpcEndpointForReal,
} from '../../packages/cli/src/simulate/vpc-endpoints';
import { ec2Client, HOME_ACCOUNT, motoEndpoint } from '../support/aws';
import { TEST_ORGANIZATION } from '../support/network';
import { policyPipeline } from '../support/policy-pipeline';

const REGION = 'us-east-1';
const ORG = 'o-a1b2c3d4e5';
const where = { account: HOME_ACCOUNT, region: REGION };
const BASELINE = dataPerimeterEndpointPolicy(ORG, []);
const FULL_ACCESS = { Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] };
const ORG_ONLY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'OrgToOrg',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:ResourceOrgID': ORG } },
    },
  ],
};

async function livePolicy(ec2: EC2Client, id: string): Promise<unknown> {
  const { VpcEndpoints } = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
  return JSON.parse(VpcEndpoints?.[0]?.PolicyDocument ?? 'null');
}

describe.skipIf(!motoEndpoint)('vpc-endpoint-policy against moto: verified policy restore', () => {
  let ec2: EC2Client;
  let vpcId: string;
  let routeTableId: string;

  beforeAll(async () => {
    ec2 = ec2Client(REGION);
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.61.0.0/16' }));
    vpcId = Vpc?.VpcId as string;
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    routeTableId = RouteTable?.RouteTableId as string;
  });

  const gatewayRequest = (PolicyDocument?: unknown) => ({
    VpcId: vpcId,
    ServiceName: `com.amazonaws.${REGION}.s3`,
    VpcEndpointType: 'Gateway' as const,
    RouteTableIds: [routeTableId],
    ...(PolicyDocument ? { PolicyDocument: JSON.stringify(PolicyDocument) } : {}),
  });

  it('a gateway endpoint created without a policy (full access) gets the data-perimeter policy pinned to the organization', async () => {
    const { endpointId, event } = await createVpcEndpointForReal(ec2, {
      ...where,
      request: gatewayRequest(),
    });
    expect(await livePolicy(ec2, endpointId)).toMatchObject({
      Statement: [{ Principal: '*', Resource: '*' }],
    });

    const result = await policyPipeline().process(event);

    expect(result.assessment).toMatchObject({
      status: 'violation',
      rule: 'vpc-endpoint-policy',
      severity: 'high',
    });
    expect(result.assessment.reason).toContain('created without a policy');
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(result.outcome.results[0]?.detail).toBe(`put the baseline policy on ${endpointId}`);
    expect(await livePolicy(ec2, endpointId)).toEqual(BASELINE);
    expect(BASELINE.Statement[0]?.Condition.StringEquals).toEqual({
      'aws:PrincipalOrgID': ORG,
      'aws:ResourceOrgID': ORG,
    });
  });

  it('a compliant policy seen first is the last-known-good an open one is reverted to', async () => {
    const snapshots = memorySnapshotStore();
    const pipeline = policyPipeline({ snapshots });
    const { endpointId, event } = await createVpcEndpointForReal(ec2, {
      ...where,
      request: gatewayRequest(ORG_ONLY),
    });
    const created = await pipeline.process(event);
    expect(created.assessment.status).toBe('compliant');
    expect(await snapshots.get(HOME_ACCOUNT, REGION, endpointId, ENDPOINT_POLICY_SNAPSHOT)).toBeDefined();

    const opened = await modifyVpcEndpointForReal(ec2, {
      ...where,
      request: { VpcEndpointId: endpointId, PolicyDocument: JSON.stringify(FULL_ACCESS) },
    });
    const result = await pipeline.process(opened);

    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(result.outcome.results[0]?.detail).toContain('the last-known-good policy');
    expect(await livePolicy(ec2, endpointId)).toEqual(ORG_ONLY);
  });

  it('restore: baseline ignores the last-known-good and puts the baseline', async () => {
    const parsed = parseConfig({ rules: { 'vpc-endpoint-policy': { restore: 'baseline' } } });
    if (!parsed.ok) throw new Error(parsed.reason);
    const snapshots = memorySnapshotStore();
    const pipeline = policyPipeline({ config: parsed.config, snapshots });
    const { endpointId, event } = await createVpcEndpointForReal(ec2, {
      ...where,
      request: gatewayRequest(ORG_ONLY),
    });
    await pipeline.process(event);

    const result = await pipeline.process(
      await modifyVpcEndpointForReal(ec2, {
        ...where,
        request: { VpcEndpointId: endpointId, PolicyDocument: JSON.stringify(FULL_ACCESS) },
      }),
    );

    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await livePolicy(ec2, endpointId)).toEqual(BASELINE);
  });

  it('without a snapshot store (replay) the baseline is put', async () => {
    const { endpointId } = await createVpcEndpointForReal(ec2, {
      ...where,
      request: gatewayRequest(ORG_ONLY),
    });
    const opened = await modifyVpcEndpointForReal(ec2, {
      ...where,
      request: { VpcEndpointId: endpointId, PolicyDocument: JSON.stringify(FULL_ACCESS) },
    });

    const result = await policyPipeline().process(opened);

    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await livePolicy(ec2, endpointId)).toEqual(BASELINE);
  });

  it('a policy naming an account outside the trust zone on a fixed bucket is replaced', async () => {
    const { endpointId } = await createVpcEndpointForReal(ec2, {
      ...where,
      request: gatewayRequest(ORG_ONLY),
    });
    const vendor = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Vendor',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:role/exfil' },
          Action: 's3:PutObject',
          Resource: 'arn:aws:s3:::vendor-drop/*',
        },
      ],
    };
    const event = await modifyVpcEndpointForReal(ec2, {
      ...where,
      request: { VpcEndpointId: endpointId, PolicyDocument: JSON.stringify(vendor) },
    });

    const result = await policyPipeline().process(event);

    expect(result.assessment.reason).toContain('999988887777');
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await livePolicy(ec2, endpointId)).toEqual(BASELINE);
  });

  it('a late event: the policy was narrowed by hand before driftguard acts, nothing is changed', async () => {
    const { endpointId, event } = await createVpcEndpointForReal(ec2, {
      ...where,
      request: gatewayRequest(),
    });
    await ec2.send(
      new ModifyVpcEndpointCommand({ VpcEndpointId: endpointId, PolicyDocument: JSON.stringify(ORG_ONLY) }),
    );

    const result = await policyPipeline().process(event);

    expect(result.outcome).toMatchObject({ status: 'already-compliant', verified: true });
    expect(await livePolicy(ec2, endpointId)).toEqual(ORG_ONLY);
  });

  it('a configured baselinePolicy that itself violates is not put: revert failed, fix baselinePolicy', async () => {
    const parsed = parseConfig({ rules: { 'vpc-endpoint-policy': { baselinePolicy: FULL_ACCESS } } });
    if (!parsed.ok) throw new Error(parsed.reason);
    const { endpointId, event } = await createVpcEndpointForReal(ec2, {
      ...where,
      request: gatewayRequest(),
    });

    const result = await policyPipeline({ config: parsed.config }).process(event);

    expect(result.outcome).toMatchObject({ status: 'revert-failed', verified: false });
    expect(result.outcome.summary).toContain('fix baselinePolicy');
    expect(await livePolicy(ec2, endpointId)).toMatchObject({
      Statement: [{ Principal: '*', Resource: '*' }],
    });
  });

  it('requirePerimeter both: an identity-only policy is replaced by the baseline (which carries both perimeters)', async () => {
    const parsed = parseConfig({ rules: { 'vpc-endpoint-policy': { requirePerimeter: 'both' } } });
    if (!parsed.ok) throw new Error(parsed.reason);
    const identityOnly = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'OrgIdentities',
          Effect: 'Allow',
          Principal: '*',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
        },
      ],
    };
    const { endpointId, event } = await createVpcEndpointForReal(ec2, {
      ...where,
      request: gatewayRequest(identityOnly),
    });

    const result = await policyPipeline({ config: parsed.config }).process(event);

    expect(result.assessment).toMatchObject({ status: 'violation', severity: 'medium' });
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await livePolicy(ec2, endpointId)).toEqual(BASELINE);
  });
});

describe('vpc-endpoint-policy: ModifyVpcEndpoint ResetPolicy (moto keeps the old policy, AWS resets to full access): client mock', () => {
  const endpointId = 'vpce-0a1b2c3d4e5f60718';

  function pipelineWith(ec2: EC2Client) {
    const parsed = parseConfig({});
    if (!parsed.ok) throw new Error(parsed.reason);
    const config = parsed.config;
    const credentialsFor = accountCredentials({
      sts: new STSClient({ region: REGION }),
      roleName: config.remediationRoleName,
      homeAccount: HOME_ACCOUNT,
    });
    const organization = async () => TEST_ORGANIZATION;
    const execute = createExecutor({
      config,
      credentialsFor,
      organization,
      clients: { get: async () => ec2 as never },
    });
    return createPipeline({ config, execute, organization });
  }

  it('the reset endpoint (full access, as AWS reports it) gets the baseline; verified by DescribeVpcEndpoints', async () => {
    const ec2 = new EC2Client({ region: REGION });
    const mock = mockClient(ec2);
    const fullAccess = JSON.stringify(FULL_ACCESS);
    mock
      .on(DescribeVpcEndpointsCommand)
      .resolvesOnce({
        VpcEndpoints: [{ VpcEndpointId: endpointId, State: 'Available', PolicyDocument: fullAccess }],
      })
      .resolves({
        VpcEndpoints: [
          { VpcEndpointId: endpointId, State: 'Available', PolicyDocument: JSON.stringify(BASELINE) },
        ],
      });
    mock.on(ModifyVpcEndpointCommand).resolves({ Return: true });
    const event = modifyVpcEndpointEvent({
      ...where,
      request: { VpcEndpointId: endpointId, ResetPolicy: true },
    });

    const result = await pipelineWith(ec2).process(event);

    expect(result.assessment).toMatchObject({ status: 'violation', severity: 'high' });
    expect(result.assessment.reason).toContain('ResetPolicy');
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(mock.commandCalls(ModifyVpcEndpointCommand).map((call) => call.args[0].input)).toEqual([
      { VpcEndpointId: endpointId, PolicyDocument: JSON.stringify(BASELINE) },
    ]);
    mock.restore();
  });

  it('an endpoint AWS shows without any PolicyDocument is treated as full access too', async () => {
    const ec2 = new EC2Client({ region: REGION });
    const mock = mockClient(ec2);
    mock
      .on(DescribeVpcEndpointsCommand)
      .resolvesOnce({ VpcEndpoints: [{ VpcEndpointId: endpointId, State: 'Available' }] })
      .resolves({ VpcEndpoints: [{ VpcEndpointId: endpointId, State: 'Available' }] });
    mock.on(ModifyVpcEndpointCommand).resolves({ Return: true });
    const event = modifyVpcEndpointEvent({
      ...where,
      request: { VpcEndpointId: endpointId, ResetPolicy: true },
    });

    const result = await pipelineWith(ec2).process(event);

    // The modify went out, but the re-read still shows no policy: not verified, and said so.
    expect(mock.commandCalls(ModifyVpcEndpointCommand)).toHaveLength(1);
    expect(result.outcome).toMatchObject({ status: 'revert-failed', verified: false });
    expect(result.outcome.summary).toContain(`re-read of ${endpointId} does not show the baseline policy`);
    mock.restore();
  });

  it('an endpoint deleted before driftguard acts (InvalidVpcEndpointId.NotFound): already compliant, nothing modified', async () => {
    const ec2 = new EC2Client({ region: REGION });
    const mock = mockClient(ec2);
    mock.on(DescribeVpcEndpointsCommand).rejects(
      Object.assign(new Error('The vpcEndpoint ID does not exist'), {
        name: 'InvalidVpcEndpointId.NotFound',
      }),
    );
    const event = modifyVpcEndpointEvent({
      ...where,
      request: { VpcEndpointId: endpointId, ResetPolicy: true },
    });

    const result = await pipelineWith(ec2).process(event);

    expect(result.outcome).toMatchObject({ status: 'already-compliant', verified: true });
    expect(mock.commandCalls(ModifyVpcEndpointCommand)).toHaveLength(0);
    mock.restore();
  });
});
