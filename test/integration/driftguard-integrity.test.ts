/**
 * Tampering with driftguard's own footprint in a member account, through the real evaluate handler
 * against moto: the attacker's call is made for real, its CloudTrail event built from it, and what
 * a user would notice is asserted (the rule enabled again, the trust policy restored, a critical
 * alert on the SNS topic).
 */
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  type EventBridgeClient,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { FORWARDING_TARGET_ID, remediationTrustPolicy } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloudTrailEvent, type SimulatedActor } from '../../packages/cli/src/simulate/cloudtrail';
import { clientOptions, eventsClient, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { type EvaluateHandlerOnMoto, evaluateHandlerOnMoto } from '../support/evaluate-handler';

const REGION = 'us-east-1';
const CENTRAL_ROLE = 'arn:aws:iam::999999999999:role/driftguard-prod-central';
const CENTRAL_BUS = 'arn:aws:events:us-east-1:999999999999:event-bus/driftguard-prod';
const ORGANIZATION = 'o-a1b2c3d4e5';
const EXTERNAL_ID = 'driftguard-ext-1234';
const FORWARDING_ROLE = `arn:aws:iam::${HOME_ACCOUNT}:role/driftguard/driftguard-forward-${REGION}`;
const TEMPLATE_TRUST = remediationTrustPolicy({
  centralRoleArn: CENTRAL_ROLE,
  organizationId: ORGANIZATION,
  externalId: EXTERNAL_ID,
});

const ADMIN: SimulatedActor = { account: HOME_ACCOUNT, roleName: 'Admin', sessionName: 'mallory' };
const STACKSET: SimulatedActor = {
  account: HOME_ACCOUNT,
  roleName: 'stacksets-exec-8f0e1c2d3b4a59687766554433221100',
  sessionName: '1709287500000',
};
/** The execution role's name, under a path of the attacker's choosing: still not the StackSet. */
const LOOKALIKE: SimulatedActor = {
  account: HOME_ACCOUNT,
  roleName: 'attacker/stacksets-exec-8f0e1c2d3b4a59687766554433221100',
  sessionName: 'mallory',
};

/** A forwarding rule as the member template creates it (name prefix, central target with a role). */
async function forwardingRule(events: EventBridgeClient): Promise<string> {
  const name = unique('driftguard-forward-cloudtrail-ec2');
  await events.send(
    new PutRuleCommand({
      Name: name,
      EventPattern: JSON.stringify({ source: ['aws.ec2'] }),
      State: 'ENABLED',
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: name,
      Targets: [{ Id: FORWARDING_TARGET_ID, Arn: CENTRAL_BUS, RoleArn: FORWARDING_ROLE }],
    }),
  );
  return name;
}

describe.skipIf(!motoEndpoint)('driftguard-integrity through the evaluate handler against moto', () => {
  let handler: EvaluateHandlerOnMoto;
  let events: EventBridgeClient;
  let iam: IAMClient;
  const run = (event: Record<string, unknown>) => handler.run(event);
  const alerts = () => handler.alerts();

  beforeAll(async () => {
    events = eventsClient(REGION);
    iam = new IAMClient(clientOptions(REGION));
    handler = await evaluateHandlerOnMoto({
      config: {
        organizationId: ORGANIZATION,
        externalId: EXTERNAL_ID,
        centralRoleArn: CENTRAL_ROLE,
        footprint: { centralBusArn: CENTRAL_BUS },
      },
    });
  });

  it('a member admin disables a forwarding rule: critical alert, and the rule is enabled again and read back ENABLED', async () => {
    const name = await forwardingRule(events);
    const request = { name };
    await events.send(new DisableRuleCommand({ Name: name }));
    await run(
      cloudTrailEvent({
        account: HOME_ACCOUNT,
        region: REGION,
        eventSource: 'events.amazonaws.com',
        eventName: 'DisableRule',
        requestParameters: request,
        responseElements: null,
        actor: ADMIN,
      }),
    );
    expect((await events.send(new DescribeRuleCommand({ Name: name }))).State).toBe('ENABLED');
    const sent = await alerts();
    expect(sent.some((text) => text.includes(name) && /critical/i.test(text))).toBe(true);
  });

  it('a member admin removes a forwarding rule’s target: detected, and the template target is put back', async () => {
    const name = await forwardingRule(events);
    await events.send(new RemoveTargetsCommand({ Rule: name, Ids: [FORWARDING_TARGET_ID] }));
    await run(
      cloudTrailEvent({
        account: HOME_ACCOUNT,
        region: REGION,
        eventSource: 'events.amazonaws.com',
        eventName: 'RemoveTargets',
        requestParameters: { rule: name, ids: [FORWARDING_TARGET_ID] },
        responseElements: { failedEntryCount: 0, failedEntries: [] },
        actor: ADMIN,
      }),
    );
    const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: name }));
    expect(Targets?.map(({ Id, Arn, RoleArn }) => ({ Id, Arn, RoleArn }))).toEqual([
      { Id: FORWARDING_TARGET_ID, Arn: CENTRAL_BUS, RoleArn: FORWARDING_ROLE },
    ]);
    expect((await alerts()).some((text) => text.includes(name))).toBe(true);
  });

  describe('DriftGuardRemediation’s trust policy', () => {
    const attackerTrust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        ...TEMPLATE_TRUST.Statement,
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${HOME_ACCOUNT}:root` },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    const trustNow = async () => {
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'DriftGuardRemediation' }));
      const text = Role?.AssumeRolePolicyDocument ?? '';
      return JSON.parse(text.startsWith('{') ? text : decodeURIComponent(text));
    };
    const retrust = async (actor: SimulatedActor) => {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: 'DriftGuardRemediation',
          PolicyDocument: attackerTrust,
        }),
      );
      await run(
        cloudTrailEvent({
          account: HOME_ACCOUNT,
          region: REGION,
          eventSource: 'iam.amazonaws.com',
          eventName: 'UpdateAssumeRolePolicy',
          requestParameters: { roleName: 'DriftGuardRemediation', policyDocument: attackerTrust },
          responseElements: null,
          actor,
        }),
      );
    };

    beforeAll(async () => {
      try {
        await iam.send(
          new CreateRoleCommand({
            RoleName: 'DriftGuardRemediation',
            AssumeRolePolicyDocument: JSON.stringify(TEMPLATE_TRUST),
          }),
        );
      } catch (error) {
        // Another suite on the same moto server created it (moto keeps roles across suites).
        if ((error as { name?: string }).name !== 'EntityAlreadyExistsException') throw error;
        await iam.send(
          new UpdateAssumeRolePolicyCommand({
            RoleName: 'DriftGuardRemediation',
            PolicyDocument: JSON.stringify(TEMPLATE_TRUST),
          }),
        );
      }
    });

    it('a member admin makes it trust their own account: critical alert, and the template trust is restored', async () => {
      await retrust(ADMIN);
      expect(await trustNow()).toEqual(TEMPLATE_TRUST);
      const sent = await alerts();
      expect(sent.some((text) => text.includes('DriftGuardRemediation') && /critical/i.test(text))).toBe(
        true,
      );
    });

    it('a role merely named like the StackSet execution role, under a path, is still a violation', async () => {
      await retrust(LOOKALIKE);
      expect(await trustNow()).toEqual(TEMPLATE_TRUST);
      expect((await alerts()).some((text) => text.includes('DriftGuardRemediation'))).toBe(true);
    });

    it('the StackSet’s own execution role doing the same is not a violation: nothing is changed back', async () => {
      await retrust(STACKSET);
      expect(JSON.stringify(await trustNow())).toBe(attackerTrust);
      expect((await alerts()).filter((text) => text.includes('DriftGuardRemediation'))).toEqual([]);
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: 'DriftGuardRemediation',
          PolicyDocument: JSON.stringify(TEMPLATE_TRUST),
        }),
      );
    });
  });
});
