import {
  CreateEventBusCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { CATALOG, defaultConfig, eventPatterns, ownRoleNames } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventsClient, motoEndpoint, sqsClient, unique } from '../support/aws';
import { loadCases } from '../support/cases';

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
  const events = eventsClient();
  const sqs = sqsClient();
  let busName: string;
  let queueUrl: string;

  beforeAll(async () => {
    busName = unique('driftguard-bus');
    await events.send(new CreateEventBusCommand({ Name: busName }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: unique('matched') }));
    queueUrl = queue.QueueUrl as string;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    for (const { name, pattern } of eventPatterns(CATALOG, ownRoleNames(defaultConfig()))) {
      await events.send(
        new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: JSON.stringify(pattern) }),
      );
      await events.send(
        new PutTargetsCommand({
          Rule: name,
          EventBusName: busName,
          Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }],
        }),
      );
    }
  });

  async function drain(): Promise<string[]> {
    const ids: string[] = [];
    for (;;) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (!Messages?.length) return ids;
      for (const message of Messages)
        ids.push((JSON.parse(message.Body ?? '{}').detail as { eventID: string }).eventID);
    }
  }

  // moto matches every event against every rule in Python: allow for a loaded machine.
  it('routes every successful third-party change and drops failed calls and driftguard’s own calls', {
    timeout: 180_000,
  }, async () => {
    expect(envelopes.length).toBeGreaterThan(10);
    // PutEvents takes up to 10 entries per call: batching keeps this test fast as fixtures grow.
    for (let index = 0; index < envelopes.length; index += 10) {
      const { FailedEntryCount } = await events.send(
        new PutEventsCommand({
          Entries: envelopes.slice(index, index + 10).map(({ event }) => ({
            EventBusName: busName,
            Source: event.source as string,
            DetailType: event['detail-type'] as string,
            Detail: JSON.stringify(event.detail),
          })),
        }),
      );
      expect(FailedEntryCount).toBe(0);
    }
    const routed = new Set(await drain());
    for (const { file, event, verdict } of envelopes) {
      const eventId = (event.detail as { eventID: string }).eventID;
      // "ignored" fixtures are failed calls or own-role calls: the pattern must filter them.
      expect(routed.has(eventId), file).toBe(verdict !== 'ignored');
    }
  });
});
