import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mapLimit } from '../sweep/pool';
import type { PlannedUnit } from '../sweep/units';

/** SQS's limit: ten messages per SendMessageBatch. */
export const SQS_BATCH = 10;

export interface EnqueueResult {
  sent: number;
  /** Units SQS still refused after the retries, with its reason. */
  notSent: { unit: PlannedUnit; reason: string }[];
}

/**
 * Puts every unit on the work queue as its own message, ten per SendMessageBatch, in plan order
 * (kinds interleaved). A batch can half-succeed: the entries SQS reports failed are sent again, up
 * to `attempts` times in all; what still fails is returned, never dropped silently. Batches go out
 * a few at a time: 21,000 units are ~2,100 calls.
 */
export async function enqueueUnits(
  sqs: SQSClient,
  queueUrl: string,
  units: readonly PlannedUnit[],
  options: { attempts?: number; parallelBatches?: number } = {},
): Promise<EnqueueResult> {
  const batches: PlannedUnit[][] = [];
  for (let start = 0; start < units.length; start += SQS_BATCH)
    batches.push(units.slice(start, start + SQS_BATCH));
  const attempts = options.attempts ?? 3;
  const results = await mapLimit(batches, options.parallelBatches ?? 8, async (batch) => {
    // Entry id → the unit still to send and why its last attempt failed.
    const remaining = new Map(batch.map((unit, index) => [String(index), { unit, reason: '' }]));
    for (let attempt = 1; attempt <= attempts && remaining.size > 0; attempt++) {
      try {
        const answer = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: [...remaining].map(([id, { unit }]) => ({ Id: id, MessageBody: JSON.stringify(unit) })),
          }),
        );
        const failed = new Map((answer.Failed ?? []).map((entry) => [entry.Id, entry]));
        for (const [id, entry] of remaining) {
          const failure = failed.get(id);
          if (failure) entry.reason = `${failure.Code ?? 'Failed'}: ${failure.Message ?? ''}`;
          else remaining.delete(id);
        }
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        for (const entry of remaining.values()) entry.reason = reason;
      }
    }
    return { sent: batch.length - remaining.size, notSent: [...remaining.values()] };
  });
  const notSent = results.flatMap((result) => result.notSent);
  return { sent: results.reduce((sum, result) => sum + result.sent, 0), notSent };
}
