import type { Report } from '../outcome';
import { oneLine, withoutBidi } from './escape';

export interface SnsNotification {
  subject: string;
  /** Readable JSON: the same content as the Slack message, for machines. */
  message: string;
  /** String attributes subscribers can filter on (rule, severity, account, action, outcome). */
  attributes: Record<string, string>;
}

/** SNS refuses a subject of 100 characters or more (InvalidParameter): the whole publish fails. */
export const SNS_SUBJECT_MAX = 99;
const CUT = '...';

/**
 * SNS subjects must be printable ASCII on one line: bidi and control characters go first (a
 * newline becomes a space, a bidi control disappears rather than turning into a visible mark), then
 * anything else outside ASCII becomes '?'.
 */
function subjectSafe(text: string): string {
  return oneLine(text).replace(/[^\x20-\x7e]/g, '?');
}

/**
 * The subject with an untrusted `middle` (a finding type) cut, never the fixed parts: whatever
 * the type, the severity, the account and the outcome stay readable and the subject stays under
 * SNS's limit.
 */
function fittedSubject(head: string, middle: string, tail: string): string {
  const [safeHead, safeMiddle, safeTail] = [head, middle, tail].map(subjectSafe) as [string, string, string];
  const room = SNS_SUBJECT_MAX - safeHead.length - safeTail.length;
  const fitted =
    safeMiddle.length <= room ? safeMiddle : `${safeMiddle.slice(0, Math.max(0, room - CUT.length))}${CUT}`;
  return `${safeHead}${fitted}${safeTail}`.slice(0, SNS_SUBJECT_MAX);
}

export function renderSns(report: Report): SnsNotification {
  const { assessment, outcome } = report;
  const violation = assessment.results.find((result) => result.verdict.kind === 'violation')?.verdict;
  const severity = assessment.severity ?? 'low';
  const rule = assessment.rule ?? 'none';
  const body = {
    rule,
    title: assessment.title,
    severity,
    status: assessment.status,
    action: assessment.action,
    outcome: outcome.status,
    verified: outcome.verified,
    summary: outcome.summary,
    decision: assessment.decisionReason,
    reason: assessment.reason,
    event: assessment.event,
    // Findings: type, affected resource and remote actor as the Slack alert shows them.
    ...(assessment.finding ? { finding: assessment.finding } : {}),
    resource: violation?.kind === 'violation' ? violation.resource : undefined,
    offenses: violation?.kind === 'violation' ? violation.offenses : [],
    operations: outcome.results.length > 0 ? outcome.results : assessment.operations,
    ...(report.latencyMs !== undefined ? { latencyMs: report.latencyMs } : {}),
    ...(report.tickets && report.tickets.length > 0 ? { tickets: report.tickets } : {}),
  };
  const head = `[driftguard] ${severity.toUpperCase()} `;
  const tail = ` in ${assessment.event.account}: ${outcome.status}`;
  return {
    // A finding is named by its type (what happened), a change by its guardrail.
    subject: assessment.finding
      ? fittedSubject(`${head}GuardDuty `, assessment.finding.type, tail)
      : fittedSubject(head, rule, tail),
    // Subscribers render it anywhere (email, chat): bidi controls in untrusted values are stripped.
    message: JSON.stringify(withoutBidi(body), null, 2),
    attributes: {
      rule,
      severity,
      account: assessment.event.account,
      action: assessment.action,
      outcome: outcome.status,
    },
  };
}
