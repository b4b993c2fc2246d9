import {
  AcceptVpcPeeringConnectionCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
  type VpcPeeringConnection,
  type VpcPeeringConnectionStateReasonCode,
} from '@aws-sdk/client-ec2';
import { type AccountClients, createExecutor } from '@driftguard/aws';
import { defaultConfig, type Operation, parseConfig } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { acceptPeeringEvent, createPeeringEvent } from '../../packages/cli/src/simulate/ec2-network';
import { credentialsInAccount, ec2Client, HOME_ACCOUNT, motoEndpoint } from '../support/aws';
import { MEMBER_ACCOUNT, networkPipeline, OUTSIDE_ACCOUNT } from '../support/network';

const REGION = 'us-east-1';

async function newVpc(ec2: EC2Client, cidr: string): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  return Vpc?.VpcId as string;
}

async function statusOf(ec2: EC2Client, id: string): Promise<string | undefined> {
  const { VpcPeeringConnections } = await ec2.send(
    new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }),
  );
  return VpcPeeringConnections?.[0]?.Status?.Code;
}

/** A real CreateVpcPeeringConnection in `ec2`'s account and its CloudTrail event. */
async function requestPeering(
  ec2: EC2Client,
  account: string,
  request: { VpcId: string; PeerVpcId: string; PeerOwnerId?: string },
): Promise<{ id: string; event: Record<string, unknown> }> {
  const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand(request));
  const connection = VpcPeeringConnection as VpcPeeringConnection;
  return {
    id: connection.VpcPeeringConnectionId as string,
    event: createPeeringEvent({ account, region: REGION, request, connection }),
  };
}

describe.skipIf(!motoEndpoint)('vpc-peering against moto', () => {
  let home: EC2Client;
  let outside: EC2Client;
  let member: EC2Client;
  beforeAll(async () => {
    home = ec2Client(REGION);
    outside = ec2Client(REGION, await credentialsInAccount(OUTSIDE_ACCOUNT, 'Vendor'));
    member = ec2Client(REGION, await credentialsInAccount(MEMBER_ACCOUNT, 'Admin'));
  });

  it('a request to an account outside the organization is deleted by the requester and read back as deleted', async () => {
    const ours = await newVpc(home, '10.11.0.0/16');
    const theirs = await newVpc(outside, '172.20.0.0/16');
    const { id, event } = await requestPeering(home, HOME_ACCOUNT, {
      VpcId: ours,
      PeerVpcId: theirs,
      PeerOwnerId: OUTSIDE_ACCOUNT,
    });
    expect(await statusOf(home, id)).toBe('pending-acceptance');

    const result = await networkPipeline().process(event);

    expect(result.assessment).toMatchObject({ status: 'violation', rule: 'vpc-peering', severity: 'high' });
    expect(result.assessment.reason).toContain('PrivateLink');
    expect(result.assessment.operations.map((op) => op.operation)).toEqual(['DeleteVpcPeeringConnection']);
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(result.outcome.results[0]?.detail).toContain(`deleted ${id}`);
    expect(await statusOf(home, id)).toBe('deleted');
    // The outside account sees it gone too: nothing left to accept.
    expect(await statusOf(outside, id)).toBe('deleted');
  });

  it('accepting a request from an outside account: the active peering is deleted', async () => {
    const ours = await newVpc(home, '10.12.0.0/16');
    const theirs = await newVpc(outside, '172.21.0.0/16');
    const { VpcPeeringConnection } = await outside.send(
      new CreateVpcPeeringConnectionCommand({ VpcId: theirs, PeerVpcId: ours, PeerOwnerId: HOME_ACCOUNT }),
    );
    const id = VpcPeeringConnection?.VpcPeeringConnectionId as string;
    const accepted = await home.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    expect(accepted.VpcPeeringConnection?.Status?.Code).toBe('active');
    const event = acceptPeeringEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      connection: accepted.VpcPeeringConnection as VpcPeeringConnection,
    });

    const result = await networkPipeline().process(event);

    expect(result.assessment.status).toBe('violation');
    expect(result.assessment.reason).toContain(`${OUTSIDE_ACCOUNT} is outside the trust zone`);
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await statusOf(home, id)).toBe('deleted');
  });

  it('a same-account request still pending our acceptance is rejected, not deleted', async () => {
    const a = await newVpc(home, '10.13.0.0/16');
    const b = await newVpc(home, '10.14.0.0/16');
    const { id, event } = await requestPeering(home, HOME_ACCOUNT, { VpcId: a, PeerVpcId: b });

    const result = await networkPipeline().process(event);

    expect(result.assessment.severity).toBe('medium');
    expect(result.assessment.operations.map((op) => op.operation)).toEqual(['RejectVpcPeeringConnection']);
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await statusOf(home, id)).toBe('rejected');
  });

  it("a member account's peering is reverted there through the assumed remediation role; an allowlisted sibling survives", async () => {
    const memberVpc = await newVpc(member, '10.15.0.0/16');
    const allowedPeer = await newVpc(home, '10.16.0.0/16');
    const otherPeer = await newVpc(outside, '172.22.0.0/16');
    const parsed = parseConfig({
      rules: {
        'vpc-peering': {
          // Order-insensitive: written the other way round from the request.
          allowedPeerings: [
            [
              { account: HOME_ACCOUNT, vpc: allowedPeer },
              { account: MEMBER_ACCOUNT, vpc: memberVpc },
            ],
          ],
        },
      },
    });
    if (!parsed.ok) throw new Error(parsed.reason);
    const pipeline = networkPipeline({ config: parsed.config });
    const allowed = await requestPeering(member, MEMBER_ACCOUNT, {
      VpcId: memberVpc,
      PeerVpcId: allowedPeer,
      PeerOwnerId: HOME_ACCOUNT,
    });
    const denied = await requestPeering(member, MEMBER_ACCOUNT, {
      VpcId: memberVpc,
      PeerVpcId: otherPeer,
      PeerOwnerId: OUTSIDE_ACCOUNT,
    });

    const compliant = await pipeline.process(allowed.event);
    const violation = await pipeline.process(denied.event);

    expect(compliant.assessment.status).toBe('compliant');
    expect(compliant.outcome.results).toEqual([]);
    expect(violation.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(violation.outcome.results[0]?.operation.target.account).toBe(MEMBER_ACCOUNT);
    expect(await statusOf(member, denied.id)).toBe('deleted');
    expect(await statusOf(member, allowed.id)).toBe('pending-acceptance');
  });

  it('a second delivery of the event, or a peering already deleted by hand, is already compliant', async () => {
    const ours = await newVpc(home, '10.17.0.0/16');
    const theirs = await newVpc(outside, '172.23.0.0/16');
    const first = await requestPeering(home, HOME_ACCOUNT, {
      VpcId: ours,
      PeerVpcId: theirs,
      PeerOwnerId: OUTSIDE_ACCOUNT,
    });
    const second = await requestPeering(home, HOME_ACCOUNT, {
      VpcId: ours,
      PeerVpcId: theirs,
      PeerOwnerId: OUTSIDE_ACCOUNT,
    });
    const pipeline = networkPipeline();

    expect((await pipeline.process(first.event)).outcome.status).toBe('reverted');
    const again = await pipeline.process(first.event);
    await home.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: second.id }));
    const late = await pipeline.process(second.event);

    expect(again.outcome).toMatchObject({ status: 'already-compliant', verified: true });
    expect(again.outcome.results[0]?.detail).toContain('deleted');
    expect(late.outcome).toMatchObject({ status: 'already-compliant', verified: true });
  });
});

