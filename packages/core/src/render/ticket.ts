import type { Report } from '../outcome';
import { GUARDDUTY_RULE_ID } from '../rules/guardduty-finding';
import { accountLabel } from '../trust-zone';
import type { Offense, ResourceRef } from '../verdict';
import { oneLine, truncate, withoutBidi } from './escape';
import { sourceLink } from './links';
import { shownActor, shownResource } from './subject';

/**
 * Ticket bodies for Jira (Atlassian Document Format), GitHub (markdown) and the generic webhook
 * (JSON). Untrusted text (actor, user agent, resource names, AWS error messages) is never parsed as
 * markup: in ADF it is a text node with a `code` mark (Jira renders text nodes literally), in
 * GitHub markdown it is an inline code span with backticks replaced, one line, truncated — inside
 * a code span `@mentions`, `#refs`, links, images and HTML are inert.
 */

/** A ticket an event opened or commented on; alerts link to it. */
export interface TicketLink {
  channel: string;
  /** Jira issue key (SEC-12), GitHub issue number (#7), or the webhook receiver's id. */
  id: string;
  url?: string;
  action: 'opened' | 'commented';
}

/** One ticket per (rule, resource): the identity a repeat violation is matched on. */
export interface TicketKey {
  rule: string;
  resource: string;
}

const VALUE_MAX = 1_000;
const OFFENSES_MAX = 50;

function primaryViolation(report: Report): { resource: ResourceRef; offenses: Offense[] } | undefined {
  const verdict = report.assessment.results.find((result) => result.verdict.kind === 'violation')?.verdict;
  return verdict?.kind === 'violation'
    ? { resource: verdict.resource, offenses: verdict.offenses }
    : undefined;
}

/**
 * A GuardDuty finding that was archived after driftguard saw it: not acted on, but the ticket its
 * earlier versions opened is told (a person closes it; trackers' workflows differ).
 */
export function archivedFinding(report: Report): boolean {
  return report.assessment.finding?.archived === true;
}

/**
 * The (rule, resource) identity of a violation; undefined when the event is not a violation. An
 * archived finding keys on the finding, as its earlier versions did (findingResourceRef).
 */
export function ticketKey(report: Report): TicketKey | undefined {
  const { assessment } = report;
  const { account, region } = assessment.event;
  const { finding } = assessment;
  if (finding && archivedFinding(report))
    return { rule: GUARDDUTY_RULE_ID, resource: finding.arn ?? `${account}/${region}/${finding.id}` };
  const violation = primaryViolation(report);
  if (!assessment.rule || !violation) return undefined;
  const { resource } = violation;
  return { rule: assessment.rule, resource: resource.arn ?? `${account}/${region}/${resource.id}` };
}

/** A stable title: a repeat violation of the same resource reads the same. Plain text, one line. */
export function ticketTitle(report: Report): string {
  const { assessment } = report;
  const { account, region } = assessment.event;
  const severity = (assessment.severity ?? 'low').toUpperCase();
  const { finding } = assessment;
  // A finding's title names its type and the affected resource (an archived one reads the same:
  // both come from the finding). Older contexts without a resource fall back to the finding id.
  if (finding)
    return truncate(
      oneLine(
        `[driftguard] ${severity} ${finding.type} on ${finding.resource ?? finding.id} in ${account}/${region}`,
      ),
      250,
    );
  const resource = primaryViolation(report)?.resource.id ?? 'unknown resource';
  return truncate(
    oneLine(
      `[driftguard] ${severity} ${assessment.title ?? assessment.rule ?? 'violation'}: ${resource} in ${account}/${region}`,
    ),
    250,
  );
}

/** Label / value pairs shown in every ticket body; every value is untrusted. */
function facts(report: Report): [string, string | undefined][] {
  const { assessment } = report;
  const { event } = assessment;
  const resource = primaryViolation(report)?.resource;
  return [
    ['Rule', assessment.rule],
    ['Severity', assessment.severity],
    ['Account', accountLabel(event)],
    ['Region', event.region],
    [
      'Resource',
      assessment.finding
        ? shownResource(assessment, resource)
        : resource && `${resource.type} ${resource.id}`,
    ],
    ['Change', `${event.eventSource} ${event.eventName}`],
    ['Actor', shownActor(assessment)],
    ['Source IP', event.sourceIp],
    ['User agent', event.userAgent],
    ['Event', `${event.eventId} at ${event.eventTime}`],
  ];
}

const ARCHIVED_HELP =
  'driftguard takes no further action on this finding and closes no ticket: close this one once the archive is confirmed.';

const EXEMPTION_HELP =
  'Need this change? Ask for a break-glass exemption: driftguard exempt request (approved by a second person).';

// ---------------------------------------------------------------------------------------------
// Jira: Atlassian Document Format

