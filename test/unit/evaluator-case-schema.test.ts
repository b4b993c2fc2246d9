import { describe, expect, it } from 'vitest';
import { loadCases, parseCase } from '../support/cases';

const valid = {
  name: 'ssh open to the world',
  event: { detail: {} },
  expected: { verdict: 'violation', rule: 'sg-open-ingress', severity: 'critical', offenses: ['sgr-1'] },
};

describe('evaluator case files', () => {
  it('every case file under test/fixtures/cases passes the schema the tests read them with', () => {
    expect(loadCases().length).toBeGreaterThan(0);
  });

  it('accepts a well-formed case', () => {
    expect(parseCase('sg-open-ingress/ok.json', JSON.stringify(valid)).expected.offenses).toEqual(['sgr-1']);
  });

  it.each([
    [
      'a misspelt expectation',
      { ...valid, expected: { ...valid.expected, offences: ['sgr-1'] } },
      'Unrecognized key: "offences"',
    ],
    ['a misspelt top-level key', { ...valid, fact: {} }, 'Unrecognized key: "fact"'],
    [
      'a verdict that does not exist',
      { ...valid, expected: { ...valid.expected, verdict: 'violated' } },
      'expected.verdict',
    ],
    [
      'a severity typo',
      { ...valid, expected: { ...valid.expected, severity: 'critcal' } },
      'expected.severity',
    ],
    [
      'a fact of the wrong shape',
      { ...valid, facts: { securityGroups: { 'sg-1': { name: 'x' } } } },
      'facts.securityGroups',
    ],
  ])('rejects %s, naming the file and the field', (_what, raw, message) => {
    expect(() => parseCase('sg-open-ingress/broken.json', JSON.stringify(raw))).toThrow(
      /evaluator case sg-open-ingress\/broken\.json is invalid/,
    );
    expect(() => parseCase('sg-open-ingress/broken.json', JSON.stringify(raw))).toThrow(message);
  });

  it('rejects a file that is not JSON', () => {
    expect(() => parseCase('x/y.json', '{"name": ')).toThrow(/evaluator case x\/y\.json is not JSON/);
  });
});
