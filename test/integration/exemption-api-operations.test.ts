import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoExemptionStore, ensureStateTable } from '@driftguard/aws';
import { authenticatedPrincipal, type Config, validateRequest } from '@driftguard/core';
import type { Context, LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, motoEndpoint, unique } from '../support/aws';
import { ALICE, ALICE_ARN, ALICE_AS_BOB, BOB, BOB_ARN, SECURITY_ACCOUNT } from '../support/exemptions';
import { captureOutput, emfLines, logLines, metricsOf } from '../support/function-output';
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
const EXEMPTIONS = {
  enabled: true,
  maxDuration: '8h',
  approvers: [`arn:aws:iam::${SECURITY_ACCOUNT}:role/SecurityOncall`],
};
/** An IAM user of the security account who is not a listed approver. */
const CAROL: TestIdentity = {
  accessKeyId: 'AKIACAROLEXAMPLE0001',
  secretAccessKey: 'carol-secret-key-for-tests-only-00000001',
  userArn: `arn:aws:iam::${SECURITY_ACCOUNT}:user/carol`,
  accountId: SECURITY_ACCOUNT,
  userId: 'AIDACAROLEXAMPLE0001',
};
/** A caller context no IAM authorizer produces: Bob's role ARN, claimed from another account. */
const FORGED: TestIdentity = { ...BOB, accessKeyId: 'AKIAFORGEDEXAMPLE001', accountId: '444455556666' };
/** What SigV4 puts on the wire: none of it may reach a log line. */
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE-session-token-never-logged';
const SIGNATURE = 'f'.repeat(64);

/**
 * What an operator sees of the exemption API (packages/functions/src/exemption-api.ts): its EMF
 * metrics (operation, outcome, refusal class, attack-looking refusals on their own metric) and its
 * log lines' correlation keys, read from the real handler's stdout/stderr against moto.
 */
