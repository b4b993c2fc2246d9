import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ListDeadLetterSourceQueuesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { awsErrorCode, clientConfig, deliveryKey, errorMessage } from '@driftguard/aws';
import { EXIT, UsageError } from './errors';
import { dim, red } from './format';

export interface DlqEnv {
  DRIFTGUARD_DLQ_URL?: string;
  DRIFTGUARD_QUEUE_URL?: string;
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string;
}

export interface DlqOptions {
  /** The dead-letter queue (default DRIFTGUARD_DLQ_URL). */
  dlq?: string;
  /** Redrive: the queue to send back to (default DRIFTGUARD_QUEUE_URL, else the DLQ's only source queue). */
  to?: string;
  /** At most this many messages. */
  max?: number;
  /** Only messages whose reason contains this text. */
  reason?: string;
  json?: boolean;
  env?: DlqEnv;
  sqs?: SQSClient;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** One dead letter as `dlq list` shows it. */
export interface DeadLetter {
  messageId: string;
  sentAt?: string;
  receives: number;
  /** Why driftguard gave up on it; absent when SQS moved it (maxReceiveCount) without one. */
  reason?: string;
  rejectedBy?: string;
  /** The event's identity (CloudTrail eventID, GuardDuty finding/updatedAt) when the body is an event. */
  event?: string;
  eventName?: string;
  bodyBytes: number;
}

const NO_REASON = 'no reason recorded: moved by SQS after maxReceiveCount';
/** Messages are hidden this long while listed, and made visible again right after. */
const PEEK_SECONDS = 30;

function sqsOf(options: DlqOptions): SQSClient {
  if (options.sqs) return options.sqs;
  const env = options.env ?? process.env;
  return new SQSClient(
    clientConfig({ region: env.AWS_REGION ?? 'us-east-1', endpoint: env.AWS_ENDPOINT_URL }),
  );
}

function dlqUrl(options: DlqOptions): string {
  const url = options.dlq ?? (options.env ?? process.env).DRIFTGUARD_DLQ_URL;
  if (!url) throw new UsageError('no dead-letter queue: pass --dlq <queue url> or set DRIFTGUARD_DLQ_URL');
  return url;
}

function explain(error: unknown, url: string): never {
  const code = awsErrorCode(error) ?? '';
  if (/NonExistentQueue|QueueDoesNotExist/.test(code)) throw new UsageError(`queue ${url} does not exist`);
  if (/AccessDenied/.test(code))
    throw new UsageError(`not allowed to use queue ${url}: ${errorMessage(error)}`);
  throw error;
}

function deadLetterOf(message: Message): DeadLetter {
  const body = message.Body ?? '';
  let event: string | undefined;
  let eventName: string | undefined;
  try {
    const parsed = JSON.parse(body) as { detail?: { eventName?: unknown; type?: unknown } };
    event = deliveryKey(parsed);
    const name = parsed.detail?.eventName ?? parsed.detail?.type;
    if (typeof name === 'string') eventName = name;
  } catch {
    // not JSON: the reason says so
  }
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? '?',
    ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
    receives: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    ...(attribute('reason') ? { reason: attribute('reason') } : {}),
    ...(attribute('rejectedBy') ? { rejectedBy: attribute('rejectedBy') } : {}),
    ...(event ? { event } : {}),
    ...(eventName ? { eventName } : {}),
    bodyBytes: Buffer.byteLength(body),
  };
}

/**
 * Receives every message once (each hidden for a short while, never deleted), stopping when a
 * receive brings nothing new. `visit` decides per message; the caller makes them visible again.
 */
async function scan(
  sqs: SQSClient,
  url: string,
  visibilityTimeout: number,
  max: number,
  visit: (batch: Message[]) => Promise<void>,
): Promise<void> {
  const seen = new Set<string>();
  let idle = 0;
  while (seen.size < max && idle < 2) {
    const { Messages = [] } = await sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, max - seen.size),
          VisibilityTimeout: visibilityTimeout,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        }),
      )
      .catch((error: unknown) => explain(error, url));
    const fresh = Messages.filter((message) => message.MessageId && !seen.has(message.MessageId));
    for (const message of fresh) seen.add(message.MessageId as string);
    idle = fresh.length === 0 ? idle + 1 : 0;
    if (fresh.length > 0) await visit(fresh);
    // Already seen ones came back because their visibility ran out: show them again to the queue.
    const repeated = Messages.filter((message) => !fresh.includes(message));
    if (repeated.length > 0) await release(sqs, url, repeated);
  }
}

