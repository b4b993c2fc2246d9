import type { Report } from '../outcome';
import { accountLabel } from '../trust-zone';
import type { Severity } from '../verdict';
import { oneLine, slackCode, slackEscape, slackLabel, slackLines, slackUrl, truncate } from './escape';
import { sourceLink } from './links';
import { shownActor, shownResource } from './subject';

// Slack's documented limits: 50 blocks per message, 3000 characters per section text,
// 2000 per field, 10 fields per section, 150 per header.
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const HEADER_MAX = 150;
const BLOCKS_MAX = 50;

const SEVERITY_EMOJI: Record<Severity, string> = {
  low: ':large_blue_circle:',
  medium: ':large_yellow_circle:',
  high: ':large_orange_circle:',
  critical: ':red_circle:',
};

type Text = { type: 'mrkdwn' | 'plain_text'; text: string };
export type SlackBlock =
  | { type: 'header'; text: Text }
  | { type: 'section'; text?: Text; fields?: Text[] }
  | { type: 'context'; elements: Text[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Fallback text for notifications and clients without blocks. */
  text: string;
  blocks: SlackBlock[];
}

/** Whole lines up to `max`: a section is never cut inside a code span or link (see slackLines). */
const mrkdwn = (lines: readonly string[], max = SECTION_MAX): Text => ({
  type: 'mrkdwn',
  text: slackLines(lines, max),
});
const field = (label: string, value: string | undefined): Text =>
  mrkdwn([`*${label}*`, value === undefined ? '—' : slackCode(value)], FIELD_MAX);

/**
 * Block Kit message for one decided event. Every untrusted value is code-spanned and escaped by
 * `slackCode`, which cuts it to length before escaping; sections keep or drop whole lines. The
 * outcome and the decision are sentences that quote untrusted values (actors of a circuit-breaker
 * fight, the infrastructure-as-code role, an exemption's reason), so each is one code span too.
 */
export function renderSlack(report: Report): SlackMessage {
  const { assessment, outcome } = report;
  const { event } = assessment;
  const severity = assessment.severity ?? 'low';
  const title = assessment.title ?? assessment.rule ?? 'driftguard';
  const violation = assessment.results.find((result) => result.verdict.kind === 'violation')?.verdict;
  const resource = violation && violation.kind === 'violation' ? violation.resource : undefined;
  const offenses = violation && violation.kind === 'violation' ? violation.offenses : [];

  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(oneLine(`${severity.toUpperCase()} · ${title}`), HEADER_MAX),
      },
    },
    {
      type: 'section',
      fields: [
        field('Account', accountLabel(event)),
        field('Region', event.region),
        field('Resource', shownResource(assessment, resource)),
        field('Change', `${event.eventSource} ${event.eventName}`),
        field('Actor', shownActor(assessment)),
        field('Source IP', event.sourceIp),
        field('User agent', event.userAgent),
        field('Rule', assessment.rule),
      ],
    },
  ];
  if (offenses.length > 0) {
    const lines = offenses.map(
      (offense) => `• ${SEVERITY_EMOJI[offense.severity]} ${slackCode(offense.reason, 500)}`,
    );
    blocks.push({ type: 'section', text: mrkdwn(['*What changed*', ...lines]) });
  }
  blocks.push({
    type: 'section',
    text: mrkdwn([
      '*What driftguard did*',
      slackCode(outcome.summary, 1000),
      `_Decision:_ ${slackCode(assessment.decisionReason, 1000)}`,
    ]),
  });
  if (report.tickets && report.tickets.length > 0) {
    const links = report.tickets.map((ticket) => {
      const label = slackLabel(`${ticket.id} (${ticket.channel}, ${ticket.action})`, 200);
      return ticket.url ? `<${slackUrl(ticket.url)}|${label}>` : label;
    });
    blocks.push({ type: 'section', text: mrkdwn(['*Ticket*', links.join(' · ')]) });
  }
  const source = sourceLink(assessment);
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn([
        `<${source.url}|${source.noun === 'event' ? 'Event' : 'Finding'} ${slackLabel(event.eventId)} in ${source.service}>` +
          // Break-glass exemptions let a named person make a change; they do not apply to findings.
          (assessment.finding
            ? ''
            : ' · Need this change? Ask for a break-glass exemption: `driftguard exempt request` (approved by a second person).'),
      ]),
    ],
  });
  const fallback = `${severity.toUpperCase()} ${title} in ${event.account}/${event.region}: ${outcome.summary}`;
  return { text: slackEscape(oneLine(truncate(fallback, SECTION_MAX))), blocks: blocks.slice(0, BLOCKS_MAX) };
}
