import {
  analyzeAllowedPrincipals,
  analyzeBucketPolicy,
  analyzeEndpointPolicy,
  parsePolicy,
  policyWithStatements,
  statementFingerprint,
  type ZoneContext,
} from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';

/** A policy variable as written in a policy: dollar sign, braces, key. */
const variable = (key: string) => `\${${key}}`;

const zone: ZoneContext = {
  trustZone: { organizationId: 'o-a1b2c3d4e5', accounts: new Set(['222233334444']) },
  owner: '111122223333',
};

/** Values that look like the parts of a real policy, so the generator reaches deep paths. */
const scalarish = fc.oneof(
  fc.constantFrom(
    '*',
    '111122223333',
    '444455556666',
    'arn:aws:iam::111122223333:root',
    'arn:aws:iam::444455556666:role/x',
    'arn:aws:iam::*:root',
    'AROAEXAMPLEROLEID1234',
    'cloudtrail.amazonaws.com',
    'accounts.google.com',
    'o-a1b2c3d4e5',
    'o-a1b2c3d4e5/r-ab12/*',
    'vpce-1a2b3c4d',
    'vpc-*',
    '0.0.0.0/0',
    '10.0.0.0/8',
    '2001:db8::/31',
    'not-an-ip',
    variable('aws:username'),
    'arn:aws:s3:::b/*',
    'arn:aws:s3:::*',
    'true',
  ),
  fc.string(),
  fc.integer(),
  fc.boolean(),
);
const stringOrList = fc.oneof(scalarish, fc.array(scalarish, { maxLength: 3 }));
const operator = fc
  .tuple(
    fc.constantFrom('', 'ForAnyValue:', 'ForAllValues:', 'Bogus:'),
    fc.constantFrom(
      'StringEquals',
      'StringNotEquals',
      'StringLike',
      'ArnLike',
      'ArnNotLike',
      'IpAddress',
      'NotIpAddress',
      'Bool',
      'Null',
      'NumericLessThan',
      'X',
    ),
    fc.constantFrom('', 'IfExists'),
  )
  .map(([q, b, i]) => `${q}${b}${i}`);
const key = fc.constantFrom(
  'aws:PrincipalOrgID',
  'AWS:SourceArn',
  'aws:SourceAccount',
  'aws:SourceIp',
  'aws:SourceVpce',
  'aws:SourceVpc',
  'aws:userid',
  's3:DataAccessPointAccount',
  'aws:PrincipalAccount',
  'aws:PrincipalArn',
  'aws:PrincipalIsAWSService',
  'aws:ResourceOrgID',
  'aws:ResourceAccount',
  'aws:PrincipalOrgPaths',
  'aws:Referer',
);
const principal = fc.oneof(
  fc.constant('*'),
  fc.dictionary(fc.constantFrom('AWS', 'Service', 'Federated', 'CanonicalUser', 'Other'), stringOrList, {
    maxKeys: 3,
  }),
  scalarish,
);
const statement = fc.record(
  {
    Sid: fc.oneof(fc.string(), fc.integer()),
    Effect: fc.constantFrom('Allow', 'Deny', 'allow'),
    Principal: principal,
    NotPrincipal: principal,
    Action: stringOrList,
    NotAction: stringOrList,
    Resource: stringOrList,
    NotResource: stringOrList,
    Condition: fc.oneof(
      fc.dictionary(operator, fc.dictionary(key, stringOrList, { maxKeys: 3 }), { maxKeys: 3 }),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);
/** Statements AWS would accept: the properties below are about meaning, not parsing. */
const text = fc.oneof(scalarish.map(String), fc.string({ minLength: 1 }));
const textList = fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 }));
const validPrincipal = fc.oneof(
  fc.constant('*'),
  fc.dictionary(fc.constantFrom('AWS', 'Service', 'Federated', 'CanonicalUser'), textList, {
    minKeys: 1,
    maxKeys: 3,
  }),
);
const validStatement = fc
  .tuple(
    fc.record(
      {
        Sid: fc.string(),
        Effect: fc.constantFrom('Allow', 'Deny'),
        Action: textList,
        Resource: textList,
        Condition: fc.dictionary(
          operator,
          fc.dictionary(key, fc.oneof(textList, fc.integer(), fc.boolean()), { maxKeys: 3 }),
          {
            maxKeys: 3,
          },
        ),
      },
      { requiredKeys: ['Effect'] },
    ),
    fc.constantFrom('Principal', 'NotPrincipal'),
    validPrincipal,
  )
  .map(([body, element, value]) => ({ ...body, [element]: value }));

