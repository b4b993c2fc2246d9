import type { ProcessedEvent } from '@driftguard/aws';
import { dim, green, red } from './format';

/**
 * One line per channel the pipeline tried for an event: posted, ticket opened/commented, skipped
 * as a duplicate, or failed with the reason. Without SLACK_WEBHOOK_URL, says how to post for real.
 */
export function describeDeliveries(
  processed: ProcessedEvent,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const lines = processed.notifications.map((result) => {
    const ticket = result.ticket
      ? ` ${result.ticket.action} ${result.ticket.id}${result.ticket.url ? ` (${result.ticket.url})` : ''}`
      : '';
    if (result.skipped) return dim(`- ${result.channel}: already notified for this event`);
    if (!result.ok) return red(`✘ ${result.channel}: ${result.detail ?? 'failed'}`);
    const attempts = result.attempts && result.attempts > 1 ? dim(` after ${result.attempts} attempts`) : '';
    return green(`✔ ${result.channel}:${ticket || ' delivered'}`) + attempts;
  });
  const slackTried = processed.notifications.some((result) => result.channel === 'slack');
  if (!slackTried) {
    lines.push(
      env.SLACK_WEBHOOK_URL
        ? dim(`Slack not posted: ${processed.routing ?? 'not routed for this event'}`)
        : dim('Set SLACK_WEBHOOK_URL to an incoming-webhook URL to post this message to a channel for real.'),
    );
  }
  return lines;
}
