import {
  analyzeAllowedPrincipals,
  analyzeBucketPolicy,
  analyzeEndpointPolicy,
  broadSourceIp,
  classifyCondition,
  classifyPrincipal,
  isOpenResource,
  POLICY_CHOICES,
  parsePolicy,
  type ZoneContext,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { rulesMarkdown } from '../../packages/cli/src/rules-doc';

/** A policy variable as written in a policy: dollar sign, braces, key. */
const variable = (key: string) => `\${${key}}`;

const OWNER = '111122223333';
const MEMBER = '222233334444';
const OUTSIDE = '444455556666';
const ORG = 'o-a1b2c3d4e5';

const zone: ZoneContext = {
  trustZone: { organizationId: ORG, accounts: new Set([MEMBER]) },
  owner: OWNER,
};

function policy(statements: unknown[]) {
  const result = parsePolicy({ Version: '2012-10-17', Statement: statements });
  if (!result.ok) throw new Error(result.reason);
  return result.policy;
}

function condition(operator: string, key: string, values: string[], others: Record<string, unknown> = {}) {
  const [statement] = policy([
    {
      Effect: 'Allow',
      Principal: '*',
      Action: '*',
      Resource: '*',
      Condition: { [operator]: { [key]: values }, ...others },
    },
  ]).statements;
  if (!statement) throw new Error('fixture');
  const entry = statement.conditions.find((c) => c.operator === operator);
  if (!entry) throw new Error('fixture');
  return classifyCondition(entry, statement.conditions, zone);
}

describe('principals, placed relative to the trust zone', () => {
  it.each([
    ['AWS', '*', 'anonymous'],
    ['AWS', OWNER, 'trust-zone'],
    ['AWS', MEMBER, 'trust-zone'],
    ['AWS', OUTSIDE, 'outside'],
    ['AWS', `arn:aws:iam::${OWNER}:root`, 'trust-zone'],
    ['AWS', `arn:aws:iam::${OUTSIDE}:role/reader`, 'outside'],
    ['AWS', `arn:aws:sts::${MEMBER}:assumed-role/ci/session`, 'trust-zone'],
    ['AWS', `arn:aws:iam::${OWNER}:role/*`, 'anonymous'],
    ['AWS', `arn:aws:iam::${variable('aws:PrincipalAccount')}:root`, 'anonymous'],
    ['AWS', 'AROAEXAMPLEROLEID1234', 'nobody'],
    ['AWS', 'AIDAEXAMPLEUSERID1234', 'nobody'],
    ['AWS', 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLE', 'outside'],
    ['Service', 'cloudtrail.amazonaws.com', 'service'],
    ['Federated', 'accounts.google.com', 'anonymous'],
    ['Federated', `arn:aws:iam::${OWNER}:saml-provider/okta`, 'trust-zone'],
    ['Federated', `arn:aws:iam::${OUTSIDE}:oidc-provider/token.actions.githubusercontent.com`, 'outside'],
    ['CanonicalUser', '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be', 'outside'],
  ] as const)('%s %s is %s', (type, value, scope) => {
    expect(classifyPrincipal({ type, value }, zone).scope).toBe(scope);
  });

  it('says which account and why', () => {
    expect(classifyPrincipal({ type: 'AWS', value: OUTSIDE }, zone)).toMatchObject({
      account: OUTSIDE,
      reason: expect.stringContaining('not in the organization or trustedAccounts'),
    });
    expect(classifyPrincipal({ type: 'AWS', value: OWNER }, zone).reason).toContain('the resource owner');
  });

  it('trustedPrincipals places a named principal inside', () => {
    const oai = 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLE';
    expect(classifyPrincipal({ type: 'AWS', value: oai }, { ...zone, trustedPrincipals: [oai] }).scope).toBe(
      'trust-zone',
    );
  });
});

describe('conditions: S3 non-public keys and trust-zone pins', () => {
  it.each([
    ['StringEquals', 'aws:PrincipalOrgID', [ORG], true, 'trust-zone'],
    ['StringEquals', 'aws:PrincipalOrgID', ['o-zzzzzzzzzz'], true, 'outside'],
    ['StringEquals', 'aws:SourceAccount', [OWNER, MEMBER], true, 'trust-zone'],
    ['StringEquals', 'aws:SourceAccount', [OWNER, OUTSIDE], true, 'outside'],
    ['StringEquals', 'aws:SourceOwner', [OWNER], true, 'trust-zone'],
    ['ArnLike', 'aws:SourceArn', [`arn:aws:cloudtrail:*:${OWNER}:trail/*`], false, 'trust-zone'],
    ['ArnEquals', 'aws:SourceArn', ['arn:aws:s3:::source-bucket'], true, 'unattributed'],
    ['StringEquals', 's3:DataAccessPointAccount', [OWNER], true, 'trust-zone'],
    [
      'StringEquals',
      's3:DataAccessPointArn',
      [`arn:aws:s3:us-east-1:${OWNER}:accesspoint/ap`],
      true,
      'trust-zone',
    ],
    ['StringEquals', 'aws:SourceVpce', ['vpce-1a2b3c4d'], true, 'unattributed'],
    ['StringEquals', 'aws:SourceVpc', ['vpc-91237329'], true, 'unattributed'],
    ['IpAddress', 'aws:SourceIp', ['203.0.113.0/24'], true, 'unattributed'],
    ['StringEquals', 'aws:userid', ['AROAEXAMPLEROLEID:alice'], true, 'unattributed'],
    ['StringEquals', 'aws:PrincipalAccount', [OWNER], false, 'trust-zone'],
    ['ArnLike', 'aws:PrincipalArn', [`arn:aws:iam::${MEMBER}:role/*`], false, 'trust-zone'],
    ['StringLike', 'aws:PrincipalOrgPaths', [`${ORG}/r-ab12/ou-ab12-11111111/*`], false, 'trust-zone'],
    ['StringEquals', 'aws:ResourceOrgID', [ORG], false, 'trust-zone'],
    ['StringEquals', 'aws:ResourceAccount', [OUTSIDE], false, 'outside'],
    ['Bool', 'aws:PrincipalIsAWSService', ['true'], false, 'aws-service'],
  ] as const)('%s %s %j → restrictsPublic %s, pin %s', (operator, key, values, restricts, scope) => {
    const verdict = condition(operator, key, [...values]);
    expect(verdict.restrictsPublic).toBe(restricts);
    expect(verdict.pin?.scope).toBe(scope);
  });

  it.each([
    ['StringNotEquals', 'aws:PrincipalOrgID', [ORG], 'negated'],
    ['ArnNotLike', 'aws:SourceArn', [`arn:aws:cloudtrail:*:${OWNER}:trail/*`], 'negated'],
    ['NotIpAddress', 'aws:SourceIp', ['203.0.113.0/24'], 'negated'],
    ['StringEqualsIfExists', 'aws:SourceVpce', ['vpce-1'], 'has no aws:SourceVpce'],
    ['ForAllValues:StringEquals', 'aws:PrincipalOrgID', [ORG], 'ForAllValues'],
    ['Null', 'aws:SourceVpce', ['false'], 'only tests whether'],
    ['StringLike', 'aws:SourceVpc', ['vpc-*'], 'not a fixed value'],
    ['StringEquals', 'aws:SourceAccount', [variable('aws:PrincipalAccount')], 'not a fixed value'],
    ['StringEquals', 'aws:SourceIp', ['203.0.113.0/24'], 'does not compare'],
    ['IpAddress', 'aws:SourceIp', ['0.0.0.0/0'], 'broader than /8'],
    ['StringEquals', 'aws:Referer', ['https://example.com/'], 'neither on S3'],
  ])('%s %s %j restricts nothing (%s)', (operator, key, values, why) => {
    const verdict = condition(operator, key, values);
    expect(verdict.restrictsPublic).toBe(false);
    expect(verdict.pin).toBeUndefined();
    expect(verdict.reason).toContain(why);
  });

  it('ForAllValues restricts when the same statement requires the key with Null: false', () => {
    const verdict = condition('ForAllValues:StringEquals', 'aws:PrincipalOrgID', [ORG], {
      Null: { 'aws:PrincipalOrgID': 'false' },
    });
    expect(verdict.restrictsPublic).toBe(true);
    expect(verdict.pin?.scope).toBe('trust-zone');
  });

  it('ForAnyValue restricts like its base operator; condition keys are case-insensitive', () => {
    expect(condition('ForAnyValue:StringEquals', 'AWS:PRINCIPALORGID', [ORG]).pin?.scope).toBe('trust-zone');
  });

  it('an organization pin cannot be verified when the organization is unknown', () => {
    const [statement] = policy([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
      },
    ]).statements;
    const entry = statement?.conditions[0];
    if (!statement || !entry) throw new Error('fixture');
    const verdict = classifyCondition(entry, statement.conditions, {
      trustZone: { accounts: new Set() },
      owner: OWNER,
    });
    expect(verdict.pin?.scope).toBe('unattributed');
    expect(verdict.reason).toContain('set organizationId');
  });

  it.each([
    ['0.0.0.0/0', 'broader than /8'],
    ['8.0.0.0/7', 'broader than /8'],
    ['2001:db8::/31', 'broader than /32'],
    ['not-an-ip', 'is not an IPv4 or IPv6 address or CIDR'],
    // A spelling parsers read differently never restricts: octal 10.0.0.0/8 or decimal 12.0.0.0/8.
    ['012.0.0.0/8', 'is not canonical dotted decimal'],
  ])('aws:SourceIp %s is too broad (%s)', (value, why) => {
    expect(broadSourceIp(value)).toContain(why);
  });

  it.each([
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '11.0.0.0/8',
    '203.0.113.7',
    '2001:db8::/32',
    '2001:db8::1',
  ])('aws:SourceIp %s restricts', (value) => {
    expect(broadSourceIp(value)).toBeUndefined();
  });
});

describe('bucket policies: per statement, public / outside the trust zone, and why', () => {
  it('names the principal and every condition that failed to restrict it', () => {
    const [statement] = analyzeBucketPolicy(
      policy([
        {
          Sid: 'Leaky',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 's3:GetObject',
          Resource: '*',
          Condition: {
            StringNotEquals: { 'aws:SourceVpce': 'vpce-1' },
            StringLike: { 'aws:SourceVpc': 'vpc-*' },
          },
        },
      ]),
      zone,
    ).statements;
    expect(statement).toMatchObject({ sid: 'Leaky', status: 'public', offending: true });
    expect(statement?.reason).toContain('AWS:*');
    expect(statement?.reason).toContain('StringNotEquals aws:SourceVpce');
    expect(statement?.reason).toContain('vpc-* is not a fixed value');
    expect(statement?.conditions.map((c) => c.restrictsPublic)).toEqual([false, false]);
  });

  it('one fixed restricting condition among weak ones is enough (conditions are ANDed)', () => {
    const analysis = analyzeBucketPolicy(
      policy([
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: '*',
          Condition: {
            StringNotEquals: { 'aws:SourceVpce': 'vpce-1' },
            StringEquals: { 'aws:PrincipalOrgID': ORG },
          },
        },
      ]),
      zone,
    );
    expect(analysis.verdict).toBe('compliant');
    expect(analysis.statements[0]?.reason).toContain('pinned to the trust zone by aws:PrincipalOrgID');
  });

  it('a mixed principal list is offending when any principal is outside', () => {
    const [statement] = analyzeBucketPolicy(
      policy([{ Effect: 'Allow', Principal: { AWS: [OWNER, MEMBER, OUTSIDE] }, Action: '*', Resource: '*' }]),
      zone,
    ).statements;
    expect(statement?.status).toBe('outside-trust-zone');
    expect(statement?.reason).toContain(`AWS:${OUTSIDE}`);
    expect(statement?.reason).not.toContain(`AWS:${MEMBER}`);
  });

  it('every Deny is left alone and a deny-only policy is compliant', () => {
    const analysis = analyzeBucketPolicy(
      policy([
        { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' },
        { Effect: 'Deny', NotPrincipal: { AWS: OWNER }, Action: 's3:*', Resource: '*' },
      ]),
      zone,
    );
    expect(analysis.statements.map((s) => s.status)).toEqual(['deny', 'deny']);
    expect(analysis.verdict).toBe('compliant');
  });

  it('lists the zone accounts the document names (what a revert re-checks with)', () => {
    const analysis = analyzeBucketPolicy(
      policy([
        { Effect: 'Allow', Principal: { AWS: [MEMBER, OUTSIDE] }, Action: '*', Resource: '*' },
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceArn': `arn:aws:cloudtrail:us-east-1:${OWNER}:trail/t` } },
        },
      ]),
      zone,
    );
    expect(analysis.zoneAccounts).toEqual([OWNER, MEMBER].sort());
  });
});

