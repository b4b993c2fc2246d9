import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ensureStateTable } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, motoEndpoint, snsClient, sqsClient, unique } from '../support/aws';
import { type CliResult, runBuiltCli, runCli } from '../support/cli';
import { ALICE, ALICE_ARN, ALICE_AS_BOB, BOB, BOB_ARN } from '../support/exemptions';
import { startFunctionUrl, type TestIdentity } from '../support/function-url';

const ENABLED = JSON.stringify({ exemptions: { enabled: true, maxDuration: '8h' } });
const SCOPE = [
  '--account',
  '111122223333',
  '--resource',
  'sg-0123456789abcdef0',
  '--rule',
  'sg-open-ingress',
  '--for',
  '2h',
  '--reason',
  'vendor support session over SSH',
  '--ticket',
  'CHG-1234',
];

/** Every exemption item the table holds for the account (what a decision would read). */
async function exemptionItems(table: string): Promise<unknown[]> {
  const ddb = DynamoDBDocumentClient.from(dynamoClient());
  const { Items } = await ddb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'EXEMPTION#111122223333' },
    }),
  );
  return Items ?? [];
}

/**
 * `driftguard exempt …` as a user runs it, signing with the credentials in its environment,
 * against a loopback function URL that verifies the SigV4 signature and hands the real handler the
 * signer's identity (test/support/function-url.ts); the handler writes to moto's DynamoDB. The
 * request is the prebuilt command in its own process; the other steps run the same entry function
 * in this process (test/support/cli.ts).
 */
