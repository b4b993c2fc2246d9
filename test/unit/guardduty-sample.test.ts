import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assessFinding,
  normalizeGuardDuty,
  planPlaybooks,
  renderGitHubIssue,
  renderJiraDescription,
  renderSlack,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith } from '../support/notify';

/** Every playbook opted in for every finding type, from the lowest severity: the most a config allows. */
const everything = configWith({
  rules: {
    'guardduty-finding': {
      playbookMinimumSeverity: 'low',
      playbooks: {
        'isolate-instance': ['*'],
        'deactivate-access-key': ['*'],
        'revoke-role-sessions': ['*'],
        'block-s3-public-access': ['*'],
      },
    },
  },
});

const DIR = new URL('../fixtures/findings/', import.meta.url).pathname;
/** The raw findings of the valid cases (their `detail` when they are EventBridge events). */
const findings = readdirSync(DIR)
  .filter((file) => file.endsWith('.json') && !file.startsWith('9'))
  .sort()
  .map((file) => {
    const { input } = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { input: Record<string, unknown> };
    return [file, (input.detail ?? input) as Record<string, unknown>] as const;
  })
  .filter(([, raw]) => typeof raw.id === 'string' && typeof raw.accountId === 'string');

const pascal = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(pascal)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value).map(([key, inner]) => [
            `${key[0]?.toUpperCase()}${key.slice(1)}`,
            pascal(inner),
          ]),
        )
      : value;

/** As `aws guardduty get-findings` (GetFindings) returns a sample: the marker inside a JSON string. */
function asApiSample(raw: Record<string, unknown>, value = '{"sample":true}'): unknown {
  const service = (raw.service ?? {}) as Record<string, unknown>;
  const { sample: _sample, ...info } = (service.additionalInfo ?? {}) as Record<string, unknown>;
  return pascal({
    ...raw,
    service: { ...service, archived: false, additionalInfo: { ...info, value, type: 'default' } },
  });
}

describe('GuardDuty sample findings never run a playbook, in any shape', () => {
  it('has findings of many resource types to try', () => {
    expect(findings.length).toBeGreaterThanOrEqual(20);
  });

  it.each(findings)('%s as get-findings returns a sample: 0 playbook operations', (_file, raw) => {
    const normalized = normalizeGuardDuty(asApiSample(raw));
    if (!normalized.ok) throw new Error(normalized.reason);
    expect(normalized.finding.sample).toBe(true);
    expect(planPlaybooks(normalized.finding, everything).operations).toEqual([]);
    expect(assessFinding(normalized.finding, everything).operations).toEqual([]);
  });

  it('the same findings without the marker do plan playbooks (the config is not what stops them)', () => {
    const planned = findings.filter(([, raw]) => {
      const normalized = normalizeGuardDuty(asApiSample(raw, '{"sample":false}'));
      return normalized.ok && planPlaybooks(normalized.finding, everything).operations.length > 0;
    });
    expect(planned.length).toBeGreaterThan(5);
  });

  it('reads the marker defensively: invalid or oversized text is not a marker and never throws', () => {
    const [, raw] = findings[0] as (typeof findings)[number];
    for (const value of [
      '{"sample":tru',
      'not json',
      '[true]',
      'null',
      `{"sample":true,"pad":"${'x'.repeat(70_000)}"}`,
    ]) {
      const normalized = normalizeGuardDuty(asApiSample(raw, value));
      expect(normalized.ok && normalized.finding.sample, value.slice(0, 20)).toBe(false);
    }
    const string = normalizeGuardDuty(asApiSample(raw, '{"sample":"true"}'));
    expect(string.ok && string.finding.sample).toBe(true);
  });
});

describe('finding alerts and tickets offer no break-glass exemption (exemptions do not cover findings)', () => {
  it('Slack, Jira and GitHub text of a finding never suggests driftguard exempt', () => {
    const [, raw] = findings[0] as (typeof findings)[number];
    const normalized = normalizeGuardDuty(raw);
    if (!normalized.ok) throw new Error(normalized.reason);
    const assessment = assessFinding(normalized.finding, everything);
    const report = {
      assessment,
      outcome: { status: 'alerted' as const, verified: false, results: [], summary: 'alerted' },
      latencyMs: 1,
    };
    const rendered = JSON.stringify([
      renderSlack(report),
      renderJiraDescription(report),
      renderGitHubIssue(report),
    ]);
    expect(rendered).not.toContain('exempt');
  });
});
