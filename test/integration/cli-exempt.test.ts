import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ensureStateTable } from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, motoEndpoint, snsClient, sqsClient, unique } from '../support/aws';
import { runCli } from '../support/cli';

const ENABLED = JSON.stringify({ exemptions: { enabled: true, maxDuration: '8h' } });
const GRANT = [
  'exempt',
  'grant',
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
  '--approver',
  'bob@example.com',
];

describe.skipIf(!motoEndpoint)('driftguard exempt (spawned, against moto)', () => {
  let env: NodeJS.ProcessEnv;
  let queueUrl: string;
  beforeAll(async () => {
    const table = unique('driftguard-cli-exempt');
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
    env = {
      AWS_ENDPOINT_URL: motoEndpoint,
      AWS_REGION: 'us-east-1',
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_CONFIG: ENABLED,
      DRIFTGUARD_TOPIC_ARN: TopicArn,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
    };
  });

  it('grant (requester = your STS identity) → announced → list → revoke → check-expired', async () => {
    const granted = await runCli([...GRANT, '--json'], { env });
    expect(granted.stderr).toBe('');
    expect(granted.code).toBe(0);
    const { exemption, announced } = JSON.parse(granted.stdout);
    expect(exemption).toMatchObject({
      account: '111122223333',
      resource: 'sg-0123456789abcdef0',
      rule: 'sg-open-ingress',
      ticket: 'CHG-1234',
      approver: 'bob@example.com',
      // moto's caller identity: what `aws sts get-caller-identity` says here.
      requester: 'arn:aws:sts::123456789012:user/moto',
    });
    expect(exemption.id).toMatch(/^ex-\d{8}-[0-9a-f]{8}$/);
    expect(Date.parse(exemption.expiresAt) - Date.parse(exemption.grantedAt)).toBe(2 * 3_600_000);
    expect(announced).toEqual([{ channel: 'sns', ok: true }]);

    const { Messages } = await sqsClient().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
    );
    const envelope = JSON.parse(Messages?.[0]?.Body ?? '{}');
    expect(envelope.Subject).toBe(`[driftguard] exemption ${exemption.id} granted in 111122223333`);
    expect(envelope.MessageAttributes.kind.Value).toBe('exemption-granted');
    expect(JSON.parse(envelope.Message).text).toContain('approved by bob@example.com');

    const list = await runCli(['exempt', 'list'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(
      `${exemption.id}  active  account 111122223333, resource sg-0123456789abcdef0`,
    );
    expect(list.stdout).toContain('approved by bob@example.com; ticket CHG-1234; used 0 time(s)');

    const revoked = await runCli(['exempt', 'revoke', exemption.id, '--by', 'carol@example.com'], { env });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`exemption ${exemption.id} revoked by carol@example.com`);
    const again = await runCli(['exempt', 'list', '--account', '111122223333', '--json'], { env });
    expect(JSON.parse(again.stdout)).toEqual([]);
    const ended = await runCli(['exempt', 'list', '--account', '111122223333', '--ended', '--json'], { env });
    expect(JSON.parse(ended.stdout)).toEqual([
      expect.objectContaining({
        state: 'revoked, re-check due',
        exemption: expect.objectContaining({ id: exemption.id }),
      }),
    ]);

    const check = await runCli(['exempt', 'check-expired'], { env });
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`✔ ${exemption.id} (account 111122223333`);
    expect(check.stdout).toContain('0 change(s) re-checked');
    const twice = await runCli(['exempt', 'check-expired'], { env });
    expect(twice.stdout).toBe('no ended exemption awaits its re-check\n');
  }, 240_000);

  it.each([
    [
      'a duration over the maximum',
      ['--for', '9h'],
      {},
      'driftguard: --for 9h is longer than the maximum exemptions.maxDuration = 8h\n',
    ],
    [
      'approver = requester',
      ['--requester', 'alice@example.com', '--approver', 'alice@example.com'],
      {},
      'driftguard: the approver (alice@example.com) cannot be the requester (alice@example.com): a second person must approve (two-person rule)\n',
    ],
    [
      'approver = the caller (requester from STS)',
      ['--approver', 'moto'],
      {},
      'driftguard: the approver (moto) cannot be the requester (arn:aws:sts::123456789012:user/moto): a second person must approve (two-person rule)\n',
    ],
    [
      'exemptions disabled',
      [],
      { DRIFTGUARD_CONFIG: '{}' },
      'driftguard: exemptions are disabled: set "exemptions": { "enabled": true } in the driftguard config (--config or DRIFTGUARD_CONFIG) to allow break-glass exemptions\n',
    ],
    [
      'no state table',
      [],
      { DRIFTGUARD_TABLE: '' },
      'driftguard: DRIFTGUARD_TABLE is not set: export DRIFTGUARD_TABLE=<name of the driftguard state table> (an output of the driftguard stack)\n',
    ],
    [
      'a table that does not exist',
      [],
      { DRIFTGUARD_TABLE: 'no-such-table' },
      'driftguard: state table no-such-table not found in us-east-1 (check DRIFTGUARD_TABLE and AWS_REGION)\n',
    ],
    ['an unknown rule', ['--rule', 'sg-open'], {}, 'driftguard: --rule sg-open is not a guardrail'],
  ])('refuses %s with a clear message and exit code 2', async (_name, extra, envChange, message) => {
    // Later options win in commander: the extra ones replace the defaults above.
    const result = await runCli([...GRANT, ...extra], { env: { ...env, ...envChange } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(message)).toBe(true);
  });

  it('revoke of an unknown id and a missing required option are usage errors', async () => {
    const unknown = await runCli(['exempt', 'revoke', 'ex-19700101-00000000', '--by', 'carol'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'driftguard: no active or pending exemption has the id ex-19700101-00000000\n',
    );
    const missing = await runCli(['exempt', 'grant', '--account', '111122223333', '--for', '1h'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--reason <text>' not specified");
  }, 90_000);
});
