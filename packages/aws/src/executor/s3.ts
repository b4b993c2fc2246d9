import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  PutPublicAccessBlockCommand as PutAccountPublicAccessBlockCommand,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import {
  ALL_BLOCKED,
  analyzeBucketPolicyWith,
  BUCKET_POLICY_SNAPSHOT,
  bucketZone,
  type DeleteBucketPolicy,
  type OperationResult,
  PUBLIC_ACCESS_BLOCK_SETTINGS,
  type PutAccountPublicAccessBlock,
  type PutBucketPolicy,
  type PutPublicAccessBlock,
  parsePolicy,
  type ZoneContext,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { lastKnownGood, showsPolicy } from './last-known-good';
import { alreadyCompliant, applied, failed } from './results';
import { revertTrustZone } from './revert-zone';
import { findLiveOffenders, removeStatementsAndVerify, stillOffending } from './statement-removal';

/**
 * S3 Control addresses `{AccountId}.s3-control.{region}.amazonaws.com`. Behind a custom endpoint
 * (an emulator on one host and port) that prefix makes a host nobody serves, so there the endpoint
 * is used exactly as given; against AWS nothing changes.
 */
export class S3ControlClientAtEndpoint extends S3ControlClient {
  // biome-ignore lint/suspicious/noExplicitAny: the S3ControlClient config, as ClientClass passes it
  constructor(config: any) {
    const endpoint = typeof config?.endpoint === 'string' ? config.endpoint : undefined;
    super(
      endpoint
        ? { ...config, disableHostPrefix: true, endpointProvider: () => ({ url: new URL(endpoint) }) }
        : config,
    );
  }
}

type BucketPolicyRead = { state: 'present'; text: string } | { state: 'absent'; why: string };

async function readBucketPolicy(s3: S3Client, bucket: string): Promise<BucketPolicyRead> {
  try {
    const { Policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    return Policy
      ? { state: 'present', text: Policy }
      : { state: 'absent', why: `${bucket} has no bucket policy` };
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'NoSuchBucketPolicy') return { state: 'absent', why: `${bucket} has no bucket policy` };
    if (code === 'NoSuchBucket') return { state: 'absent', why: `bucket ${bucket} no longer exists` };
    throw error;
  }
}

/**
 * verify → act → verify for s3-bucket-policy (PutBucketPolicy and DeleteBucketPolicy plans alike):
 * re-read the live policy, find the statements the plan names that are still there and still
 * offend (re-analyzed with the same trust zone), and remove exactly those — or, with
 * `restore: last-known-good`, put back the last compliant policy when one is known. Then read the
 * policy back to prove it.
 */
export async function revertBucketPolicy(
  operation: PutBucketPolicy | DeleteBucketPolicy,
  context: ExecutorContext,
): Promise<OperationResult> {
  const { clients, config } = context;
  const s3 = await clients.get(S3Client, operation.target);
  const bucket = operation.input.Bucket;
  const read = () => readBucketPolicy(s3, bucket);
  // Built once there is a live policy to judge (it may read the organization); the restore reuses it.
  let zone: ZoneContext | undefined;
  const zoneOnce = async () =>
    (zone ??= bucketZone(config, await revertTrustZone(operation, context), operation.target.account));
  const live = await findLiveOffenders(operation, bucket, await read(), async () => {
    const trust = await zoneOnce();
    return (policy) =>
      stillOffending(policy, operation.remove, analyzeBucketPolicyWith(policy, trust, config).statements);
  });
  if (!live.found) return live.result;

  const trust = await zoneOnce();
  const good = await lastKnownGood(
    operation,
    context,
    { resourceId: bucket, kind: BUCKET_POLICY_SNAPSHOT },
    (policy) => analyzeBucketPolicyWith(policy, trust, config).verdict === 'compliant',
  );
  if (good) {
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: good.document }));
    const after = await readBucketPolicy(s3, bucket);
    const afterParsed = after.state === 'present' ? parsePolicy(after.text) : undefined;
    return showsPolicy(afterParsed?.ok ? afterParsed.policy : undefined, good.policy)
      ? applied(
          operation,
          `restored the last-known-good policy of ${bucket} (seen compliant ${good.seenAt})`,
          [`${bucket}: last-known-good policy of ${good.seenAt}`],
        )
      : failed(operation, `re-read of ${bucket} does not show the last-known-good policy that was put`);
  }

  return removeStatementsAndVerify(live, {
    operation,
    where: bucket,
    read,
    write: async (Policy) => {
      if (Policy !== undefined) return s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy }));
      try {
        await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
      } catch (error) {
        if (awsErrorCode(error) !== 'NoSuchBucketPolicy') throw error;
      }
    },
  });
}

