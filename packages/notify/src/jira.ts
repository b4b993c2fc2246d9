import {
  type AdfDocument,
  type Report,
  renderJiraComment,
  renderJiraDescription,
  ticketTitle,
} from '@driftguard/core';
import { type Delivery, deliver, type HttpOptions } from './http';
import type { TicketTracker } from './tickets';

export interface JiraOptions extends HttpOptions {
  /** https://your-site.atlassian.net */
  baseUrl: string;
  email: string;
  /** An Atlassian API token (secret): sent as Basic auth with the email, never logged. */
  apiToken: string;
}

export interface JiraIssueFields {
  project: string;
  issueType: string;
  summary: string;
  description: AdfDocument;
  labels: string[];
}

/** The three Jira Cloud REST v3 calls driftguard makes. */
export function createJiraClient(options: JiraOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers = {
    authorization: `Basic ${Buffer.from(`${options.email}:${options.apiToken}`).toString('base64')}`,
    accept: 'application/json',
    'content-type': 'application/json',
  };
  const issuePath = (key: string) => `${base}/rest/api/3/issue/${encodeURIComponent(key)}`;
  return {
    browseUrl: (key: string) => `${base}/browse/${encodeURIComponent(key)}`,
    createIssue(fields: JiraIssueFields): Promise<Delivery> {
      return deliver(
        'jira',
        {
          method: 'POST',
          url: `${base}/rest/api/3/issue`,
          headers,
          body: JSON.stringify({
            fields: {
              project: { key: fields.project },
              issuetype: { name: fields.issueType },
              summary: fields.summary,
              description: fields.description,
              labels: fields.labels,
            },
          }),
        },
        options,
      );
    },
    addComment(key: string, body: AdfDocument): Promise<Delivery> {
      return deliver(
        'jira',
        { method: 'POST', url: `${issuePath(key)}/comment`, headers, body: JSON.stringify({ body }) },
        options,
      );
    },
    getStatus(key: string): Promise<Delivery> {
      return deliver('jira', { method: 'GET', url: `${issuePath(key)}?fields=status`, headers }, options);
    },
  };
}

export type JiraClient = ReturnType<typeof createJiraClient>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function jiraTracker(
  client: JiraClient,
  settings: { project: string; issueType: string; labels: string[] },
): TicketTracker {
  return {
    async open(report: Report) {
      const delivery = await client.createIssue({
        ...settings,
        summary: ticketTitle(report),
        description: renderJiraDescription(report),
      });
      if (!delivery.ok) return delivery;
      const key = (parseJson(delivery.text) as { key?: unknown } | undefined)?.key;
      if (typeof key !== 'string')
        return {
          ok: false,
          attempts: delivery.attempts,
          reason: 'jira: created issue has no key in the answer',
        };
      return { ok: true, attempts: delivery.attempts, ticket: { id: key, url: client.browseUrl(key) } };
    },
    async comment(ticket, report) {
      const delivery = await client.addComment(ticket.id, renderJiraComment(report));
      return delivery.ok ? { ok: true, attempts: delivery.attempts } : delivery;
    },
    async state(ticket) {
      const delivery = await client.getStatus(ticket.id);
      if (!delivery.ok) return delivery.status === 404 ? 'closed' : 'unknown';
      const category = (
        parseJson(delivery.text) as
          | { fields?: { status?: { statusCategory?: { key?: string } } } }
          | undefined
      )?.fields?.status?.statusCategory?.key;
      if (category === 'done') return 'closed';
      return category ? 'open' : 'unknown';
    },
  };
}
