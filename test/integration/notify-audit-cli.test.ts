import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { auditRecordOf, dynamoAuditStore, ensureStateTable } from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, motoEndpoint, unique } from '../support/aws';
import { runCli } from '../support/cli';
import { sampleEvent, sampleReport } from '../support/notify';

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, 'Z');
const HOUR = 3_600_000;

describe.skipIf(!motoEndpoint)('driftguard audit (against moto’s DynamoDB)', () => {
  let env: NodeJS.ProcessEnv;
  const ids = { recent: unique('recent'), other: unique('other'), old: unique('old') };

  beforeAll(async () => {
    const tableName = unique('driftguard-state');
    await ensureStateTable(dynamoClient(), tableName);
    const store = dynamoAuditStore(DynamoDBDocumentClient.from(dynamoClient()), tableName, {
      retentionDays: 30,
    });
    const write = async (eventId: string, eventTime: string, account: string) => {
      const report = sampleReport(sampleEvent({ eventId, eventTime, account }));
      const { ref } = await store.record(
        auditRecordOf(report, { recordedAt: new Date().toISOString(), routing: 'test' }),
      );
      return ref;
    };
    const recent = await write(ids.recent, iso(1 * HOUR), '111122223333');
    await store.recordChannel(recent, 'slack', {
      ok: false,
      attempts: 3,
      detail: 'slack: HTTP 500 internal_error (gave up after 3 attempt(s))',
      at: new Date().toISOString(),
    });
    await store.recordChannel(recent, 'jira', {
      ok: true,
      attempts: 1,
      ticket: {
        channel: 'jira',
        id: 'SEC-7',
        url: 'https://acme.atlassian.net/browse/SEC-7',
        action: 'opened',
      },
      at: new Date().toISOString(),
    });
    await write(ids.other, iso(2 * HOUR), '444455556666');
    // Three days ago: outside the default 24 h window, in another day partition.
    await write(ids.old, iso(72 * HOUR), '111122223333');
    env = { AWS_ENDPOINT_URL: motoEndpoint, DRIFTGUARD_TABLE: tableName, AWS_REGION: 'us-east-1' };
  });

  const json = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('--json lists the last 24 h newest first, one object per record, with channels and ticket references', async () => {
    const { code, stdout, stderr } = await runCli(['audit', '--json'], { env });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const records = json(stdout);
    expect(records.map((record) => record.eventId)).toEqual([ids.recent, ids.other]);
    expect(records[0]).toMatchObject({
      account: '111122223333',
      region: 'eu-west-1',
      rule: 'sg-open-ingress',
      severity: 'critical',
      verdict: 'violation',
      action: 'revert',
      decision: sampleReport().assessment.decisionReason,
      outcome: { status: 'reverted', verified: true },
      channels: {
        slack: { ok: false, detail: 'slack: HTTP 500 internal_error (gave up after 3 attempt(s))' },
        jira: { ok: true, ticket: { id: 'SEC-7' } },
      },
    });
    expect(records[0]).not.toHaveProperty('pk');
  });

  it('filters by --since, --account and --rule', async () => {
    const week = json((await runCli(['audit', '--json', '--since', '7d'], { env })).stdout);
    expect(week.map((record) => record.eventId)).toEqual([ids.recent, ids.other, ids.old]);
    const account = json(
      (await runCli(['audit', '--json', '--since', '7d', '--account', '444455556666'], { env })).stdout,
    );
    expect(account.map((record) => record.eventId)).toEqual([ids.other]);
    const rule = await runCli(['audit', '--json', '--rule', 'vpc-peering'], { env });
    expect(rule.code).toBe(0);
    expect(rule.stdout).toBe('');
  });

  it('prints a readable table with failed channels and a summary', async () => {
    const { code, stdout } = await runCli(
      ['audit', '--since', '7d', '--rule', 'sg-open-ingress', '--limit', '2'],
      { env },
    );
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(
      /^EVENT TIME\s+ACCOUNT\s+REGION\s+RULE\s+SEVERITY\s+ACTION\s+OUTCOME\s+ACTOR\s+CHANNELS$/,
    );
    expect(lines[1]).toContain('jira✔ SEC-7 slack✘');
    expect(stdout).toContain('    slack failed: slack: HTTP 500 internal_error (gave up after 3 attempt(s))');
    expect(stdout).toMatch(
      /2 record\(s\) with an event time since .* \(rule sg-open-ingress\) — limited to 2\n$/,
    );
  });

  it('exits 2 with a reason when the table is not set, missing, or --since is unreadable', async () => {
    const unset = await runCli(['audit'], { env: { ...env, DRIFTGUARD_TABLE: '' } });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('set DRIFTGUARD_TABLE');
    const missing = await runCli(['audit'], { env: { ...env, DRIFTGUARD_TABLE: unique('nope') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/the state table nope-\w+ does not exist/);
    const since = await runCli(['audit', '--since', 'yesterday'], { env });
    expect(since.code).toBe(2);
    expect(since.stderr).toContain(
      '--since yesterday: expected a duration such as 30m, 24h, 7d, 2w, or an ISO date',
    );
  });
});