export type AdfMark = { type: 'strong' } | { type: 'code' } | { type: 'link'; attrs: { href: string } };
export type AdfInline = { type: 'text'; text: string; marks?: AdfMark[] };
export type AdfBlock =
  | { type: 'paragraph'; content: AdfInline[] }
  | { type: 'heading'; attrs: { level: number }; content: AdfInline[] }
  | { type: 'bulletList'; content: { type: 'listItem'; content: AdfBlock[] }[] };
export interface AdfDocument {
  version: 1;
  type: 'doc';
  content: AdfBlock[];
}

/** ADF text nodes must not be empty. */
const text = (value: string, marks?: AdfMark[]): AdfInline => ({
  type: 'text',
  text: value.length > 0 ? value : ' ',
  ...(marks ? { marks } : {}),
});
const code = (value: string | undefined, max = VALUE_MAX): AdfInline =>
  value === undefined ? text('—') : text(truncate(oneLine(value), max), [{ type: 'code' }]);
const paragraph = (...content: AdfInline[]): AdfBlock => ({ type: 'paragraph', content });
const heading = (value: string): AdfBlock => ({
  type: 'heading',
  attrs: { level: 3 },
  content: [text(value)],
});
const bullets = (items: AdfInline[][]): AdfBlock => ({
  type: 'bulletList',
  content: items.map((content) => ({ type: 'listItem', content: [paragraph(...content)] })),
});

function adfOffenses(offenses: Offense[]): AdfBlock[] {
  if (offenses.length === 0) return [];
  const shown = offenses.slice(0, OFFENSES_MAX);
  const items = shown.map((offense) => [
    text(`${offense.severity}: `, [{ type: 'strong' }]),
    code(offense.reason),
  ]);
  if (offenses.length > shown.length) items.push([text(`… and ${offenses.length - shown.length} more`)]);
  return [heading('What changed'), bullets(items)];
}

function adfOutcome(report: Report): AdfInline[] {
  return [
    text('Result: ', [{ type: 'strong' }]),
    code(report.outcome.summary),
    text(` (verified: ${report.outcome.verified ? 'yes' : 'no'}). Decision: `),
    code(report.assessment.decisionReason),
  ];
}

function adfEventLink(report: Report): AdfInline {
  const source = sourceLink(report.assessment);
  return text(`Open the ${source.noun} in the ${source.service} console`, [
    { type: 'link', attrs: { href: source.url } },
  ]);
}

/** The description of a new Jira issue. */
export function renderJiraDescription(report: Report): AdfDocument {
  const violation = primaryViolation(report);
  return {
    version: 1,
    type: 'doc',
    content: [
      paragraph(
        text('driftguard detected a violation of '),
        code(report.assessment.title ?? report.assessment.rule),
      ),
      bullets(facts(report).map(([label, value]) => [text(`${label}: `, [{ type: 'strong' }]), code(value)])),
      ...adfOffenses(violation?.offenses ?? []),
      heading('What driftguard did'),
      paragraph(...adfOutcome(report)),
      paragraph(adfEventLink(report)),
      // Break-glass exemptions let a named person make a change; they do not apply to findings.
      ...(report.assessment.finding ? [] : [paragraph(text(EXEMPTION_HELP))]),
    ],
  };
}

