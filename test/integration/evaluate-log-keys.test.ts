import { CreateSecurityGroupCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ec2Client, motoEndpoint, openIngress, unique } from '../support/aws';
import { logLines } from '../support/function-output';
import { lambdaContext as context, sqsRecord } from '../support/lambda';

describe.skipIf(!motoEndpoint)('evaluate handler log correlation keys', () => {
  let handler: (
    event: SQSEvent,
    context: Context,
  ) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      // A topic that does not exist: each record's alert fails, and the library warns about it.
      DRIFTGUARD_TOPIC_ARN: `arn:aws:sns:us-east-1:123456789012:${unique('missing-topic')}`,
      DRIFTGUARD_CONFIG: JSON.stringify({ trustedCidrs: ['10.0.0.0/8'] }),
    });
    // The suite silences Powertools (vitest.config.ts); this test reads the lines, so this logger logs.
    const silenced = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    ({ handler } = await import('../../packages/functions/src/evaluate'));
    process.env.POWERTOOLS_LOG_LEVEL = silenced;
  });

  afterEach(() => vi.restoreAllMocks());

  it("puts each record's own event id and account on its lines, library warnings included, and never uses console", async () => {
    const ec2 = ec2Client();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const events = [];
    for (const name of ['a', 'b']) {
      const { GroupId } = await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: unique(name), Description: 'd', VpcId: Vpc?.VpcId }),
      );
      const permissions = [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      ];
      events.push((await openIngress(ec2, GroupId as string, permissions)).event);
    }
    const written: string[] = [];
    for (const stream of [process.stdout, process.stderr])
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    const consoleCalls = ['log', 'info', 'warn', 'error'].map((method) =>
      vi.spyOn(console, method as 'log').mockImplementation(() => undefined),
    );

    const response = await handler(
      { Records: events.map((event, index) => sqsRecord(`record-${index}`, JSON.stringify(event))) },
      context,
    );
    vi.restoreAllMocks();

    expect(response.batchItemFailures).toEqual([]);
    for (const spy of consoleCalls) expect(spy).not.toHaveBeenCalled();
    // No unstructured fallback line either: the library wrote through the function's Logger.
    const unstructured = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line && !line.startsWith('{'));
    expect(unstructured).toEqual([]);
    const lines = logLines(written);
    events.forEach((event, index) => {
      const mine = lines.filter((line) => line.messageId === `record-${index}`);
      const eventId = (event.detail as { eventID: string }).eventID;
      expect(mine.map((line) => line.message)).toEqual(
        expect.arrayContaining(['event processed', expect.stringContaining('notification for event')]),
      );
      for (const line of mine) {
        expect(line.eventId).toBe(eventId);
        expect(line.account).toBe(event.account);
      }
      expect(mine.find((line) => line.message === 'event processed')?.rule).toBe('sg-open-ingress');
    });
    // Every line of the batch belongs to one of its records: no key leaked, none missing.
    expect(lines.every((line) => line.messageId === 'record-0' || line.messageId === 'record-1')).toBe(true);
  });
});
