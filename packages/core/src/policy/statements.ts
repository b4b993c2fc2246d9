import type { PolicyStatementRef } from '../operations';
import type { StatementAnalysis } from './analyze';
import { type PolicyDocument, policyWithStatements, type Statement, statementFingerprint } from './document';

/** How a verdict names a statement: its index, and its Sid when it has one. */
export function statementLabel(statement: Pick<StatementAnalysis, 'index' | 'sid'>): string {
  return statement.sid ? `Statement[${statement.index}] "${statement.sid}"` : `Statement[${statement.index}]`;
}

/** What a revert carries to find the statement again in the live policy (see `matchStatements`). */
export function statementRef(statement: Statement): PolicyStatementRef {
  // Keys assigned in order (operations are output): spreading the optional Sid into a literal
  // takes V8's slow path on Node 20, and every offending statement gets a ref.
  const ref: Partial<PolicyStatementRef> = { index: statement.index };
  if (statement.sid) ref.sid = statement.sid;
  ref.fingerprint = statementFingerprint(statement.source);
  return ref as PolicyStatementRef;
}

/**
 * The statements of a (live) policy that the refs point at: same canonical content, else the same
 * Sid. Each statement matches at most one ref.
 */
export function matchStatements(
  statements: readonly Statement[],
  refs: readonly PolicyStatementRef[],
): Statement[] {
  const matched = new Set<Statement>();
  for (const ref of refs) {
    const free = statements.filter((statement) => !matched.has(statement));
    const found =
      free.find((statement) => statementFingerprint(statement.source) === ref.fingerprint) ??
      (ref.sid ? free.find((statement) => statement.sid === ref.sid) : undefined);
    if (found) matched.add(found);
  }
  return statements.filter((statement) => matched.has(statement));
}

/** The document left once `remove` is taken out, or undefined when no statement remains. */
export function policyWithout(
  policy: PolicyDocument,
  remove: readonly Statement[],
): PolicyDocument | undefined {
  const keep = policy.statements.filter((statement) => !remove.includes(statement));
  if (keep.length === 0) return undefined;
  return { ...policy, statements: keep, source: policyWithStatements(policy, keep) };
}
