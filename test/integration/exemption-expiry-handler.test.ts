import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoExemptionStore, ensureStateTable } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, motoEndpoint, unique } from '../support/aws';
import { approvedExemption } from '../support/exemptions';
import { configWith } from '../support/notify';

describe.skipIf(!motoEndpoint)('exemption-expiry Lambda handler against moto', () => {
  const table = unique('driftguard-expiry');
  const saved = { ...process.env };
  afterAll(() => {
    for (const key of [
      'AWS_ENDPOINT_URL',
      'DRIFTGUARD_TABLE',
      'DRIFTGUARD_CONFIG',
      'DRIFTGUARD_READ_ORGANIZATION',
    ]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });
  beforeAll(async () => {
    await ensureStateTable(dynamoClient(), table);
    // The handler reads its environment once, like in Lambda (this file runs in its own worker).
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_CONFIG: JSON.stringify({ exemptions: { enabled: true } }),
      DRIFTGUARD_READ_ORGANIZATION: 'false',
    });
  });

  it('re-checks each ended exemption once and records it', async () => {
    const config = configWith({ exemptions: { enabled: true } });
    const store = dynamoExemptionStore(DynamoDBDocumentClient.from(dynamoClient()), table);
    const ended = approvedExemption(
      { account: '111122223333', duration: '1h', reason: 'a window that has closed', ticket: 'CHG-1' },
      config,
      { id: unique('ex'), now: Date.now() - 2 * 3_600_000 },
    );
    const active = approvedExemption(
      { account: '111122223333', duration: '1h', reason: 'still open now', ticket: 'CHG-2' },
      config,
      { id: unique('ex'), now: Date.now() },
    );
    await store.grant(ended);
    await store.grant(active);

    const { handler } = await import('../../packages/functions/src/exemption-expiry');
    expect(await handler()).toEqual({ checked: 1, incomplete: 0 });
    expect((await store.get('111122223333', ended.id))?.checkedAt).toBeDefined();
    expect((await store.get('111122223333', active.id))?.checkedAt).toBeUndefined();
    expect(await handler()).toEqual({ checked: 0, incomplete: 0 });
  });
});
