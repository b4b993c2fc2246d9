import { paginateListQueues, SQSClient } from '@aws-sdk/client-sqs';
import { readQueuePolicy } from '../../executor/resource-policies/sqs';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from '../describer';

/**
 * Every SQS queue with a policy, read as the SetQueueAttributes that set it (resource-policy judges
 * each statement). One attribute read per queue: SQS lists no policies.
 */
export const sqsQueuePoliciesDescriber: Describer = {
  id: 'sqs-queue-policies',
  rules: ['resource-policy'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const sqs = await scope.clients.get(SQSClient, { account: scope.account, region: scope.region });
    for await (const page of paginateListQueues({ client: sqs, pageSize: 1000 }, {})) {
      for (const queueUrl of page.QueueUrls ?? []) {
        // A queue deleted since the listing is gone, not a failure of the unit.
        const live = await readQueuePolicy(sqs, queueUrl);
        if (live.state !== 'present') continue;
        yield sweepEvent(scope, {
          eventSource: 'sqs.amazonaws.com',
          eventName: 'SetQueueAttributes',
          resourceId: queueUrl,
          requestParameters: { queueUrl, attributes: { Policy: live.text } },
        });
      }
    }
  },
};
