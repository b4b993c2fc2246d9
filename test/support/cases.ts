import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One evaluator case: an event, an optional config, and what a user would see. */
export interface EvaluatorCase {
  name: string;
  event: unknown;
  config?: unknown;
  expected: {
    verdict: 'violation' | 'compliant' | 'not-applicable' | 'ignored';
    rule?: string;
    severity?: string;
    action?: string;
    actor?: string;
    /** Ids of the offending parts, in order. */
    offenses?: string[];
    /** `{service, operation, input}` of each planned operation, in order. */
    operations?: unknown[];
    /** Substrings the explanation must contain. */
    reasonIncludes?: string[];
  };
}

export const CASES_DIR = new URL('../fixtures/cases/', import.meta.url).pathname;

/** Every case file under test/fixtures/cases/<rule>/, as [rule/file, case]. */
export function loadCases(): [string, EvaluatorCase][] {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(join(CASES_DIR, dir.name))
        .filter((file) => file.endsWith('.json'))
        .sort()
        .map((file): [string, EvaluatorCase] => [
          `${dir.name}/${file}`,
          JSON.parse(readFileSync(join(CASES_DIR, dir.name, file), 'utf8')) as EvaluatorCase,
        ]),
    );
}
