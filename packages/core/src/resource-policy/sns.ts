import { isRecord, toStr } from '../events/ec2-sets';
import { parseArn } from '../policy/principals';
import type { ResourcePolicyAdapter } from './adapter';
import { accountOf } from './adapter';

/**
 * The policy SNS gives every new topic: its own account only (`AWS:SourceOwner`). A topic always has
 * a policy, so this is what "no statement left" writes back.
 */
export function defaultTopicPolicy(topicArn: string, owner: string): Record<string, unknown> {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': owner } },
      },
    ],
  };
}

/**
 * SNS SetTopicAttributes with `attributeName: "Policy"` and the policy as JSON text in
 * `attributeValue`; CreateTopic with `attributes.Policy`, the topic's ARN in
 * `responseElements.topicArn` (Panther's AWS.CloudTrail.ResourceMadePublic reads both forms).
 */
export const snsTopicPolicy: ResourcePolicyAdapter = {
  service: 'sns',
  noun: 'SNS topic',
  eventSource: 'sns.amazonaws.com',
  eventNames: ['SetTopicAttributes', 'CreateTopic'],
  doc: "SNS topic: SetTopicAttributes with `attributeName` Policy (`attributeValue` as JSON text), CreateTopic with `attributes.Policy`. Written back with SetTopicAttributes; when no statement remains, SNS's default topic policy (the owner account only), since a topic always has a policy.",
  read(change) {
    const topicArn = toStr(change.request.topicArn) ?? toStr(change.response.topicArn);
    if (!topicArn) return { notApplicable: 'the record names no topic (topicArn)' };
    let policy: unknown;
    if (change.eventName === 'CreateTopic') {
      policy = isRecord(change.request.attributes) ? change.request.attributes.Policy : undefined;
      if (!toStr(policy)) return { notApplicable: `${topicArn} was created with SNS's default policy` };
    } else {
      if (change.request.attributeName !== 'Policy')
        return { notApplicable: `${String(change.request.attributeName)} is not the topic policy` };
      policy = change.request.attributeValue;
    }
    const arn = parseArn(topicArn);
    const owner = accountOf(arn?.account) ?? change.account;
    const region = arn?.region || change.region;
    return {
      resource: { type: 'AWS::SNS::Topic', id: arn?.resource || topicArn, arn: topicArn },
      owner,
      region,
      policy,
      revert: (kept, common) => ({
        ok: true,
        operation: {
          service: 'sns',
          operation: 'SetTopicAttributes',
          ...common,
          input: {
            TopicArn: topicArn,
            AttributeName: 'Policy',
            AttributeValue: JSON.stringify(kept ?? defaultTopicPolicy(topicArn, owner)),
          },
        },
      }),
    };
  },
};
