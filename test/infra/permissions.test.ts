/**
 * Least privilege, derived: the member remediation role and the central function role are built
 * from infra/permissions.json, and infra/permissions.json must be exactly what the code needs,
 * as read from its SDK calls. A new executor call without a regenerated file fails here; so does
 * a hand-added permission.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { enabledPlaybooks, PLAYBOOKS, PROTECTED_ROLES } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import {
  CENTRAL_ACTIONS,
  functionPolicy,
  PLATFORM_ACTIONS,
  UnscopedActionError,
} from '../../infra/function-policy';
import {
  IAM_WRITE_ACTIONS,
  MEMBER_ACTIONS,
  memberActions,
  memberTemplate,
} from '../../infra/member-template';
import { CENTRAL_CODE, derivePermissions, MEMBER_CODE, PLAYBOOK_CODE } from '../../infra/permissions/derive';
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
  const statementsOf = (template: ReturnType<typeof memberTemplate>) => {
    const role = template.Resources.RemediationRole;
    if (!role) throw new Error('the member template has no RemediationRole');
    return (role.Properties.Policies as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap(
      (policy) => policy.PolicyDocument.Statement,
    );
  };
  const allowedBy = (statements: PolicyStatement[]) =>
    statements
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => ([] as string[]).concat(statement.Action))
      .sort();
  const withNone = statementsOf(memberTemplate({ remediationRoleName: 'DriftGuardRemediation' }));
  const withAll = statementsOf(
    memberTemplate({ remediationRoleName: 'DriftGuardRemediation', playbooks: [...PLAYBOOKS] }),
  );
  const PLAYBOOK_ONLY = [
    'ec2:CreateSecurityGroup',
    'ec2:ModifyInstanceAttribute',
    'ec2:ModifyNetworkInterfaceAttribute',
    // iam:GetRole is not here: iam-role-trust's and driftguard-integrity's reverts read trust policies.
    'iam:GetRolePolicy',
    'iam:ListAccessKeys',
    'iam:PutRolePolicy',
    'iam:UpdateAccessKey',
  ];

  it('with every playbook enabled, allows exactly the actions the executor and playbooks call', () => {
    expect(allowedBy(withAll)).toEqual(Object.keys(derived.member).sort());
    expect(MEMBER_ACTIONS).toEqual(Object.keys(derived.member).sort());
  });

  it('with no playbook enabled (the default), holds none of the playbooks’ own actions', () => {
    const allowed = allowedBy(withNone);
    for (const action of PLAYBOOK_ONLY) expect(allowed, action).not.toContain(action);
    // What the guardrails’ reverts call stays, also where a playbook calls it too.
    expect(allowed).toEqual(
      expect.arrayContaining([
        'ec2:RevokeSecurityGroupIngress',
        'ec2:DescribeSecurityGroups',
        's3:PutBucketPublicAccessBlock',
        's3:GetBucketPolicy',
      ]),
    );
    // Exactly the derived actions that some non-playbook code calls.
    const playbookFiles = new Set(Object.values(PLAYBOOK_CODE));
    expect(allowed).toEqual(
      Object.entries(derived.member)
        .filter(([, files]) => files.some((file) => !playbookFiles.has(file)))
        .map(([action]) => action)
        .sort(),
    );
  });

  it('grants a playbook’s actions with that playbook only', () => {
    expect(memberActions(['revoke-role-sessions'])).toEqual(
      expect.arrayContaining(['iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy']),
    );
    expect(memberActions(['revoke-role-sessions'])).not.toContain('iam:UpdateAccessKey');
    expect(memberActions(['deactivate-access-key'])).toEqual(
      expect.arrayContaining(['iam:ListAccessKeys', 'iam:UpdateAccessKey']),
    );
    expect(memberActions(['deactivate-access-key'])).not.toContain('iam:PutRolePolicy');
    expect(memberActions(['isolate-instance'])).toContain('ec2:ModifyNetworkInterfaceAttribute');
    // The role follows the config: a stage with the role playbook on gets PutRolePolicy.
    expect(
      enabledPlaybooks({
        playbooks: {
          'isolate-instance': [],
          'deactivate-access-key': [],
          'revoke-role-sessions': ['UnauthorizedAccess:IAMUser/*'],
          'block-s3-public-access': [],
        },
      }),
    ).toEqual(['revoke-role-sessions']);
  });

  it('knows which file is which playbook: every playbook file is mapped, every mapping exists', () => {
    const dir = join(ROOT, 'packages/aws/src/executor/playbooks');
    const files = sourceFiles(dir)
      .map((file) => relative(ROOT, file).split('\\').join('/'))
      .filter((file) => !file.endsWith('/index.ts'));
    expect(Object.values(PLAYBOOK_CODE).sort()).toEqual(files.sort());
    expect(Object.keys(PLAYBOOK_CODE).sort()).toEqual([...PLAYBOOKS].sort());
  });

  it('has no wildcard allow, and denies any change to itself but restoring its trust from the template', () => {
    for (const statements of [withNone, withAll]) {
      for (const statement of statements.filter((s) => s.Effect === 'Allow')) {
        for (const action of ([] as string[]).concat(statement.Action)) expect(action).not.toContain('*');
      }
      expect(statements.find((statement) => statement.Sid === 'NeverChangeItself')).toMatchObject({
        Effect: 'Deny',
        // driftguard-integrity reads the role and restores its trust policy from the template.
        NotAction: ['iam:GetRole', 'iam:UpdateAssumeRolePolicy'],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/DriftGuardRemediation' },
      });
    }
  });

  describe('never writes to a protected role', () => {
    const deny = withAll.find((statement) => statement.Sid === 'NeverWriteProtectedRoles');
    if (!deny) throw new Error('no NeverWriteProtectedRoles statement');
    const ACCOUNT = '111122223333';
    const CENTRAL = 'arn:aws:iam::999988887777:role/driftguard-prod-central';
    // The deny's resources as CloudFormation resolves them in ACCOUNT (whose central role parameter is CENTRAL).
    const resources = ([] as unknown[]).concat(deny.Resource).map((resource) => {
      const { 'Fn::Sub': sub, Ref: ref } = resource as { 'Fn::Sub'?: string; Ref?: string };
      if (ref === 'CentralFunctionRoleArn') return CENTRAL;
      if (!sub) throw new Error(`unexpected resource ${JSON.stringify(resource)}`);
      return sub.replace(/\$\{AWS::(Partition|AccountId)\}/g, (_, name) =>
        name === 'Partition' ? 'aws' : ACCOUNT,
      );
    });
    // IAM's wildcards in ARNs and actions: `*` any run of characters (slashes too), `?` one.
    const iamMatch = (pattern: string, value: string) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replaceAll('*', '.*')
          .replaceAll('?', '.')}$`,
        'i',
      ).test(value);
    const denied = (arn: string) => resources.some((pattern) => iamMatch(pattern, arn));

    it('covers every IAM write the role may make', () => {
      const writes = allowedBy(withAll).filter(
        (action) => action.startsWith('iam:') && !/^iam:(Get|List)/.test(action),
      );
      expect(writes.length).toBeGreaterThan(0);
      const actions = ([] as string[]).concat(deny.Action);
      for (const action of writes)
        expect(
          actions.some((pattern) => iamMatch(pattern, action)),
          action,
        ).toBe(true);
    });

    it.each([
      ['the Organizations access role', `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`],
      [
        'an Identity Center role',
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`,
      ],
      [
        'an Identity Center role (regional path)',
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ReadOnly_0123456789abcdef`,
      ],
      [
        'a service-linked role',
        `arn:aws:iam::${ACCOUNT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`,
      ],
      [
        'the service-managed StackSets execution role',
        `arn:aws:iam::${ACCOUNT}:role/stacksets-exec-0123456789abcdef0123456789abcdef`,
      ],
      [
        'the self-managed StackSets execution role',
        `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetExecutionRole`,
      ],
      ['driftguard’s central role (security account)', CENTRAL],
    ])('%s', (_what, arn) => {
      expect(denied(arn)).toBe(true);
    });

    it('denies every write to driftguard’s own roles but restoring the remediation role’s trust and passing a forwarding role to EventBridge', () => {
      const statement = (sid: string) => withAll.find((candidate) => candidate.Sid === sid);
      const forwarding = `arn:aws:iam::${ACCOUNT}:role/driftguard/driftguard-forward-eu-west-1`;
      const resolve = (resource: unknown) =>
        String((resource as { 'Fn::Sub': string })['Fn::Sub']).replace(
          /\$\{AWS::(Partition|AccountId)\}/g,
          (_, name) => (name === 'Partition' ? 'aws' : ACCOUNT),
        );
      const own = statement('NeverWriteOwnForwardingRoles');
      expect(iamMatch(resolve(own?.Resource), forwarding)).toBe(true);
      expect(([] as string[]).concat(own?.Action ?? [])).toEqual(
        [...IAM_WRITE_ACTIONS].filter((action) => action !== 'iam:PassRole'),
      );
      expect(statement('PassOwnForwardingRolesToEventBridgeOnly')).toMatchObject({
        Effect: 'Deny',
        Action: 'iam:PassRole',
        Condition: { StringNotEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
      });
      expect(
        iamMatch(resolve(statement('PassOwnForwardingRolesToEventBridgeOnly')?.Resource), forwarding),
      ).toBe(true);
      expect(resolve(statement('NeverChangeItself')?.Resource)).toBe(
        `arn:aws:iam::${ACCOUNT}:role/DriftGuardRemediation`,
      );
    });

    it('leaves the organization’s other roles to the playbook', () => {
      for (const arn of [
        `arn:aws:iam::${ACCOUNT}:role/app-deployer`,
        `arn:aws:iam::${ACCOUNT}:role/ci/github-actions`,
        `arn:aws:iam::${ACCOUNT}:role/stacksets-exec-short`,
      ])
        expect(denied(arn), arn).toBe(false);
    });

    it('is the same list the planner refuses by name (core protected-roles.ts)', () => {
      expect(
        PROTECTED_ROLES.map((role) => role.resource).every((resource) =>
          resources.some((r) => r.endsWith(`:role/${resource}`)),
        ),
      ).toBe(true);
    });
  });
});

describe('central function policy', () => {
  const resources = {
    partition: 'aws',
    account: '111111111111',
    tableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/t',
    exemptionsTableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/e',
    topicArn: 'arn:aws:sns:us-east-1:111111111111:topic',
    topicKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/k',
    queueArn: 'arn:aws:sqs:us-east-1:111111111111:q',
    deadLetterQueueArn: 'arn:aws:sqs:us-east-1:111111111111:dlq',
    sweepQueueArn: 'arn:aws:sqs:us-east-1:111111111111:sweep-units',
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

  it('lets Security Hub findings go only to the security account’s own default product and hub', () => {
    const statements = functionPolicy(resources).Statement.filter((statement) =>
      (statement.Action as string[]).some((action) => action.startsWith('securityhub:')),
    );
    expect(statements).toEqual([
      {
        Sid: 'SecurityHubImport',
        Effect: 'Allow',
        Action: ['securityhub:BatchImportFindings'],
        Resource: 'arn:aws:securityhub:*:111111111111:product/111111111111/default',
      },
      {
        Sid: 'SecurityHubFindings',
        Effect: 'Allow',
        Action: ['securityhub:BatchUpdateFindings', 'securityhub:GetFindings'],
        Resource: 'arn:aws:securityhub:*:111111111111:hub/default',
      },
    ]);
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
