import permissions from './permissions.json';
import type { PolicyDocument, PolicyStatement } from './policies';

/**
 * The code the exemption API function runs that calls AWS: the exemption store and the
 * announcements. Its role gets exactly the derived actions of these files (infra/permissions.json).
 */
export const EXEMPTION_API_CODE = [
  'packages/aws/src/store/exemptions.ts',
  'packages/aws/src/announce.ts',
] as const;

export const EXEMPTION_API_ACTIONS: readonly string[] = Object.entries(permissions.central)
  .filter(([, files]) => files.some((file) => (EXEMPTION_API_CODE as readonly string[]).includes(file)))
  .map(([action]) => action)
  .sort();

/**
 * Data-plane writes a resource policy can name. TransactWriteItems is not an IAM action: each of
 * its items is authorized as the PutItem / UpdateItem / DeleteItem / ConditionCheckItem it is.
 */
export const EXEMPTION_WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

/**
 * The exemptions table's resource policy: nobody but driftguard's function roles writes an
 * exemption, a request, a use reference or a re-check mark — not an administrator of this account
 * with `dynamodb:*`, not a requester. An explicit Deny in a resource policy wins over any Allow in
 * an identity policy of the same account.
 */
export function exemptionsTablePolicy(tableArn: string, writerRoleArns: readonly string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OnlyDriftguardFunctionsWriteExemptions',
        Effect: 'Deny',
        Principal: '*',
        Action: [...EXEMPTION_WRITE_ACTIONS],
        Resource: tableArn,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...writerRoleArns] } },
      },
    ],
  };
}

/** The API function's identity policy: the derived actions on the exemptions table and the topic only. */
export function exemptionApiPolicy(r: {
  exemptionsTableArn: string;
  topicArn: string;
  topicKeyArn: string;
  configParameterArn: string;
  logGroupArn: string;
}): PolicyDocument {
  const statements: PolicyStatement[] = [];
  const dynamo = EXEMPTION_API_ACTIONS.filter((action) => action.startsWith('dynamodb:'));
  const sns = EXEMPTION_API_ACTIONS.filter((action) => action.startsWith('sns:'));
  const ssm = EXEMPTION_API_ACTIONS.filter((action) => action.startsWith('ssm:'));
  const other = EXEMPTION_API_ACTIONS.filter(
    (action) => !dynamo.includes(action) && !sns.includes(action) && !ssm.includes(action),
  );
  if (other.length > 0)
    throw new Error(`the exemption API's code needs ${other.join(', ')}: scope it in infra/exemption-api.ts`);
  statements.push({
    Sid: 'ExemptionsTable',
    Effect: 'Allow',
    Action: dynamo,
    Resource: r.exemptionsTableArn,
  });
  statements.push({ Sid: 'AlertsTopic', Effect: 'Allow', Action: sns, Resource: r.topicArn });
  statements.push({ Sid: 'ConfigParameter', Effect: 'Allow', Action: ssm, Resource: r.configParameterArn });
  statements.push({
    Sid: 'EncryptForAlertsTopic',
    Effect: 'Allow',
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: r.topicKeyArn,
  });
  statements.push({
    Sid: 'FunctionLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: `${r.logGroupArn}:*`,
  });
  return { Version: '2012-10-17', Statement: statements };
}
