import { beforeAll, describe, expect, it } from 'vitest';
import { eventsClient, motoEndpoint, sqsClient } from '../support/aws';
import { loadCases } from '../support/cases';
import { type RoutingBus, routingBus } from '../support/event-bus';

/**
 * EventBridge-shaped fixtures (the ones with an envelope). Left out: events no guardrail watches,
 * and `"errorCode": null`, a shape only log pipelines produce (replay), never EventBridge.
 */
const envelopes = loadCases()
  .map(([file, testCase]) => ({
    file,
    event: testCase.event as Record<string, unknown>,
    verdict: testCase.expected.verdict,
  }))
  .filter(({ event }) => 'detail-type' in event)
  .filter(({ verdict }) => verdict !== 'not-applicable')
  .filter(({ event }) => (event.detail as { errorCode?: unknown }).errorCode !== null);

describe.skipIf(!motoEndpoint)("generated EventBridge patterns, checked by moto's EventBridge", () => {
  let bus: RoutingBus;

  beforeAll(async () => {
    bus = await routingBus(eventsClient(), sqsClient());
  });

  // moto matches every event against every rule in Python: allow for a loaded machine.
  it('routes every successful third-party change and drops failed calls and driftguard’s own calls', {
    timeout: 180_000,
  }, async () => {
    expect(envelopes.length).toBeGreaterThan(10);
    expect(await bus.put(envelopes.map(({ event }) => event))).toBe(0);
    const routed = new Set((await bus.drain()).map((event) => (event.detail as { eventID: string }).eventID));
    for (const { file, event, verdict } of envelopes) {
      const eventId = (event.detail as { eventID: string }).eventID;
      // "ignored" fixtures are failed calls or own-role calls: the pattern must filter them.
      expect(routed.has(eventId), file).toBe(verdict !== 'ignored');
    }
  });
});
