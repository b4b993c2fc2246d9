import { GetQueueAttributesCommand, paginateListQueues, SQSClient } from '@aws-sdk/client-sqs';
import { awsErrorCode } from '../../errors';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from '../describer';

/** A resource deleted between the listing and the read is gone, not a failure of the unit. */
const GONE = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);

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
        let text: string | undefined;
        try {
          const { Attributes } = await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['Policy'] }),
          );
          text = Attributes?.Policy;
        } catch (error) {
          if (GONE.has(awsErrorCode(error) ?? '')) continue;
          throw error;
        }
        if (!text) continue;
        yield sweepEvent(scope, {
          eventSource: 'sqs.amazonaws.com',
          eventName: 'SetQueueAttributes',
          resourceId: queueUrl,
          requestParameters: { queueUrl, attributes: { Policy: text } },
        });
      }
    }
  },
};
