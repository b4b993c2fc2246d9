/**
 * SDK v3 call → IAM actions. Most operations authorize as `<service prefix>:<operation>`; the
 * tables below hold the exceptions, taken from the Service Authorization Reference. An unknown
 * client package or waiter is an error rather than a guess: a wrong guess would ship a role that
 * fails at 3 a.m. with AccessDenied.
 */

/** `@aws-sdk/client-<x>` → IAM service prefix. */
const SERVICE_PREFIX: Record<string, string> = {
  'client-cloudtrail': 'cloudtrail',
  'client-cloudwatch': 'cloudwatch',
  'client-cloudwatch-logs': 'logs',
  'client-dynamodb': 'dynamodb',
  'client-ecr': 'ecr',
  'client-ec2': 'ec2',
  'client-eventbridge': 'events',
  'client-guardduty': 'guardduty',
  'client-iam': 'iam',
  'client-kms': 'kms',
  'client-lambda': 'lambda',
  'client-organizations': 'organizations',
  'client-ram': 'ram',
  'client-rds': 'rds',
  'client-s3': 's3',
  'client-s3-control': 's3',
  'client-secrets-manager': 'secretsmanager',
  'client-securityhub': 'securityhub',
  'client-sns': 'sns',
  'client-sqs': 'sqs',
  'client-ssm': 'ssm',
  'client-sts': 'sts',
  'lib-dynamodb': 'dynamodb',
};

/** Operations whose IAM action has another name (or several). Keyed by `<package>:<operation>`. */
const RENAMED: Record<string, readonly string[]> = {
  // S3 (bucket level): the API and IAM names drifted apart over the years.
  'client-s3:PutPublicAccessBlock': ['s3:PutBucketPublicAccessBlock'],
  'client-s3:GetPublicAccessBlock': ['s3:GetBucketPublicAccessBlock'],
  'client-s3:DeletePublicAccessBlock': ['s3:PutBucketPublicAccessBlock'],
  'client-s3:ListObjects': ['s3:ListBucket'],
  'client-s3:ListObjectsV2': ['s3:ListBucket'],
  'client-s3:HeadBucket': ['s3:ListBucket'],
  'client-s3:HeadObject': ['s3:GetObject'],
  'client-s3:ListBuckets': ['s3:ListAllMyBuckets'],
  'client-s3:DeleteObjects': ['s3:DeleteObject'],
  'client-s3:CopyObject': ['s3:GetObject', 's3:PutObject'],
  'client-s3:GetBucketEncryption': ['s3:GetEncryptionConfiguration'],
  'client-s3:PutBucketEncryption': ['s3:PutEncryptionConfiguration'],
  'client-s3:GetBucketLifecycleConfiguration': ['s3:GetLifecycleConfiguration'],
  'client-s3:PutBucketLifecycleConfiguration': ['s3:PutLifecycleConfiguration'],
  'client-s3:GetBucketNotificationConfiguration': ['s3:GetBucketNotification'],
  'client-s3:PutBucketNotificationConfiguration': ['s3:PutBucketNotification'],
  'client-s3:GetBucketCors': ['s3:GetBucketCORS'],
  'client-s3:PutBucketCors': ['s3:PutBucketCORS'],
  'client-s3:GetBucketReplication': ['s3:GetReplicationConfiguration'],
  'client-s3:PutBucketReplication': ['s3:PutReplicationConfiguration'],
  // S3 Control (account level public access block).
  'client-s3-control:PutPublicAccessBlock': ['s3:PutAccountPublicAccessBlock'],
  'client-s3-control:GetPublicAccessBlock': ['s3:GetAccountPublicAccessBlock'],
  'client-s3-control:DeletePublicAccessBlock': ['s3:PutAccountPublicAccessBlock'],
  // A target with a RoleArn (a forwarding rule's cross-account bus target) also passes that role.
  'client-eventbridge:PutTargets': ['events:PutTargets', 'iam:PassRole'],
  // DynamoDB transactions authorize each item operation they may contain.
  'client-dynamodb:TransactGetItems': ['dynamodb:GetItem'],
  'client-dynamodb:TransactWriteItems': [
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ],
  // The document client names its commands after the item, not the API.
  'lib-dynamodb:Get': ['dynamodb:GetItem'],
  'lib-dynamodb:Put': ['dynamodb:PutItem'],
  'lib-dynamodb:Update': ['dynamodb:UpdateItem'],
  'lib-dynamodb:Delete': ['dynamodb:DeleteItem'],
  'lib-dynamodb:Query': ['dynamodb:Query'],
  'lib-dynamodb:Scan': ['dynamodb:Scan'],
  'lib-dynamodb:BatchGet': ['dynamodb:BatchGetItem'],
  'lib-dynamodb:BatchWrite': ['dynamodb:BatchWriteItem'],
  'lib-dynamodb:TransactGet': ['dynamodb:GetItem'],
  'lib-dynamodb:TransactWrite': [
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ],
};

