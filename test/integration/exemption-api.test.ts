import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoExemptionStore, ensureStateTable } from '@driftguard/aws';
import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, motoEndpoint, unique } from '../support/aws';
import { ALICE, ALICE_ARN, ALICE_AS_BOB, BOB, BOB_ARN } from '../support/exemptions';
import { functionUrlEvent, type TestIdentity } from '../support/function-url';

const ACCOUNT = '111122223333';
const REQUEST = {
  account: ACCOUNT,
  resource: 'sg-0123456789abcdef0',
  rule: 'sg-open-ingress',
  duration: '2h',
  reason: 'vendor support session over SSH',
  ticket: 'CHG-4711',
};

/**
 * The exemption API handler (packages/functions/src/exemption-api.ts) driven with the event an
 * AWS_IAM function URL delivers: the caller is what Lambda's IAM authorizer verified.
 */
describe.skipIf(!motoEndpoint)(
  'exemption API handler: request and approval are authenticated acts (moto)',
  () => {
    const table = unique('driftguard-exemption-api');
    const saved = { ...process.env };
    const names = [
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'DRIFTGUARD_TABLE',
      'DRIFTGUARD_CONFIG',
      'DRIFTGUARD_TOPIC_ARN',
    ];
    let handler: (event: LambdaFunctionURLEventWithIAMAuthorizer) => Promise<unknown>;
    const store = () => dynamoExemptionStore(DynamoDBDocumentClient.from(dynamoClient()), table);

    beforeAll(async () => {
      await ensureStateTable(dynamoClient(), table);
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: motoEndpoint,
        AWS_REGION: 'us-east-1',
        DRIFTGUARD_TABLE: table,
        DRIFTGUARD_CONFIG: JSON.stringify({ exemptions: { enabled: true, maxDuration: '8h' } }),
      });
      delete process.env.DRIFTGUARD_TOPIC_ARN;
      ({ handler } = await import('../../packages/functions/src/exemption-api'));
    });
    afterAll(() => {
      for (const key of names) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    });

    async function call(method: string, path: string, caller?: TestIdentity, body?: unknown) {
      const result = (await handler(
        functionUrlEvent({
          method,
          path,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          ...(caller ? { caller } : {}),
        }),
      )) as { statusCode: number; body: string };
      return { status: result.statusCode, body: JSON.parse(result.body) };
    }

    it('a body claiming another requester: the stored requester is the authenticated caller', async () => {
      const made = await call('POST', '/requests', ALICE, {
        ...REQUEST,
        requester: BOB_ARN,
        approver: BOB_ARN,
      });
      expect(made.status).toBe(201);
      expect(made.body.request).toMatchObject({ requester: ALICE_ARN, account: ACCOUNT });
      expect(made.body.request).not.toHaveProperty('approver');
      const stored = await store().getRequest(made.body.request.id);
      expect(stored?.request.requester).toBe(ALICE_ARN);
    });

    it('the same principal cannot approve its own request, not even from a second session it named "bob"', async () => {
      const made = await call('POST', '/requests', ALICE, REQUEST);
      const id = made.body.request.id as string;
      const self = await call('POST', `/requests/${id}/approve`, ALICE);
      expect(self.status).toBe(403);
      expect(self.body.error).toContain('two-person rule');
      const secondSession = await call('POST', `/requests/${id}/approve`, ALICE_AS_BOB);
      expect(secondSession.status).toBe(403);
      expect(secondSession.body.error).toContain('sessions of one role are one principal');
      expect((await store().getRequest(id))?.approvedAt).toBeUndefined();
      const active = await store().list({ now: Date.now(), account: ACCOUNT });
      expect(active.map((record) => record.exemption.requestId)).not.toContain(id);
    });

    it('a call without an AWS identity is refused; another principal approves once', async () => {
      const anonymous = await call('POST', '/requests', undefined, REQUEST);
      expect(anonymous.status).toBe(401);

      const made = await call('POST', '/requests', ALICE, REQUEST);
      const id = made.body.request.id as string;
      const approved = await call('POST', `/requests/${id}/approve`, BOB);
      expect(approved.status).toBe(200);
      expect(approved.body.exemption).toMatchObject({
        requester: ALICE_ARN,
        approver: BOB_ARN,
        requestId: id,
        account: ACCOUNT,
        resource: REQUEST.resource,
      });
      const again = await call('POST', `/requests/${id}/approve`, BOB);
      expect(again.status).toBe(409);

      const listed = await call('GET', '/exemptions', BOB);
      expect(listed.body.exemptions.map((r: { exemption: { id: string } }) => r.exemption.id)).toContain(
        approved.body.exemption.id,
      );
      const revoked = await call('POST', `/exemptions/${approved.body.exemption.id}/revoke`, ALICE);
      expect(revoked.status).toBe(200);
      expect(revoked.body.exemption.exemption.revokedBy).toBe(ALICE_ARN);
    });
  },
);
