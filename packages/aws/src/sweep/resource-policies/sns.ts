import { paginateListTopics, SNSClient } from '@aws-sdk/client-sns';
import { readTopicPolicy } from '../../executor/resource-policies/sns';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from '../describer';

/** Every SNS topic's policy, read as the SetTopicAttributes (Policy) that set it. */
export const snsTopicPoliciesDescriber: Describer = {
  id: 'sns-topic-policies',
  rules: ['resource-policy'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const sns = await scope.clients.get(SNSClient, { account: scope.account, region: scope.region });
    for await (const page of paginateListTopics({ client: sns }, {})) {
      for (const { TopicArn } of page.Topics ?? []) {
        if (!TopicArn) continue;
        // A topic deleted since the listing is gone, not a failure of the unit.
        const live = await readTopicPolicy(sns, TopicArn);
        if (live.state !== 'present') continue;
        yield sweepEvent(scope, {
          eventSource: 'sns.amazonaws.com',
          eventName: 'SetTopicAttributes',
          resourceId: TopicArn,
          requestParameters: { topicArn: TopicArn, attributeName: 'Policy', attributeValue: live.text },
        });
      }
    }
  },
};
