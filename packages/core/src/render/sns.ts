import type { Report } from '../outcome';
import { withoutBidi } from './escape';

export interface SnsNotification {
  subject: string;
  /** Readable JSON: the same content as the Slack message, for machines. */
  message: string;
  /** String attributes subscribers can filter on (rule, severity, account, action, outcome). */
  attributes: Record<string, string>;
}

/** SNS subjects must be ASCII, without line breaks, under 100 characters. */
function subjectSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 99);
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
  return {
    subject: subjectSafe(
      `[driftguard] ${severity.toUpperCase()} ${rule} in ${assessment.event.account}: ${outcome.status}`,
    ),
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
