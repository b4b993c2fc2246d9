import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeParseWithMessages } from '@driftguard/core';
import * as z from 'zod/mini';

/**
 * One evaluator case: an event, an optional config, and what a user would see. Strict at every
 * level the tests read: a misspelt key (`"offences"`, `"severty"`) would otherwise make an
 * expectation silently absent, and the case would pass without checking it.
 */
const prefixListFact = z.strictObject({
  ownerId: z.string(),
  name: z.optional(z.string()),
  version: z.optional(z.number()),
  cidrs: z.array(z.string()),
});
const prefixListReference = z.union([
  z.strictObject({
    groupId: z.string(),
    ruleId: z.string(),
    protocol: z.string(),
    fromPort: z.optional(z.number()),
    toPort: z.optional(z.number()),
    /** Another account's rule (a list shared through AWS RAM). */
    account: z.optional(z.string()),
  }),
  /** Another account's group whose rules could not be read. */
  z.strictObject({ groupId: z.string(), account: z.string(), unreadable: z.string() }),
]);

export const evaluatorCaseSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  /** Where the event's shape comes from (a real record, documentation), for a reader. */
  source: z.optional(z.string()),
  event: z.unknown(),
  config: z.optional(z.unknown()),
  /** The organization as Organizations would report it (default: none; config still applies). */
  organization: z.optional(
    z.strictObject({ organizationId: z.optional(z.string()), accounts: z.array(z.string()) }),
  ),
  /**
   * Live reads the pipeline would have made before evaluating (see core live-facts.ts); `null`
   * means the resource no longer exists. Absent: no live read was possible (like replay).
   */
  facts: z.optional(
    z.strictObject({
      securityGroups: z.optional(
        z.record(
          z.string(),
          z.nullable(z.strictObject({ groupName: z.string(), vpcId: z.optional(z.string()) })),
        ),
      ),
      securityGroupRules: z.optional(
        z.record(z.string(), z.nullable(z.strictObject({ groupId: z.string(), isEgress: z.boolean() }))),
      ),
      /** By prefix-list id: owner (`AWS` for AWS-managed), name, version and entries' CIDRs. */
      prefixLists: z.optional(z.record(z.string(), z.nullable(prefixListFact))),
      /** By prefix-list id: the ingress rules that reference it. */
      prefixListReferences: z.optional(z.record(z.string(), z.array(prefixListReference))),
    }),
  ),
  expected: z.strictObject({
    verdict: z.enum(['violation', 'compliant', 'not-applicable', 'ignored']),
    rule: z.optional(z.string()),
    severity: z.optional(z.enum(['low', 'medium', 'high', 'critical'])),
    action: z.optional(z.enum(['revert', 'alert', 'ticket', 'shadow', 'none'])),
    actor: z.optional(z.string()),
    /** Ids of the offending parts, in order. */
    offenses: z.optional(z.array(z.string())),
    /** `{service, operation, input}` of each planned operation, in order. */
    operations: z.optional(z.array(z.unknown())),
    /** Substrings the explanation must contain. */
    reasonIncludes: z.optional(z.array(z.string())),
    /** Substrings the decision's reason must contain (why revert, alert, …). */
    decisionIncludes: z.optional(z.array(z.string())),
    /** Per guardrail that watched the event: its own verdict and words of its summary. */
    rules: z.optional(
      z.record(
        z.string(),
        z.strictObject({ verdict: z.string(), summaryIncludes: z.optional(z.array(z.string())) }),
      ),
    ),
    /** Live reads the guardrails ask for, as `kind:id` (e.g. `security-group:sg-…`). */
    liveFacts: z.optional(z.array(z.string())),
    /** Resource ids of the last-known-good snapshots the verdicts emit, in order. */
    snapshots: z.optional(z.array(z.string())),
  }),
});

export type EvaluatorCase = z.infer<typeof evaluatorCaseSchema>;

/** A case file's content, checked against the schema; the error names the file and what is wrong. */
export function parseCase(file: string, text: string): EvaluatorCase {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`evaluator case ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = safeParseWithMessages(evaluatorCaseSchema, raw);
  if (!parsed.success)
    throw new Error(`evaluator case ${file} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
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
          parseCase(`${dir.name}/${file}`, readFileSync(join(CASES_DIR, dir.name, file), 'utf8')),
        ]),
    );
}
