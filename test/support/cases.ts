import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

/**
 * One evaluator case: an event, an optional config, and what a user would see. Strict at every
 * level the tests read: a misspelt key (`"offences"`, `"severty"`) would otherwise make an
 * expectation silently absent, and the case would pass without checking it.
 */
const prefixListFact = z.strictObject({
  ownerId: z.string(),
  name: z.string().optional(),
  version: z.number().optional(),
  cidrs: z.array(z.string()),
});
const prefixListReference = z.union([
  z.strictObject({
    groupId: z.string(),
    ruleId: z.string(),
    protocol: z.string(),
    fromPort: z.number().optional(),
    toPort: z.number().optional(),
    /** Another account's rule (a list shared through AWS RAM). */
    account: z.string().optional(),
  }),
  /** Another account's group whose rules could not be read. */
  z.strictObject({ groupId: z.string(), account: z.string(), unreadable: z.string() }),
]);

export const evaluatorCaseSchema = z.strictObject({
  name: z.string().min(1),
  /** Where the event's shape comes from (a real record, documentation), for a reader. */
  source: z.string().optional(),
  event: z.unknown(),
  config: z.unknown().optional(),
  /** The organization as Organizations would report it (default: none; config still applies). */
  organization: z
    .strictObject({ organizationId: z.string().optional(), accounts: z.array(z.string()) })
    .optional(),
  /**
   * Live reads the pipeline would have made before evaluating (see core live-facts.ts); `null`
   * means the resource no longer exists. Absent: no live read was possible (like replay).
   */
  facts: z
    .strictObject({
      securityGroups: z
        .record(
          z.string(),
          z.strictObject({ groupName: z.string(), vpcId: z.string().optional() }).nullable(),
        )
        .optional(),
      securityGroupRules: z
        .record(z.string(), z.strictObject({ groupId: z.string(), isEgress: z.boolean() }).nullable())
        .optional(),
      /** By prefix-list id: owner (`AWS` for AWS-managed), name, version and entries' CIDRs. */
      prefixLists: z.record(z.string(), prefixListFact.nullable()).optional(),
      /** By prefix-list id: the ingress rules that reference it. */
      prefixListReferences: z.record(z.string(), z.array(prefixListReference)).optional(),
    })
    .optional(),
  expected: z.strictObject({
    verdict: z.enum(['violation', 'compliant', 'not-applicable', 'ignored']),
    rule: z.string().optional(),
    severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
    action: z.enum(['revert', 'alert', 'ticket', 'shadow', 'none']).optional(),
    actor: z.string().optional(),
    /** Ids of the offending parts, in order. */
    offenses: z.array(z.string()).optional(),
    /** `{service, operation, input}` of each planned operation, in order. */
    operations: z.array(z.unknown()).optional(),
    /** Substrings the explanation must contain. */
    reasonIncludes: z.array(z.string()).optional(),
    /** Substrings the decision's reason must contain (why revert, alert, …). */
    decisionIncludes: z.array(z.string()).optional(),
    /** Per guardrail that watched the event: its own verdict and words of its summary. */
    rules: z
      .record(
        z.string(),
        z.strictObject({ verdict: z.string(), summaryIncludes: z.array(z.string()).optional() }),
      )
      .optional(),
    /** Live reads the guardrails ask for, as `kind:id` (e.g. `security-group:sg-…`). */
    liveFacts: z.array(z.string()).optional(),
    /** Resource ids of the last-known-good snapshots the verdicts emit, in order. */
    snapshots: z.array(z.string()).optional(),
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
  const parsed = evaluatorCaseSchema.safeParse(raw);
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
