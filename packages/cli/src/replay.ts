import type { ProcessedEvent } from '@driftguard/aws';
import {
  type Assessment,
  assess,
  assessFinding,
  type Config,
  liveFactQueries,
  normalizeEvent,
  parseRoleArn,
  unwatchedCall,
} from '@driftguard/core';
import { EXIT, InputError, UsageError } from './errors';
import {
  describeOperation,
  dim,
  green,
  notApplicable,
  notApplicableJson,
  red,
  replayRecord,
  ruleVerdictLines,
  TABLE_HEADER,
  tableRow,
} from './format';
import { type InputFile, readInputFiles } from './input';

export interface ReplayOptions {
  json: boolean;
  apply: boolean;
  config: Config;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** Progress on stderr for long inputs, only where a human watches (a TTY). */
function progress(err: { write(chunk: string): void; isTTY?: boolean }, count: number, done = false) {
  if (!err.isTTY) return;
  if (done || count % 500 === 0) err.write(`\r${dim(`… ${count} events`)}${done ? '\n' : ''}`);
}

/**
 * Output in chunks: one write per record made replay of a large trail spend a fifth of its time in
 * write(2). Lines are encoded into a buffer as they come (a string grown line by line, then
 * flattened and encoded at each write, cost a tenth of replaying a trail); only whole lines are
 * written, so a reader never sees a character cut in two. Flushed before anything goes to stderr,
 * so messages keep their place. Each flush hands the stream its own buffer: a stream may still
 * hold the last one.
 */
function bufferedWriter(stream: NodeJS.WritableStream, size = 64 * 1024) {
  let buffer = Buffer.allocUnsafe(size);
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    stream.write(buffer.subarray(0, used));
    buffer = Buffer.allocUnsafe(size);
    used = 0;
  };
  return {
    write(text: string) {
      // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
      const most = text.length * 3;
      if (most > size - used) {
        flush();
        if (most > size) {
          stream.write(text);
          return;
        }
      }
      used += buffer.write(text, used);
    },
    flush,
  };
}

/**
 * CloudTrail Insights records (unusual API call rates, written to the same trail) summarise
 * activity; they are not calls a guardrail can judge.
 */
function insightRecord(value: unknown): Assessment | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (record.eventCategory !== 'Insight' && record.eventType !== 'AwsCloudTrailInsight') return undefined;
  const text = (field: unknown, fallback: string) => (typeof field === 'string' && field ? field : fallback);
  const details = (record.insightDetails ?? {}) as Record<string, unknown>;
  const eventName = text(details.eventName, 'Insight');
  return {
    event: {
      eventId: text(record.eventID, '-'),
      eventName,
      eventSource: text(details.eventSource, 'cloudtrail.amazonaws.com'),
      eventTime: text(record.eventTime, '-'),
      account: text(record.recipientAccountId, '-'),
      region: text(record.awsRegion, '-'),
      actor: 'CloudTrail Insights',
      actorType: 'AWSService',
    },
    status: 'not-applicable',
    reason: `a CloudTrail Insights record (${text(details.insightType, 'unusual activity')} on ${eventName}): a summary of activity, not a call a guardrail judges`,
    action: 'none',
    decisionReason: 'nothing to decide',
    operations: [],
    results: [],
  };
}

/**
 * What driftguard would do with each event of the input. Never calls AWS unless `apply` is set,
 * in which case the plan runs through the same pipeline as the Lambda (standard credential chain,
 * AWS_ENDPOINT_URL honoured) and the verified outcome is printed.
 */