/** Waiters poll one describe operation. Keyed by `<package>:<waiter name without waitUntil>`. */
const WAITERS: Record<string, string> = {
  'client-ec2:SecurityGroupExists': 'DescribeSecurityGroups',
  'client-ec2:VpcPeeringConnectionExists': 'DescribeVpcPeeringConnections',
  'client-ec2:VpcPeeringConnectionDeleted': 'DescribeVpcPeeringConnections',
  'client-s3:BucketExists': 'HeadBucket',
  'client-s3:BucketNotExists': 'HeadBucket',
  'client-dynamodb:TableExists': 'DescribeTable',
  'client-dynamodb:TableNotExists': 'DescribeTable',
};

/**
 * Library entry points that send SDK calls themselves. Keyed by `<module>:<export>`; the scanner
 * reports them like commands so the role follows when such a library is adopted.
 */
export const LIBRARY_CALLS: Record<string, readonly string[]> = {
  '@aws-lambda-powertools/idempotency/dynamodb:DynamoDBPersistenceLayer': [
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ],
  '@aws-lambda-powertools/parameters/secrets:getSecret': ['secretsmanager:GetSecretValue'],
  '@aws-lambda-powertools/parameters/ssm:getParameter': ['ssm:GetParameter'],
  '@aws-lambda-powertools/parameters/ssm:getParameters': ['ssm:GetParameters'],
  // A provider instance is how a custom client (endpoint, timeouts) is used; driftguard calls only
  // its get() (packages/aws/src/runtime-loader.ts), which sends GetParameter.
  '@aws-lambda-powertools/parameters/ssm:SSMProvider': ['ssm:GetParameter'],
};

/**
 * Calls that need no permission: a policy can neither grant nor deny them, so listing them would
 * only mislead a reviewer.
 */
export const NO_PERMISSION_NEEDED: Record<string, string> = {
  'sts:GetCallerIdentity': 'always allowed; no policy can deny it',
};

export class UnknownSdkCallError extends Error {}

export type SdkCallKind = 'command' | 'paginator' | 'waiter' | 'library';

export interface SdkCallRef {
  /** `@aws-sdk/client-ec2`, or a library module for `library` calls. */
  module: string;
  /** The operation (`RevokeSecurityGroupIngress`), waiter (`SecurityGroupExists`) or library export. */
  name: string;
  kind: SdkCallKind;
}

/** The IAM actions one SDK call needs (possibly none, see NO_PERMISSION_NEEDED). */
export function iamActions(call: SdkCallRef): string[] {
  if (call.kind === 'library') {
    const actions = LIBRARY_CALLS[`${call.module}:${call.name}`];
    if (!actions) throw new UnknownSdkCallError(`no IAM mapping for ${call.name} from ${call.module}`);
    return [...actions];
  }
  const pkg = call.module.replace(/^@aws-sdk\//, '');
  const prefix = SERVICE_PREFIX[pkg];
  if (!prefix) {
    throw new UnknownSdkCallError(
      `no IAM service prefix known for ${call.module}: add it to SERVICE_PREFIX in infra/permissions/iam-actions.ts`,
    );
  }
  let operation = call.name;
  if (call.kind === 'waiter') {
    const polled = WAITERS[`${pkg}:${call.name}`];
    if (!polled) {
      throw new UnknownSdkCallError(
        `unknown waiter waitUntil${call.name} from ${call.module}: add the operation it polls to WAITERS in infra/permissions/iam-actions.ts`,
      );
    }
    operation = polled;
  }
  const actions = RENAMED[`${pkg}:${operation}`] ?? [`${prefix}:${operation}`];
  return actions.filter((action) => !(action in NO_PERMISSION_NEEDED));
}