/** A comment on the open Jira issue for a repeat violation of the same resource. */
export function renderJiraComment(report: Report): AdfDocument {
  const { event } = report.assessment;
  if (archivedFinding(report))
    return {
      version: 1,
      type: 'doc',
      content: [
        paragraph(
          text('Archived in GuardDuty: ', [{ type: 'strong' }]),
          code(event.eventName),
          text(' at '),
          code(event.eventTime),
          text(`. ${ARCHIVED_HELP}`),
        ),
        paragraph(adfEventLink(report)),
      ],
    };
  return {
    version: 1,
    type: 'doc',
    content: [
      paragraph(
        text('Repeat violation: ', [{ type: 'strong' }]),
        code(`${event.eventSource} ${event.eventName}`),
        text(' by '),
        code(shownActor(report.assessment)),
        text(' from '),
        code(event.sourceIp),
        text(' at '),
        code(event.eventTime),
      ),
      ...adfOffenses(primaryViolation(report)?.offenses ?? []),
      paragraph(...adfOutcome(report)),
      paragraph(adfEventLink(report)),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// GitHub: markdown

/** An inline code span that cannot be closed early or span lines. */
export function markdownCode(value: string | undefined, max = VALUE_MAX): string {
  if (value === undefined) return '—';
  const safe = truncate(oneLine(value), max).replace(/`/g, 'ˋ');
  return `\`${safe.trim().length > 0 ? safe : ' '}\``;
}

function markdownOffenses(offenses: Offense[]): string[] {
  if (offenses.length === 0) return [];
  const shown = offenses.slice(0, OFFENSES_MAX);
  return [
    '### What changed',
    '',
    ...shown.map((offense) => `- **${offense.severity}**: ${markdownCode(offense.reason)}`),
    ...(offenses.length > shown.length ? [`- … and ${offenses.length - shown.length} more`] : []),
    '',
  ];
}

function markdownOutcome(report: Report): string {
  return `**Result:** ${markdownCode(report.outcome.summary)} (verified: ${report.outcome.verified ? 'yes' : 'no'}). Decision: ${markdownCode(report.assessment.decisionReason)}`;
}

/** The URL is ours (components percent-encoded); `<…>` keeps `(` `)` from ending the link. */
const markdownEventLink = (report: Report) => {
  const source = sourceLink(report.assessment);
  return `[Open the ${source.noun} in the ${source.service} console](<${source.url}>)`;
};

export function renderGitHubIssue(report: Report): { title: string; body: string } {
  const violation = primaryViolation(report);
  const body = [
    `driftguard detected a violation of ${markdownCode(report.assessment.title ?? report.assessment.rule)}.`,
    '',
    ...facts(report).map(([label, value]) => `- **${label}:** ${markdownCode(value)}`),
    '',
    ...markdownOffenses(violation?.offenses ?? []),
    '### What driftguard did',
    '',
    markdownOutcome(report),
    '',
    markdownEventLink(report),
    '',
    // Break-glass exemptions let a named person make a change; they do not apply to findings.
    ...(report.assessment.finding ? [] : [`_${EXEMPTION_HELP}_`, '']),
  ].join('\n');
  return { title: ticketTitle(report), body };
}

export function renderGitHubComment(report: Report): string {
  const { event } = report.assessment;
  if (archivedFinding(report))
    return [
      `**Archived in GuardDuty:** ${markdownCode(event.eventName)} at ${markdownCode(event.eventTime)}. ${ARCHIVED_HELP}`,
      '',
      markdownEventLink(report),
      '',
    ].join('\n');
  return [
    `**Repeat violation:** ${markdownCode(`${event.eventSource} ${event.eventName}`)} by ${markdownCode(shownActor(report.assessment))} from ${markdownCode(event.sourceIp)} at ${markdownCode(event.eventTime)}`,
    '',
    ...markdownOffenses(primaryViolation(report)?.offenses ?? []),
    markdownOutcome(report),
    '',
    markdownEventLink(report),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Generic webhook: JSON (the receiver escapes for its own medium)

export interface TicketPayload {
  version: 1;
  /** `ticket.opened` for the first violation of (rule, resource), `ticket.updated` for repeats. */
  type: 'ticket.opened' | 'ticket.updated';
  /** Stable per (rule, resource): receivers that keep their own mapping can key on it. */
  dedupeKey: string;
  /** The receiver's ticket, as it answered to `ticket.opened`; set on updates. */
  ticket?: { id: string; url?: string };
  title: string;
  rule: string;
  severity: string;
  account: string;
  region: string;
  resource?: ResourceRef;
  action: string;
  decision: string;
  reason: string;
  outcome: { status: string; verified: boolean; summary: string };
  event: Report['assessment']['event'];
  offenses: Offense[];
  /** The console page of the source: the CloudTrail event, or the GuardDuty finding. */
  links: { cloudTrail: string } | { guardDuty: string };
  latencyMs?: number;
  /** Set on the `ticket.updated` sent when GuardDuty archived the finding the ticket is about. */
  archived?: true;
}

export function renderTicketPayload(
  report: Report,
  type: TicketPayload['type'],
  ticket?: { id: string; url?: string },
): TicketPayload {
  const { assessment, outcome } = report;
  const key = ticketKey(report);
  const violation = primaryViolation(report);
  // The receiver escapes for its own medium; bidi controls are stripped here, for every medium.
  return withoutBidi({
    version: 1,
    type,
    dedupeKey: key ? `${key.rule}#${key.resource}` : assessment.event.eventId,
    ...(ticket ? { ticket } : {}),
    title: ticketTitle(report),
    rule: key?.rule ?? assessment.rule ?? 'none',
    severity: assessment.severity ?? 'low',
    account: assessment.event.account,
    region: assessment.event.region,
    ...(violation ? { resource: violation.resource } : {}),
    action: assessment.action,
    decision: assessment.decisionReason,
    reason: assessment.reason,
    outcome: { status: outcome.status, verified: outcome.verified, summary: outcome.summary },
    event: assessment.event,
    offenses: violation?.offenses ?? [],
    links: assessment.finding
      ? { guardDuty: sourceLink(assessment).url }
      : { cloudTrail: sourceLink(assessment).url },
    ...(report.latencyMs !== undefined ? { latencyMs: report.latencyMs } : {}),
    ...(archivedFinding(report) ? { archived: true as const } : {}),
  });
}
