import { type Report, renderGitHubComment, renderGitHubIssue } from '@driftguard/core';
import { type Delivery, deliver, type HttpOptions } from './http';
import type { TicketRecord, TicketTracker } from './tickets';

export interface GitHubOptions extends HttpOptions {
  /** https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiUrl: string;
  /** owner/name */
  repo: string;
  /** A fine-grained token with Issues: read and write on the repository (secret). */
  token: string;
}

/** The three GitHub REST calls driftguard makes (issues API, 2022-11-28). */
export function createGitHubClient(options: GitHubOptions) {
  const base = `${options.apiUrl.replace(/\/+$/, '')}/repos/${options.repo
    .split('/')
    .map(encodeURIComponent)
    .join('/')}/issues`;
  const headers = {
    authorization: `Bearer ${options.token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'driftguard',
    'content-type': 'application/json',
  };
  return {
    createIssue(issue: { title: string; body: string; labels: string[] }): Promise<Delivery> {
      return deliver('github', { method: 'POST', url: base, headers, body: JSON.stringify(issue) }, options);
    },
    addComment(issueNumber: number, body: string): Promise<Delivery> {
      return deliver(
        'github',
        { method: 'POST', url: `${base}/${issueNumber}/comments`, headers, body: JSON.stringify({ body }) },
        options,
      );
    },
    getIssue(issueNumber: number): Promise<Delivery> {
      return deliver('github', { method: 'GET', url: `${base}/${issueNumber}`, headers }, options);
    },
  };
}

export type GitHubClient = ReturnType<typeof createGitHubClient>;

/** `owner/repo#12` → 12 */
function issueNumber(ticket: TicketRecord): number {
  return Number(ticket.id.slice(ticket.id.lastIndexOf('#') + 1));
}

export function gitHubTracker(
  client: GitHubClient,
  settings: { repo: string; labels: string[] },
): TicketTracker {
  return {
    async open(report: Report) {
      const delivery = await client.createIssue({ ...renderGitHubIssue(report), labels: settings.labels });
      if (!delivery.ok) return delivery;
      let answer: { number?: unknown; html_url?: unknown } = {};
      try {
        answer = JSON.parse(delivery.text);
      } catch {
        // handled below
      }
      if (typeof answer.number !== 'number')
        return {
          ok: false,
          attempts: delivery.attempts,
          reason: 'github: created issue has no number in the answer',
        };
      return {
        ok: true,
        attempts: delivery.attempts,
        ticket: {
          id: `${settings.repo}#${answer.number}`,
          ...(typeof answer.html_url === 'string' ? { url: answer.html_url } : {}),
        },
      };
    },
    async comment(ticket, report) {
      const delivery = await client.addComment(issueNumber(ticket), renderGitHubComment(report));
      return delivery.ok ? { ok: true, attempts: delivery.attempts } : delivery;
    },
    async state(ticket) {
      const delivery = await client.getIssue(issueNumber(ticket));
      if (!delivery.ok) return delivery.status === 404 || delivery.status === 410 ? 'closed' : 'unknown';
      try {
        const state = (JSON.parse(delivery.text) as { state?: string }).state;
        return state === 'closed' ? 'closed' : state === 'open' ? 'open' : 'unknown';
      } catch {
        return 'unknown';
      }
    },
  };
}
