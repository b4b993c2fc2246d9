import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { defaultConfig, type UnwatchedCall } from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { notApplicable, notApplicableJson, replayRecord } from '../../packages/cli/src/format';
import { replay } from '../../packages/cli/src/replay';

/** Any UTF-16 code unit, lone surrogates included: input text is whatever a trail holds. */
const anyText = fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 40 });

const anyCall = fc.record<UnwatchedCall>({
  eventId: anyText,
  eventName: anyText,
  eventSource: anyText,
  eventTime: anyText,
  account: anyText,
  region: anyText,
  actor: anyText,
  actorType: anyText,
});

describe('the --json line of a call no guardrail watches', () => {
  test.prop([anyCall])('is the JSON of its replay record, byte for byte', (call) => {
    expect(notApplicableJson(call)).toBe(JSON.stringify(replayRecord(notApplicable(call))));
  });
});

/** A CloudTrail record of a call no guardrail watches, with the given actor ARN. */
function describeInstances(index: number, arn: string) {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', arn, accountId: '111122223333' },
    eventTime: '2024-03-01T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'eu-west-1',
    requestParameters: null,
    responseElements: null,
    eventID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
}

async function replayJson(path: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  let errors = '';
  err.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const code = await replay(path, { json: true, apply: false, config: defaultConfig(), out, err });
  return { code, chunks, errors };
}

describe('replay --json output written in large buffers', () => {
  it('every chunk holds whole lines, multi-byte text intact, in input order across files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-json-line-'));
    // Multi-byte actors (2, 3 and 4 bytes of UTF-8) and a quote: several 64 KB chunks of output.
    const arn = (index: number) => `arn:aws:sts::111122223333:assumed-role/équipe-€-😀/"s${index}"`;
    const files = 3;
    const perFile = 400;
    for (let file = 0; file < files; file++) {
      const records = Array.from({ length: perFile }, (_, at) =>
        describeInstances(file * perFile + at, arn(file * perFile + at)),
      );
      writeFileSync(join(dir, `trail-${file}.json.gz`), gzipSync(JSON.stringify({ Records: records })));
    }
    const { code, chunks, errors } = await replayJson(dir);
    expect(code).toBe(0);
    expect(errors).toBe('');
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.toString('utf8').endsWith('\n')).toBe(true);
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(files * perFile);
    lines.forEach((line, index) => {
      const record = JSON.parse(line) as { eventId: string; actor: string; reason: string };
      expect(record.eventId).toBe(`00000000-0000-4000-8000-${String(index).padStart(12, '0')}`);
      expect(record.actor).toBe(arn(index));
      expect(record.reason).toBe('no guardrail watches ec2.amazonaws.com DescribeInstances');
    });
  });

  it('a corrupt .gz among good files is reported in its place and the rest is replayed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-json-line-'));
    const good = (index: number) =>
      gzipSync(
        JSON.stringify({
          Records: [describeInstances(index, 'arn:aws:sts::111122223333:assumed-role/app/s')],
        }),
      );
    writeFileSync(join(dir, 'a.json.gz'), good(0));
    writeFileSync(join(dir, 'b.json.gz'), good(1).subarray(0, 20));
    writeFileSync(join(dir, 'c.json.gz'), good(2));
    const { code, chunks, errors } = await replayJson(dir);
    expect(code).toBe(2);
    expect(errors).toBe(`error: ${join(dir, 'b.json.gz')}: not a valid gzip file (unexpected end of file)\n`);
    const ids = Buffer.concat(chunks)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { eventId: string }).eventId.slice(-1));
    expect(ids).toEqual(['0', '2']);
  });
});
