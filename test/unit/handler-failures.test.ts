import { DescribeSecurityGroupRulesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createExecutor, createPipeline, type Runtime } from '@driftguard/aws';
import { defaultConfig } from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { RevertFailedError } from '../../packages/functions/src/errors';
import { processRecord } from '../../packages/functions/src/evaluate';
import { type EvaluatorCase, loadCases } from '../support/cases';

const ec2Mock = mockClient(EC2Client);
afterEach(() => ec2Mock.reset());

const violation = loadCases().find(([file]) => file.startsWith('sg-open-ingress/01-'))?.[1] as EvaluatorCase;
const record = (body: string) => ({ messageId: 'm1', body }) as SQSRecord;

function runtimeWith(deadLetters: string[] = []): Runtime {
  const config = defaultConfig();
  const ec2 = new EC2Client({ region: 'us-east-1' });
  const execute = createExecutor({
    config,
    credentialsFor: async () => undefined,
    clients: { get: async () => ec2 as never },
  });
  return {
    config,
    pipeline: createPipeline({ config, execute }),
    deadLetter: async (_body, reason) => void deadLetters.push(reason),
  };
}

// Errors moto cannot produce: the emulator never throttles or denies, so these use a client mock.
describe('evaluate handler: failures an emulator cannot produce (aws-sdk-client-mock)', () => {
  it('a throttled revert fails the item so SQS retries it (and dead-letters it after maxReceiveCount)', async () => {
    ec2Mock
      .on(DescribeSecurityGroupRulesCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }));
    await expect(processRecord(record(JSON.stringify(violation.event)), runtimeWith())).rejects.toThrow(
      RevertFailedError,
    );
    await expect(processRecord(record(JSON.stringify(violation.event)), runtimeWith())).rejects.toThrow(
      /RequestLimitExceeded: Rate exceeded/,
    );
  });

  it('AccessDenied on the member account is reported with the code, never swallowed', async () => {
    ec2Mock.on(DescribeSecurityGroupRulesCommand).rejects(
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
      }),
    );
    await expect(processRecord(record(JSON.stringify(violation.event)), runtimeWith())).rejects.toThrow(
      /UnauthorizedOperation: You are not authorized/,
    );
  });
});

describe('evaluate handler: arbitrary input never crashes the batch', () => {
  test.prop(
    [
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.jsonValue().map((value) => JSON.stringify(value)),
      ),
    ],
    { numRuns: 300 },
  )('every unreadable body goes to the DLQ with a reason', async (body) => {
    const deadLetters: string[] = [];
    await processRecord(record(body), runtimeWith(deadLetters));
    // Random bodies are never valid CloudTrail, so each one is dead-lettered exactly once.
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.length).toBeGreaterThan(5);
  });

  test.prop([fc.object({ maxDepth: 3 })], { numRuns: 200 })(
    'mutated CloudTrail detail never throws past the DLQ',
    async (noise) => {
      const deadLetters: string[] = [];
      const event = structuredClone(violation.event) as { detail: Record<string, unknown> };
      Object.assign(event.detail, noise, { requestParameters: noise, responseElements: noise });
      ec2Mock.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
      await expect(
        processRecord(record(JSON.stringify(event)), runtimeWith(deadLetters)),
      ).resolves.toBeUndefined();
    },
  );
});

it('has the fixture it builds on', () => {
  expect(violation.expected.verdict).toBe('violation');
});

it('without a DLQ, bad input fails the item instead of being dropped (SQS redrive keeps it)', async () => {
  const runtime = runtimeWith();
  delete runtime.deadLetter;
  await expect(processRecord(record('not json'), runtime)).rejects.toThrow(
    /message body is not JSON \(no DLQ configured/,
  );
});
