import { archivedFinding, type Report, type TicketKey, ticketKey } from '@driftguard/core';
import type { ChannelNotifier, ChannelResult } from './channel';

/** A ticket in a tracker: Jira key, GitHub `owner/repo#n`, or the webhook receiver's id. */
export interface TicketRecord {
  id: string;
  url?: string;
}

/** The (rule, resource) → ticket mapping as the state store holds it. */
export type TicketMapping =
  | { state: 'open'; ticket: TicketRecord; occurrences: number }
  | { state: 'creating'; claimedAt: number };

/**
 * Where the mapping lives (DynamoDB in AWS: packages/aws/src/store/tickets.ts). `claim` is the
 * conditional write that makes "one ticket per (rule, resource)" hold under concurrent deliveries.
 */
export interface TicketStore {
  get(key: TicketKey, channel: string): Promise<TicketMapping | undefined>;
  /**
   * Takes the right to open the ticket when there is no mapping, when another claim is older than
   * `staleBefore` (its holder died), or when the mapped ticket `replacing` was found closed.
   * Returns a token for `release`, or undefined when someone else holds the claim.
   */
  claim(
    key: TicketKey,
    channel: string,
    options: { now: number; staleBefore: number; replacing?: string },
  ): Promise<string | undefined>;
  /** Records the ticket just opened. */
  opened(
    key: TicketKey,
    channel: string,
    ticket: TicketRecord,
    event: { eventId: string; at: string },
  ): Promise<void>;
  /** Counts a repeat violation commented on the open ticket. */
  commented(key: TicketKey, channel: string, event: { eventId: string; at: string }): Promise<void>;
  /** Gives the claim back after a failed open (only if `token` still holds it). */
  release(key: TicketKey, channel: string, token: string): Promise<void>;
}

export type TrackerResult<T> =
  | ({ ok: true } & T & { attempts: number })
  | { ok: false; reason: string; attempts: number };

/** A ticket system: Jira, GitHub Issues, or the generic webhook. */
export interface TicketTracker {
  open(report: Report): Promise<TrackerResult<{ ticket: TicketRecord }>>;
  comment(ticket: TicketRecord, report: Report): Promise<TrackerResult<object>>;
  /** `closed` (or deleted) opens a new ticket; `unknown` comments on the mapped one. */
  state(ticket: TicketRecord): Promise<'open' | 'closed' | 'unknown'>;
}

