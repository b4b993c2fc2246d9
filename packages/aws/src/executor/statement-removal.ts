import {
  matchStatements,
  type Operation,
  type OperationResult,
  type PolicyDocument,
  type PolicyStatementRef,
  parsePolicy,
  policyWithStatements,
  type Statement,
  statementLabel,
} from '@driftguard/core';
import { alreadyCompliant, applied, failed } from './results';

/** One read of a live policy: its text, or why there is none (no policy, resource gone). */
export type PolicyRead = { state: 'present'; text: string } | { state: 'absent'; why: string };

/** The plan's statements in a policy that still offend (judged with the operation's trust zone). */
export type Offends = (policy: PolicyDocument) => Statement[];

/** The live policy and the statements of the plan still in it and still offending, or the answer already. */
export type LiveOffenders =
  | { found: true; policy: PolicyDocument; still: Statement[]; offends: Offends }
  | { found: false; result: OperationResult };

/**
 * The plan's statements (`refs`) found again in `policy` that its fresh analysis (one verdict per
 * statement, by index) still marks offending.
 */
export function stillOffending(
  policy: PolicyDocument,
  refs: readonly PolicyStatementRef[],
  verdicts: readonly ({ offending: boolean } | undefined)[],
): Statement[] {
  return matchStatements(policy.statements, refs).filter(
    (statement) => verdicts[statement.index]?.offending === true,
  );
}

/**
 * The first "verify" of a statement revert: from the live policy, the statements `judge` still
 * finds offending. No policy, an unreadable one, or none still offending is the answer. `judge` is
 * only called once there is a policy to judge (building it may read the organization).
 */
export async function findLiveOffenders(
  operation: Operation,
  where: string,
  live: PolicyRead,
  judge: () => Promise<Offends>,
): Promise<LiveOffenders> {
  if (live.state === 'absent') return { found: false, result: alreadyCompliant(operation, live.why) };
  const parsed = parsePolicy(live.text);
  if (!parsed.ok) {
    return {
      found: false,
      result: failed(operation, `live policy of ${where} unreadable: ${parsed.reason}`),
    };
  }
  const offends = await judge();
  const still = offends(parsed.policy);
  if (still.length === 0) {
    return {
      found: false,
      result: alreadyCompliant(
        operation,
        `none of the offending statements is still in the policy of ${where}`,
      ),
    };
  }
  return { found: true, policy: parsed.policy, still, offends };
}

/**
 * "act → verify" of a statement revert: write the policy without `still` (`write(undefined)` when
 * nothing would remain, so the service deletes it), then read it back and prove that no offending
 * statement is left and exactly the kept ones are there.
 */
export async function removeStatementsAndVerify(
  { policy, still, offends }: Extract<LiveOffenders, { found: true }>,
  io: {
    operation: Operation;
    where: string;
    write: (text: string | undefined) => Promise<unknown>;
    read: () => Promise<PolicyRead>;
  },
): Promise<OperationResult> {
  const { operation, where, write, read } = io;
  const labels = still.map((statement) => statementLabel(statement));
  const keep = policy.statements.filter((statement) => !still.includes(statement));
  await write(keep.length === 0 ? undefined : JSON.stringify(policyWithStatements(policy, keep)));
  const after = await read();
  const afterParsed = after.state === 'present' ? parsePolicy(after.text) : undefined;
  if (afterParsed && !afterParsed.ok) return failed(operation, `re-read policy of ${where} is unreadable`);
  const remaining = afterParsed?.ok ? offends(afterParsed.policy) : [];
  if (remaining.length > 0) {
    return failed(
      operation,
      `re-read of ${where} still shows ${remaining.map((statement) => statementLabel(statement)).join(', ')}`,
    );
  }
  const kept = afterParsed?.ok ? afterParsed.policy.statements.length : 0;
  if (kept !== keep.length) {
    return failed(
      operation,
      `re-read of ${where} shows ${kept} statement(s), expected the ${keep.length} compliant one(s)`,
    );
  }
  return applied(
    operation,
    keep.length === 0
      ? `deleted the policy of ${where} (every statement offended: ${labels.join(', ')})`
      : `removed ${labels.join(', ')} from the policy of ${where}; ${keep.length} statement(s) kept`,
    labels.map((label) => `${where} ${label}`),
  );
}