type Settings = Partial<Record<(typeof PUBLIC_ACCESS_BLOCK_SETTINGS)[number], boolean>>;

const offSettings = (settings: Settings | undefined) =>
  PUBLIC_ACCESS_BLOCK_SETTINGS.filter((setting) => settings?.[setting] !== true);

/** Reads, puts and re-reads one public access block (bucket or account), shared by both handlers. */
async function restorePublicAccessBlock(
  operation: PutPublicAccessBlock | PutAccountPublicAccessBlock,
  where: string,
  read: () => Promise<Settings | 'gone'>,
  put: () => Promise<unknown>,
): Promise<OperationResult> {
  const before = await read();
  if (before === 'gone') return alreadyCompliant(operation, `${where} no longer exists`);
  const off = offSettings(before);
  if (off.length === 0) {
    return alreadyCompliant(operation, `all four settings already on for ${where}`);
  }
  await put();
  const after = await read();
  const stillOff = after === 'gone' ? [...PUBLIC_ACCESS_BLOCK_SETTINGS] : offSettings(after);
  if (stillOff.length > 0) {
    return failed(operation, `re-read of ${where} still shows ${stillOff.join(', ')} off`);
  }
  return applied(
    operation,
    `turned ${off.join(', ')} back on for ${where}`,
    off.map((setting) => `${where}: ${setting}`),
  );
}

/** verify → act → verify for the bucket-level public access block. */
export async function putPublicAccessBlock(
  operation: PutPublicAccessBlock,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const s3 = await clients.get(S3Client, operation.target);
  const Bucket = operation.input.Bucket;
  return restorePublicAccessBlock(
    operation,
    `bucket ${Bucket}`,
    async () => {
      try {
        const { PublicAccessBlockConfiguration } = await s3.send(new GetPublicAccessBlockCommand({ Bucket }));
        return PublicAccessBlockConfiguration ?? {};
      } catch (error) {
        const code = awsErrorCode(error);
        if (code === 'NoSuchPublicAccessBlockConfiguration') return {};
        if (code === 'NoSuchBucket') return 'gone';
        throw error;
      }
    },
    () =>
      s3.send(
        new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { ...ALL_BLOCKED } }),
      ),
  );
}

/** verify → act → verify for the account-level public access block (S3 Control). */
export async function putAccountPublicAccessBlock(
  operation: PutAccountPublicAccessBlock,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const s3control = await clients.get(S3ControlClientAtEndpoint, operation.target);
  const AccountId = operation.input.AccountId;
  return restorePublicAccessBlock(
    operation,
    `account ${AccountId}`,
    async () => {
      try {
        const { PublicAccessBlockConfiguration } = await s3control.send(
          new GetAccountPublicAccessBlockCommand({ AccountId }),
        );
        return PublicAccessBlockConfiguration ?? {};
      } catch (error) {
        if (awsErrorCode(error) === 'NoSuchPublicAccessBlockConfiguration') return {};
        throw error;
      }
    },
    () =>
      s3control.send(
        new PutAccountPublicAccessBlockCommand({
          AccountId,
          PublicAccessBlockConfiguration: { ...ALL_BLOCKED },
        }),
      ),
  );
}
