import {
  GetPublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { BlockBucketPublicAccess, OperationResult } from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { ExecutorContext } from '../index';
import { alreadyCompliant, applied, failed } from '../results';

const SETTINGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;

/** The bucket's public access block (all off when none is set); undefined when the bucket is gone. */
async function readBlock(s3: S3Client, bucket: string): Promise<PublicAccessBlockConfiguration | undefined> {
  try {
    const { PublicAccessBlockConfiguration } = await s3.send(
      new GetPublicAccessBlockCommand({ Bucket: bucket }),
    );
    return PublicAccessBlockConfiguration ?? {};
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'NoSuchPublicAccessBlockConfiguration') return {};
    if (code === 'NoSuchBucket') return undefined;
    throw error;
  }
}

const off = (block: PublicAccessBlockConfiguration) => SETTINGS.filter((setting) => block[setting] !== true);

/**
 * verify → act → verify for the S3 playbook: re-read the bucket's public access block, turn all
 * four settings on, read it back. Undo: put back the settings named in the result.
 */
export async function blockBucketPublicAccess(
  operation: BlockBucketPublicAccess,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const { Bucket } = operation.input;
  const s3 = await clients.get(S3Client, operation.target);
  const before = await readBlock(s3, Bucket);
  if (!before) {
    return alreadyCompliant(operation, `bucket ${Bucket} no longer exists`);
  }
  const wasOff = off(before);
  if (wasOff.length === 0) {
    return alreadyCompliant(
      operation,
      `bucket ${Bucket} already blocks public access (all four settings on)`,
    );
  }
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket,
      PublicAccessBlockConfiguration: operation.input.PublicAccessBlockConfiguration,
    }),
  );
  const after = await readBlock(s3, Bucket);
  const stillOff = after ? off(after) : [...SETTINGS];
  if (stillOff.length > 0) {
    return failed(operation, `re-read of ${Bucket} shows ${stillOff.join(', ')} still off`);
  }
  return applied(
    operation,
    `bucket ${Bucket}: public access block on (was off: ${wasOff.join(', ')})`,
    wasOff.map((setting) => `${Bucket}: ${setting} → true`),
  );
}
