import {
  matchStatements,
  parseOperator,
  parsePolicy,
  policyFingerprint,
  policyWithStatements,
  statementFingerprint,
  statementRef,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';

function parsed(input: unknown) {
  const result = parsePolicy(input);
  if (!result.ok) throw new Error(result.reason);
  return result.policy;
}

describe('parsePolicy: the legal forms of a policy document', () => {
  const doc = {
    Version: '2012-10-17',
    Id: 'example',
    Statement: [
      { Sid: 'A', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
    ],
  };

  it('reads a JSON string and an object the same way', () => {
    expect(parsed(JSON.stringify(doc))).toEqual(parsed(doc));
    expect(parsed(`  \n${JSON.stringify(doc)}\n`).statements).toHaveLength(1);
  });

  it('reads a single Statement object as a one-statement list', () => {
    const single = parsed({ Version: '2012-10-17', Statement: doc.Statement[0] });
    expect(single.statements.map((s) => s.sid)).toEqual(['A']);
  });

  it('keeps Version and Id, and a document without Version (AWS default endpoint policy)', () => {
    expect(parsed(doc)).toMatchObject({ version: '2012-10-17', id: 'example' });
    expect(
      parsed({ Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }).version,
    ).toBeUndefined();
  });

  it.each([
    ['"*"', '*', { kind: 'wildcard' }],
    ['{"AWS": "*"}', { AWS: '*' }, { kind: 'entries', entries: [{ type: 'AWS', value: '*' }] }],
    [
      'an account id and a role ARN in a list',
      { AWS: ['111122223333', 'arn:aws:iam::111122223333:role/r'] },
      {
        kind: 'entries',
        entries: [
          { type: 'AWS', value: '111122223333' },
          { type: 'AWS', value: 'arn:aws:iam::111122223333:role/r' },
        ],
      },
    ],
    [
      'Service',
      { Service: ['s3.amazonaws.com'] },
      { kind: 'entries', entries: [{ type: 'Service', value: 's3.amazonaws.com' }] },
    ],
    [
      'Federated',
      { Federated: 'cognito-identity.amazonaws.com' },
      { kind: 'entries', entries: [{ type: 'Federated', value: 'cognito-identity.amazonaws.com' }] },
    ],
    [
      'CanonicalUser',
      { CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' },
      {
        kind: 'entries',
        entries: [
          {
            type: 'CanonicalUser',
            value: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
          },
        ],
      },
    ],
  ])('Principal %s', (_name, principal, expected) => {
    const [statement] = parsed({
      Statement: { Effect: 'Allow', Principal: principal, Action: '*', Resource: '*' },
    }).statements;
    expect(statement?.principal).toEqual(expected);
  });

  it('NotPrincipal, NotAction and NotResource are kept apart from their positive forms', () => {
    const [statement] = parsed({
      Statement: {
        Effect: 'Deny',
        NotPrincipal: { AWS: '111122223333' },
        NotAction: 's3:Get*',
        NotResource: ['arn:aws:s3:::b'],
      },
    }).statements;
    expect(statement).toMatchObject({
      notPrincipal: { kind: 'entries', entries: [{ type: 'AWS', value: '111122223333' }] },
      notActions: ['s3:Get*'],
      notResources: ['arn:aws:s3:::b'],
    });
    expect(statement?.principal).toBeUndefined();
    expect(statement?.actions).toBeUndefined();
  });

  it('reads every condition: operator parts, key case kept (compared lower-case), scalar values as strings', () => {
    const [statement] = parsed({
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: {
          'ForAnyValue:StringEqualsIfExists': { 'AWS:SourceVpce': ['vpce-1', 'vpce-2'] },
          NumericLessThan: { 's3:max-keys': 10 },
          Bool: { 'aws:SecureTransport': false },
        },
      },
    }).statements;
    expect(statement?.conditions).toEqual([
      {
        operator: 'ForAnyValue:StringEqualsIfExists',
        base: 'StringEquals',
        qualifier: 'ForAnyValue',
        ifExists: true,
        negated: false,
        key: 'AWS:SourceVpce',
        keyLower: 'aws:sourcevpce',
        values: ['vpce-1', 'vpce-2'],
      },
      expect.objectContaining({ base: 'NumericLessThan', values: ['10'] }),
      expect.objectContaining({ base: 'Bool', values: ['false'] }),
    ]);
  });

  it.each([
    ['StringNotEquals', { base: 'StringNotEquals', negated: true, ifExists: false }],
    ['StringNotLikeIfExists', { base: 'StringNotLike', negated: true, ifExists: true }],
    ['ForAllValues:ArnNotLike', { base: 'ArnNotLike', negated: true, qualifier: 'ForAllValues' }],
    ['NotIpAddress', { base: 'NotIpAddress', negated: true }],
    ['IpAddress', { base: 'IpAddress', negated: false }],
    ['Null', { base: 'Null', negated: false, ifExists: false }],
    ['IfExists', { base: 'IfExists', ifExists: false }],
  ])('operator %s', (operator, expected) => {
    expect(parseOperator(operator)).toMatchObject(expected);
  });
});

describe('parsePolicy: what it refuses, with a reason that says where', () => {
  it.each([
    ['', 'the policy is empty'],
    ['{"Statement": [', 'not JSON'],
    ['[1, 2]', 'got an array'],
    ['"a string"', 'got the string'],
    [{ Version: '2012-10-17' }, 'no Statement'],
    [{ Version: 2012, Statement: [] }, 'Version must be a string'],
    [{ Statement: ['x'] }, 'Statement[0] must be an object'],
    [{ Statement: [{ Effect: 'allow', Principal: '*' }] }, 'Statement[0].Effect must be "Allow" or "Deny"'],
    [
      { Statement: [{ Effect: 'Allow', Principal: '*', NotPrincipal: '*' }] },
      'both Principal and NotPrincipal',
    ],
    [{ Statement: [{ Effect: 'Allow', Action: '*', NotAction: 's3:*' }] }, 'both Action and NotAction'],
    [{ Statement: [{ Effect: 'Allow', Principal: { Bogus: 'x' } }] }, 'unknown principal type "Bogus"'],
    [
      { Statement: [{ Effect: 'Allow', Principal: { AWS: [] } }] },
      'Principal.AWS must be a string or a non-empty list',
    ],
    [{ Statement: [{ Effect: 'Allow', Principal: 42 }] }, 'Principal must be "*" or an object'],
    [{ Statement: [{ Effect: 'Allow', Principal: '*', Action: 7 }] }, 'Statement[0].Action must be a string'],
    [
      { Statement: [{ Effect: 'Allow', Principal: '*', Condition: ['x'] }] },
      'Condition must be an object of operators',
    ],
    [
      { Statement: [{ Effect: 'Allow', Principal: '*', Condition: { StringEquals: 'x' } }] },
      'StringEquals must be an object',
    ],
    [
      { Statement: [{ Effect: 'Allow', Principal: '*', Condition: { StringEquals: { k: { nested: 1 } } } }] },
      'values must be strings, numbers or booleans',
    ],
    [{ Statement: [{ Effect: 'Allow', Principal: '*', Sid: 3 }] }, 'Sid must be a string'],
    [{ Statement: [{ Effect: 'Allow', Principal: '*', Actions: '*' }] }, 'unknown element(s) Actions'],
  ])('%j', (input, reason) => {
    const result = parsePolicy(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe('rebuilding and recognising statements', () => {
  const policy = parsed({
    Version: '2012-10-17',
    Id: 'keep-me',
    Statement: [
      {
        Sid: 'A',
        Effect: 'Allow',
        Principal: { AWS: '111122223333' },
        Action: 's3:GetObject',
        Resource: '*',
      },
      { Sid: 'B', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: '*' },
      { Sid: 'C', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' },
    ],
  });

  it('policyWithStatements keeps the other elements, the statements as written, and their order', () => {
    const [a, , c] = policy.statements;
    const written = policy.source.Statement as unknown[];
    expect(
      policyWithStatements(
        policy,
        [a, c].filter((s) => s !== undefined),
      ),
    ).toEqual({
      Version: '2012-10-17',
      Id: 'keep-me',
      Statement: [written[0], written[2]],
    });
  });

  it('a fingerprint ignores key order, scalar-vs-list and account id vs root ARN (how S3 may store it)', () => {
    const written = {
      Sid: 'A',
      Effect: 'Allow',
      Principal: { AWS: '111122223333' },
      Action: 's3:GetObject',
      Resource: '*',
    };
    const stored = {
      Resource: ['*'],
      Action: ['s3:GetObject'],
      Principal: { AWS: ['arn:aws:iam::111122223333:root'] },
      Effect: 'Allow',
      Sid: 'A',
    };
    expect(statementFingerprint(stored)).toBe(statementFingerprint(written));
    expect(statementFingerprint({ ...written, Action: 's3:PutObject' })).not.toBe(
      statementFingerprint(written),
    );
  });

  it('a key named __proto__ counts in a statement fingerprint (a copy would set a prototype and lose it)', () => {
    const restricted = {
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::b/*',
      Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } },
    };
    // As a policy read back from AWS arrives: JSON text, where __proto__ is an ordinary key.
    const withProto = (place: 'operator' | 'key' | 'statement' | 'principal') =>
      JSON.parse(
        JSON.stringify(restricted).replace(
          ...({
            operator: ['"Condition":{', '"Condition":{"__proto__":{"aws:SourceIp":"10.0.0.0/8"},'],
            key: ['"StringEquals":{', '"StringEquals":{"__proto__":"x",'],
            statement: ['{"Effect"', '{"__proto__":{"Sid":"X"},"Effect"'],
            principal: ['"Principal":"*"', '"Principal":{"__proto__":"x","AWS":"*"}'],
          }[place] as [string, string]),
        ),
      );
    for (const place of ['operator', 'key', 'statement'] as const)
      expect(statementFingerprint(withProto(place)), place).not.toBe(statementFingerprint(restricted));
    expect(statementFingerprint(withProto('principal'))).not.toBe(
      statementFingerprint({ ...restricted, Principal: { AWS: '*' } }),
    );
    // Statements without such a key keep the fingerprints they had (stored references still match).
    expect(statementFingerprint(restricted)).toBe(
      statementFingerprint(JSON.parse(JSON.stringify(restricted))),
    );
  });

  it('a document fingerprint keeps statement order', () => {
    const source = policy.source;
    const reversed = { ...source, Statement: [...(source.Statement as unknown[])].reverse() };
    expect(policyFingerprint(source)).toBe(policyFingerprint(JSON.parse(JSON.stringify(source))));
    expect(policyFingerprint(reversed)).not.toBe(policyFingerprint(source));
  });

  it('matchStatements finds a ref by content, else by Sid, each statement at most once', () => {
    const b = policy.statements[1];
    if (!b) throw new Error('fixture');
    const byContent = statementRef(b);
    expect(matchStatements(policy.statements, [byContent]).map((s) => s.sid)).toEqual(['B']);
    const bySid = { index: 7, sid: 'C', fingerprint: 'changed since' };
    expect(matchStatements(policy.statements, [bySid]).map((s) => s.sid)).toEqual(['C']);
    expect(matchStatements(policy.statements, [byContent, byContent]).map((s) => s.sid)).toEqual(['B']);
    expect(matchStatements(policy.statements, [{ index: 0, fingerprint: 'nothing like it' }])).toEqual([]);
  });
});
