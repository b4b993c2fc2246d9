import {
  CATALOG,
  type Change,
  defaultConfig,
  emptyLiveFacts,
  modifiedRules,
  peeringOf,
  stringList,
  trustZoneOf,
} from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';

/** The ways CloudTrail writes one list of strings. */
function encodings(values: string[]): unknown[] {
  const tagged = values.map((content, index) => ({ tag: index + 1, content }));
  return [
    values,
    tagged.length === 1 ? tagged[0] : tagged,
    tagged,
    { items: values.length === 1 ? values[0] : values },
    ...(values.length === 1 ? [values[0]] : []),
  ];
}

const principal = fc.oneof(
  fc.constant('*'),
  fc.stringMatching(/^\d{12}$/),
  fc.stringMatching(/^\d{12}$/).map((account) => `arn:aws:iam::${account}:root`),
  fc.stringMatching(/^[a-z-]{1,12}$/).map((name) => `arn:aws:iam::123456789012:role/${name}`),
);

function change(eventName: string, request: unknown, response: unknown = {}): Change {
  return {
    kind: 'cloudtrail',
    eventId: 'e0c5b0a1-0000-4000-8000-00000000000a',
    eventTime: '2024-03-01T10:05:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName,
    account: '111122223333',
    region: 'eu-west-1',
    actor: { type: 'IAMUser' },
    request: (request ?? {}) as Record<string, unknown>,
    response: (response ?? {}) as Record<string, unknown>,
  };
}

describe('EC2 network record parsers', () => {
  test.prop([fc.array(principal, { minLength: 1, maxLength: 5 })])(
    'every CloudTrail form of a string list reads as the same list',
    (values) => {
      for (const encoded of encodings(values)) expect(stringList(encoded)).toEqual(values);
    },
  );

  const ruleBody = fc.record({
    IpProtocol: fc.constantFrom('tcp', 'udp', '-1', '6'),
    FromPort: fc.integer({ min: 0, max: 65535 }),
    ToPort: fc.integer({ min: 0, max: 65535 }),
    CidrIpv4: fc.ipV4().map((ip) => `${ip}/32`),
  });
  const entry = fc.record({
    id: fc.stringMatching(/^sgr-[0-9a-f]{17}$/),
    body: ruleBody,
    asText: fc.boolean(),
  });

  test.prop([fc.uniqueArray(entry, { minLength: 1, maxLength: 4, selector: (e) => e.id })])(
    'ModifySecurityGroupRules reads the same from one object or an array, wrapped or flat, ports as numbers or strings',
    (entries) => {
      const wrapped = entries.map(({ id, body, asText }, index) => ({
        SecurityGroupRuleId: id,
        SecurityGroupRule: asText
          ? { ...body, FromPort: String(body.FromPort), ToPort: String(body.ToPort) }
          : body,
        tag: index + 1,
      }));
      const camel = entries.map(({ id, body }) => ({
        securityGroupRuleId: id,
        securityGroupRule: {
          ipProtocol: body.IpProtocol,
          fromPort: body.FromPort,
          toPort: body.ToPort,
          cidrIpv4: body.CidrIpv4,
        },
      }));
      const forms = [
        {
          ModifySecurityGroupRulesRequest: {
            GroupId: 'sg-0123456789abcdef0',
            SecurityGroupRule: wrapped.length === 1 ? wrapped[0] : wrapped,
          },
        },
        { ModifySecurityGroupRulesRequest: { GroupId: 'sg-0123456789abcdef0', SecurityGroupRule: wrapped } },
        {
          groupId: 'sg-0123456789abcdef0',
          securityGroupRuleSet: { items: camel.length === 1 ? camel[0] : camel },
        },
      ];
      const expected = entries.map(({ id, body }) => ({
        ruleId: id,
        rule: {
          ruleId: id,
          protocol: body.IpProtocol,
          fromPort: body.FromPort,
          toPort: body.ToPort,
          source: { kind: 'ipv4', cidr: body.CidrIpv4 },
        },
      }));
      for (const form of forms) {
        expect(modifiedRules(change('ModifySecurityGroupRules', form))).toEqual({
          groupId: 'sg-0123456789abcdef0',
          rules: expected,
        });
      }
    },
  );

  test.prop([fc.stringMatching(/^\d{12}$/), fc.option(fc.stringMatching(/^\d{12}$/), { nil: undefined })])(
    'a CreateVpcPeeringConnection without a response takes the peer owner from the request, defaulting to the caller',
    (caller, peerOwner) => {
      const record = { ...change('CreateVpcPeeringConnection', {}), account: caller };
      record.request = {
        vpcId: 'vpc-0a1b2c3d4e5f60001',
        peerVpcId: 'vpc-0a1b2c3d4e5f60002',
        ...(peerOwner ? { peerOwnerId: peerOwner } : {}),
      };
      const peering = peeringOf(record);
      expect(peering.requester).toMatchObject({ account: caller, vpc: 'vpc-0a1b2c3d4e5f60001' });
      expect(peering.accepter).toMatchObject({ account: peerOwner ?? caller, vpc: 'vpc-0a1b2c3d4e5f60002' });
    },
  );

  const networkRules = CATALOG.filter((g) =>
    ['sg-open-ingress', 'default-sg-in-use', 'vpc-peering', 'vpc-endpoint-service'].includes(g.id),
  );
  const eventNames = networkRules.flatMap((g) => g.triggers.flatMap((t) => t.eventNames));

  test.prop([fc.constantFrom(...eventNames), fc.jsonValue(), fc.jsonValue(), fc.boolean()])(
    'no request or response shape makes an EC2 network guardrail throw; every verdict explains itself',
    (eventName, request, response, withFacts) => {
      const config = defaultConfig();
      const subject = change(eventName, request, response);
      for (const guardrail of networkRules) {
        if (!guardrail.triggers.some((t) => t.eventNames.includes(eventName))) continue;
        const queries = guardrail.liveFacts?.(subject, config) ?? [];
        expect(Array.isArray(queries)).toBe(true);
        const verdict = guardrail.evaluate(subject, {
          config,
          trustZone: trustZoneOf(config),
          ...(withFacts ? { facts: emptyLiveFacts() } : {}),
        });
        expect(['violation', 'compliant', 'not-applicable']).toContain(verdict.kind);
        expect(verdict.summary.length).toBeGreaterThan(0);
      }
    },
  );
});