const policyLike = fc.record(
  {
    Version: fc.oneof(fc.constantFrom('2012-10-17', '2008-10-17'), fc.jsonValue()),
    Id: fc.jsonValue(),
    Statement: fc.oneof(statement, fc.array(statement, { maxLength: 4 }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

function analyzeAll(input: unknown) {
  const parsed = parsePolicy(input);
  if (!parsed.ok) {
    expect(parsed.reason.length).toBeGreaterThan(0);
    return;
  }
  for (const analysis of [
    analyzeBucketPolicy(parsed.policy, zone),
    analyzeBucketPolicy(parsed.policy, zone, { networkConditionsPin: true }),
    analyzeEndpointPolicy(parsed.policy, zone),
    analyzeEndpointPolicy(parsed.policy, zone, { requirePerimeter: 'both' }),
  ]) {
    expect(analysis.statements).toHaveLength(parsed.policy.statements.length);
    for (const result of analysis.statements) expect(result.reason.length).toBeGreaterThan(0);
    expect(analysis.verdict).toBe(analysis.statements.some((s) => s.offending) ? 'violation' : 'compliant');
  }
}

describe('policy parser and analyzer under arbitrary input (fast-check)', () => {
  test.prop([fc.jsonValue()], { numRuns: 500 })('never throw on arbitrary JSON values', (value) => {
    analyzeAll(value);
  });

  test.prop([fc.string()], { numRuns: 300 })('never throw on arbitrary text', (text) => {
    analyzeAll(text);
  });

  test.prop([policyLike], { numRuns: 1000 })(
    'never throw on policy-shaped documents, as objects or JSON text',
    (doc) => {
      analyzeAll(doc);
      analyzeAll(JSON.stringify(doc));
    },
  );

  test.prop([fc.array(fc.oneof(scalarish.map(String), fc.string()), { maxLength: 6 })])(
    'allowed-principal lists never throw, and "*" is always offending',
    (principals) => {
      const findings = analyzeAllowedPrincipals(principals, zone);
      expect(findings).toHaveLength(principals.length);
      for (const finding of findings) if (finding.principal === '*') expect(finding.offending).toBe(true);
    },
  );

  test.prop([fc.array(validStatement, { minLength: 1, maxLength: 4 })])(
    'a Deny never offends, and adding one never changes the other statements',
    (statements) => {
      const parsed = parsePolicy({ Statement: statements });
      if (!parsed.ok) throw new Error(parsed.reason);
      const before = analyzeBucketPolicy(parsed.policy, zone).statements.map((s) => s.status);
      const withDeny = parsePolicy({
        Statement: [...statements, { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }],
      });
      if (!withDeny.ok) throw new Error(withDeny.reason);
      const after = analyzeBucketPolicy(withDeny.policy, zone).statements.map((s) => s.status);
      expect(after.slice(0, -1)).toEqual(before);
      expect(after.at(-1)).toBe('deny');
    },
  );

  test.prop([fc.array(validStatement, { minLength: 1, maxLength: 4 })])(
    'an Allow to "*" without Condition is always public, whatever else the policy says',
    (statements) => {
      const open = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' };
      const parsed = parsePolicy({ Statement: [...statements, open] });
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(analyzeBucketPolicy(parsed.policy, zone).statements.at(-1)?.status).toBe('public');
    },
  );

  test.prop([fc.array(validStatement, { minLength: 1, maxLength: 4 })])(
    'removing the offending statements leaves a compliant policy (what the revert puts)',
    (statements) => {
      const parsed = parsePolicy({ Version: '2012-10-17', Statement: statements });
      if (!parsed.ok) throw new Error(parsed.reason);
      const analysis = analyzeBucketPolicy(parsed.policy, zone);
      const keep = parsed.policy.statements.filter((s) => !analysis.statements[s.index]?.offending);
      fc.pre(keep.length > 0);
      const rest = parsePolicy(JSON.stringify(policyWithStatements(parsed.policy, keep)));
      if (!rest.ok) throw new Error(rest.reason);
      expect(analyzeBucketPolicy(rest.policy, zone).verdict).toBe('compliant');
    },
  );

  test.prop([statement])('a statement fingerprint does not depend on key order', (raw) => {
    const reversed = Object.fromEntries(Object.entries(raw).reverse());
    expect(statementFingerprint(reversed)).toBe(statementFingerprint(raw));
  });
});
