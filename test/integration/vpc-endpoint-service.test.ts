import {
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  EC2Client,
  ModifyVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { type AccountClients, createExecutor } from '@driftguard/aws';
import { defaultConfig, parseConfig } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  endpointServiceConfigurationEvent,
  endpointServicePermissionsEvent,
} from '../../packages/cli/src/simulate/ec2-network';
import { ec2Client, HOME_ACCOUNT, motoEndpoint } from '../support/aws';
import {
  loadBalancerArn,
  MEMBER_ACCOUNT,
  networkPipeline,
  OUTSIDE_ACCOUNT,
  vpcWithSubnet,
} from '../support/network';

const REGION = 'us-east-1';
const OWN_ROOT = `arn:aws:iam::${HOME_ACCOUNT}:root`;
const MEMBER_ROLE = `arn:aws:iam::${MEMBER_ACCOUNT}:role/orders-consumer`;
const OUTSIDE_ROOT = `arn:aws:iam::${OUTSIDE_ACCOUNT}:root`;

async function principals(ec2: EC2Client, serviceId: string): Promise<string[]> {
  const { AllowedPrincipals } = await ec2.send(
    new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId }),
  );
  return (AllowedPrincipals ?? []).map((allowed) => allowed.Principal as string).sort();
}

async function acceptanceRequired(ec2: EC2Client, serviceId: string): Promise<boolean | undefined> {
  const { ServiceConfigurations } = await ec2.send(
    new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
  );
  return ServiceConfigurations?.[0]?.AcceptanceRequired;
}

describe.skipIf(!motoEndpoint)('vpc-endpoint-service against moto', () => {
  let ec2: EC2Client;
  let nlb: string;
  beforeAll(async () => {
    ec2 = ec2Client(REGION);
    const { subnetId } = await vpcWithSubnet(ec2, '10.31.0.0/16');
    nlb = await loadBalancerArn(subnetId, REGION);
  });

  async function service(acceptance: boolean): Promise<string> {
    const { ServiceConfiguration } = await ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        AcceptanceRequired: acceptance,
        NetworkLoadBalancerArns: [nlb],
      }),
    );
    return ServiceConfiguration?.ServiceId as string;
  }

  it('"*" and an outside account added with an organization role: exactly the two offenders are removed; the org role and an earlier principal stay', async () => {
    const serviceId = await service(true);
    await ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: serviceId,
        AddAllowedPrincipals: [OWN_ROOT],
      }),
    );
    const added = ['*', MEMBER_ROLE, OUTSIDE_ROOT];
    await ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: added }),
    );
    expect(await principals(ec2, serviceId)).toEqual(['*', MEMBER_ROLE, OWN_ROOT, OUTSIDE_ROOT].sort());
    const event = endpointServicePermissionsEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      serviceId,
      add: added,
    });

    const result = await networkPipeline().process(event);

    expect(result.assessment).toMatchObject({
      status: 'violation',
      rule: 'vpc-endpoint-service',
      severity: 'critical',
    });
    expect(result.assessment.operations).toEqual([
      expect.objectContaining({
        operation: 'ModifyVpcEndpointServicePermissions',
        input: { ServiceId: serviceId, RemoveAllowedPrincipals: ['*', OUTSIDE_ROOT] },
      }),
    ]);
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await principals(ec2, serviceId)).toEqual([MEMBER_ROLE, OWN_ROOT].sort());
  });

  it('CreateVpcEndpointServiceConfiguration without acceptance: acceptance is required again, read back', async () => {
    const request = { AcceptanceRequired: false, NetworkLoadBalancerArns: [nlb] };
    const { ServiceConfiguration } = await ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand(request),
    );
    const serviceId = ServiceConfiguration?.ServiceId as string;
    const event = endpointServiceConfigurationEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      eventName: 'CreateVpcEndpointServiceConfiguration',
      request,
      ...(ServiceConfiguration ? { configuration: ServiceConfiguration } : {}),
    });

    const result = await networkPipeline().process(event);

    expect(result.assessment).toMatchObject({ status: 'violation', severity: 'high' });
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await acceptanceRequired(ec2, serviceId)).toBe(true);
  });

  it('ModifyVpcEndpointServiceConfiguration turning acceptance off: back on; the permissions are untouched', async () => {
    const serviceId = await service(true);
    await ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: serviceId,
        AddAllowedPrincipals: [MEMBER_ROLE],
      }),
    );
    const request = { ServiceId: serviceId, AcceptanceRequired: false };
    await ec2.send(new ModifyVpcEndpointServiceConfigurationCommand(request));
    expect(await acceptanceRequired(ec2, serviceId)).toBe(false);
    const event = endpointServiceConfigurationEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      eventName: 'ModifyVpcEndpointServiceConfiguration',
      request,
    });

    const result = await networkPipeline().process(event);

    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await acceptanceRequired(ec2, serviceId)).toBe(true);
    expect(await principals(ec2, serviceId)).toEqual([MEMBER_ROLE]);
  });

  it('a customer account in allowedPrincipals stays; shadow mode changes nothing; a late event after a manual fix is already compliant', async () => {
    const serviceId = await service(true);
    const added = [OUTSIDE_ROOT, '*'];
    await ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: added }),
    );
    const event = endpointServicePermissionsEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      serviceId,
      add: added,
    });
    const withCustomer = (extra: object) => {
      const parsed = parseConfig({
        rules: { 'vpc-endpoint-service': { allowedPrincipals: [OUTSIDE_ACCOUNT] } },
        ...extra,
      });
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.config;
    };

    const shadow = await networkPipeline({ config: withCustomer({ dryRun: true }) }).process(event);
    expect(shadow.outcome.status).toBe('shadow');
    expect(await principals(ec2, serviceId)).toEqual(['*', OUTSIDE_ROOT].sort());

    const reverted = await networkPipeline({ config: withCustomer({}) }).process(event);
    expect(reverted.assessment.operations[0]?.input).toEqual({
      ServiceId: serviceId,
      RemoveAllowedPrincipals: ['*'],
    });
    expect(reverted.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await principals(ec2, serviceId)).toEqual([OUTSIDE_ROOT]);

    const late = await networkPipeline({ config: withCustomer({}) }).process(event);
    expect(late.outcome).toMatchObject({ status: 'already-compliant', verified: true });
  });
});

