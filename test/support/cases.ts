import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One evaluator case: an event, an optional config, and what a user would see. */
export interface EvaluatorCase {
  name: string;
  event: unknown;
  config?: unknown;
  /** The organization as Organizations would report it (default: none; config still applies). */
  organization?: { organizationId?: string; accounts: string[] };
  /**
   * Live reads the pipeline would have made before evaluating (see core live-facts.ts); `null`
   * means the resource no longer exists. Absent: no live read was possible (like replay).
   */
  facts?: {
    securityGroups?: Record<string, { groupName: string; vpcId?: string } | null>;
    securityGroupRules?: Record<string, { groupId: string; isEgress: boolean } | null>;
    /** By prefix-list id: owner (`AWS` for AWS-managed), name, version and entries' CIDRs. */
    prefixLists?: Record<
      string,
      { ownerId: string; name?: string; version?: number; cidrs: string[] } | null
    >;
    /** By prefix-list id: the ingress rules that reference it. */
    prefixListReferences?: Record<
      string,
      { groupId: string; ruleId: string; protocol: string; fromPort?: number; toPort?: number }[]
    >;
  };
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
    /** Substrings the decision's reason must contain (why revert, alert, …). */
    decisionIncludes?: string[];
    /** Per guardrail that watched the event: its own verdict and words of its summary. */
    rules?: Record<string, { verdict: string; summaryIncludes?: string[] }>;
    /** Live reads the guardrails ask for, as `kind:id` (e.g. `security-group:sg-…`). */
    liveFacts?: string[];
    /** Resource ids of the last-known-good snapshots the verdicts emit, in order. */
    snapshots?: string[];
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