describe.skipIf(!motoEndpoint)('exemption API handler: metrics and log keys (moto)', () => {
  const table = unique('driftguard-exemption-ops');
  let handler: (event: LambdaFunctionURLEventWithIAMAuthorizer, context?: Context) => Promise<unknown>;
  const store = () => dynamoExemptionStore(DynamoDBDocumentClient.from(dynamoClient()), table);

  beforeAll(async () => {
    await ensureStateTable(dynamoClient(), table);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_CONFIG: JSON.stringify({ exemptions: EXEMPTIONS }),
      POWERTOOLS_METRICS_DISABLED: 'false',
      // The suite silences Powertools (vitest.config.ts); this test reads the lines, so this logger logs.
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    delete process.env.DRIFTGUARD_TOPIC_ARN;
    ({ handler } = await import('../../packages/functions/src/exemption-api'));
  });

  async function call(method: string, path: string, caller?: TestIdentity, body?: string) {
    const event = functionUrlEvent({
      method,
      path,
      ...(body !== undefined ? { body } : {}),
      ...(caller ? { caller } : {}),
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${caller?.accessKeyId ?? 'none'}/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`,
        'x-amz-security-token': SESSION_TOKEN,
      },
    });
    const context = { awsRequestId: `lambda-${unique('call')}`, functionName: 'driftguard-exemption-api' };
    const result = (await handler(event, context as Context)) as { statusCode: number; body: string };
    return { status: result.statusCode, body: JSON.parse(String(result.body)) };
  }

  /** A pending request whose 24 hours to be approved are over. */
  async function lapsedRequest(): Promise<string> {
    const config = { exemptions: { ...EXEMPTIONS, sessionPrincipalRoles: [] } } as unknown as Config;
    const alice = authenticatedPrincipal({ userArn: ALICE_ARN, accountId: SECURITY_ACCOUNT }, config);
    if (!alice.ok) throw new Error(alice.reason);
    const made = validateRequest(REQUEST, alice.principal, config, {
      id: unique('req-lapsed'),
      now: Date.now() - 25 * 3_600_000,
    });
    if (!made.ok) throw new Error(made.reason);
    await store().request(made.request);
    return made.request.id;
  }

  it('counts each call by operation and outcome, refusals by class, and the attack-looking ones on their own metric, with log keys and no secret', async () => {
    const lapsed = await lapsedRequest();
    const { result, written } = await captureOutput(async () => {
      // Alice asks, and names Bob as requester and approver in the body (ignored, but counted).
      const made = await call(
        'POST',
        '/requests',
        ALICE,
        JSON.stringify({ ...REQUEST, requester: BOB_ARN, approver: BOB_ARN }),
      );
      const id = made.body.request.id as string;
      const approve = `/requests/${id}/approve`;
      const refusals = [
        await call('POST', approve, ALICE),
        await call('POST', approve, ALICE_AS_BOB),
        await call('POST', approve, CAROL),
        await call('POST', approve, FORGED),
        await call('POST', `/requests/${lapsed}/approve`, BOB),
        await call('POST', '/requests', undefined, JSON.stringify(REQUEST)),
        await call('POST', '/requests', ALICE, '{"account": '),
      ];
      const approved = await call('POST', approve, BOB);
      const exemptionId = approved.body.exemption.id as string;
      const revoked = await call('POST', `/exemptions/${exemptionId}/revoke`, ALICE);
      return { made, id, refusals, approved, exemptionId, revoked };
    });
    const { made, id, refusals, approved, exemptionId, revoked } = result;

    // What the callers got: the refusals did not change.
    expect(made.status).toBe(201);
    expect(made.body.request.requester).toBe(ALICE_ARN);
    expect(refusals.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403, 401, 400]);
    expect(approved.status).toBe(200);
    expect(revoked.status).toBe(200);

    const lines = emfLines(written);
    for (const line of lines) expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe('driftguard');
    const metrics = metricsOf(lines);
    const service = 'service=driftguard-exemption-api';
    const count = (metric: string) =>
      metrics.filter((line) => line === `driftguard/${metric} 1 Count`).length;
    expect(count(`ExemptionApiCalls{${service},operation=request,outcome=accepted}`)).toBe(1);
    expect(count(`ExemptionApiCalls{${service},operation=request,outcome=refused}`)).toBe(2);
    expect(count(`ExemptionApiCalls{${service},operation=approve,outcome=refused}`)).toBe(5);
    expect(count(`ExemptionApiCalls{${service},operation=approve,outcome=accepted}`)).toBe(1);
    expect(count(`ExemptionApiCalls{${service},operation=revoke,outcome=accepted}`)).toBe(1);
    const refusalClasses = metrics
      .filter((metric) => metric.startsWith('driftguard/ExemptionApiRefusals{'))
      .map((metric) => metric.replace(/^driftguard\/ExemptionApiRefusals\{[^,]+,/, '').split('}')[0]);
    expect(refusalClasses).toEqual([
      'operation=approve,reason=self-approval',
      'operation=approve,reason=self-approval',
      'operation=approve,reason=not-approver',
      'operation=approve,reason=identity-mismatch',
      'operation=approve,reason=lapsed',
      'operation=request,reason=unauthenticated',
      'operation=request,reason=invalid-input',
    ]);
    // Attack-looking calls on their own metric, by reason and in total (what the alarm watches).
    const suspicious = metrics.filter((metric) =>
      metric.startsWith('driftguard/ExemptionApiSuspiciousCalls{'),
    );
    expect(suspicious).toEqual([
      `driftguard/ExemptionApiSuspiciousCalls{${service},reason=claimed-identity} 1 Count`,
      `driftguard/ExemptionApiSuspiciousCalls{${service}} 1 Count`,
      ...['self-approval', 'self-approval', 'not-approver', 'identity-mismatch', 'lapsed'].flatMap(
        (reason) => [
          `driftguard/ExemptionApiSuspiciousCalls{${service},reason=${reason}} 1 Count`,
          `driftguard/ExemptionApiSuspiciousCalls{${service}} 1 Count`,
        ],
      ),
    ]);
    // Dimensions stay low-cardinality: never a caller, an account or an id.
    for (const line of lines)
      for (const dimensions of line._aws.CloudWatchMetrics[0]?.Dimensions ?? [])
        expect(dimensions.every((name) => ['service', 'operation', 'outcome', 'reason'].includes(name))).toBe(
          true,
        );

    // One line per call, carrying who called (as authenticated) and what the call touched.
    const logs = logLines(written).filter((line) => line.service === 'driftguard-exemption-api');
    expect(logs).toHaveLength(10);
    expect(logs[0]).toMatchObject({
      level: 'WARN',
      operation: 'request',
      caller: ALICE_ARN,
      requestId: id,
      account: ACCOUNT,
      rule: 'sg-open-ingress',
      claimedIdentities: ['requester', 'approver'],
    });
    expect(logs[1]).toMatchObject({
      refusal: 'self-approval',
      caller: ALICE_ARN,
      requestId: id,
      account: ACCOUNT,
    });
    expect(logs[4]).toMatchObject({ refusal: 'identity-mismatch', caller: BOB_ARN, operation: 'approve' });
    expect(logs[6]).toMatchObject({ refusal: 'unauthenticated', operation: 'request' });
    expect(logs[6]).not.toHaveProperty('caller');
    expect(logs[8]).toMatchObject({
      level: 'INFO',
      message: 'exemption api',
      operation: 'approve',
      caller: BOB_ARN,
      requestId: id,
      exemptionId,
      account: ACCOUNT,
      rule: 'sg-open-ingress',
      status: 200,
    });
    expect(String(logs[8]?.function_request_id)).toMatch(/^lambda-/);
    expect(logs[9]).toMatchObject({ operation: 'revoke', caller: ALICE_ARN, exemptionId, requestId: id });
    // Keys never leak from one call to the next (the 401 after a full approval has no ids).
    expect(logs[6]).not.toHaveProperty('requestId');
    // Never a secret: no session token, signature, access key or secret key on any line.
    const output = written.join('');
    for (const secret of [
      SESSION_TOKEN,
      SIGNATURE,
      ALICE.accessKeyId,
      BOB.accessKeyId,
      ALICE.secretAccessKey,
    ])
      expect(output).not.toContain(secret);
  });

  // Last in the file: it deletes the table the calls above use.
  it('answers an unexpected failure 500 without its detail, and counts it on the metric its alarm watches', async () => {
    await dynamoClient().send(new DeleteTableCommand({ TableName: table }));
    const { result, written } = await captureOutput(() =>
      call('POST', '/requests', ALICE, JSON.stringify(REQUEST)),
    );
    expect(result).toEqual({ status: 500, body: { error: 'internal error (see the function logs)' } });
    const metrics = metricsOf(emfLines(written));
    const service = 'service=driftguard-exemption-api';
    expect(metrics).toEqual([
      `driftguard/ExemptionApiCalls{${service},operation=request,outcome=failed} 1 Count`,
      `driftguard/ExemptionApiFailures{${service}} 1 Count`,
    ]);
    const [line] = logLines(written).filter((entry) => entry.service === 'driftguard-exemption-api');
    expect(line).toMatchObject({ level: 'ERROR', message: 'exemption api failed', operation: 'request' });
    expect(String(line?.error)).toMatch(/ResourceNotFound|not found|does not exist/i);
  });
});
