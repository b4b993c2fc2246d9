/**
 * Resource policies of the central stack, as plain functions of resolved ARNs so they can be
 * read, reviewed and tested without Pulumi. infra/*.ts only wires them to resources.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  Action: string | string[];
  /** Absent only in trust policies, where the role itself is the resource. */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

const document = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});

/** Refuses plain-HTTP access: every legitimate caller (SDKs, AWS services) uses TLS. */
const denyInsecureTransport = (action: string, resource: string): PolicyStatement => ({
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: action,
  Resource: resource,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

/**
 * The central bus accepts events from any principal of the organization and nobody else: member
 * accounts' forwarding rules put events with their own roles, which all carry the org id.
 */
export function busPolicy(busArn: string, organizationId: string): PolicyDocument {
  return document({
    Sid: 'OrganizationPutEvents',
    Effect: 'Allow',
    Principal: '*',
    Action: 'events:PutEvents',
    Resource: busArn,
    Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
  });
}

/**
 * EventBridge delivers to the queue (and, when that fails, to the DLQ) as its service principal;
 * only our own rules may do so.
 */
export function queuePolicy(queueArn: string, ruleArns: readonly string[]): PolicyDocument {
  return document(
    {
      Sid: 'DriftguardRulesSendMessage',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
      Condition: { ArnEquals: { 'aws:SourceArn': [...ruleArns].sort() } },
    },
    denyInsecureTransport('sqs:*', queueArn),
  );
}

/** CloudWatch alarms of this account publish to the topic; the function publishes through IAM. */
export function topicPolicy(topicArn: string, account: string): PolicyDocument {
  return document(
    {
      Sid: 'CloudWatchAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topicArn,
      Condition: { StringEquals: { 'aws:SourceAccount': account } },
    },
    denyInsecureTransport('sns:Publish', topicArn),
  );
}

/**
 * The topic's key: administered through IAM in this account (the AWS default), and usable by
 * CloudWatch alarms of this account, which cannot publish to an encrypted topic otherwise.
 */
export function topicKeyPolicy(account: string, partition: string): PolicyDocument {
  return document(
    {
      Sid: 'AccountAdministersThroughIam',
      Effect: 'Allow',
      Principal: { AWS: `arn:${partition}:iam::${account}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    {
      Sid: 'CloudWatchAlarmsEncrypt',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': account } },
    },
  );
}

/** Only Lambda may assume the function role. */
export function lambdaTrustPolicy(): PolicyDocument {
  return document({
    Effect: 'Allow',
    Principal: { Service: 'lambda.amazonaws.com' },
    Action: 'sts:AssumeRole',
  });
}
