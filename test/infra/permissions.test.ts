/**
 * Least privilege, derived: the member remediation role and the central function role are built
 * from infra/permissions.json, and infra/permissions.json must be exactly what the code needs,
 * as read from its SDK calls. A new executor call without a regenerated file fails here; so does
 * a hand-added permission.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CENTRAL_ACTIONS,
  functionPolicy,
  PLATFORM_ACTIONS,
  UnscopedActionError,
} from '../../infra/function-policy';
import { MEMBER_ACTIONS, memberTemplate } from '../../infra/member-template';
import { CENTRAL_CODE, derivePermissions, MEMBER_CODE } from '../../infra/permissions/derive';
import { iamActions, UnknownSdkCallError } from '../../infra/permissions/iam-actions';
import { scanPaths, scanSource, sourceFiles, UnsupportedSdkUsageError } from '../../infra/permissions/scan';
import checked from '../../infra/permissions.json';
import type { PolicyStatement } from '../../infra/policies';

const ROOT = join(import.meta.dirname, '..', '..');
const derived = derivePermissions(ROOT);
const REGENERATE = 'run `npm run infra:permissions` and review the diff of infra/permissions.json';

describe('infra/permissions.json', () => {
  it('is exactly what the code derives (member, central and the documented exclusions)', () => {
    expect(
      { member: checked.member, central: checked.central, excluded: checked.excluded },
      REGENERATE,
    ).toEqual(derived);
  });

  it('finds every `new XxxCommand(` in member code (an independent textual count)', () => {
    const files = MEMBER_CODE.flatMap((path) => sourceFiles(join(ROOT, path)));
    expect(files.length).toBeGreaterThan(0);
    const scanned = scanPaths(ROOT, MEMBER_CODE).filter((call) => call.kind === 'command').length;
    const textual = files
      .map((file) => readFileSync(file, 'utf8').match(/\bnew\s+[A-Za-z0-9_]+Command\s*\(/g)?.length ?? 0)
      .reduce((sum, count) => sum + count, 0);
    expect(scanned).toBe(textual);
  });

  it('finds every `new XxxCommand(` in central code too', () => {
    const files = CENTRAL_CODE.flatMap((path) => sourceFiles(join(ROOT, path)));
    const scanned = scanPaths(ROOT, CENTRAL_CODE).filter((call) => call.kind === 'command').length;
    const textual = files
      .map((file) => readFileSync(file, 'utf8').match(/\bnew\s+[A-Za-z0-9_]+Command\s*\(/g)?.length ?? 0)
      .reduce((sum, count) => sum + count, 0);
    expect(scanned).toBe(textual);
  });
});

describe('member remediation role', () => {
  const template = memberTemplate({ remediationRoleName: 'DriftGuardRemediation' });
  const role = template.Resources.RemediationRole;
  if (!role) throw new Error('the member template has no RemediationRole');
  const statements = (
    role.Properties.Policies as {
      PolicyDocument: { Statement: PolicyStatement[] };
    }[]
  ).flatMap((policy) => policy.PolicyDocument.Statement);

  it('allows exactly the actions the executor and playbooks call', () => {
    const allowed = statements.filter((statement) => statement.Effect === 'Allow').flatMap((s) => s.Action);
    expect(allowed.sort()).toEqual(Object.keys(derived.member).sort());
    expect(MEMBER_ACTIONS).toEqual(Object.keys(derived.member).sort());
  });

  it('covers the calls the guardrails’ reverts need', () => {
    // A sample a reviewer can check against DESIGN.md §4; the equality above is the real guard.
    expect(MEMBER_ACTIONS).toEqual(
      expect.arrayContaining([
        'ec2:RevokeSecurityGroupIngress',
        'ec2:DescribeSecurityGroupRules',
        's3:PutBucketPublicAccessBlock',
        's3:GetBucketPolicy',
      ]),
    );
  });

  it('has no wildcard allow, and denies any change to itself', () => {
    for (const statement of statements.filter((s) => s.Effect === 'Allow')) {
      for (const action of ([] as string[]).concat(statement.Action)) expect(action).not.toContain('*');
    }
    expect(statements.find((statement) => statement.Effect === 'Deny')).toMatchObject({
      Action: 'iam:*',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/DriftGuardRemediation' },
    });
  });
});

describe('central function policy', () => {
  const resources = {
    partition: 'aws',
    tableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/t',
    topicArn: 'arn:aws:sns:us-east-1:111111111111:topic',
    topicKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/k',
    queueArn: 'arn:aws:sqs:us-east-1:111111111111:q',
    deadLetterQueueArn: 'arn:aws:sqs:us-east-1:111111111111:dlq',
    logGroupArns: ['arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/f'],
    organizationId: 'o-exampleorg1',
    remediationRoleName: 'DriftGuardRemediation',
    configParameterArn: 'arn:aws:ssm:us-east-1:111111111111:parameter/driftguard/test/config',
  };

  it('grants exactly the derived central actions plus the documented platform ones', () => {
    const actions = functionPolicy(resources).Statement.flatMap((statement) => statement.Action);
    expect(new Set(actions).size).toBe(actions.length);
    expect(actions.sort()).toEqual(
      [...new Set([...Object.keys(derived.central), ...Object.keys(PLATFORM_ACTIONS)])].sort(),
    );
    expect(CENTRAL_ACTIONS).toEqual(Object.keys(derived.central).sort());
  });

  it('needs the calls the pipeline makes: assume the member role, state, alerts, dead letters', () => {
    expect(CENTRAL_ACTIONS).toEqual(
      expect.arrayContaining([
        'sts:AssumeRole',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'sns:Publish',
        'sqs:SendMessage',
      ]),
    );
  });

  it('refuses an action it has no resource scope for instead of granting it on *', () => {
    expect(() => functionPolicy(resources, ['ec2:RevokeSecurityGroupIngress'])).toThrow(UnscopedActionError);
  });
});

describe('the scanner', () => {
  const scan = (text: string) =>
    scanSource('x.ts', text).map(({ module, name, kind }) => ({ module, name, kind }));

  it('reads commands, aliased imports, namespace imports, paginators and waiters', () => {
    const calls = scan(`
      import { RevokeSecurityGroupIngressCommand, paginateDescribeSecurityGroups, waitUntilSecurityGroupExists } from '@aws-sdk/client-ec2';
      import { PutPublicAccessBlockCommand as AccountBlock } from '@aws-sdk/client-s3-control';
      import * as s3 from '@aws-sdk/client-s3';
      import type { DeleteBucketPolicyCommand } from '@aws-sdk/client-s3';
      export async function f(ec2: any, s3c: any) {
        await ec2.send(new RevokeSecurityGroupIngressCommand({}));
        for await (const page of paginateDescribeSecurityGroups({ client: ec2 }, {})) void page;
        await waitUntilSecurityGroupExists({ client: ec2, maxWaitTime: 10 }, {});
        await s3c.send(new AccountBlock({}));
        await s3c.send(new s3.PutPublicAccessBlockCommand({}));
      }`);
    expect(calls).toEqual([
      { module: '@aws-sdk/client-ec2', name: 'RevokeSecurityGroupIngress', kind: 'command' },
      { module: '@aws-sdk/client-ec2', name: 'DescribeSecurityGroups', kind: 'paginator' },
      { module: '@aws-sdk/client-ec2', name: 'SecurityGroupExists', kind: 'waiter' },
      { module: '@aws-sdk/client-s3-control', name: 'PutPublicAccessBlock', kind: 'command' },
      { module: '@aws-sdk/client-s3', name: 'PutPublicAccessBlock', kind: 'command' },
    ]);
  });

  it('maps SDK operations to IAM actions, including the renamed S3 ones', () => {
    const actions = (module: string, name: string, kind: 'command' | 'paginator' | 'waiter' = 'command') =>
      iamActions({ module, name, kind });
    expect(actions('@aws-sdk/client-ec2', 'RevokeSecurityGroupIngress')).toEqual([
      'ec2:RevokeSecurityGroupIngress',
    ]);
    expect(actions('@aws-sdk/client-ec2', 'DescribeSecurityGroups', 'paginator')).toEqual([
      'ec2:DescribeSecurityGroups',
    ]);
    expect(actions('@aws-sdk/client-ec2', 'SecurityGroupExists', 'waiter')).toEqual([
      'ec2:DescribeSecurityGroups',
    ]);
    expect(actions('@aws-sdk/client-s3', 'GetBucketPolicy')).toEqual(['s3:GetBucketPolicy']);
    expect(actions('@aws-sdk/client-s3', 'PutPublicAccessBlock')).toEqual(['s3:PutBucketPublicAccessBlock']);
    expect(actions('@aws-sdk/client-s3', 'DeletePublicAccessBlock')).toEqual([
      's3:PutBucketPublicAccessBlock',
    ]);
    expect(actions('@aws-sdk/client-s3-control', 'PutPublicAccessBlock')).toEqual([
      's3:PutAccountPublicAccessBlock',
    ]);
    expect(actions('@aws-sdk/lib-dynamodb', 'Update')).toEqual(['dynamodb:UpdateItem']);
    expect(actions('@aws-sdk/client-eventbridge', 'PutEvents')).toEqual(['events:PutEvents']);
    expect(actions('@aws-sdk/client-sts', 'GetCallerIdentity')).toEqual([]);
  });

  it('fails on what it cannot map rather than guessing', () => {
    expect(() =>
      iamActions({ module: '@aws-sdk/client-acm', name: 'ListCertificates', kind: 'command' }),
    ).toThrow(UnknownSdkCallError);
    expect(() =>
      iamActions({ module: '@aws-sdk/client-ec2', name: 'InstanceRunning', kind: 'waiter' }),
    ).toThrow(UnknownSdkCallError);
  });

  it('rejects SDK usage that would hide calls from it', () => {
    expect(() => scan(`import { EC2 } from '@aws-sdk/client-ec2'; const ec2 = new EC2({});`)).toThrow(
      UnsupportedSdkUsageError,
    );
    expect(() =>
      scan(
        `import { RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2'; const C = RevokeSecurityGroupIngressCommand;`,
      ),
    ).toThrow(UnsupportedSdkUsageError);
    // Types are not calls.
    expect(
      scan(`import { QueryCommand } from '@aws-sdk/lib-dynamodb';
            type Input = ConstructorParameters<typeof QueryCommand>[0];`),
    ).toEqual([]);
  });

  it('sees library entry points that make calls themselves', () => {
    expect(
      scan(`import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
            export const layer = new DynamoDBPersistenceLayer({ tableName: 't' });`),
    ).toEqual([
      {
        module: '@aws-lambda-powertools/idempotency/dynamodb',
        name: 'DynamoDBPersistenceLayer',
        kind: 'library',
      },
    ]);
  });

  it('records the enclosing functions, which the documented exclusions match on', () => {
    const [call] = scanSource(
      'x.ts',
      `import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
       export async function ensureTable(ddb: any) { const go = async () => ddb.send(new CreateTableCommand({})); await go(); }`,
    );
    expect(call?.enclosing).toEqual(['go', 'ensureTable']);
  });
});
