import {
  DeletePublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  DeletePublicAccessBlockCommand as DeleteAccountPublicAccessBlockCommand,
  PutPublicAccessBlockCommand as PutAccountPublicAccessBlockCommand,
  type S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { cloudTrailEvent, type SimulatedActor } from './cloudtrail';

/**
 * CloudTrail records of the S3 calls driftguard watches, built from the real request (moto emits
 * no CloudTrail). Shapes as S3 logs them: `bucketName`, `Host`, the policy under `bucketPolicy`
 * (an object in most records, a JSON string in some), the public access block as
 * `PublicAccessBlockConfiguration` with its XML namespace; `responseElements` is null.
 */
interface Where {
  account: string;
  region: string;
  actor?: SimulatedActor;
}

const S3 = 's3.amazonaws.com';

/** Puts a bucket policy for real and returns its PutBucketPolicy record. */
export async function putBucketPolicyForReal(
  s3: S3Client,
  input: Where & { bucket: string; policy: unknown; asString?: boolean },
): Promise<Record<string, unknown>> {
  const text = typeof input.policy === 'string' ? input.policy : JSON.stringify(input.policy);
  await s3.send(new PutBucketPolicyCommand({ Bucket: input.bucket, Policy: text }));
  return putBucketPolicyEvent({ ...input, policy: text });
}

export function putBucketPolicyEvent(
  input: Where & { bucket: string; policy: unknown; asString?: boolean },
): Record<string, unknown> {
  const text = typeof input.policy === 'string' ? input.policy : JSON.stringify(input.policy);
  return cloudTrailEvent({
    eventSource: S3,
    eventName: 'PutBucketPolicy',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      bucketPolicy: input.asString ? text : JSON.parse(text),
      bucketName: input.bucket,
      Host: `${input.bucket}.s3.amazonaws.com`,
      policy: [''],
    },
    responseElements: null,
  });
}

const configuration = (settings: PublicAccessBlockConfiguration, namespace: string) => ({
  xmlns: namespace,
  ...settings,
});

/** Puts (or, without settings, deletes) a bucket's public access block for real; returns the record. */
export async function bucketPublicAccessBlockForReal(
  s3: S3Client,
  input: Where & { bucket: string; settings?: PublicAccessBlockConfiguration },
): Promise<Record<string, unknown>> {
  if (input.settings) {
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: input.bucket,
        PublicAccessBlockConfiguration: input.settings,
      }),
    );
  } else {
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: input.bucket }));
  }
  return cloudTrailEvent({
    eventSource: S3,
    eventName: input.settings ? 'PutBucketPublicAccessBlock' : 'DeleteBucketPublicAccessBlock',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      publicAccessBlock: '',
      bucketName: input.bucket,
      Host: `${input.bucket}.s3.amazonaws.com`,
      ...(input.settings
        ? {
            PublicAccessBlockConfiguration: configuration(
              input.settings,
              'http://s3.amazonaws.com/doc/2006-03-01/',
            ),
          }
        : {}),
    },
    responseElements: null,
  });
}

/** Puts (or deletes) the account's public access block through S3 Control for real; returns the record. */
export async function accountPublicAccessBlockForReal(
  s3control: S3ControlClient,
  input: Where & { settings?: PublicAccessBlockConfiguration },
): Promise<Record<string, unknown>> {
  if (input.settings) {
    await s3control.send(
      new PutAccountPublicAccessBlockCommand({
        AccountId: input.account,
        PublicAccessBlockConfiguration: input.settings,
      }),
    );
  } else {
    await s3control.send(new DeleteAccountPublicAccessBlockCommand({ AccountId: input.account }));
  }
  return cloudTrailEvent({
    eventSource: S3,
    eventName: input.settings ? 'PutAccountPublicAccessBlock' : 'DeleteAccountPublicAccessBlock',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      ...(input.settings
        ? {
            PublicAccessBlockConfiguration: configuration(
              input.settings,
              'http://awss3control.amazonaws.com/doc/2018-08-20/',
            ),
          }
        : {}),
      host: [`${input.account}.s3-control.${input.region}.amazonaws.com`],
    },
    responseElements: null,
  });
}
