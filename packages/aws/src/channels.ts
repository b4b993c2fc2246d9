import type { Channel, Config } from '@driftguard/core';
import {
  createGitHubClient,
  createJiraClient,
  createSlackWebhook,
  createWebhookClient,
  gitHubTracker,
  jiraTracker,
  memoryTicketStore,
  slackNotifier,
  type TicketStore,
  ticketNotifier,
  webhookTracker,
} from '@driftguard/notify';
import { Resource } from 'sst/resource';
import type { Notifier } from './pipeline';

/**
 * Secrets and endpoints of the HTTP channels. Locally they are plain environment variables; in
 * AWS they are the SST secrets SlackWebhookUrl, JiraToken, GitHubToken and WebhookSecret linked to
 * the function, read through SST's `Resource` (its encrypted resource file, or `SST_RESOURCE_<Name>`
 * variables). An unset (empty) secret leaves its channel off. Never from the config file, never
 * logged. JIRA_BASE_URL, JIRA_EMAIL and DRIFTGUARD_WEBHOOK_URL are plain settings.
 */
export interface ChannelEnv {
  SLACK_WEBHOOK_URL?: string;
  JIRA_BASE_URL?: string;
  JIRA_EMAIL?: string;
  JIRA_API_TOKEN?: string;
  GITHUB_TOKEN?: string;
  DRIFTGUARD_WEBHOOK_URL?: string;
  DRIFTGUARD_WEBHOOK_SECRET?: string;
  SST_RESOURCE_SlackWebhookUrl?: string;
  SST_RESOURCE_JiraToken?: string;
  SST_RESOURCE_GitHubToken?: string;
  SST_RESOURCE_WebhookSecret?: string;
}

function linkedSecret(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const value = (JSON.parse(raw) as { value?: unknown }).value;
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A secret linked by SST to this function (deployed), or undefined (local runs, unset secret). */
function sstSecret(name: string): string | undefined {
  try {
    const resources = Resource as unknown as Record<string, { value?: unknown } | undefined>;
    if (!(name in resources)) return undefined;
    const value = resources[name]?.value;
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

const secretOf = (direct: string | undefined, linked: string | undefined, sstName: string) =>
  direct || linkedSecret(linked) || sstSecret(sstName);

/** The secrets that are set, by the name used in the environment. */
export function channelSecrets(env: ChannelEnv) {
  return {
    slackWebhookUrl: secretOf(env.SLACK_WEBHOOK_URL, env.SST_RESOURCE_SlackWebhookUrl, 'SlackWebhookUrl'),
    jiraToken: secretOf(env.JIRA_API_TOKEN, env.SST_RESOURCE_JiraToken, 'JiraToken'),
    gitHubToken: secretOf(env.GITHUB_TOKEN, env.SST_RESOURCE_GitHubToken, 'GitHubToken'),
    webhookSecret: secretOf(env.DRIFTGUARD_WEBHOOK_SECRET, env.SST_RESOURCE_WebhookSecret, 'WebhookSecret'),
  };
}

export interface HttpChannels {
  notifiers: Notifier[];
  /** A channel that is half configured (a token without its settings…), in words, without secrets. */
  warnings: string[];
}

/**
 * The Slack, Jira, GitHub and webhook notifiers whose secrets and settings are present. Ticket
 * channels keep their (rule, resource) → ticket mapping in `tickets` (the state table in AWS);
 * without one, in memory for this process only.
 */
export function httpChannels(
  env: ChannelEnv,
  config: Config,
  options: { tickets?: TicketStore; fetch?: typeof fetch } = {},
): HttpChannels {
  const secrets = channelSecrets(env);
  const { notifications } = config;
  const http = { policy: notifications.delivery, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const tickets = options.tickets ?? memoryTicketStore();
  const notifiers: Notifier[] = [];
  const warnings: string[] = [];

  if (secrets.slackWebhookUrl) {
    notifiers.push(slackNotifier(createSlackWebhook({ ...http, webhookUrl: secrets.slackWebhookUrl })));
  }

  const jiraBaseUrl = notifications.jira?.baseUrl ?? env.JIRA_BASE_URL;
  if (secrets.jiraToken || notifications.jira) {
    const missing = [
      ...(notifications.jira ? [] : ['notifications.jira.project in the config']),
      ...(jiraBaseUrl ? [] : ['JIRA_BASE_URL']),
      ...(env.JIRA_EMAIL ? [] : ['JIRA_EMAIL']),
      ...(secrets.jiraToken ? [] : ['JIRA_API_TOKEN']),
    ];
    if (!notifications.jira || !jiraBaseUrl || !env.JIRA_EMAIL || !secrets.jiraToken) {
      warnings.push(`jira is not enabled: missing ${missing.join(', ')}`);
    } else {
      const client = createJiraClient({
        ...http,
        baseUrl: jiraBaseUrl,
        email: env.JIRA_EMAIL,
        apiToken: secrets.jiraToken,
      });
      notifiers.push(
        ticketNotifier({ channel: 'jira', tracker: jiraTracker(client, notifications.jira), store: tickets }),
      );
    }
  }

  if (secrets.gitHubToken && notifications.github) {
    const { repo, labels, apiUrl } = notifications.github;
    const client = createGitHubClient({ ...http, apiUrl, repo, token: secrets.gitHubToken });
    notifiers.push(
      ticketNotifier({ channel: 'github', tracker: gitHubTracker(client, { repo, labels }), store: tickets }),
    );
  } else if (notifications.github) {
    warnings.push('github is not enabled: missing GITHUB_TOKEN');
  }

  if (env.DRIFTGUARD_WEBHOOK_URL && secrets.webhookSecret) {
    const client = createWebhookClient({
      ...http,
      url: env.DRIFTGUARD_WEBHOOK_URL,
      secret: secrets.webhookSecret,
    });
    notifiers.push(ticketNotifier({ channel: 'webhook', tracker: webhookTracker(client), store: tickets }));
  } else if (env.DRIFTGUARD_WEBHOOK_URL || secrets.webhookSecret) {
    warnings.push(
      `webhook is not enabled: missing ${env.DRIFTGUARD_WEBHOOK_URL ? 'DRIFTGUARD_WEBHOOK_SECRET' : 'DRIFTGUARD_WEBHOOK_URL'} (webhooks are always signed)`,
    );
  }
  return { notifiers, warnings };
}

/** Channel names of notifiers that are driftguard's own (the others are custom and always fire). */
export function isKnownChannel(channel: string, known: readonly Channel[]): channel is Channel {
  return (known as readonly string[]).includes(channel);
}
