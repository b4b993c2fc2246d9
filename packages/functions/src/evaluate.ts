import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CONFIG_REJECTED_MESSAGE,
  errorMessage,
  InvalidEventError,
  type Runtime,
  runtimeLoader,
} from '@driftguard/aws/evaluate-runtime';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { RevertFailedError } from './errors';
import type { DeadLetterReason } from './metric-names';
import { FunctionMetrics, SERVICES } from './metrics';
import { envelopeKeys, recordLogging } from './record-logger';
import { REQUIRED_SETTINGS, requireSettings } from './required-settings';

const logger = new Logger({ serviceName: SERVICES.evaluate });
const logging = recordLogging(logger);
const metrics = new FunctionMetrics(SERVICES.evaluate);

/** EventBridge refuses events over 256 KiB: a bigger body did not come from the bus. */
const MAX_BODY_BYTES = 256 * 1024;

export async function processRecord(record: SQSRecord, current: Runtime): Promise<void> {
  const bytes = Buffer.byteLength(record.body, 'utf8');
  if (bytes > MAX_BODY_BYTES)
    return rejectRecord(
      record,
      current,
      'too-large',
      `message body is ${bytes} bytes, over EventBridge's 256 KiB event limit`,
    );
  let input: unknown;
  try {
    input = JSON.parse(record.body);
  } catch {
    return rejectRecord(record, current, 'not-json', 'message body is not JSON');
  }
  logging.append(envelopeKeys(input));
  try {
    const result = await current.pipeline.process(input);
    const { assessment, outcome } = result;
    const { eventId, account } = assessment.event;
    logging.append({ eventId, account, rule: assessment.rule });
    logging.log().info('event processed', {
      eventName: assessment.event.eventName,
      status: assessment.status,
      action: assessment.action,
      outcome: outcome.status,
      notifications: result.notifications,
      processingMs: result.processingMs,
      ...(result.duplicate ? { duplicateOf: result.duplicate.firstCompletedAt } : {}),
    });
    metrics.decision(result, Number(record.attributes?.SentTimestamp) || undefined, Date.now());
    if (outcome.status === 'revert-failed') throw new RevertFailedError(outcome.summary);
  } catch (error) {
    if (error instanceof InvalidEventError)
      return rejectRecord(record, current, 'invalid-event', error.message);
    // A stack overflow on the same input happens again on every retry: bad input, not transient.
    if (error instanceof RangeError)
      return rejectRecord(
        record,
        current,
        'unprocessable',
        `input the evaluator cannot process: RangeError: ${error.message}`,
      );
    // On the queue's last delivery the failure goes to the DLQ ourselves, with its reason attached
    // (SQS's own redrive would move the bare message). If that send fails, SQS still moves it.
    const receives = Number(record.attributes?.ApproximateReceiveCount);
    if (current.deadLetter && current.maxReceiveCount && receives >= current.maxReceiveCount) {
      const name = error instanceof Error ? error.name : 'Error';
      return rejectRecord(
        record,
        current,
        'gave-up',
        `gave up after ${receives} deliveries: ${name}: ${errorMessage(error)}`,
      );
    }
    throw error;
  }
}

/** Bad input cannot succeed on retry: straight to the DLQ with the reason, or fail the item if there is none. */
async function rejectRecord(
  record: SQSRecord,
  current: Runtime,
  reasonClass: DeadLetterReason,
  reason: string,
): Promise<void> {
  logging.log().warn('rejected input', { messageId: record.messageId, reason, reasonClass });
  if (!current.deadLetter)
    throw new InvalidEventError(`${reason} (no DLQ configured: SQS will retry and dead-letter it)`);
  await current.deadLetter(record.body, reason);
  metrics.deadLetter(reasonClass);
}

/**
 * The handler wired from `env`: Lambda's (`handler`, below) from the function's environment when
 * the module loads (cold start); tests pass their own settings without touching the process's.
 */
export function evaluateHandler(
  env: Record<string, string | undefined>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  // Before anything is wired: a function missing its table, topic or queue does not start.
  requireSettings(SERVICES.evaluate, REQUIRED_SETTINGS.evaluate, env);
  const processor = new BatchProcessor(EventType.SQS);
  /** The config comes from Parameter Store, cached; a refused publish keeps the last good one. */
  const loadRuntime = runtimeLoader(env, {
    onConfigRejected: (reason) => logger.error(CONFIG_REJECTED_MESSAGE, { reason }),
    logger: logging.library,
  });
  return async (event, context) => {
    const current = await loadRuntime();
    return processPartialResponse(
      event,
      (record: SQSRecord) =>
        logging.withRecord({ messageId: record.messageId }, () => processRecord(record, current)),
      processor,
      {
        context,
      },
    );
  };
}

export const handler = evaluateHandler(process.env);
