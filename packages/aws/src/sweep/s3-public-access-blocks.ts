import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import { awsErrorCode } from '../errors';
import { S3ControlClientAtEndpoint } from '../executor/s3';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';
import { bucketsInScope } from './s3-buckets';

const NONE = 'NoSuchPublicAccessBlockConfiguration';

/**
 * Block Public Access of the account and of every bucket, read as the Put…PublicAccessBlock that
 * set it, or as its Delete when none is set (S3 then applies none of the four settings).
 */
export const s3PublicAccessBlocksDescriber: Describer = {
  id: 's3-public-access-blocks',
  rules: ['s3-public-access-block'],
  scope: 'account',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const control = await scope.clients.get(S3ControlClientAtEndpoint, {
      account: scope.account,
      region: scope.region,
    });
    let account: Record<string, unknown> | undefined;
    try {
      const read = await control.send(new GetAccountPublicAccessBlockCommand({ AccountId: scope.account }));
      account = { ...read.PublicAccessBlockConfiguration };
    } catch (error) {
      if (awsErrorCode(error) !== NONE) throw error;
    }
    yield sweepEvent(scope, {
      eventSource: 's3control.amazonaws.com',
      eventName: account ? 'PutAccountPublicAccessBlock' : 'DeleteAccountPublicAccessBlock',
      resourceId: scope.account,
      requestParameters: {
        accountId: scope.account,
        ...(account ? { PublicAccessBlockConfiguration: account } : {}),
      },
    });
    for await (const bucket of bucketsInScope(scope)) {
      let settings: Record<string, unknown> | undefined;
      try {
        const read = await bucket.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket.name }));
        settings = { ...read.PublicAccessBlockConfiguration };
      } catch (error) {
        const code = awsErrorCode(error);
        if (code === 'NoSuchBucket') continue;
        if (code !== NONE) throw error;
      }
      yield sweepEvent(scope, {
        eventSource: 's3.amazonaws.com',
        eventName: settings ? 'PutBucketPublicAccessBlock' : 'DeleteBucketPublicAccessBlock',
        resourceId: bucket.name,
        region: bucket.region,
        requestParameters: {
          bucketName: bucket.name,
          ...(settings ? { PublicAccessBlockConfiguration: settings } : {}),
        },
      });
    }
  },
};
