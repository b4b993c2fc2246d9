import { renderSlack, type SlackMessage } from '@driftguard/core';
import type { ChannelNotifier } from './channel';
import { type Delivery, deliver, type HttpOptions } from './http';

export interface SlackWebhookOptions extends HttpOptions {
  /** The incoming-webhook URL. It is a secret: it never appears in results or logs. */
  webhookUrl: string;
}

/** Posts Block Kit messages to a Slack incoming webhook (answers `200 ok`). */
export function createSlackWebhook(options: SlackWebhookOptions) {
  return {
    post(message: SlackMessage): Promise<Delivery> {
      return deliver(
        'slack',
        {
          method: 'POST',
          url: options.webhookUrl,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(message),
        },
        options,
      );
    },
  };
}

export type SlackWebhook = ReturnType<typeof createSlackWebhook>;

export function slackNotifier(webhook: SlackWebhook): ChannelNotifier {
  return {
    channel: 'slack',
    phase: 'alert',
    async notify(report) {
      const delivery = await webhook.post(renderSlack(report));
      return delivery.ok
        ? { ok: true, attempts: delivery.attempts }
        : { ok: false, attempts: delivery.attempts, detail: delivery.reason };
    },
  };
}
