import { IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { DeactivateAccessKey, OperationResult } from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { ExecutorContext } from '../index';
import { alreadyCompliant, applied, failed } from '../results';

async function keyStatus(iam: IAMClient, userName: string, accessKeyId: string): Promise<string | undefined> {
  try {
    const keys = [];
    let Marker: string | undefined;
    do {
      const page = await iam.send(new ListAccessKeysCommand({ UserName: userName, Marker }));
      keys.push(...(page.AccessKeyMetadata ?? []));
      Marker = page.IsTruncated ? page.Marker : undefined;
    } while (Marker);
    return keys.find((key) => key.AccessKeyId === accessKeyId)?.Status ?? 'missing';
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity') return undefined;
    throw error;
  }
}

/**
 * verify → act → verify for the access-key playbook: re-read the user's keys, set the key from the
 * finding to Inactive (never deleted: `aws iam update-access-key --status Active` undoes it), and
 * re-read to prove it.
 */
export async function deactivateAccessKey(
  operation: DeactivateAccessKey,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const { UserName, AccessKeyId } = operation.input;
  const iam = await clients.get(IAMClient, operation.target);
  const before = await keyStatus(iam, UserName, AccessKeyId);
  if (before === undefined || before === 'missing' || before === 'Inactive') {
    const why =
      before === undefined
        ? `user ${UserName} no longer exists`
        : before === 'missing'
          ? `access key ${AccessKeyId} no longer exists on ${UserName}`
          : `access key ${AccessKeyId} of ${UserName} is already Inactive`;
    return alreadyCompliant(operation, why);
  }
  await iam.send(new UpdateAccessKeyCommand({ UserName, AccessKeyId, Status: 'Inactive' }));
  const after = await keyStatus(iam, UserName, AccessKeyId);
  if (after !== 'Inactive') {
    return failed(
      operation,
      `re-read shows access key ${AccessKeyId} of ${UserName} as ${after ?? 'user missing'}`,
    );
  }
  return applied(operation, `access key ${AccessKeyId} of ${UserName} deactivated (Inactive, not deleted)`, [
    `${UserName}/${AccessKeyId}: ${before} → Inactive`,
  ]);
}
