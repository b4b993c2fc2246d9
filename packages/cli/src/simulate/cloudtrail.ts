import { randomUUID } from 'node:crypto';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  type IpPermission as SdkIpPermission,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { CLOUDTRAIL_DETAIL_TYPE, eventBridgeSource } from '@driftguard/core';

/**
 * moto emits no CloudTrail, so the demo and the tests build the record AWS would have delivered
 * from the real request and the real API response, in CloudTrail's own shapes (camelCase,
 * XML-derived `items` sets).
 */
export interface SimulatedActor {
  account: string;
  roleName: string;
  sessionName: string;
  sourceIp?: string;
  userAgent?: string;
}

export const ENGINEER: SimulatedActor = {
  account: '123456789012',
  roleName: 'AdministratorAccess',
  sessionName: 'alice@example.com',
  sourceIp: '203.0.113.10',
  userAgent: 'aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8',
};

export interface CloudTrailEventInput {
  eventSource: string;
  eventName: string;
  account: string;
  region: string;
  actor?: SimulatedActor;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  eventTime?: Date;
  errorCode?: string;
}

/** An EventBridge "AWS API Call via CloudTrail" event around a CloudTrail record. */
export function cloudTrailEvent(input: CloudTrailEventInput): Record<string, unknown> {
  const actor = input.actor ?? ENGINEER;
  const time = (input.eventTime ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const eventId = randomUUID();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': CLOUDTRAIL_DETAIL_TYPE,
    source: eventBridgeSource(input.eventSource),
    account: input.account,
    time,
    region: input.region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLEROLEID:${actor.sessionName}`,
        arn: `arn:aws:sts::${actor.account}:assumed-role/${actor.roleName}/${actor.sessionName}`,
        accountId: actor.account,
        accessKeyId: 'ASIAEXAMPLEKEYID',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLEROLEID',
            arn: `arn:aws:iam::${actor.account}:role/${actor.roleName}`,
            accountId: actor.account,
            userName: actor.roleName,
          },
          attributes: { creationDate: time, mfaAuthenticated: 'false' },
        },
      },
      eventTime: time,
      eventSource: input.eventSource,
      eventName: input.eventName,
      awsRegion: input.region,
      sourceIPAddress: actor.sourceIp ?? '203.0.113.10',
      userAgent: actor.userAgent ?? 'aws-sdk-js/3',
      requestParameters: input.requestParameters,
      responseElements: input.responseElements,
      ...(input.errorCode ? { errorCode: input.errorCode, errorMessage: 'simulated failure' } : {}),
      requestID: randomUUID(),
      eventID: eventId,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: input.account,
      eventCategory: 'Management',
    },
  };
}

/** EC2's XML sets: one element is an object, several are an array. */
export function ec2Set<T>(values: T[]): { items: T | T[] } | Record<string, never> {
  if (values.length === 0) return {};
  return { items: values.length === 1 ? (values[0] as T) : values };
}

export function permissionToCloudTrail(permission: SdkIpPermission): Record<string, unknown> {
  return {
    ipProtocol: permission.IpProtocol,
    ...(permission.FromPort !== undefined ? { fromPort: permission.FromPort } : {}),
    ...(permission.ToPort !== undefined ? { toPort: permission.ToPort } : {}),
    groups: ec2Set((permission.UserIdGroupPairs ?? []).map((pair) => ({ groupId: pair.GroupId }))),
    ipRanges: ec2Set((permission.IpRanges ?? []).map((range) => ({ cidrIp: range.CidrIp }))),
    ipv6Ranges: ec2Set((permission.Ipv6Ranges ?? []).map((range) => ({ cidrIpv6: range.CidrIpv6 }))),
    prefixListIds: ec2Set(
      (permission.PrefixListIds ?? []).map((list) => ({ prefixListId: list.PrefixListId })),
    ),
  };
}

export function ruleToCloudTrail(rule: SecurityGroupRule): Record<string, unknown> {
  return {
    groupOwnerId: rule.GroupOwnerId,
    groupId: rule.GroupId,
    securityGroupRuleId: rule.SecurityGroupRuleId,
    isEgress: rule.IsEgress ?? false,
    ipProtocol: rule.IpProtocol,
    fromPort: rule.FromPort,
    toPort: rule.ToPort,
    ...(rule.CidrIpv4 ? { cidrIpv4: rule.CidrIpv4 } : {}),
    ...(rule.CidrIpv6 ? { cidrIpv6: rule.CidrIpv6 } : {}),
    ...(rule.PrefixListId ? { prefixListId: rule.PrefixListId } : {}),
    ...(rule.ReferencedGroupInfo?.GroupId
      ? { referencedGroupInfo: { groupId: rule.ReferencedGroupInfo.GroupId, userId: rule.GroupOwnerId } }
      : {}),
    ...(rule.Description ? { description: rule.Description } : {}),
  };
}

export type RuleDirection = 'ingress' | 'egress';

export interface AuthorizeEventInput {
  account: string;
  region: string;
  groupId: string;
  permissions: SdkIpPermission[];
  addedRules?: SecurityGroupRule[];
  actor?: SimulatedActor;
}

/** The AuthorizeSecurityGroupIngress/Egress record for a real call and its real response. */
export function authorizeEvent(
  direction: RuleDirection,
  input: AuthorizeEventInput,
): Record<string, unknown> {
  return cloudTrailEvent({
    eventSource: 'ec2.amazonaws.com',
    eventName: direction === 'ingress' ? 'AuthorizeSecurityGroupIngress' : 'AuthorizeSecurityGroupEgress',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      groupId: input.groupId,
      ipPermissions: ec2Set(input.permissions.map(permissionToCloudTrail)),
    },
    responseElements: {
      requestId: randomUUID(),
      _return: true,
      ...(input.addedRules ? { securityGroupRuleSet: ec2Set(input.addedRules.map(ruleToCloudTrail)) } : {}),
    },
  });
}

export const authorizeIngressEvent = (input: AuthorizeEventInput) => authorizeEvent('ingress', input);

/**
 * Makes a real AuthorizeSecurityGroupIngress/Egress call and returns the rules it added. AWS
 * reports every added rule in the response; moto 5.2.1 reports only those of the last permission,
 * so the added rules are taken from a describe before and after (the same set AWS would report).
 */
export async function authorizeForReal(
  ec2: EC2Client,
  direction: RuleDirection,
  groupId: string,
  permissions: SdkIpPermission[],
): Promise<SecurityGroupRule[]> {
  const describe = async () =>
    (
      await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      )
    ).SecurityGroupRules ?? [];
  const before = new Set((await describe()).map((rule) => rule.SecurityGroupRuleId));
  const request = { GroupId: groupId, IpPermissions: permissions };
  if (direction === 'ingress') await ec2.send(new AuthorizeSecurityGroupIngressCommand(request));
  else await ec2.send(new AuthorizeSecurityGroupEgressCommand(request));
  const egress = direction === 'egress';
  return (await describe()).filter(
    (rule) => rule.IsEgress === egress && !before.has(rule.SecurityGroupRuleId),
  );
}

export const authorizeIngressForReal = (ec2: EC2Client, groupId: string, permissions: SdkIpPermission[]) =>
  authorizeForReal(ec2, 'ingress', groupId, permissions);
