import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type Announcement, renderAnnouncement, withoutBidi } from '@driftguard/core';
import { errorMessage } from './errors';
import { stderrLogger, warnWith } from './log';

/**
 * A channel that hears announcements: exemption granted, used, revoked, ended (with the
 * re-check's results), and circuit breakers opening (a fight). Slack, ticket systems and webhooks
 * implement this next to their `Notifier`.
 */
export interface AnnouncementChannel {
  channel: string;
  announce(announcement: Announcement): Promise<void>;
}

export interface AnnounceResult {
  channel: string;
  ok: boolean;
  detail?: string;
}

/** Tells every channel; never throws (an announcement must not undo or fail a decision). */
export type Announce = (announcement: Announcement) => Promise<AnnounceResult[]>;

export function announcer(
  channels: readonly AnnouncementChannel[],
  warn: (message: string) => void = warnWith(stderrLogger),
): Announce {
  return async (announcement) =>
    Promise.all(
      channels.map(async (channel): Promise<AnnounceResult> => {
        try {
          await channel.announce(announcement);
          return { channel: channel.channel, ok: true };
        } catch (error) {
          const detail = errorMessage(error);
          warn(`[driftguard] ${channel.channel} announcement (${announcement.kind}) failed: ${detail}`);
          return { channel: channel.channel, ok: false, detail };
        }
      }),
    );
}

/** Announcements on the alert topic, with a `kind` attribute subscribers can filter on. */
export function snsAnnouncementChannel(sns: SNSClient, topicArn: string): AnnouncementChannel {
  return {
    channel: 'sns',
    async announce(announcement) {
      const rendered = renderAnnouncement(announcement);
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: rendered.subject,
          Message: JSON.stringify(withoutBidi({ ...announcement, text: rendered.text }), null, 2),
          MessageAttributes: Object.fromEntries(
            Object.entries({ ...rendered.attributes, type: 'announcement' }).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        }),
      );
    },
  };
}
