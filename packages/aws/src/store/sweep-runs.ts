import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { expiresAt, keys } from './table';

/** A sweep run's plan and how far it got. `done + failed = planned` means every unit was worked. */
export interface SweepRun {
  runId: string;
  startedAt: string;
  /** Units the planner put on the queue (and so expects back). */
  planned: number;
  /** Units swept to the end (each counted once, whatever SQS redelivers). */
  done: number;
  /** Units that failed on their last delivery, or could not be put on the queue at all. */
  failed: number;
  resources: number;
  violations: number;
  /** Set once, by the worker that finished the last unit. */
  completedAt?: string;
}

/** What a run has not reached (yet): units neither done nor failed. */
export const unreachedOf = (run: SweepRun) => Math.max(0, run.planned - run.done - run.failed);

export interface UnitResult {
  status: 'done' | 'failed';
  resources: number;
  violations: number;
}

export interface RecordedUnit {
  /** False when this unit was already counted (a redelivery): nothing was added. */
  counted: boolean;
  run?: SweepRun;
  /** True for exactly one unit of a run: the one whose count completed it. */
  completedNow: boolean;
}

/**
 * Sweep runs in the state table: one counter item per run and one marker per unit, written in one
 * transaction so a unit is counted exactly once even when SQS delivers it twice, and a crash between
 * the two writes cannot lose or double a count.
 */
export interface SweepRunStore {
  /** Records a new run and makes it the latest (the one workers sweep); returns the previous latest. */
  start(run: { runId: string; startedAt: string; planned: number }): Promise<SweepRun | undefined>;
  get(runId: string): Promise<SweepRun | undefined>;
  latestRunId(): Promise<string | undefined>;
  recordUnit(runId: string, unitKey: string, result: UnitResult): Promise<RecordedUnit>;
  /** Units the planner could not enqueue count as failed at once, so the run can still complete. */
  recordNotEnqueued(runId: string, count: number): Promise<void>;
}

/** Long enough to compare a month of runs; short enough to cost nothing. */
const RUN_TTL_MS = 30 * 86_400_000;

const isConditionFailure = (error: unknown) =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException' ||
  ((error as { name?: string }).name === 'TransactionCanceledException' &&
    String((error as { message?: string }).message).includes('ConditionalCheckFailed'));

/**
 * Every unit's transaction updates its run's counter item, so units finishing together conflict
 * (DynamoDB cancels a transaction touching an item another one is writing: TransactionConflict,
 * which the SDK does not retry). Such a cancellation changed nothing: try again shortly, rather
 * than fail the unit and sweep it again.
 */
async function withConflictRetries<T>(write: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const conflict =
        (error as { name?: string }).name === 'TransactionCanceledException' &&
        String((error as { message?: string }).message).includes('TransactionConflict') &&
        !isConditionFailure(error);
      if (!conflict || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
    }
  }
}

function runOf(item: Record<string, unknown>): SweepRun {
  return {
    runId: String(item.runId),
    startedAt: String(item.startedAt),
    planned: Number(item.planned ?? 0),
    done: Number(item.done ?? 0),
    failed: Number(item.failed ?? 0),
    resources: Number(item.resources ?? 0),
    violations: Number(item.violations ?? 0),
    ...(item.completedAt ? { completedAt: String(item.completedAt) } : {}),
  };
}

export function dynamoSweepRunStore(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: { now?: () => number } = {},
): SweepRunStore {
  const now = options.now ?? Date.now;
  const get = async (runId: string) => {
    const { Item } = await ddb.send(
      new GetCommand({ TableName: tableName, Key: keys.sweepRun(runId), ConsistentRead: true }),
    );
    return Item ? runOf(Item) : undefined;
  };
  const latestRunId = async () => {
    const { Item } = await ddb.send(
      new GetCommand({ TableName: tableName, Key: keys.sweepLatest(), ConsistentRead: true }),
    );
    return Item ? String(Item.runId) : undefined;
  };
  /** Marks the run complete once every unit is counted; true for the one caller that did it. */
  const completeIfDone = async (run: SweepRun): Promise<boolean> => {
    if (run.completedAt || run.done + run.failed < run.planned) return false;
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.sweepRun(run.runId),
          UpdateExpression: 'SET completedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(completedAt)',
          ExpressionAttributeValues: { ':at': new Date(now()).toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };
  return {
    get,
    latestRunId,
    async start(run) {
      const previousId = await latestRunId();
      const ttl = expiresAt(now(), RUN_TTL_MS);
      await ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...keys.sweepRun(run.runId),
                  ...run,
                  done: 0,
                  failed: 0,
                  resources: 0,
                  violations: 0,
                  expiresAt: ttl,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Put: { TableName: tableName, Item: { ...keys.sweepLatest(), runId: run.runId } } },
          ],
        }),
      );
      return previousId ? get(previousId) : undefined;
    },
    async recordUnit(runId, unitKey, result) {
      const counter = result.status === 'done' ? 'done' : 'failed';
      try {
        await withConflictRetries(() =>
          ddb.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: tableName,
                    Item: {
                      ...keys.sweepUnit(runId, unitKey),
                      ...result,
                      recordedAt: new Date(now()).toISOString(),
                      expiresAt: expiresAt(now(), RUN_TTL_MS),
                    },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                {
                  Update: {
                    TableName: tableName,
                    Key: keys.sweepRun(runId),
                    UpdateExpression: `ADD ${counter} :one, resources :r, violations :v`,
                    // A unit of a run that was never recorded is not counted into a phantom run.
                    ConditionExpression: 'attribute_exists(pk)',
                    ExpressionAttributeValues: { ':one': 1, ':r': result.resources, ':v': result.violations },
                  },
                },
              ],
            }),
          ),
        );
      } catch (error) {
        if (isConditionFailure(error)) return { counted: false, completedNow: false };
        throw error;
      }
      const run = await get(runId);
      const completedNow = run ? await completeIfDone(run) : false;
      return { counted: true, ...(run ? { run } : {}), completedNow };
    },
    async recordNotEnqueued(runId, count) {
      if (count <= 0) return;
      await ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.sweepRun(runId),
          UpdateExpression: 'ADD failed :n',
          ExpressionAttributeValues: { ':n': count },
        }),
      );
      const run = await get(runId);
      if (run) await completeIfDone(run);
    },
  };
}