describe('endpoint policies: open on both axes, out-of-zone principals, perimeters', () => {
  const statement = (extra: Record<string, unknown>) => ({
    Effect: 'Allow',
    Principal: '*',
    Action: '*',
    Resource: '*',
    ...extra,
  });

  it.each([
    ['*', true],
    ['arn:aws:s3:::*', true],
    ['arn:aws:s3:::*/*', true],
    ['arn:aws:s3:::corp-*', true],
    ['arn:aws:s3:::corp-artifacts/*', false],
    ['arn:aws:sqs:*:*:*', true],
    [`arn:aws:dynamodb:*:${OWNER}:table/*`, false],
    ['arn:aws:route53:::hostedzone/*', true],
    ['arn:aws:route53:::hostedzone/Z123', false],
    [`arn:aws:s3:::${variable('aws:username')}/*`, true],
  ])('resource %s open: %s', (resource, open) => {
    expect(isOpenResource(resource)).toBe(open);
  });

  it('AWS default full-access policy is open', () => {
    const [result] = analyzeEndpointPolicy(policy([statement({})]), zone).statements;
    expect(result?.status).toBe('open');
  });

  it('an identity pin or a resource pin alone closes "open"', () => {
    const identity = statement({ Condition: { StringEquals: { 'aws:PrincipalAccount': OWNER } } });
    const resource = statement({ Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } } });
    const service = statement({ Condition: { Bool: { 'aws:PrincipalIsAWSService': 'true' } } });
    const analysis = analyzeEndpointPolicy(policy([identity, resource, service]), zone);
    expect(analysis.statements.map((s) => s.status)).toEqual(['trust-zone', 'trust-zone', 'trust-zone']);
  });

  it('requirePerimeter both: identity and resource pins to the zone, AWS services exempt', () => {
    const both = statement({
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:ResourceAccount': [OWNER, MEMBER] } },
    });
    const identityOnly = statement({ Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } } });
    const resourceOnly = statement({ Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } } });
    const service = statement({ Condition: { Bool: { 'aws:PrincipalIsAWSService': 'true' } } });
    const thirdParty = statement({
      Condition: { StringEquals: { 'aws:PrincipalAccount': OUTSIDE, 'aws:ResourceAccount': OUTSIDE } },
    });
    const analysis = analyzeEndpointPolicy(
      policy([both, identityOnly, resourceOnly, service, thirdParty]),
      zone,
      {
        requirePerimeter: 'both',
      },
    );
    expect(analysis.statements.map((s) => s.status)).toEqual([
      'trust-zone',
      'missing-perimeter',
      'missing-perimeter',
      'trust-zone',
      'outside-trust-zone',
    ]);
    expect(analysis.statements[1]?.reason).toContain('resource perimeter');
    expect(analysis.statements[2]?.reason).toContain('identity perimeter');
    expect(analysis.statements[4]?.reason).toContain('limited to callers outside the trust zone');
  });

  it("callers pinned to a partner account are outside the trust zone, even on the partner's resources (issue 15)", () => {
    const thirdParty = statement({
      Resource: 'arn:aws:s3:::partner-bucket/*',
      Condition: { StringEquals: { 'aws:PrincipalAccount': OUTSIDE, 'aws:ResourceAccount': OUTSIDE } },
    });
    const [result] = analyzeEndpointPolicy(policy([thirdParty]), zone).statements;
    expect(result?.status).toBe('outside-trust-zone');
    expect(result?.reason).toContain(`aws:PrincipalAccount (${OUTSIDE})`);
    const trusted = {
      ...zone,
      trustZone: { ...zone.trustZone, accounts: new Set([...zone.trustZone.accounts, OUTSIDE]) },
    };
    expect(analyzeEndpointPolicy(policy([thirdParty]), trusted).verdict).toBe('compliant');
  });

  it('a named principal outside the zone is a violation even on a fixed resource', () => {
    const [result] = analyzeEndpointPolicy(
      policy([
        {
          Effect: 'Allow',
          Principal: { AWS: OUTSIDE },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::b/*',
        },
      ]),
      zone,
    ).statements;
    expect(result?.status).toBe('outside-trust-zone');
  });
});

describe('endpoint service allowed principals', () => {
  it('places each principal and says why', () => {
    const findings = analyzeAllowedPrincipals(
      [
        '*',
        `arn:aws:iam::${OWNER}:root`,
        `arn:aws:iam::${MEMBER}:role/consumer`,
        `arn:aws:iam::${OUTSIDE}:root`,
        `arn:aws:organizations::${OWNER}:organization/${ORG}`,
        `arn:aws:organizations::${OWNER}:ou/${ORG}/ou-ab12-11111111`,
        `arn:aws:organizations::${OUTSIDE}:organization/o-zzzzzzzzzz`,
        'arn:aws:iam::*:root',
      ],
      zone,
    );
    expect(findings.map((f) => [f.scope, f.offending])).toEqual([
      ['anonymous', true],
      ['trust-zone', false],
      ['trust-zone', false],
      ['outside', true],
      ['trust-zone', false],
      ['trust-zone', false],
      ['outside', true],
      ['anonymous', true],
    ]);
    expect(findings[6]?.reason).toContain('o-zzzzzzzzzz');
  });
});

describe('the semantic choices RULES.md lists', () => {
  it('cover every behaviour the analyzer chose, each with its basis', () => {
    const topics = POLICY_CHOICES.map((choice) => choice.topic);
    for (const topic of [
      'Public (S3)',
      'aws:SourceIp',
      'Negated operators',
      '…IfExists',
      'ForAnyValue / ForAllValues',
      'NotPrincipal',
      'Service principals',
      'Network conditions',
    ]) {
      expect(topics).toContain(topic);
    }
    for (const choice of POLICY_CHOICES) expect(choice.basis.length).toBeGreaterThan(20);
  });

  it('are rendered into RULES.md, each with its basis', () => {
    const markdown = rulesMarkdown();
    expect(markdown).toContain('## Policy analysis: the semantic choices');
    for (const choice of POLICY_CHOICES) {
      expect(markdown).toContain(`- **${choice.topic}.** ${choice.choice} _Basis: ${choice.basis}_`);
    }
  });
});
