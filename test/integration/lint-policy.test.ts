import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

const OWNER = '111122223333';
const PARTNER = '444455556666';
const ORG = 'o-a1b2c3d4e5';
const dir = mkdtempSync(join(tmpdir(), 'driftguard-lint-'));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

const bucketPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AppReader',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${OWNER}:role/app` },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::example-bucket/*',
    },
    {
      Sid: 'PublicRead',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::example-bucket/*',
      Condition: { StringLike: { 'aws:SourceVpc': 'vpc-*' } },
    },
  ],
};
const compliantBucketPolicy = { ...bucketPolicy, Statement: [bucketPolicy.Statement[0]] };
/** aws-samples/data-perimeter-policy-examples, default_endpoint_policy.json (first two statements). */
const dataPerimeter = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowRequestsByOrgsIdentitiesToOrgsResources',
      Effect: 'Allow',
      Principal: '*',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:ResourceOrgID': ORG } },
    },
    {
      Sid: 'AllowRequestsByAWSServicePrincipals',
      Effect: 'Allow',
      Principal: '*',
      Action: '*',
      Resource: '*',
      Condition: { Bool: { 'aws:PrincipalIsAWSService': 'true' } },
    },
  ],
};

describe('driftguard lint-policy, as a user runs it', () => {
  it('exit 1 and the reasons per statement for a policy with a public statement', async () => {
    const result = await runCli([
      'lint-policy',
      file('bucket.json', bucketPolicy),
      '--kind',
      's3-bucket-policy',
      '--account',
      OWNER,
      '--org-id',
      ORG,
    ]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('violation — 1 of 2 statement(s) offend');
    expect(result.stdout).toMatch(/✔ Statement\[0\] "AppReader" trust-zone/);
    expect(result.stdout).toMatch(/✘ Statement\[1\] "PublicRead" public/);
    expect(result.stdout).toContain('vpc-* is not a fixed value');
    expect(result.stdout).toContain(`organization ${ORG} · owner ${OWNER}`);
  });

  it('--json prints {kind, verdict, findings: [{statement, sid, reason, principals, conditions}]}', async () => {
    const result = await runCli([
      'lint-policy',
      file('bucket-json.json', bucketPolicy),
      '--kind',
      's3-bucket-policy',
      '--account',
      OWNER,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ kind: 's3-bucket-policy', verdict: 'violation' });
    expect(report.findings).toHaveLength(1);
    const [finding] = report.findings;
    expect(Object.keys(finding)).toEqual(
      expect.arrayContaining(['statement', 'sid', 'reason', 'principals', 'conditions']),
    );
    expect(finding).toMatchObject({
      statement: 1,
      sid: 'PublicRead',
      status: 'public',
      principals: [{ type: '*', value: '*', scope: 'anonymous' }],
      conditions: [
        {
          operator: 'StringLike',
          key: 'aws:SourceVpc',
          values: ['vpc-*'],
          restrictsPublic: false,
          pin: null,
        },
      ],
    });
    expect(finding.reason).toContain('public');
    expect(report.statements).toHaveLength(2);
  });

  it('exit 0 for a compliant policy read from stdin', async () => {
    const result = await runCli(
      ['lint-policy', '-', '--kind', 's3-bucket-policy', '--account', OWNER, '--json'],
      {
        input: JSON.stringify(compliantBucketPolicy),
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verdict: 'compliant', findings: [] });
  });

  it("AWS's data-perimeter endpoint policy is compliant, AWS's default full-access policy is not", async () => {
    const perimeter = await runCli([
      'lint-policy',
      file('perimeter.json', dataPerimeter),
      '--kind',
      'vpc-endpoint-policy',
      '--org-id',
      ORG,
    ]);
    expect(perimeter.code, perimeter.stdout + perimeter.stderr).toBe(0);
    const full = await runCli(['lint-policy', '-', '--kind', 'vpc-endpoint-policy', '--json'], {
      input: '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
    });
    expect(full.code).toBe(1);
    expect(JSON.parse(full.stdout).findings[0]).toMatchObject({ statement: 0, sid: null, status: 'open' });
  });

  it('--config supplies rule settings: requirePerimeter both flags the tag-exception statement', async () => {
    const config = file('config.json', {
      organizationId: ORG,
      rules: { 'vpc-endpoint-policy': { requirePerimeter: 'both' } },
    });
    const withException = {
      ...dataPerimeter,
      Statement: [
        ...dataPerimeter.Statement,
        {
          Sid: 'AllowRequestsByOrgsIdentitiesToAnyResources',
          Effect: 'Allow',
          Principal: '*',
          Action: '*',
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:PrincipalTag/dp:exclude:resource': 'true' },
          },
        },
      ],
    };
    const result = await runCli([
      'lint-policy',
      file('perimeter-exception.json', withException),
      '--kind',
      'vpc-endpoint-policy',
      '--config',
      config,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.findings.map((f: { sid: string }) => f.sid)).toEqual([
      'AllowRequestsByOrgsIdentitiesToAnyResources',
    ]);
    expect(report.findings[0].reason).toContain('resource perimeter');
  });

  it('--trusted-account (repeatable) puts partner accounts inside the trust zone', async () => {
    const partner = file('partner.json', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: [PARTNER, '555566667777'] },
          Action: 's3:GetObject',
          Resource: '*',
        },
      ],
    });
    const outside = await runCli([
      'lint-policy',
      partner,
      '--kind',
      's3-bucket-policy',
      '--trusted-account',
      PARTNER,
    ]);
    expect(outside.code).toBe(1);
    expect(outside.stdout).toContain('555566667777');
    const inside = await runCli([
      'lint-policy',
      partner,
      '--kind',
      's3-bucket-policy',
      '--trusted-account',
      PARTNER,
      '--trusted-account',
      '555566667777',
    ]);
    expect(inside.code, inside.stdout).toBe(0);
  });

  it('endpoint-service-permissions: a JSON array of ARNs, or DescribeVpcEndpointServicePermissions output', async () => {
    const list = await runCli(
      ['lint-policy', '-', '--kind', 'endpoint-service-permissions', '--account', OWNER, '--json'],
      {
        input: JSON.stringify(['*', `arn:aws:iam::${OWNER}:root`]),
      },
    );
    expect(list.code).toBe(1);
    expect(JSON.parse(list.stdout).findings).toEqual([
      expect.objectContaining({ statement: 0, sid: null, status: 'public', conditions: [] }),
    ]);
    const described = await runCli(
      ['lint-policy', '-', '--kind', 'endpoint-service-permissions', '--org-id', ORG, '--account', OWNER],
      {
        input: JSON.stringify({
          AllowedPrincipals: [
            { PrincipalType: 'Account', Principal: `arn:aws:iam::${OWNER}:root` },
            {
              PrincipalType: 'OrganizationUnit',
              Principal: `arn:aws:organizations::${OWNER}:ou/${ORG}/ou-ab12-11111111`,
            },
          ],
        }),
      },
    );
    expect(described.code, described.stdout).toBe(0);
  });

  it.each([
    [['lint-policy', '-', '--kind', 's3-bucket-policy'], '{"Statement": [', 'driftguard: <stdin>: not JSON'],
    [
      ['lint-policy', '-', '--kind', 's3-bucket-policy'],
      '{"Version": "2012-10-17"}',
      'not a policy: it has no Statement element',
    ],
    [['lint-policy', '-', '--kind', 's3-bucket-policy'], '[]', 'not a policy: expected a JSON object'],
    [['lint-policy', '-', '--kind', 's3-bucket-policy'], '', 'empty input'],
    [
      ['lint-policy', '-', '--kind', 's3-bucket-policy'],
      '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}',
      'Statement[0] has neither Principal nor NotPrincipal',
    ],
    [
      ['lint-policy', '-', '--kind', 'vpc-endpoint-policy'],
      '{"Statement": [{"Effect": "Permit", "Principal": "*"}]}',
      'not a valid policy: Statement[0].Effect must be "Allow" or "Deny"',
    ],
    [
      ['lint-policy', '-', '--kind', 'endpoint-service-permissions'],
      '{"Principals": []}',
      'not a list of principals',
    ],
    [
      ['lint-policy', '-', '--kind', 'iam-policy'],
      '{}',
      'unknown --kind "iam-policy": expected one of s3-bucket-policy',
    ],
    [
      ['lint-policy', '-', '--kind', 's3-bucket-policy', '--org-id', 'org-1'],
      '{}',
      '--org-id "org-1" is not an organization id',
    ],
    [
      ['lint-policy', '-', '--kind', 's3-bucket-policy', '--account', '1234'],
      '{}',
      '"1234" is not a 12-digit AWS account id',
    ],
    [
      ['lint-policy', join(dir, 'missing.json'), '--kind', 's3-bucket-policy'],
      '',
      'missing.json: no such file',
    ],
    [['lint-policy', '-'], '{}', "required option '--kind <kind>' not specified"],
  ])('exit 2 with a clear message: %j', async (args, input, message) => {
    const result = await runCli(args, { input });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });
});
