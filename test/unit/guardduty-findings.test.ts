import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assessFinding,
  CHANNELS,
  defaultConfig,
  normalizeEvent,
  normalizeGuardDuty,
  routeNotification,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith } from '../support/notify';

/** One parser case: a GuardDuty input, an optional config, and what driftguard reads and decides. */
interface FindingCase {
  name: string;
  input: unknown;
  config?: unknown;
  expected: {
    /** Invalid input: a substring of the reason. */
    reason?: string;
    /** Valid input: a subset of the normalized finding. */
    finding?: Record<string, unknown>;
    /** Dotted paths that must be absent from the finding (nothing guessed). */
    absent?: string[];
    /** A subset of the assessment, plus substrings of its explanations. */
    assessment?: Record<string, unknown> & { reasonIncludes?: string[]; decisionReasonIncludes?: string[] };
    /** The channels that fire when every channel is configured. */
    channels?: string[];
  };
}

const DIR = new URL('../fixtures/findings/', import.meta.url).pathname;
const cases = readdirSync(DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file): [string, FindingCase] => [
    file,
    JSON.parse(readFileSync(join(DIR, file), 'utf8')) as FindingCase,
  ]);

const at = (value: unknown, path: string) =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);

describe('GuardDuty finding cases (test/fixtures/findings)', () => {
  it('has cases for every resource type the issue names', () => {
    const types = cases.map(([, c]) => JSON.stringify(c.input));
    for (const resourceType of [
      'Instance',
      'AccessKey',
      'S3Bucket',
      'EKSCluster',
      'RDSDBInstance',
      'Lambda',
      'ECSCluster',
    ])
      expect(
        types.some((text) => text.includes(`"resourceType":"${resourceType}"`)),
        resourceType,
      ).toBe(true);
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s', (_file, testCase) => {
    const { expected } = testCase;
    const normalized = normalizeGuardDuty(testCase.input);
    const dispatched = normalizeEvent(testCase.input);
    if (expected.reason !== undefined) {
      expect(normalized.ok).toBe(false);
      expect(!normalized.ok && normalized.reason).toContain(expected.reason);
      expect(dispatched.ok).toBe(false);
      expect(!dispatched.ok && dispatched.reason).toContain(expected.reason);
      return;
    }
    if (!normalized.ok) throw new Error(normalized.reason);
    // The dispatcher recognizes the same input as a finding and reads it the same way.
    expect(dispatched.ok && dispatched.kind === 'finding' && dispatched.finding).toEqual(normalized.finding);
    const { finding } = normalized;
    if (expected.finding) expect(finding).toMatchObject(expected.finding);
    for (const path of expected.absent ?? []) expect(at(finding, path), path).toBeUndefined();
    const config = testCase.config === undefined ? defaultConfig() : configWith(testCase.config);
    const assessment = assessFinding(finding, config);
    if (expected.assessment) {
      const { reasonIncludes = [], decisionReasonIncludes = [], ...subset } = expected.assessment;
      expect(assessment).toMatchObject(subset);
      for (const text of reasonIncludes) expect(assessment.reason).toContain(text);
      for (const text of decisionReasonIncludes) expect(assessment.decisionReason).toContain(text);
    }
    if (expected.channels)
      expect(routeNotification(assessment, config, CHANNELS).channels).toEqual(expected.channels);
    // Every finding keeps the Assessment shape replay and alerts read.
    expect(assessment.event).toMatchObject({
      eventId: finding.id,
      eventName: finding.type.raw,
      eventSource: 'guardduty.amazonaws.com',
      eventTime: finding.updatedAt,
      account: finding.account,
      region: finding.region,
    });
    expect(assessment.finding).toMatchObject({ id: finding.id, updatedAt: finding.updatedAt, update: false });
  });
});
