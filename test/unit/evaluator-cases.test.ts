import { assess, normalizeCloudTrail, parseConfig } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { type EvaluatorCase, loadCases } from '../support/cases';

const cases = loadCases();

function run(testCase: EvaluatorCase) {
  const config = parseConfig(testCase.config ?? {});
  if (!config.ok) throw new Error(config.reason);
  const normalized = normalizeCloudTrail(testCase.event);
  if (!normalized.ok) throw new Error(normalized.reason);
  return assess(normalized.change, config.config);
}

describe('evaluator cases (test/fixtures/cases)', () => {
  it('has cases for every guardrail folder', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s', (_file, testCase) => {
    const assessment = run(testCase);
    const { expected } = testCase;
    expect(assessment.status, assessment.reason).toBe(expected.verdict);
    if (expected.rule) expect(assessment.rule).toBe(expected.rule);
    if (expected.severity) expect(assessment.severity).toBe(expected.severity);
    if (expected.action) expect(assessment.action).toBe(expected.action);
    if (expected.actor) expect(assessment.event.actor).toBe(expected.actor);
    if (expected.offenses) {
      const primary = assessment.results.find((result) => result.rule === assessment.rule)?.verdict;
      expect(primary?.kind === 'violation' ? primary.offenses.map((offense) => offense.id) : []).toEqual(expected.offenses);
    }
    if (expected.operations) {
      expect(assessment.operations.map(({ service, operation, input }) => ({ service, operation, input }))).toEqual(
        expected.operations,
      );
    }
    for (const text of expected.reasonIncludes ?? []) expect(assessment.reason).toContain(text);
    // Every violation explains itself in words a human can act on.
    if (assessment.status === 'violation') expect(assessment.reason.length).toBeGreaterThan(20);
  });
});
