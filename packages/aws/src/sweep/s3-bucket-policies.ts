import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { awsErrorCode } from '../errors';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';
import { bucketsInScope } from './s3-buckets';

/** Every bucket policy, read as the PutBucketPolicy that set it (s3-bucket-policy judges each statement). */
export const s3BucketPoliciesDescriber: Describer = {
  id: 's3-bucket-policies',
  rules: ['s3-bucket-policy'],
  scope: 'account',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    for await (const bucket of bucketsInScope(scope)) {
      let text: string | undefined;
      try {
        text = (await bucket.s3.send(new GetBucketPolicyCommand({ Bucket: bucket.name }))).Policy;
      } catch (error) {
        const code = awsErrorCode(error);
        // No policy grants nothing; a bucket deleted since the listing is gone.
        if (code === 'NoSuchBucketPolicy' || code === 'NoSuchBucket') continue;
        throw error;
      }
      if (!text) continue;
      let policy: unknown = text;
      try {
        policy = JSON.parse(text);
      } catch {
        // CloudTrail sometimes carries the policy as a string too; the evaluator reads both.
      }
      yield sweepEvent(scope, {
        eventSource: 's3.amazonaws.com',
        eventName: 'PutBucketPolicy',
        resourceId: bucket.name,
        region: bucket.region,
        requestParameters: { bucketName: bucket.name, bucketPolicy: policy },
      });
    }
  },
};
