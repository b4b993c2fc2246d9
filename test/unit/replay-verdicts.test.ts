import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { defaultConfig } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { replay } from '../../packages/cli/src/replay';
import { CASES_DIR } from '../support/cases';

const caseEvent = (rule: string, file: string) =>
  (JSON.parse(readFileSync(join(CASES_DIR, rule, file), 'utf8')) as { event: unknown }).event;

async function run(events: unknown[], json: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'replay-verdicts-'));
  const file = join(dir, 'events.ndjson');
  writeFileSync(file, `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (chunk: Buffer) => {
    chunks.out += chunk.toString();
  });
  err.on('data', (chunk: Buffer) => {
    chunks.err += chunk.toString();
  });
  const code = await replay(file, { json, apply: false, config: defaultConfig(), out, err });
  return { code, ...chunks };
}

// An in-zone rule added to a group by id: sg-open-ingress says compliant, and default-sg-in-use
// cannot tell offline whether the group is a VPC's default one.
const inZoneById = caseEvent('sg-open-ingress', '07-rfc-1918-sources-are-compliant.json');
const critical = caseEvent('sg-open-ingress', '03-all-traffic-protocol-1-from-the-internet-is-critical.json');

describe('replay shows every guardrail that judged an event', () => {
  it('--json lists each verdict (with severity) and keeps "needs live confirmation" visible', async () => {
    const { code, out, err } = await run([inZoneById, critical], true);
    expect(err).toBe('');
    expect(code).toBe(1);
    const [compliant, violation] = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(compliant?.verdict).toBe('compliant');
    expect(compliant?.severity).toBeNull();
    const verdicts = compliant?.verdicts as { rule: string; verdict: string; reason: string }[];
    expect(verdicts.map((entry) => [entry.rule, entry.verdict])).toEqual([
      ['sg-open-ingress', 'compliant'],
      ['default-sg-in-use', 'not-applicable'],
    ]);
    expect(verdicts[1]?.reason).toContain('needs live confirmation');
    // CloudTrail verdicts carry severity too, not only GuardDuty findings.
    expect(violation?.severity).toBe('critical');
    expect((violation?.verdicts as { severity: string | null }[] | undefined)?.[0]?.severity).toBe(
      'critical',
    );
  });

  it('the table prints each guardrail under the event row', async () => {
    const { out } = await run([inZoneById], false);
    expect(out).toMatch(/ {4}sg-open-ingress: compliant, none: 2 added ingress rule/);
    expect(out).toMatch(/ {4}default-sg-in-use: not-applicable, none: needs live confirmation: whether sg-/);
  });

  it('a successful PutBucketPolicy with null requestParameters says the record is unreadable', async () => {
    const unreadable = caseEvent(
      's3-bucket-policy',
      '55-requestparameters-null-is-an-unreadable-record-said-so.json',
    );
    const { code, out } = await run([unreadable], true);
    expect(code).toBe(0);
    const line = JSON.parse(out) as Record<string, unknown>;
    expect(line.verdict).toBe('not-applicable');
    expect(line.reason).toContain('unreadable record: requestParameters is missing');
  });
});
