import { CreateSecurityGroupCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { ensureStateTable } from '@driftguard/aws';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoClient, ec2Client, motoEndpoint, openIngress, sqsClient, unique } from '../support/aws';
import { emfLines, metricsOf } from '../support/function-output';
import { lambdaContext as context, sqsRecord } from '../support/lambda';

describe.skipIf(!motoEndpoint)('evaluate handler metrics (EMF on stdout)', () => {
  let handler: (
    event: SQSEvent,
    context: Context,
  ) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

  beforeAll(async () => {
    const table = unique('driftguard-metrics');
    await ensureStateTable(dynamoClient(), table);
    const { QueueUrl } = await sqsClient().send(new CreateQueueCommand({ QueueName: unique('metrics-dlq') }));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_DLQ_URL: QueueUrl,
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_CONFIG: JSON.stringify({ trustedCidrs: ['10.0.0.0/8'] }),
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    ({ handler } = await import('../../packages/functions/src/evaluate'));
  });

  afterEach(() => vi.restoreAllMocks());

  it('emits the decision, the verified revert and its times, a suppressed duplicate and a dead letter by reason class', async () => {
    const ec2 = ec2Client();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('m'), Description: 'd', VpcId: Vpc?.VpcId }),
    );
    const permissions = [
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ];
    const { event } = await openIngress(ec2, GroupId as string, permissions);
    const body = JSON.stringify(event);
    const received = sqsRecord('good', body);
    received.attributes.SentTimestamp = String(Date.now() - 1_000);

    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(String(chunk));
      return typeof rest[0] === 'function' ? write(chunk, rest[0] as () => void) : true;
    });
    const first = await handler({ Records: [received, sqsRecord('not-json', '{"detail": ')] }, context);
    const again = await handler({ Records: [sqsRecord('redelivered', body, 2)] }, context);
    vi.restoreAllMocks();

    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    const lines = emfLines(written);
    for (const line of lines) expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe('driftguard');
    const metrics = metricsOf(lines);
    const service = 'service=driftguard-evaluate';
    expect(metrics).toEqual(
      expect.arrayContaining([
        `driftguard/Decisions{${service},rule=sg-open-ingress,action=revert,outcome=reverted,severity=critical} 1 Count`,
        `driftguard/RevertsVerified{${service},rule=sg-open-ingress} 1 Count`,
        `driftguard/RevertsVerified{${service}} 1 Count`,
        `driftguard/DeadLetters{${service},reason=not-json} 1 Count`,
        `driftguard/DuplicatesSuppressed{${service}} 1 Count`,
      ]),
    );
    // Times: from the event's eventTime, and from its arrival on the queue (≥ the 1 s it waited).
    const times = (name: string) =>
      metrics
        .filter((metric) => metric.startsWith(`driftguard/${name}{`))
        .map((metric) => metric.split(' ')[0]);
    expect(times('TimeFromEventToVerifiedOutcome')).toEqual([
      `driftguard/TimeFromEventToVerifiedOutcome{${service},outcome=reverted}`,
      `driftguard/TimeFromEventToVerifiedOutcome{${service}}`,
    ]);
    const fromReceipt = lines.find(
      (line) => line._aws.CloudWatchMetrics[0]?.Metrics[0]?.Name === 'TimeFromReceiptToVerifiedOutcome',
    );
    expect(fromReceipt?.TimeFromReceiptToVerifiedOutcome).toBeGreaterThanOrEqual(1_000);
    // The duplicate is counted as suppressed, not as a second decision.
    expect(metrics.filter((metric) => metric.startsWith('driftguard/Decisions{'))).toHaveLength(1);
    // Dimensions stay low-cardinality: never an account, a resource or an event id.
    for (const line of lines)
      for (const dimensions of line._aws.CloudWatchMetrics[0]?.Dimensions ?? [])
        expect(
          dimensions.every((name) =>
            ['service', 'rule', 'action', 'outcome', 'severity', 'reason'].includes(name),
          ),
        ).toBe(true);
  });
});
