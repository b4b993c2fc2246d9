import { readFileSync } from 'node:fs';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { createPipeline, memoryDedupeStore, memoryHighWaterStore, type Runtime } from '@driftguard/aws';
import { defaultConfig, type Operation } from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import type { Context, SQSRecord } from 'aws-lambda';
import { expect, it } from 'vitest';
import { processRecord } from '../../packages/functions/src/evaluate';
import { loadCases } from '../support/cases';

const MAX_RECEIVES = 3;
const context = { functionName: 'driftguard-evaluate', getRemainingTimeInMillis: () => 60_000 } as Context;

/** Every CloudTrail fixture of every guardrail, and the GuardDuty sample findings. */
const FIXTURES: unknown[] = [
  ...loadCases().map(([, testCase]) => testCase.event),
  ...(JSON.parse(
    readFileSync(new URL('../../packages/cli/samples/guardduty-findings.json', import.meta.url), 'utf8'),
  ) as unknown[]),
];
const VALID = FIXTURES.filter((event) => JSON.stringify(event).includes('"eventID"')).slice(0, 2);

/** Across all runs: the fuzzer must have produced both bad input and still-valid mutations. */
const seen = { deadLettered: 0, mutatedButProcessed: 0 };

type Path = (string | number)[];

/** Every path into a JSON value (objects and arrays), the root included. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (prefix.length > 8 || value === null || typeof value !== 'object') return out;
  for (const [key, child] of Object.entries(value))
    pathsOf(child, [...prefix, Array.isArray(value) ? Number(key) : key], out);
  return out;
}

type Mutation =
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'flip'; at: number }
  | { kind: 'poison'; at: number; key: string };

function mutate(event: unknown, mutations: Mutation[]): unknown {
  let root = structuredClone(event);
  for (const mutation of mutations) {
    const paths = pathsOf(root);
    const path = paths[mutation.at % paths.length] as Path;
    if (path.length === 0) {
      if (mutation.kind === 'set') root = mutation.value;
      continue;
    }
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root) as Record<
      string | number,
      unknown
    >;
    const key = path.at(-1) as string | number;
    const current = parent[key];
    if (mutation.kind === 'set') parent[key] = mutation.value;
    if (mutation.kind === 'delete') delete parent[key];
    // Numbers as strings and back, objects as one-element arrays: the shapes CloudTrail really varies in.
    if (mutation.kind === 'flip') {
      parent[key] =
        typeof current === 'number'
          ? String(current)
          : typeof current === 'string' && /^\d+$/.test(current)
            ? Number(current)
            : Array.isArray(current)
              ? current[0]
              : current !== null && typeof current === 'object'
                ? [current]
                : current;
    }
    // What an attacker's JSON body can carry: own keys named like prototype members (JSON.parse makes them).
    if (
      mutation.kind === 'poison' &&
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current)
    ) {
      const text = JSON.stringify(current);
      parent[key] = JSON.parse(
        `{${JSON.stringify(mutation.key)}:{"polluted":true}${text === '{}' ? '' : `,${text.slice(1, -1)}`}}`,
      );
    }
  }
  return root;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.oneof(fc.jsonValue(), fc.string({ maxLength: 5000 }), fc.constant(null)),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('poison' as const),
    at: fc.nat(),
    key: fc.constantFrom('__proto__', 'constructor', 'toString', 'items', 'item'),
  }),
);

/** A body as it may reach the queue: a mutated event, sometimes cut short or not JSON at all. */
const badBody = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.constantFrom(...FIXTURES), fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([event, ops]) => JSON.stringify(mutate(event, ops)) ?? 'undefined'),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...FIXTURES), fc.nat()).map(([event, cut]) => {
      const text = JSON.stringify(event);
      return text.slice(0, cut % text.length);
    }),
  },
  { weight: 1, arbitrary: fc.string() },
);

function record(id: string, body: string): SQSRecord {
  return {
    messageId: id,
    receiptHandle: id,
    body,
    // The queue's last delivery: whatever fails now must reach the DLQ with its reason.
    attributes: {
      ApproximateReceiveCount: String(MAX_RECEIVES),
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:driftguard-events',
    awsRegion: 'us-east-1',
  };
}

function fuzzRuntime(deadLetters: Map<string, string[]>) {
  const config = defaultConfig();
  const executed: Operation[] = [];
  const pipeline = createPipeline({
    config,
    // Every revert succeeds and is verified: the batch's robustness is under test, not AWS.
    execute: async (operation) => {
      executed.push(operation);
      return { operation, status: 'applied', verified: true, detail: 'fuzz' };
    },
    dedupe: memoryDedupeStore(),
    highWater: memoryHighWaterStore(),
  });
  const processed: string[] = [];
  const runtime: Runtime = {
    config,
    pipeline: {
      async process(input, processContext) {
        const result = await pipeline.process(input, processContext);
        processed.push(result.assessment.event.eventId);
        return result;
      },
    },
    maxReceiveCount: MAX_RECEIVES,
    deadLetter: async (body, reason) =>
      void deadLetters.set(body, [...(deadLetters.get(body) ?? []), reason]),
  };
  return { runtime, processed };
}

test.prop([fc.array(badBody, { minLength: 1, maxLength: 8 })], { numRuns: 400 })(
  'arbitrary and mutated CloudTrail/GuardDuty events never crash the batch; each bad one is dead-lettered with a clear reason; the good ones succeed',
  async (bodies) => {
    const deadLetters = new Map<string, string[]>();
    const { runtime, processed } = fuzzRuntime(deadLetters);
    const good = VALID.map((event, index) => {
      const fresh = structuredClone(event) as { detail?: Record<string, unknown> } & Record<string, unknown>;
      const detail = (fresh.detail ?? fresh) as Record<string, unknown>;
      detail.eventID = `good-${index}-${Math.random()}`;
      return record(`good-${index}`, JSON.stringify(fresh));
    });
    const records = [
      good[0] as SQSRecord,
      ...bodies.map((body, index) => record(`bad-${index}`, body)),
      good[1] as SQSRecord,
    ];

    const response = await processPartialResponse(
      { Records: records },
      (item: SQSRecord) => processRecord(item, runtime),
      new BatchProcessor(EventType.SQS),
      { context, throwOnFullBatchFailure: false },
    );

    // Nothing is left for SQS to retry: each item was processed, or is in the DLQ with its reason.
    expect(response.batchItemFailures).toEqual([]);
    for (const item of good) expect(deadLetters.has(item.body)).toBe(false);
    expect(processed.filter((id) => id.startsWith('good-'))).toHaveLength(2);
    seen.deadLettered += deadLetters.size;
    seen.mutatedButProcessed += processed.length - 2;
    for (const [body, reasons] of deadLetters) {
      expect(bodies).toContain(body);
      for (const reason of reasons) {
        expect(reason.length).toBeGreaterThan(10);
        // A clear error, not a crash inside an evaluator or the pipeline.
        expect(reason).not.toMatch(
          /TypeError|RangeError|ReferenceError|SyntaxError|Cannot read prop|is not a function|undefined is not/,
        );
      }
    }
  },
  120_000,
);

it('the fuzzer reached both sides: input dead-lettered with a reason, and mutations still processed', () => {
  expect(seen.deadLettered).toBeGreaterThan(50);
  expect(seen.mutatedButProcessed).toBeGreaterThan(50);
});