async function release(sqs: SQSClient, url: string, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: messages.slice(i, i + 10).map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

const matches = (letter: DeadLetter, reason: string | undefined) =>
  reason === undefined || (letter.reason ?? NO_REASON).toLowerCase().includes(reason.toLowerCase());

/** `driftguard dlq list`: every dead letter with its reason; nothing is consumed. */
export async function dlqList(options: DlqOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const url = dlqUrl(options);
  const sqs = sqsOf(options);
  const letters: DeadLetter[] = [];
  const held: Message[] = [];
  try {
    await scan(sqs, url, PEEK_SECONDS, options.max ?? 1_000, async (batch) => {
      held.push(...batch);
      for (const message of batch) {
        const letter = deadLetterOf(message);
        if (matches(letter, options.reason)) letters.push(letter);
      }
    });
  } finally {
    await release(sqs, url, held);
  }
  if (options.json) {
    for (const letter of letters) out.write(`${JSON.stringify(letter)}\n`);
    return EXIT.ok;
  }
  if (letters.length === 0) {
    out.write(`no dead letters in ${url}${options.reason ? ` matching "${options.reason}"` : ''}\n`);
    return EXIT.ok;
  }
  for (const letter of letters) {
    out.write(
      `${letter.messageId}  ${letter.sentAt ?? '?'}  ${letter.receives} receive(s)  ${letter.eventName ?? '-'} ${letter.event ?? dim('(not an event)')}\n`,
    );
    out.write(`    ${letter.reason ? letter.reason : dim(NO_REASON)}\n`);
  }
  out.write(`\n${letters.length} dead letter(s); replay them with: driftguard dlq redrive\n`);
  return EXIT.ok;
}

async function sourceQueue(sqs: SQSClient, options: DlqOptions, url: string): Promise<string> {
  const configured = options.to ?? (options.env ?? process.env).DRIFTGUARD_QUEUE_URL;
  if (configured) return configured;
  const { queueUrls = [] } = await sqs
    .send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: url }))
    .catch((error: unknown) => explain(error, url));
  if (queueUrls.length === 1) return queueUrls[0] as string;
  throw new UsageError(
    queueUrls.length === 0
      ? `no queue names ${url} as its dead-letter queue: pass --to <queue url> or set DRIFTGUARD_QUEUE_URL`
      : `${url} is the dead-letter queue of ${queueUrls.length} queues (${queueUrls.join(', ')}): pass --to <queue url>`,
  );
}

/**
 * `driftguard dlq redrive`: sends dead letters back to the source queue, each deleted from the DLQ
 * only after the send succeeded (a failure leaves it in the DLQ; a delete that fails after a send
 * leaves a copy in both, which the pipeline's dedupe absorbs). Never loses a message.
 */
export async function dlqRedrive(options: DlqOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const url = dlqUrl(options);
  const sqs = sqsOf(options);
  const target = await sourceQueue(sqs, options, url);
  const counts = { moved: 0, kept: 0, failed: 0 };
  const skipped: Message[] = [];
  try {
    await scan(sqs, url, 60, options.max ?? Number.POSITIVE_INFINITY, async (batch) => {
      const chosen = batch.filter((message) => matches(deadLetterOf(message), options.reason));
      skipped.push(...batch.filter((message) => !chosen.includes(message)));
      counts.kept += batch.length - chosen.length;
      if (chosen.length === 0) return;
      const sent = await sqs
        .send(
          new SendMessageBatchCommand({
            QueueUrl: target,
            Entries: chosen.map((message, index) => ({
              Id: String(index),
              MessageBody: message.Body ?? '',
              MessageAttributes: redriveAttributes(message.MessageAttributes),
            })),
          }),
        )
        .catch((error: unknown) => explain(error, target));
      const ok = (sent.Successful ?? []).map((entry) => chosen[Number(entry.Id)] as Message);
      const failed = (sent.Failed ?? []).map((entry) => chosen[Number(entry.Id)] as Message);
      for (const entry of sent.Failed ?? [])
        err.write(
          red(`not sent, left in the DLQ: ${chosen[Number(entry.Id)]?.MessageId}: ${entry.Message}\n`),
        );
      counts.failed += failed.length;
      skipped.push(...failed);
      if (ok.length === 0) return;
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: ok.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      for (const entry of deleted.Failed ?? [])
        err.write(
          red(
            `sent but not deleted (a copy stays in the DLQ): ${ok[Number(entry.Id)]?.MessageId}: ${entry.Message}\n`,
          ),
        );
      counts.moved += ok.length;
    });
  } finally {
    await release(sqs, url, skipped);
  }
  out.write(
    `moved ${counts.moved} message(s) to ${target}` +
      `${counts.kept ? `; ${counts.kept} left (reason did not match)` : ''}` +
      `${counts.failed ? `; ${counts.failed} could not be sent and stay in the DLQ` : ''}\n`,
  );
  return counts.failed > 0 ? EXIT.incomplete : EXIT.ok;
}

/** The redriven copy keeps the reason it was dead-lettered for, as `previousReason`. */
function redriveAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> {
  const reason = attributes?.reason?.StringValue;
  return {
    redrivenAt: { DataType: 'String', StringValue: new Date().toISOString() },
    ...(reason ? { previousReason: { DataType: 'String', StringValue: reason } } : {}),
  };
}
