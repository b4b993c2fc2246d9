import { GetTopicAttributesCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { defaultTopicPolicy, type SetTopicPolicy } from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { PolicyIo } from './io';

/** SNS: the `Policy` topic attribute; a topic always has one, so "none left" is SNS's default policy. */
export const snsPolicyIo: PolicyIo<SetTopicPolicy> = {
  name: (operation) => operation.input.TopicArn,
  async read(operation, clients) {
    const sns = await clients.get(SNSClient, operation.target);
    const { TopicArn } = operation.input;
    try {
      const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
      const text = Attributes?.Policy;
      return text ? { state: 'present', text } : { state: 'absent', why: `${TopicArn} has no topic policy` };
    } catch (error) {
      const code = awsErrorCode(error);
      if (code === 'NotFound' || code === 'NotFoundException')
        return { state: 'absent', why: `${TopicArn} no longer exists` };
      throw error;
    }
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
