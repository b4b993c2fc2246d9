import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Report, renderTicketPayload, type TicketPayload } from '@driftguard/core';
import { type Delivery, deliver, type HttpOptions } from './http';
import type { TicketTracker } from './tickets';

/**
 * Signed JSON webhooks (ServiceNow, an internal ticketing bridge, anything that speaks HTTP).
 *
 * Every attempt carries
 *   X-Driftguard-Timestamp: <unix seconds>
 *   X-Driftguard-Delivery:  <uuid, the same across retries of one delivery>
 *   X-Driftguard-Event:     ticket.opened | ticket.updated
 *   X-Driftguard-Signature: v2=<hex HMAC-SHA256(secret, signed string)>
 * where the signed string is the four values joined by line feeds, the raw body last:
 *   "<timestamp>\n<delivery id>\n<event>\n<raw body>"
 * The delivery id and the event are signed so that a captured delivery cannot be replayed within
 * the window as another delivery (new id: past the receiver's duplicate check) or as another event
 * (an `opened` read as an `updated`). Line feeds cannot occur in header values, so the fields
 * cannot be shifted into one another. A receiver recomputes the HMAC over the raw body bytes,
 * compares in constant time, rejects a timestamp more than 5 minutes away from its clock, and drops
 * delivery ids it has seen.
 */
export const SIGNATURE_HEADER = 'x-driftguard-signature';
export const TIMESTAMP_HEADER = 'x-driftguard-timestamp';
export const DELIVERY_HEADER = 'x-driftguard-delivery';
export const EVENT_HEADER = 'x-driftguard-event';
/** The scheme of the signature header; v1 (timestamp and body only) is no longer sent or accepted. */
export const SIGNATURE_SCHEME = 'v2';

export interface SignedParts {
  timestamp: number;
  deliveryId: string;
  event: string;
  /** The raw body, exactly as sent. */
  body: string;
}

/** The exact string that is signed (documented in README "Webhook payloads"). */
export function signedString(parts: SignedParts): string {
  return `${parts.timestamp}\n${parts.deliveryId}\n${parts.event}\n${parts.body}`;
}

export function signWebhook(secret: string, parts: SignedParts): string {
  return `${SIGNATURE_SCHEME}=${createHmac('sha256', secret).update(signedString(parts)).digest('hex')}`;
}

export type Verification = { ok: true } | { ok: false; reason: string };

/** What a receiver runs (exported so Node receivers and tests share it). */
export function verifyWebhookSignature(input: {
  secret: string;
  /** The raw request body, exactly as received. */
  body: string;
  timestamp: string | undefined;
  /** X-Driftguard-Delivery */
  deliveryId: string | undefined;
  /** X-Driftguard-Event */
  event: string | undefined;
  signature: string | undefined;
  toleranceSeconds?: number;
  nowMs?: number;
}): Verification {
  const tolerance = input.toleranceSeconds ?? 300;
  if (!input.timestamp || !/^\d+$/.test(input.timestamp)) return { ok: false, reason: 'missing timestamp' };
  if (!input.deliveryId || /[\r\n]/.test(input.deliveryId))
    return { ok: false, reason: 'missing delivery id' };
  if (!input.event || /[\r\n]/.test(input.event)) return { ok: false, reason: 'missing event' };
  if (!input.signature) return { ok: false, reason: 'missing signature' };
  const timestamp = Number(input.timestamp);
  const nowSeconds = Math.floor((input.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance)
    return { ok: false, reason: 'timestamp outside tolerance' };
  const expected = Buffer.from(
    signWebhook(input.secret, {
      timestamp,
      deliveryId: input.deliveryId,
      event: input.event,
      body: input.body,
    }),
  );
  const actual = Buffer.from(input.signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

export interface WebhookOptions extends HttpOptions {
  /** The receiver's URL (may carry a token: treated as a secret). */
  url: string;
  /** The HMAC key (secret). */
  secret: string;
  newDeliveryId?: () => string;
}

export function createWebhookClient(options: WebhookOptions) {
  const now = options.now ?? Date.now;
  const newId = options.newDeliveryId ?? randomUUID;
  return {
    send(payload: TicketPayload): Promise<Delivery> {
      const body = JSON.stringify(payload);
      const deliveryId = newId();
      return deliver(
        'webhook',
        () => {
          // Re-signed per attempt: a retry after a long Retry-After still passes the replay window.
          const timestamp = Math.floor(now() / 1000);
          return {
            method: 'POST',
            url: options.url,
            headers: {
              'content-type': 'application/json; charset=utf-8',
              'user-agent': 'driftguard',
              [TIMESTAMP_HEADER]: String(timestamp),
              [SIGNATURE_HEADER]: signWebhook(options.secret, {
                timestamp,
                deliveryId,
                event: payload.type,
                body,
              }),
              [DELIVERY_HEADER]: deliveryId,
              [EVENT_HEADER]: payload.type,
            },
            body,
          };
        },
        options,
      );
    },
  };
}

export type WebhookClient = ReturnType<typeof createWebhookClient>;

/**
 * The webhook as a ticket system: `ticket.opened` for a new (rule, resource), then
 * `ticket.updated` with the receiver's ticket. A receiver may answer `{ "id": "...", "url": "..." }`
 * to name its ticket; otherwise the dedupe key stands for it. Its state is unknown to driftguard,
 * so repeats always go to the mapped ticket.
 */
export function webhookTracker(client: WebhookClient): TicketTracker {
  return {
    async open(report: Report) {
      const payload = renderTicketPayload(report, 'ticket.opened');
      const delivery = await client.send(payload);
      if (!delivery.ok) return delivery;
      let answer: { id?: unknown; url?: unknown } = {};
      try {
        answer = JSON.parse(delivery.text);
      } catch {
        // a receiver may answer with an empty body
      }
      const id =
        typeof answer.id === 'string' || typeof answer.id === 'number'
          ? String(answer.id)
          : payload.dedupeKey;
      return {
        ok: true,
        attempts: delivery.attempts,
        ticket: { id, ...(typeof answer.url === 'string' ? { url: answer.url } : {}) },
      };
    },
    async comment(ticket, report) {
      const delivery = await client.send(renderTicketPayload(report, 'ticket.updated', ticket));
      return delivery.ok ? { ok: true, attempts: delivery.attempts } : delivery;
    },
    async state() {
      return 'unknown';
    },
  };
}
