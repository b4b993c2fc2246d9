import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defaultConfig } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { replay } from '../../packages/cli/src/replay';

const CASE = fileURLToPath(
  new URL(
    '../fixtures/cases/sg-open-ingress/03-all-traffic-protocol-1-from-the-internet-is-critical.json',
    import.meta.url,
  ),
);
const violation = (JSON.parse(readFileSync(CASE, 'utf8')) as { event: Record<string, unknown> }).event;
const record = (violation.detail ?? violation) as Record<string, unknown>;

/** A folder shaped like `aws s3 sync s3://trail/AWSLogs/ .` leaves it: logs, digests, Insights. */
function awsLogsTree(): { root: string; truncated: string } {
  const root = mkdtempSync(join(tmpdir(), 'driftguard-awslogs-'));
  const day = join(root, 'AWSLogs', '111122223333', 'CloudTrail', 'eu-west-1', '2024', '03', '01');
  const digests = join(root, 'AWSLogs', '111122223333', 'CloudTrail-Digest', 'eu-west-1', '2024', '03', '01');
  const insights = join(
    root,
    'AWSLogs',
    '111122223333',
    'CloudTrail-Insight',
    'eu-west-1',
    '2024',
    '03',
    '01',
  );
  for (const dir of [day, digests, insights]) mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(day, '111122223333_CloudTrail_eu-west-1_20240301T1005Z_a.json.gz'),
    gzipSync(JSON.stringify({ Records: [record] })),
  );
  // A digest: JSON, but no Records; replay used to reject it and exit 2.
  writeFileSync(
    join(digests, '111122223333_CloudTrail-Digest_eu-west-1_trail_us-east-1_20240301T1105Z.json.gz'),
    gzipSync(
      JSON.stringify({ awsAccountId: '111122223333', digestStartTime: '2024-03-01T10:05:00Z', logFiles: [] }),
    ),
  );
  writeFileSync(
    join(insights, '111122223333_CloudTrail-Insight_eu-west-1_20240301T1005Z_b.json.gz'),
    gzipSync(
      JSON.stringify({
        Records: [
          {
            eventVersion: '1.08',
            eventTime: '2024-03-01T10:05:00Z',
            awsRegion: 'eu-west-1',
            eventID: 'insight-1',
            eventType: 'AwsCloudTrailInsight',
            recipientAccountId: '111122223333',
            sharedEventID: 'shared-1',
            insightDetails: {
              state: 'Start',
              eventSource: 'ec2.amazonaws.com',
              eventName: 'AuthorizeSecurityGroupIngress',
              insightType: 'ApiCallRateInsight',
            },
            eventCategory: 'Insight',
          },
        ],
      }),
    ),
  );
  // A log file cut short (a download that stopped): pretty-printed, so the error is on line 4.
  const truncated = join(day, '111122223333_CloudTrail_eu-west-1_20240301T1010Z_c.json.gz');
  writeFileSync(truncated, gzipSync(JSON.stringify({ Records: [record, record] }, null, 1).slice(0, 60)));
  return { root, truncated };
}

async function run(path: string, json: boolean) {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (chunk: Buffer) => {
    chunks.out += chunk.toString();
  });
  err.on('data', (chunk: Buffer) => {
    chunks.err += chunk.toString();
  });
  const code = await replay(path, { json, apply: false, config: defaultConfig(), out, err });
  return { code, ...chunks };
}

describe('replay of a real AWSLogs folder (in process, through the command function)', () => {
  it('skips digests, reports Insights as not applicable, names the corrupt file where it breaks, and keeps exit 1 for the violation', async () => {
    const { root, truncated } = awsLogsTree();
    const result = await run(root, true);
    expect(result.code).toBe(1);
    const lines = result.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.eventName, line.verdict]).sort()).toEqual([
      ['AuthorizeSecurityGroupIngress', 'not-applicable'],
      ['AuthorizeSecurityGroupIngress', 'violation'],
    ]);
    const insight = lines.find((line) => line.verdict === 'not-applicable');
    expect(String(insight?.reason)).toContain('CloudTrail Insights record');
    expect(result.err).not.toContain('Digest');
    expect(result.err).toMatch(
      new RegExp(`${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not JSON \\(line \\d+, column \\d+`),
    );
    expect(result.err).not.toMatch(/line 1, column/);
  });

  it('exits 2 when nothing violates but a file could not be read, and says so in the table summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftguard-awslogs-bad-'));
    writeFileSync(join(dir, 'broken.json'), '{"Records": [\n  {"eventID": "x",\n');
    const result = await run(dir, false);
    expect(result.code).toBe(2);
    // The text ends inside the second line's object: that is where reading failed.
    expect(result.err).toContain(`${join(dir, 'broken.json')}: not JSON (line 2, column 19`);
    expect(result.out).toContain('0 event(s)');
    expect(result.out).toContain('1 unreadable');
  });
});