export interface TicketNotifierOptions {
  channel: string;
  tracker: TicketTracker;
  store: TicketStore;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** A claim older than this is taken over (its holder crashed between claim and open). */
  staleClaimMs?: number;
  /** How long to wait for a concurrent delivery that is opening the same ticket. */
  waitMs?: number;
  rounds?: number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One ticket per (rule, resource): the first violation opens it, a repeat comments on it while it
 * is open, a violation after it was closed opens a new one. Failures are values with the reason.
 */
export function ticketNotifier(options: TicketNotifierOptions): ChannelNotifier {
  const { channel, tracker, store } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? sleepFor;
  const staleClaimMs = options.staleClaimMs ?? 60_000;
  const waitMs = options.waitMs ?? 500;
  const rounds = options.rounds ?? 20;

  /** GuardDuty archived the finding: tell its open ticket, if it has one; never open one. */
  async function tellArchived(report: Report, key: TicketKey): Promise<ChannelResult> {
    const mapping = await store.get(key, channel);
    if (mapping?.state !== 'open' || (await tracker.state(mapping.ticket)) === 'closed')
      return { ok: true, attempts: 0, detail: 'archived finding without an open ticket: nothing to tell' };
    const commented = await tracker.comment(mapping.ticket, report);
    if (!commented.ok) return { ok: false, attempts: commented.attempts, detail: commented.reason };
    return {
      ok: true,
      attempts: commented.attempts,
      detail: `told ${mapping.ticket.id} that the finding was archived`,
      ticket: { channel, ...mapping.ticket, action: 'commented' },
    };
  }

  async function run(report: Report, key: TicketKey): Promise<ChannelResult> {
    if (archivedFinding(report)) return tellArchived(report, key);
    const event = { eventId: report.assessment.event.eventId, at: new Date(now()).toISOString() };
    let attempts = 0;
    for (let round = 0; round < rounds; round++) {
      const mapping = await store.get(key, channel);
      let token: string | undefined;
      let replaced: string | undefined;
      if (mapping?.state === 'open') {
        const state = await tracker.state(mapping.ticket);
        if (state !== 'closed') {
          const commented = await tracker.comment(mapping.ticket, report);
          attempts += commented.attempts;
          if (!commented.ok) return { ok: false, attempts, detail: commented.reason };
          await store.commented(key, channel, event);
          return {
            ok: true,
            attempts,
            detail: `commented on ${mapping.ticket.id}`,
            ticket: { channel, ...mapping.ticket, action: 'commented' },
          };
        }
        replaced = mapping.ticket.id;
        token = await store.claim(key, channel, {
          now: now(),
          staleBefore: now() - staleClaimMs,
          replacing: replaced,
        });
      } else if (mapping?.state === 'creating' && mapping.claimedAt > now() - staleClaimMs) {
        await sleep(waitMs);
        continue;
      } else {
        token = await store.claim(key, channel, { now: now(), staleBefore: now() - staleClaimMs });
      }
      if (!token) {
        await sleep(waitMs);
        continue;
      }
      const opened = await tracker.open(report);
      attempts += opened.attempts;
      if (!opened.ok) {
        await store.release(key, channel, token);
        return { ok: false, attempts, detail: opened.reason };
      }
      await store.opened(key, channel, opened.ticket, event);
      return {
        ok: true,
        attempts,
        detail: `opened ${opened.ticket.id}${replaced ? ` (${replaced} was closed)` : ''}`,
        ticket: { channel, ...opened.ticket, action: 'opened' },
      };
    }
    return {
      ok: false,
      attempts,
      detail: `${channel}: another delivery is opening the ticket for ${key.rule} on ${key.resource}; gave up waiting`,
    };
  }

  return {
    channel,
    phase: 'ticket',
    async notify(report) {
      const key = ticketKey(report);
      if (!key) return { ok: false, detail: `${channel}: not a violation of a known resource, no ticket` };
      try {
        return await run(report, key);
      } catch (error) {
        // The tracker returns values; only the store can throw (DynamoDB unreachable, throttled).
        return {
          ok: false,
          detail: `${channel}: ticket store failed: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    },
  };
}

/** The mapping in memory: for local runs without a state table, and for tests. Same semantics. */
export function memoryTicketStore(): TicketStore & { items: Map<string, Record<string, unknown>> } {
  const items = new Map<string, Record<string, unknown>>();
  const id = (key: TicketKey, channel: string) => `${key.rule}#${key.resource}#${channel}`;
  let tokens = 0;
  return {
    items,
    async get(key, channel) {
      const item = items.get(id(key, channel));
      if (!item) return undefined;
      if (item.state === 'open')
        return {
          state: 'open',
          ticket: item.ticket as TicketRecord,
          occurrences: item.occurrences as number,
        };
      return { state: 'creating', claimedAt: item.claimedAt as number };
    },
    async claim(key, channel, options) {
      const item = items.get(id(key, channel));
      const free =
        !item ||
        (item.state === 'creating' && (item.claimedAt as number) < options.staleBefore) ||
        (options.replacing !== undefined &&
          item.state === 'open' &&
          (item.ticket as TicketRecord).id === options.replacing);
      if (!free) return undefined;
      const token = `claim-${++tokens}`;
      items.set(id(key, channel), { state: 'creating', claimedAt: options.now, token });
      return token;
    },
    async opened(key, channel, ticket) {
      items.set(id(key, channel), { state: 'open', ticket, occurrences: 1 });
    },
    async commented(key, channel) {
      const item = items.get(id(key, channel));
      if (item) item.occurrences = (item.occurrences as number) + 1;
    },
    async release(key, channel, token) {
      if (items.get(id(key, channel))?.token === token) items.delete(id(key, channel));
    },
  };
}