export async function replay(path: string, options: ReplayOptions): Promise<number> {
  const out = bufferedWriter(options.out ?? process.stdout);
  const errStream = options.err ?? process.stderr;
  const err = {
    write(chunk: string) {
      out.flush();
      errStream.write(chunk);
    },
    isTTY: (errStream as NodeJS.WriteStream).isTTY,
  };
  // The AWS adapters (and the SDK) load only when the plans are run.
  const runtime = options.apply
    ? (await import('@driftguard/aws')).runtimeFromEnv(process.env, { config: options.config })
    : undefined;
  // Names only pre-filter (triage hands any look-alike to assess, whose check is exact: own-identity.ts).
  const central = parseRoleArn(options.config.centralRoleArn)?.name;
  const ownRoleNames = [options.config.remediationRoleName, ...(central ? [central] : [])];
  const counts = { events: 0, violation: 0, compliant: 0, 'not-applicable': 0, ignored: 0, bad: 0 };
  if (!options.json) out.write(`${TABLE_HEADER}\n`);
  /** Counts and prints one event's assessment (with its verified outcome when the plan ran). */
  const print = (assessment: Assessment, processed?: ProcessedEvent) => {
    counts[assessment.status] += 1;
    if (options.json) {
      out.write(`${JSON.stringify(replayRecord(assessment, processed?.outcome.results))}\n`);
      return;
    }
    out.write(`${tableRow(assessment)}\n`);
    for (const line of ruleVerdictLines(assessment)) out.write(`${line}\n`);
    if (assessment.status === 'violation') {
      out.write(dim(`    decision: ${assessment.action} (${assessment.decisionReason})\n`));
      for (const operation of assessment.operations)
        out.write(dim(`    plan: ${describeOperation(operation)}\n`));
    }
    if (processed) {
      const ok = processed.outcome.status !== 'revert-failed';
      out.write(`    ${ok ? green('✔') : red('✘')} ${processed.outcome.summary}\n`);
    }
  };
  /** Judges one event; only with --apply is there a promise (the pipeline runs its plan) to await. */
  const replayOne = (file: InputFile, index: number): Promise<void> | undefined => {
    const value = file.events[index];
    counts.events += 1;
    progress(err, counts.events);
    const insight = insightRecord(value);
    if (insight) {
      counts['not-applicable'] += 1;
      out.write(`${options.json ? JSON.stringify(replayRecord(insight)) : tableRow(insight)}\n`);
      return;
    }
    const unwatched = unwatchedCall(value, ownRoleNames);
    if (unwatched) {
      counts['not-applicable'] += 1;
      out.write(`${options.json ? notApplicableJson(unwatched) : tableRow(notApplicable(unwatched))}\n`);
      return;
    }
    const normalized = normalizeEvent(value);
    if (!normalized.ok) {
      counts.bad += 1;
      err.write(`error: ${file.where(index)}: ${normalized.reason}\n`);
      return;
    }
    // GuardDuty findings and CloudTrail changes alike; replay has no dedupe state: every finding is new.
    const offline =
      normalized.kind === 'finding'
        ? assessFinding(normalized.finding, options.config)
        : assess(normalized.change, options.config);
    // With --apply, a change whose verdict needs live reads (is this the default group? is this
    // modified rule ingress?) goes through the pipeline too, which reads them before deciding.
    const needsLiveFacts =
      normalized.kind === 'cloudtrail' && liveFactQueries(normalized.change, options.config).length > 0;
    if (!runtime || (offline.action !== 'revert' && !needsLiveFacts)) {
      print(offline);
      return;
    }
    return runtime.pipeline
      .process(value)
      .then((processed) => print(processed.assessment ?? offline, processed));
  };
  try {
    // One file at a time, then its events in a plain loop: an await per record (an async
    // generator step) cost more than judging an unwatched call.
    for await (const file of readInputFiles(path)) {
      if ('error' in file) {
        counts.bad += 1;
        err.write(`error: ${file.error}\n`);
        continue;
      }
      for (let index = 0; index < file.events.length; index++) {
        const applying = replayOne(file, index);
        if (applying) await applying;
      }
    }
  } catch (error) {
    out.flush();
    if (error instanceof InputError) throw new UsageError(error.message);
    throw error;
  }
  progress(err, counts.events, true);
  if (!options.json) {
    out.write(
      `\n${counts.events} event(s): ${counts.violation} violation(s), ${counts.compliant} compliant, ` +
        `${counts['not-applicable']} not applicable, ${counts.ignored} ignored${counts.bad ? `, ${counts.bad} unreadable` : ''}\n`,
    );
  }
  out.flush();
  // Violations found outrank unreadable input: a corrupt file must not hide what the rest holds.
  if (counts.violation > 0) return EXIT.violations;
  return counts.bad > 0 ? EXIT.usage : EXIT.ok;
}
