import type { Assessment } from './assess';
import { describeExemption } from './exemption';
import type { OperationResult } from './operations';
import type { TicketLink } from './render/ticket';

export type OutcomeStatus =
  | 'reverted'
  | 'already-compliant'
  | 'revert-failed'
  | 'shadow'
  | 'alerted'
  /** Covered by a break-glass exemption: alerted, not reverted (the decision's action is `alert`). */
  | 'exempted'
  | 'ticketed'
  | 'compliant'
  | 'ignored'
  | 'not-applicable'
  | 'off'
  /** An older event about a document a newer event already set: not acted on (see ordering.ts). */
  | 'superseded';

/** What actually happened after the decision, as verified by re-reading live state. */
export interface Outcome {
  status: OutcomeStatus;
  verified: boolean;
  /** One line for humans: "reverted and verified", "revert failed: …", "shadow: would have reverted". */
  summary: string;
  results: OperationResult[];
}

/** A decided and executed event: what alerts render and the audit trail records. */
export interface Report {
  assessment: Assessment;
  outcome: Outcome;
  /** Milliseconds from the event's time to the verified outcome, when measured. */
  latencyMs?: number;
  /** Tickets this event opened or commented on (set before alerts are rendered, so they link to them). */
  tickets?: TicketLink[];
}

/** The outcome of a decision that executes nothing (alert, ticket, shadow, no violation). */
export function outcomeWithoutExecution(assessment: Assessment): Outcome {
  const none = { verified: false, results: [] };
  if (assessment.status === 'ignored') return { ...none, status: 'ignored', summary: assessment.reason };
  if (assessment.status === 'not-applicable')
    return { ...none, status: 'not-applicable', summary: assessment.reason };
  if (assessment.status === 'compliant')
    return { ...none, status: 'compliant', summary: 'compliant: nothing to do' };
  switch (assessment.action) {
    case 'shadow':
      return {
        ...none,
        status: 'shadow',
        summary:
          (assessment.wouldBe ?? 'revert') === 'revert'
            ? `shadow: would have reverted (${assessment.operations.length} operation(s)), changed nothing`
            : `shadow: would have decided ${assessment.wouldBe} (${assessment.decisionReason}), changed nothing`,
      };
    case 'ticket':
      if (assessment.breaker) {
        const { breaker } = assessment;
        return {
          ...none,
          status: 'ticketed',
          summary: `circuit breaker open: ${breaker.revertsInWindow} revert(s) within ${breaker.window}, a fight with ${breaker.actors.join(', ') || 'unknown actors'}; not reverted, ticket requested`,
        };
      }
      return { ...none, status: 'ticketed', summary: 'ticket requested, not reverted' };
    case 'alert':
      if (assessment.exemption)
        return {
          ...none,
          status: 'exempted',
          summary: `${describeExemption(assessment.exemption)}; alerted, not reverted`,
        };
      return { ...none, status: 'alerted', summary: 'alerted, not reverted' };
    case 'none':
      return { ...none, status: 'off', summary: `not acted on: ${assessment.decisionReason}` };
    case 'revert':
      return { ...none, status: 'revert-failed', summary: 'revert failed: nothing was executed' };
  }
}

/** Folds the executor's per-operation results into one verified outcome. */
export function outcomeFromResults(results: OperationResult[]): Outcome {
  const failed = results.filter((result) => result.status === 'failed');
  if (failed.length > 0) {
    return {
      status: 'revert-failed',
      verified: false,
      summary: `revert failed: ${failed.map((result) => result.detail).join('; ')}`,
      results,
    };
  }
  if (results.length > 0 && results.every((result) => result.status === 'already-compliant')) {
    return {
      status: 'already-compliant',
      verified: true,
      summary: 'already compliant: nothing left to revert',
      results,
    };
  }
  const changed = results.flatMap((result) => result.changed ?? []);
  return {
    status: 'reverted',
    verified: results.every((result) => result.verified),
    summary: `reverted and verified${changed.length > 0 ? ` (${changed.join(', ')})` : ''}`,
    results,
  };
}