/** A mocked EC2 client behind the executor: for AWS answers moto does not give. */
function mockedExecutor(setup: (mock: ReturnType<typeof mockClient>) => void) {
  const client = new EC2Client({ region: REGION });
  const mock = mockClient(client);
  setup(mock);
  const clients: AccountClients = { get: async () => client as never };
  return {
    mock,
    execute: createExecutor({ config: defaultConfig(), credentialsFor: async () => undefined, clients }),
  };
}

const deleteOp: Operation = {
  service: 'ec2',
  operation: 'DeleteVpcPeeringConnection',
  target: { account: HOME_ACCOUNT, region: REGION },
  input: { VpcPeeringConnectionId: 'pcx-0123456789abcdef0' },
};

const connection = (code: VpcPeeringConnectionStateReasonCode): VpcPeeringConnection => ({
  VpcPeeringConnectionId: 'pcx-0123456789abcdef0',
  RequesterVpcInfo: { OwnerId: OUTSIDE_ACCOUNT, VpcId: 'vpc-0e1b2c3d4e5f60009' },
  AccepterVpcInfo: { OwnerId: HOME_ACCOUNT, VpcId: 'vpc-0a1b2c3d4e5f60001' },
  Status: { Code: code },
});

describe('vpc-peering executor on AWS answers moto does not give (client mock)', () => {
  it('client mock: an unknown id answers InvalidVpcPeeringConnectionID.NotFound (moto: empty list) → already compliant', async () => {
    const { execute } = mockedExecutor((mock) =>
      mock.on(DescribeVpcPeeringConnectionsCommand).rejects(
        Object.assign(new Error('The vpcPeeringConnection ID does not exist'), {
          name: 'InvalidVpcPeeringConnectionID.NotFound',
        }),
      ),
    );
    expect(await execute(deleteOp)).toMatchObject({ status: 'already-compliant', verified: true });
  });

  it('client mock: AWS reports "deleting" right after the delete → verified (traffic no longer flows)', async () => {
    const { execute, mock } = mockedExecutor((m) => {
      m.on(DescribeVpcPeeringConnectionsCommand)
        .resolvesOnce({ VpcPeeringConnections: [connection('active')] })
        .resolves({ VpcPeeringConnections: [connection('deleting')] });
      m.on(DeleteVpcPeeringConnectionCommand).resolves({ Return: true });
    });
    const result = await execute(deleteOp);
    expect(result).toMatchObject({ status: 'applied', verified: true });
    expect(result.detail).toContain('now deleting');
    expect(mock.commandCalls(DeleteVpcPeeringConnectionCommand)).toHaveLength(1);
  });

  it('client mock: a delete AWS accepts but that does not take effect is reported failed, not verified', async () => {
    const { execute } = mockedExecutor((m) => {
      m.on(DescribeVpcPeeringConnectionsCommand).resolves({ VpcPeeringConnections: [connection('active')] });
      m.on(DeleteVpcPeeringConnectionCommand).resolves({ Return: true });
    });
    expect(await execute(deleteOp)).toMatchObject({ status: 'failed', verified: false });
  });

  it('client mock: a throttled delete is a failed result with the AWS error code, never thrown', async () => {
    const { execute } = mockedExecutor((m) => {
      m.on(DescribeVpcPeeringConnectionsCommand).resolves({ VpcPeeringConnections: [connection('active')] });
      m.on(DeleteVpcPeeringConnectionCommand).rejects(
        Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }),
      );
    });
    const result = await execute(deleteOp);
    expect(result.status).toBe('failed');
    expect(result.detail).toContain('RequestLimitExceeded');
  });
});
