import type { Operation, OperationResult, Report } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { deferredExecutor, deferredNotifier } from '../../packages/aws/src/deferred';
import type { Executor } from '../../packages/aws/src/executor';

const operation = { operation: 'RevokeSecurityGroupIngress' } as unknown as Operation;
const result = { status: 'reverted' } as unknown as OperationResult;

describe('deferred executor (loaded on the first revert, off the cold start)', () => {
  it('loads nothing until the first operation, then loads once for every caller', async () => {
    let loads = 0;
    const seen: Operation[] = [];
    const execute = deferredExecutor(async () => {
      loads += 1;
      const executor: Executor = async (received) => {
        seen.push(received);
        return result;
      };
      return executor;
    });
    expect(loads).toBe(0);
    const results = await Promise.all([execute(operation), execute(operation)]);
    await execute(operation);
    expect(loads).toBe(1);
    expect(results).toEqual([result, result]);
    expect(seen).toHaveLength(3);
  });

  it('hands the pipeline’s intent gate to the loaded executor', async () => {
    const gates: unknown[] = [];
    const beforeAct = async () => {};
    const execute = deferredExecutor(async () => async (_operation, gate) => {
      gates.push(gate);
      return result;
    });
    await execute(operation, beforeAct);
    expect(gates).toEqual([beforeAct]);
  });

  it('fails the operation when the load fails, and loads again for the next one', async () => {
    let loads = 0;
    const execute = deferredExecutor(async () => {
      loads += 1;
      if (loads === 1) throw new Error('chunk missing');
      return async () => result;
    });
    await expect(execute(operation)).rejects.toThrow('chunk missing');
    await expect(execute(operation)).resolves.toBe(result);
    expect(loads).toBe(2);
  });
});

describe('deferred notifier (loaded on its first report)', () => {
  it('is routed by its channel and phase before it is loaded, and delivers through the loaded one', async () => {
    let loads = 0;
    const delivered: Report[] = [];
    const notifier = deferredNotifier(
      'securityhub',
      async () => {
        loads += 1;
        return {
          channel: 'securityhub',
          notify: async (report) => {
            delivered.push(report);
            return { ok: true, detail: 'imported' };
          },
        };
      },
      'alert',
    );
    expect({ channel: notifier.channel, phase: notifier.phase, loads }).toEqual({
      channel: 'securityhub',
      phase: 'alert',
      loads: 0,
    });
    const report = { assessment: { status: 'violation' } } as unknown as Report;
    await expect(notifier.notify(report)).resolves.toEqual({ ok: true, detail: 'imported' });
    await notifier.notify(report);
    expect(loads).toBe(1);
    expect(delivered).toEqual([report, report]);
  });
});
