import type { ResourceRef } from './verdict';

/** A bucket as the S3 guardrails (its policy, its public access block) report it. */
export function bucketRef(bucket: string): ResourceRef {
  return { type: 'AWS::S3::Bucket', id: bucket, arn: `arn:aws:s3:::${bucket}` };
}