describe('vpc-endpoint-service executor on AWS answers moto does not give (client mock)', () => {
  function execute(setup: (mock: ReturnType<typeof mockClient>) => void) {
    const client = new EC2Client({ region: REGION });
    setup(mockClient(client));
    const clients: AccountClients = { get: async () => client as never };
    return createExecutor({ config: defaultConfig(), credentialsFor: async () => undefined, clients });
  }
  const target = { account: HOME_ACCOUNT, region: REGION };

  it('client mock: a removal that does not take effect (eventual consistency) is failed, not verified', async () => {
    const run = execute((mock) => {
      mock
        .on(DescribeVpcEndpointServicePermissionsCommand)
        .resolves({ AllowedPrincipals: [{ Principal: '*' }] });
      mock.on(ModifyVpcEndpointServicePermissionsCommand).resolves({ ReturnValue: true });
    });
    const result = await run({
      service: 'ec2',
      operation: 'ModifyVpcEndpointServicePermissions',
      target,
      input: { ServiceId: 'vpce-svc-0123456789abcdef0', RemoveAllowedPrincipals: ['*'] },
    });
    expect(result).toMatchObject({ status: 'failed', verified: false });
    expect(result.detail).toContain('still allows *');
  });

  it('client mock: permissions are read across pages before deciding what to remove', async () => {
    let modified: unknown;
    const run = execute((mock) => {
      mock
        .on(DescribeVpcEndpointServicePermissionsCommand)
        .resolvesOnce({ AllowedPrincipals: [{ Principal: OWN_ROOT }], NextToken: 'page-2' })
        .resolvesOnce({ AllowedPrincipals: [{ Principal: OUTSIDE_ROOT }] })
        .resolves({ AllowedPrincipals: [{ Principal: OWN_ROOT }] });
      mock.on(ModifyVpcEndpointServicePermissionsCommand).callsFake((input) => {
        modified = input;
        return { ReturnValue: true };
      });
    });
    const result = await run({
      service: 'ec2',
      operation: 'ModifyVpcEndpointServicePermissions',
      target,
      input: { ServiceId: 'vpce-svc-0123456789abcdef0', RemoveAllowedPrincipals: [OUTSIDE_ROOT] },
    });
    expect(result).toMatchObject({ status: 'applied', verified: true, changed: [OUTSIDE_ROOT] });
    expect(modified).toEqual({
      ServiceId: 'vpce-svc-0123456789abcdef0',
      RemoveAllowedPrincipals: [OUTSIDE_ROOT],
    });
  });

  it('client mock: UnauthorizedOperation (member role without the permission) is a failed result naming the code', async () => {
    const run = execute((mock) => {
      mock.on(DescribeVpcEndpointServiceConfigurationsCommand).resolves({
        ServiceConfigurations: [{ ServiceId: 'vpce-svc-0123456789abcdef0', AcceptanceRequired: false }],
      });
      mock.on(ModifyVpcEndpointServiceConfigurationCommand).rejects(
        Object.assign(new Error('You are not authorized to perform this operation.'), {
          name: 'UnauthorizedOperation',
        }),
      );
    });
    const result = await run({
      service: 'ec2',
      operation: 'ModifyVpcEndpointServiceConfiguration',
      target,
      input: { ServiceId: 'vpce-svc-0123456789abcdef0', AcceptanceRequired: true },
    });
    expect(result).toMatchObject({ status: 'failed', verified: false });
    expect(result.detail).toContain('UnauthorizedOperation');
  });
});
