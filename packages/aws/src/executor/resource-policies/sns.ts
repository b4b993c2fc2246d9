import { GetTopicAttributesCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { defaultTopicPolicy, type SetTopicPolicy } from '@driftguard/core';
import type { PolicyRead } from '../statement-removal';
import type { PolicyIo } from './io';
import { readPolicyAttribute } from './policy-attribute';

const TOPIC_GONE = new Set(['NotFound', 'NotFoundException']);

/** A topic's live policy (its `Policy` attribute), or why it has none. */
export function readTopicPolicy(sns: SNSClient, TopicArn: string): Promise<PolicyRead> {
  return readPolicyAttribute(
    { name: TopicArn, noun: 'topic', gone: TOPIC_GONE },
    async () => (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes,
  );
}

/** SNS: the `Policy` topic attribute; a topic always has one, so "none left" is SNS's default policy. */
export const snsPolicyIo: PolicyIo<SetTopicPolicy> = {
  name: (operation) => operation.input.TopicArn,
  async read(operation, clients) {
    return readTopicPolicy(await clients.get(SNSClient, operation.target), operation.input.TopicArn);
  },
  async write(operation, policy, clients) {
    const sns = await clients.get(SNSClient, operation.target);
    const { TopicArn } = operation.input;
    const value = policy ?? JSON.stringify(defaultTopicPolicy(TopicArn, operation.target.account));
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn, AttributeName: 'Policy', AttributeValue: value }),
    );
    return policy ? 'SetTopicAttributes' : "SetTopicAttributes with SNS's default owner-only policy";
  },
};
