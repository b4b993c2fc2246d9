import type { Report, TicketLink } from '@driftguard/core';

/** What one channel did with one report. A failure is a value with the reason, never a throw. */
export interface ChannelResult {
  ok: boolean;
  /** Why it failed, or a note (e.g. "commented on SEC-12"). Never contains a secret. */
  detail?: string;
  /** HTTP attempts made (retries included). */
  attempts?: number;
  /** The ticket opened or commented on, for ticket channels. */
  ticket?: TicketLink;
}

/**
 * A channel as the pipeline (packages/aws) runs it: `phase: 'ticket'` channels run first, so the
 * alerts that follow can link to the ticket.
 */
export interface ChannelNotifier {
  channel: string;
  phase?: 'ticket' | 'alert';
  notify(report: Report): Promise<ChannelResult>;
}
