import { GetTopicAttributesCommand, paginateListTopics, SNSClient } from '@aws-sdk/client-sns';
import { awsErrorCode } from '../../errors';
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
        let text: string | undefined;
        try {
          text = (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.Policy;
        } catch (error) {
          // A topic deleted since the listing is gone, not a failure of the unit.
          if (awsErrorCode(error) === 'NotFound' || awsErrorCode(error) === 'NotFoundException') continue;
          throw error;
        }
        if (!text) continue;
        yield sweepEvent(scope, {
          eventSource: 'sns.amazonaws.com',
          eventName: 'SetTopicAttributes',
          resourceId: TopicArn,
          requestParameters: { topicArn: TopicArn, attributeName: 'Policy', attributeValue: text },
        });
      }
    }
  },
};
