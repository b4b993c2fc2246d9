import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assess, CATALOG, defaultConfig, normalizeEvent, unwatchedCall, watchesCall } from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';

const CASES = fileURLToPath(new URL('../fixtures/cases/', import.meta.url));
const config = defaultConfig();
const OWN = [config.remediationRoleName];

/** Every evaluator fixture's event: EventBridge envelopes and raw records, of every guardrail. */
const fixtures: Record<string, unknown>[] = readdirSync(CASES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((dir) =>
    readdirSync(join(CASES, dir.name)).map(
      (file) =>
        (JSON.parse(readFileSync(join(CASES, dir.name, file), 'utf8')) as { event: Record<string, unknown> })
          .event,
    ),
  );

const watchedNames = [
  ...new Set(
    CATALOG.flatMap((guardrail) =>
      guardrail.triggers.flatMap((t) => [
        ...t.eventNames,
        // Versioned names as CloudTrail records them (Lambda): matched by prefix.
        ...(t.eventNamePrefixes ?? []).flatMap((prefix) => [`${prefix}20150331v2`, `${prefix}20211031`]),
      ]),
    ),
  ),
];
const eventNames = [...watchedNames, 'DescribeInstances', 'GetObject', 'CreateTags', 'AssumeRole'];

/** A fixture with its call renamed, failed or not, made by someone or by a session named like ours. */
const variant = fc
  .record({
    base: fc.constantFrom(...fixtures),
    eventName: fc.constantFrom(...eventNames),
    errorCode: fc.constantFrom(undefined, null, 'AccessDenied'),
    role: fc.constantFrom('Admin', config.remediationRoleName),
    dropField: fc.constantFrom(undefined, 'eventID', 'awsRegion', 'userIdentity', 'recipientAccountId'),
  })
  .map(({ base, eventName, errorCode, role, dropField }) => {
    const wrapped = 'detail' in base;
    const record = { ...((wrapped ? base.detail : base) as Record<string, unknown>) };
    record.eventName = eventName;
    if (errorCode !== undefined) record.errorCode = errorCode;
    else delete record.errorCode;
    const account = String(record.recipientAccountId ?? '111122223333');
    record.userIdentity = {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${account}:assumed-role/${role}/session`,
      accountId: account,
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${role}`, userName: role },
      },
    };
    if (dropField) delete record[dropField];
    return wrapped ? { ...base, detail: record } : record;
  });

describe('unwatchedCall: replay recognises calls no guardrail watches before any schema', () => {
  test.prop([variant], { numRuns: 400 })(
    'says "not applicable" only where assess says so, with the same who/what/where',
    (input) => {
      const quick = unwatchedCall(input, OWN);
      if (!quick) return;
      const normalized = normalizeEvent(input);
      expect(normalized.ok).toBe(true);
      if (!normalized.ok || normalized.kind !== 'cloudtrail') return;
      const full = assess(normalized.change, config);
      expect(full.status).toBe('not-applicable');
      expect(full.reason).toBe(`no guardrail watches ${quick.eventSource} ${quick.eventName}`);
      const { eventId, eventName, eventSource, eventTime, account, region, actor, actorType } = full.event;
      expect(quick).toEqual({
        eventId,
        eventName,
        eventSource,
        eventTime,
        account,
        region,
        actor,
        actorType,
      });
    },
  );

  it('leaves every watched call, failed call and session named like driftguard’s to the full reading', () => {
    const base = fixtures.find((event) => !('detail' in event)) as Record<string, unknown>;
    expect(unwatchedCall(base, OWN)).toBeUndefined();
    const describe = { ...base, eventName: 'DescribeInstances' };
    expect(unwatchedCall(describe, OWN)?.eventName).toBe('DescribeInstances');
    expect(unwatchedCall({ ...describe, errorCode: 'AccessDenied' }, OWN)).toBeUndefined();
    const own = {
      ...describe,
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::111122223333:assumed-role/${config.remediationRoleName}/driftguard-remediation`,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: `arn:aws:iam::111122223333:role/${config.remediationRoleName}`,
          },
        },
      },
    };
    expect(unwatchedCall(own, OWN)).toBeUndefined();
    expect(unwatchedCall({ 'detail-type': 'GuardDuty Finding', detail: {} }, OWN)).toBeUndefined();
  });
});

describe('the guardrails a call reaches (indexed by event source and name)', () => {
  /** One raw record per event source the catalog watches, renamed to each name below. */
  const bySource = new Map<string, Record<string, unknown>>();
  for (const event of fixtures) {
    const record = ('detail' in event ? event.detail : event) as Record<string, unknown>;
    if (typeof record.eventSource === 'string' && !bySource.has(record.eventSource))
      bySource.set(record.eventSource, record);
  }
  // Listed names, versioned names (prefixes), the bare prefixes, and names no trigger lists.
  const names = [
    ...eventNames,
    ...CATALOG.flatMap((guardrail) => guardrail.triggers.flatMap((t) => t.eventNamePrefixes ?? [])),
    'AddPermission2015',
    'addpermission20150331v2',
    'PutBucketPolicy ',
    'constructor',
    '__proto__',
  ];

  it('are exactly the catalog guardrails whose triggers include it, in catalog order', () => {
    expect(bySource.size).toBeGreaterThan(5);
    for (const [eventSource, record] of bySource) {
      for (const eventName of names) {
        const normalized = normalizeEvent({ ...record, eventName });
        if (!normalized.ok || normalized.kind !== 'cloudtrail') continue;
        const result = assess(normalized.change, config);
        if (result.status === 'ignored') continue;
        const expected = CATALOG.filter((guardrail) => watchesCall(guardrail, eventSource, eventName));
        expect(
          result.results.map((r) => r.rule),
          `${eventSource} ${eventName}`,
        ).toEqual(expected.map((guardrail) => guardrail.id));
      }
    }
  });
});
