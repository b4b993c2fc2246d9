import {
  assess,
  type LiveFacts,
  type Lookup,
  liveFactKey,
  liveFactQueries,
  normalizeCloudTrail,
  parseConfig,
  trustZoneOf,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { type EvaluatorCase, loadCases } from '../support/cases';

const cases = loadCases();

function lookups<T, F>(
  entries: Record<string, T | null> | undefined,
  toFact: (id: string, value: T) => F,
): Map<string, Lookup<F>> {
  return new Map(
    Object.entries(entries ?? {}).map(([id, value]): [string, Lookup<F>] => [
      id,
      value === null ? { status: 'missing' } : { status: 'found', value: toFact(id, value) },
    ]),
  );
}

function factsOf(testCase: EvaluatorCase): LiveFacts | undefined {
  if (!testCase.facts) return undefined;
  return {
    securityGroups: lookups(testCase.facts.securityGroups, (groupId, group) => ({ groupId, ...group })),
    securityGroupRules: lookups(testCase.facts.securityGroupRules, (ruleId, rule) => ({ ruleId, ...rule })),
    prefixLists: lookups(testCase.facts.prefixLists, (prefixListId, list) => ({ prefixListId, ...list })),
    prefixListReferences: new Map(Object.entries(testCase.facts.prefixListReferences ?? {})),
  };
}

function run(testCase: EvaluatorCase) {
  const config = parseConfig(testCase.config ?? {});
  if (!config.ok) throw new Error(config.reason);
  const normalized = normalizeCloudTrail(testCase.event);
  if (!normalized.ok) throw new Error(normalized.reason);
  const trustZone = trustZoneOf(config.config, testCase.organization);
  const queries = liveFactQueries(normalized.change, config.config).map(
    (query) => `${query.kind}:${liveFactKey(query).split('/').at(-1)}`,
  );
  return {
    assessment: assess(normalized.change, config.config, trustZone, undefined, factsOf(testCase)),
    queries,
  };
}

describe('evaluator cases (test/fixtures/cases)', () => {
  it('has cases for every guardrail folder', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s', (_file, testCase) => {
    const { assessment, queries } = run(testCase);
    const { expected } = testCase;
    expect(assessment.status, assessment.reason).toBe(expected.verdict);
    if (expected.rule) expect(assessment.rule).toBe(expected.rule);
    if (expected.severity) expect(assessment.severity).toBe(expected.severity);
    if (expected.action) expect(assessment.action).toBe(expected.action);
    if (expected.actor) expect(assessment.event.actor).toBe(expected.actor);
    if (expected.offenses) {
      const primary = assessment.results.find((result) => result.rule === assessment.rule)?.verdict;
      expect(primary?.kind === 'violation' ? primary.offenses.map((offense) => offense.id) : []).toEqual(
        expected.offenses,
      );
    }
    if (expected.operations) {
      expect(
        assessment.operations.map(({ service, operation, input }) => ({ service, operation, input })),
      ).toEqual(expected.operations);
    }
    for (const text of expected.reasonIncludes ?? []) expect(assessment.reason).toContain(text);
    for (const text of expected.decisionIncludes ?? []) expect(assessment.decisionReason).toContain(text);
    for (const [rule, wanted] of Object.entries(expected.rules ?? {})) {
      const result = assessment.results.find((candidate) => candidate.rule === rule);
      expect(result?.verdict.kind, `${rule}: ${result?.verdict.summary}`).toBe(wanted.verdict);
      for (const text of wanted.summaryIncludes ?? []) expect(result?.verdict.summary).toContain(text);
    }
    if (expected.liveFacts) expect(queries).toEqual(expected.liveFacts);
    if (expected.snapshots) {
      expect(
        assessment.results.flatMap(({ verdict }) =>
          verdict.kind === 'not-applicable' ? [] : (verdict.snapshots ?? []).map((s) => s.resourceId),
        ),
      ).toEqual(expected.snapshots);
    }
    // Every violation explains itself in words a human can act on.
    if (assessment.status === 'violation') expect(assessment.reason.length).toBeGreaterThan(20);
  });
});
