/**
 * s3-access-point-policy through the real evaluate handler against moto: the access point policy is
 * put for real, its CloudTrail record built from what was put (moto emits no CloudTrail), and what a
 * user would notice is read back from S3 Control.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  CreateAccessPointCommand,
  GetAccessPointPolicyCommand,
  PutAccessPointPolicyCommand,
  type S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { s3AccessPointsDescriber } from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3ControlClientAtEndpoint } from '../../packages/aws/src/executor/s3';
import { cloudTrailEvent } from '../../packages/cli/src/simulate/cloudtrail';
import { clientOptions, HOME_ACCOUNT, motoEndpoint, s3Client, unique } from '../support/aws';
import { type EvaluateHandlerOnMoto, evaluateHandlerOnMoto } from '../support/evaluate-handler';
import { MEMBER_ACCOUNT, OUTSIDE_ACCOUNT } from '../support/network';
import { sweptInHomeAccount } from '../support/sweep';

const REGION = 'us-east-1';

function statements(name: string) {
  const objects = `arn:aws:s3:${REGION}:${HOME_ACCOUNT}:accesspoint/${name}/object/*`;
  return {
    admin: {
      Sid: 'AdminRead',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${HOME_ACCOUNT}:role/Admin` },
      Action: 's3:GetObject',
      Resource: objects,
    },
    member: {
      Sid: 'MemberRead',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${MEMBER_ACCOUNT}:root` },
      Action: 's3:GetObject',
      Resource: objects,
    },
    anyone: { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: objects },
    vendor: {
      Sid: 'Vendor',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${OUTSIDE_ACCOUNT}:role/sync` },
      Action: 's3:PutObject',
      Resource: objects,
    },
  };
}
const policy = (...Statement: Record<string, unknown>[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement });

async function livePolicy(control: S3ControlClient, Name: string): Promise<{ Sid?: string }[] | 'none'> {
  try {
    const { Policy } = await control.send(new GetAccessPointPolicyCommand({ AccountId: HOME_ACCOUNT, Name }));
    return JSON.parse(Policy ?? '{}').Statement;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchAccessPointPolicy') return 'none';
    throw error;
  }
}

describe.skipIf(!motoEndpoint)('s3-access-point-policy through the evaluate handler against moto', () => {
  let handler: EvaluateHandlerOnMoto;
  let control: S3ControlClient;
  let bucket: string;
  const run = (event: Record<string, unknown>) => handler.run(event);

  /** A new access point of the delegating bucket, and the statements that name it. */
  async function newAccessPoint(prefix: string) {
    const name = unique(prefix);
    await control.send(new CreateAccessPointCommand({ AccountId: HOME_ACCOUNT, Name: name, Bucket: bucket }));
    return { name, s: statements(name) };
  }

  /** PutAccessPointPolicy for real, and the record CloudTrail writes for it (body keyed by its XML root). */
  async function putPolicy(name: string, eventSource: string, ...document: Record<string, unknown>[]) {
    const Policy = policy(...document);
    await control.send(new PutAccessPointPolicyCommand({ AccountId: HOME_ACCOUNT, Name: name, Policy }));
    return cloudTrailEvent({
      eventSource,
      eventName: 'PutAccessPointPolicy',
      account: HOME_ACCOUNT,
      region: REGION,
      requestParameters: {
        host: [`${HOME_ACCOUNT}.s3-control.${REGION}.amazonaws.com`],
        name,
        PutAccessPointPolicyRequest: { xmlns: 'http://awss3control.amazonaws.com/doc/2018-08-20/', Policy },
      },
      responseElements: null,
    });
  }

  beforeAll(async () => {
    control = new S3ControlClientAtEndpoint(clientOptions(REGION));
    bucket = unique('delegating');
    await s3Client(REGION).send(new CreateBucketCommand({ Bucket: bucket }));
    handler = await evaluateHandlerOnMoto({
      config: { organizationId: 'o-a1b2c3d4e5', trustedAccounts: [MEMBER_ACCOUNT] },
    });
  });

  it('an access point opened to anyone beside its team grants: exactly the public statement is removed, read back', async () => {
    const { name, s } = await newAccessPoint('finance-ap');
    const event = await putPolicy(name, 's3.amazonaws.com', s.admin, s.anyone, s.member);

    await run(event);

    expect(await livePolicy(control, name)).toEqual([s.admin, s.member]);
  });

  it('every statement offends (public and an outside vendor): the policy is deleted and read back absent', async () => {
    const { name, s } = await newAccessPoint('open-ap');
    const event = await putPolicy(name, 's3control.amazonaws.com', s.anyone, s.vendor);

    await run(event);

    expect(await livePolicy(control, name)).toBe('none');
  });

  it('a late event after the owner already replaced the policy: the live compliant policy is left exactly as it is', async () => {
    const { name, s } = await newAccessPoint('late-ap');
    const event = await putPolicy(name, 's3.amazonaws.com', s.admin, s.anyone);
    await putPolicy(name, 's3.amazonaws.com', s.member);

    await run(event);

    expect(await livePolicy(control, name)).toEqual([s.member]);
  });

  it('the sweep lists the access points of the account and region, and the same path reverts a public policy found with no event', async () => {
    const { name, s } = await newAccessPoint('swept-ap');
    await putPolicy(name, 's3.amazonaws.com', s.anyone, s.admin);
    const found = await sweptInHomeAccount(
      [s3AccessPointsDescriber],
      (resource) => resource.resourceId === name,
    );
    expect(found).toHaveLength(1);

    await run(found[0]?.event as Record<string, unknown>);

    expect(await livePolicy(control, name)).toEqual([s.admin]);
  });
});
