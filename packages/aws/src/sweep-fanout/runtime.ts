import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig } from '../clients';
import { DriftguardError } from '../errors';
import type { RuntimeEnv } from '../runtime';
import { stateDocumentClient } from '../store/document-client';
import { dynamoSweepRunStore, type SweepRunStore } from '../store/sweep-runs';
import type { PlannedUnit } from '../sweep/units';
import { type EnqueueResult, enqueueUnits } from './work-queue';

/** What the sweep planner and worker read besides the pipeline's environment (infra/scheduled.ts sets it). */
export interface SweepEnv extends RuntimeEnv {
  /** The work queue: one message per (account, region, kind). */
  DRIFTGUARD_SWEEP_QUEUE_URL?: string;
  /** The work queue's maxReceiveCount: a unit failing on that delivery is counted failed. */
  DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT?: string;
  DRIFTGUARD_SWEEP_ACCOUNTS?: string;
  DRIFTGUARD_SWEEP_REGIONS?: string;
}

export interface SweepRuntime {
  store: SweepRunStore;
  enqueue(units: PlannedUnit[]): Promise<EnqueueResult>;
  maxReceiveCount: number;
}

/** The run store and the work queue, from the environment; a missing setting is a clear error. */
export function sweepRuntimeFromEnv(env: SweepEnv): SweepRuntime {
  const region = env.AWS_REGION ?? 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL;
  const table = env.DRIFTGUARD_TABLE;
  if (!table) throw new DriftguardError('DRIFTGUARD_TABLE is not set: the sweep records its runs there');
  const ddb = stateDocumentClient(new DynamoDBClient(clientConfig({ region, endpoint })));
  const queueUrl = env.DRIFTGUARD_SWEEP_QUEUE_URL;
  const sqs = new SQSClient(clientConfig({ region, endpoint }));
  const maxReceiveCount = Number(env.DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT ?? 3);
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1)
    throw new DriftguardError('DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT must be a positive integer');
  return {
    store: dynamoSweepRunStore(ddb, table),
    enqueue: async (units) => {
      if (!queueUrl)
        throw new DriftguardError('DRIFTGUARD_SWEEP_QUEUE_URL is not set: nowhere to send units');
      return enqueueUnits(sqs, queueUrl, units);
    },
    maxReceiveCount,
  };
}
