import { type AccountClients, createExecutor } from '@driftguard/aws';
import { defaultConfig, type Operation } from '@driftguard/core';
import { describe, expect, it } from 'vitest';

/** Clients that record which accounts were touched and refuse to act (no AWS here). */
function refusingClients() {
  const touched: string[] = [];
  const clients: AccountClients = {
    async get(_client, target) {
      touched.push(target.account);
      throw new Error('no AWS in this test');
    },
  };
  return { clients, touched };
}

const blockPublicAccess: Operation = {
  service: 's3',
  operation: 'PutPublicAccessBlock',
  target: { account: '111122223333', region: 'us-east-1' },
  input: {
    Bucket: 'reports',
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  },
};

describe('the executor changes nothing before beforeAct resolves', () => {
  it('a handler that does not await it itself starts only once it resolves; when it rejects, never', async () => {
    const { clients, touched } = refusingClients();
    const execute = createExecutor({
      config: defaultConfig(),
      credentialsFor: async () => undefined,
      clients,
    });
    const refused = await execute(blockPublicAccess, () =>
      Promise.reject(new Error('the intent could not be recorded')),
    );
    expect(refused).toMatchObject({ status: 'failed', verified: false });
    expect(refused.detail).toContain('the intent could not be recorded');
    expect(touched).toEqual([]);

    let recorded = false;
    const started = execute(blockPublicAccess, async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      recorded = true;
    });
    // Not touched while the intent is pending; touched (and failing here, without AWS) after it.
    expect(touched).toEqual([]);
    expect((await started).status).toBe('failed');
    expect(recorded).toBe(true);
    expect(touched).toEqual(['111122223333']);
  });
});
