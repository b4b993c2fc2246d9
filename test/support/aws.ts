import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { inject } from 'vitest';
import { authorizeIngressEvent, authorizeIngressForReal } from '../../packages/cli/src/simulate/cloudtrail';

/** moto's endpoint for this run, or undefined when moto is missing (suites skip with a reason). */
export const motoEndpoint = inject('motoEndpoint');

/** moto's default account: what plain test credentials act as. */
export const HOME_ACCOUNT = '123456789012';

const testCredentials: AwsCredentialIdentity = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function clientOptions(region = 'us-east-1', credentials: AwsCredentialIdentity = testCredentials) {
  if (!motoEndpoint) throw new Error('moto is not running');
  return { region, endpoint: motoEndpoint, credentials, maxAttempts: 2 };
}

/** Credentials that act in another (moto) account: moto keys accounts off assumed-role sessions. */
export async function credentialsInAccount(
  account: string,
  roleName = 'DriftGuardRemediation',
  sessionName = 'driftguard-test',
): Promise<AwsCredentialIdentity> {
  const sts = new STSClient(clientOptions());
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/${roleName}`,
      RoleSessionName: sessionName,
    }),
  );
  return {
    accessKeyId: Credentials?.AccessKeyId ?? '',
    secretAccessKey: Credentials?.SecretAccessKey ?? '',
    sessionToken: Credentials?.SessionToken ?? '',
  };
}

export const ec2Client = (region?: string, credentials?: AwsCredentialIdentity) =>
  new EC2Client(clientOptions(region, credentials));
export const snsClient = (region?: string) => new SNSClient(clientOptions(region));
export const sqsClient = (region?: string) => new SQSClient(clientOptions(region));
export const stsClient = (region?: string) => new STSClient(clientOptions(region));
export const dynamoClient = (region?: string) => new DynamoDBClient(clientOptions(region));
export const eventsClient = (region?: string) => new EventBridgeClient(clientOptions(region));
export const s3Client = (region?: string, credentials?: AwsCredentialIdentity) =>
  new S3Client({ ...clientOptions(region, credentials), forcePathStyle: true });

/** A short unique suffix so suites sharing one moto server never collide. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Authorizes the permissions on a group of the home account in moto, and the CloudTrail event of it. */
export async function openIngress(
  ec2: EC2Client,
  groupId: string,
  permissions: Parameters<typeof authorizeIngressForReal>[2],
  region = 'us-east-1',
) {
  const addedRules = await authorizeIngressForReal(ec2, groupId, permissions);
  const event = authorizeIngressEvent({ account: HOME_ACCOUNT, region, groupId, permissions, addedRules });
  return { addedRules, event };
}