describe.skipIf(!motoEndpoint)('driftguard exempt (SigV4 to the exemption API, moto)', () => {
  let table: string;
  let queueUrl: string;
  let server: Awaited<ReturnType<typeof startFunctionUrl>> | undefined;
  const saved = { ...process.env };
  const names = [
    'AWS_ENDPOINT_URL',
    'AWS_REGION',
    'DRIFTGUARD_TABLE',
    'DRIFTGUARD_CONFIG',
    'DRIFTGUARD_TOPIC_ARN',
  ];

  beforeAll(async () => {
    table = unique('driftguard-cli-exempt');
    await ensureStateTable(dynamoClient(), table);
    const sns = snsClient();
    const sqs = sqsClient();
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: unique('announce') }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: unique('inbox') }));
    queueUrl = queue.QueueUrl as string;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
    // The API function's environment (it runs in this process, behind the loopback URL).
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      AWS_REGION: 'us-east-1',
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_CONFIG: ENABLED,
      DRIFTGUARD_TOPIC_ARN: TopicArn,
    });
  });
  afterAll(async () => {
    await server?.close();
    for (const key of names) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  async function apiUrl(): Promise<string> {
    if (!server) {
      const { handler } = await import('../../packages/functions/src/exemption-api');
      server = await startFunctionUrl([ALICE, ALICE_AS_BOB, BOB], handler);
    }
    return server.url;
  }

  /** The CLI as `who`: their own access key in the environment, nothing else about them. */
  async function as(
    who: Pick<TestIdentity, 'accessKeyId' | 'secretAccessKey'>,
    args: string[],
    run: (args: string[], options: { env: NodeJS.ProcessEnv }) => Promise<CliResult> = runCli,
  ) {
    return run(args, {
      env: {
        DRIFTGUARD_EXEMPTIONS_URL: await apiUrl(),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: who.accessKeyId,
        AWS_SECRET_ACCESS_KEY: who.secretAccessKey,
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
      },
    });
  }

  it('one person typing --requester alice --approver bob: refused, nothing recorded', async () => {
    const result = await runCli(
      ['exempt', 'grant', ...SCOPE, '--requester', 'alice@example.com', '--approver', 'bob@example.com'],
      {
        env: {
          AWS_ENDPOINT_URL: motoEndpoint,
          AWS_REGION: 'us-east-1',
          DRIFTGUARD_TABLE: table,
          DRIFTGUARD_CONFIG: ENABLED,
          DRIFTGUARD_READ_ORGANIZATION: 'false',
        },
      },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('`exempt grant` is gone: an exemption takes two people');
    expect(result.stderr).toContain('driftguard exempt approve <request id>');
    expect(await exemptionItems(table)).toEqual([]);
  }, 60_000);

  it('request as alice → alice cannot approve (not from a second session either) → bob approves → announced → list → revoke', async () => {
    const requested = await as(ALICE, ['exempt', 'request', ...SCOPE, '--json'], runBuiltCli);
    expect(requested.stderr).toBe('');
    expect(requested.code).toBe(0);
    const { request } = JSON.parse(requested.stdout);
    expect(request).toMatchObject({ requester: ALICE_ARN, account: '111122223333', duration: '2h' });
    expect(request.id).toMatch(/^req-\d{8}-[0-9a-f]{8}$/);
    expect(await exemptionItems(table)).toEqual([]);

    const pending = await as(BOB, ['exempt', 'list', '--pending']);
    expect(pending.stdout).toContain(`${request.id}  pending  account 111122223333`);
    expect(pending.stdout).toContain(`requested by ${ALICE_ARN}`);

    const self = await as(ALICE, ['exempt', 'approve', request.id]);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain(`driftguard: ${ALICE_ARN} cannot approve request ${request.id}`);
    const otherSession = await as(ALICE_AS_BOB, ['exempt', 'approve', request.id]);
    expect(otherSession.code).toBe(2);
    expect(otherSession.stderr).toContain('sessions of one role are one principal');
    expect(await exemptionItems(table)).toEqual([]);

    const approved = await as(BOB, ['exempt', 'approve', request.id, '--json']);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    const { exemption, announced } = JSON.parse(approved.stdout);
    expect(exemption).toMatchObject({ requester: ALICE_ARN, approver: BOB_ARN, requestId: request.id });
    expect(Date.parse(exemption.expiresAt) - Date.parse(exemption.grantedAt)).toBe(2 * 3_600_000);
    expect(announced).toEqual([{ channel: 'sns', ok: true }]);
    const { Messages } = await sqsClient().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
    );
    const envelope = JSON.parse(Messages?.[0]?.Body ?? '{}');
    expect(envelope.MessageAttributes.kind.Value).toBe('exemption-granted');
    expect(JSON.parse(envelope.Message).text).toContain(`approved by ${BOB_ARN}`);

    const list = await as(ALICE, ['exempt', 'list', '--account', '111122223333']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(
      `${exemption.id}  active  account 111122223333, resource sg-0123456789abcdef0`,
    );
    expect(list.stdout).toContain(`requested by ${ALICE_ARN}, approved by ${BOB_ARN}`);

    const revoked = await as(ALICE, ['exempt', 'revoke', exemption.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`exemption ${exemption.id} revoked by ${ALICE_ARN}`);
    const ended = await as(BOB, ['exempt', 'list', '--account', '111122223333', '--ended', '--json']);
    expect(JSON.parse(ended.stdout)).toEqual([
      expect.objectContaining({
        state: 'revoked, re-check due',
        exemption: expect.objectContaining({ id: exemption.id }),
      }),
    ]);
  }, 420_000);

  it('a caller the URL cannot authenticate is refused by AWS, with the permission to ask for', async () => {
    const stranger = { accessKeyId: 'AKIASTRANGER00000001', secretAccessKey: 'not-a-key-the-url-knows' };
    const result = await as(stranger, ['exempt', 'request', ...SCOPE]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AWS refused the call');
    expect(result.stderr).toContain('lambda:InvokeFunctionUrl');
    expect(server?.refused.at(-1)).toBe('unknown key AKIASTRANGER00000001 or service lambda');
    // A signature made with a wrong secret for a known key does not verify either.
    const forged = await as({ ...ALICE, secretAccessKey: 'guessed' }, ['exempt', 'list']);
    expect(forged.code).toBe(2);
    expect(server?.refused.at(-1)).toBe(`bad signature for ${ALICE.accessKeyId}`);
  }, 60_000);

  it('usage errors: no URL, a missing required option', async () => {
    const noUrl = await runCli(['exempt', 'list'], { env: { DRIFTGUARD_EXEMPTIONS_URL: '' } });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('DRIFTGUARD_EXEMPTIONS_URL is not set');
    const missing = await as(ALICE, ['exempt', 'request', '--account', '111122223333', '--for', '1h']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--reason <text>' not specified");
  }, 60_000);
});
