export { createGitHubClient, gitHubTracker } from './github';
export { deliver, parseRetryAfter } from './http';
export { createJiraClient, jiraTracker } from './jira';
export { createSlackWebhook, slackNotifier } from './slack';
export {
  memoryTicketStore,
  type TicketMapping,
  type TicketStore,
  type TicketTracker,
  ticketNotifier,
} from './tickets';
export { createWebhookClient, verifyWebhookSignature, webhookTracker } from './webhook';
