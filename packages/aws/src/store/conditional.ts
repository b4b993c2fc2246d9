import { unmarshall } from '@aws-sdk/util-dynamodb';
import { awsErrorCode } from '../errors';

/**
 * True when DynamoDB refused a write because its condition did not hold: another writer got
 * there first, or the item is not in the state the caller expected. For a transaction this is
 * true when any of its items failed its condition (and false when it was cancelled for another
 * reason, such as a conflict with a concurrent transaction, which is worth retrying).
 */
export function isConditionFailure(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code === 'ConditionalCheckFailedException') return true;
  if (code !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  if (Array.isArray(reasons)) {
    return reasons.some((reason) => (reason as { Code?: unknown } | null)?.Code === 'ConditionalCheckFailed');
  }
  // Without parsed reasons the SDK still lists them in the message: "[ConditionalCheckFailed, None]".
  return String((error as { message?: unknown }).message).includes('ConditionalCheckFailed');
}

/**
 * One conditional write: true when it was written, false when its condition did not hold (see
 * `isConditionFailure`); any other error is thrown.
 */
export async function conditionHeld(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * One conditional write sent with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`: when its
 * condition did not hold, the item that refused it, as DynamoDB returns it with the refusal (the
 * item at the write, as consistent as a strongly consistent read, without a GetItem of its own).
 * `item` is undefined when the item does not exist (or the service returned none: read it then).
 */
export async function writeOrRefusingItem<T>(
  write: () => Promise<T>,
): Promise<{ written: true; result: T } | { written: false; item?: Record<string, unknown> }> {
  try {
    return { written: true, result: await write() };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const item = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
    return { written: false, ...(item ? { item: unmarshall(item) } : {}) };
  }
}

/**
 * One conditional write whose failed condition is the caller's refusal (a `…Error` naming what was
 * not in the expected state), thrown with the DynamoDB failure as its cause.
 */
export async function writeOrRefuse(
  write: () => Promise<unknown>,
  refusal: (cause: unknown) => Error,
): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (isConditionFailure(error)) throw refusal(error);
    throw error;
  }
}
