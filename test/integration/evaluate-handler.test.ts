import { readFileSync } from 'node:fs';
import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ensureStateTable } from '@driftguard/aws';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoClient, ec2Client, motoEndpoint, openIngress, sqsClient, unique } from '../support/aws';
import { lambdaContext as context, sqsRecord } from '../support/lambda';

describe.skipIf(!motoEndpoint)('evaluate Lambda handler (SQS batch) against moto', () => {
  let dlqUrl: string;
  let handler: (
    event: SQSEvent,
    context: Context,
  ) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

  beforeAll(async () => {
    const { QueueUrl } = await sqsClient().send(
      new CreateQueueCommand({ QueueName: unique('driftguard-dlq') }),
    );
    dlqUrl = QueueUrl as string;
    // The handler wires itself from its environment on first invocation, as in Lambda.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_DLQ_URL: dlqUrl,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_CONFIG: JSON.stringify({ trustedCidrs: ['10.0.0.0/8'] }),
    });
    ({ handler } = await import('../../packages/functions/src/evaluate'));
  });

  it('reverts the good record, dead-letters the bad ones with their reason, and fails none of the batch', async () => {
    const ec2 = ec2Client();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('h'), Description: 'd', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const permissions = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    const { event } = await openIngress(ec2, groupId, permissions);

    const response = await handler(
      {
        Records: [
          sqsRecord('good', JSON.stringify(event)),
          sqsRecord('not-json', '{"detail": '),
          sqsRecord('not-cloudtrail', JSON.stringify({ 'detail-type': 'Something Else', detail: {} })),
        ],
      },
      context,
    );

    expect(response.batchItemFailures).toEqual([]);
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect((SecurityGroupRules ?? []).filter((rule) => !rule.IsEgress)).toEqual([]);

    const { Messages } = await sqsClient().send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const reasons = (Messages ?? []).map((message) => message.MessageAttributes?.reason?.StringValue).sort();
    expect(reasons).toEqual([
      'message body is not JSON',
      'unsupported EventBridge detail-type "Something Else" (expected "AWS API Call via CloudTrail" or "GuardDuty Finding")',
    ]);
    expect((Messages ?? []).map((message) => message.Body)).toContain('{"detail": ');
  });
});

// Attacks from the December review (issue 12 §4): input that is spoofed, non-canonical or built to
// exhaust the stack must never be acted on as if it were what it claims, and never be retried.
describe.skipIf(!motoEndpoint)('evaluate Lambda handler: hostile input', () => {
  let dlqUrl: string;
  let handler: (
    event: SQSEvent,
    context: Context,
  ) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

  beforeAll(async () => {
    const { QueueUrl } = await sqsClient().send(
      new CreateQueueCommand({ QueueName: unique('driftguard-dlq-hostile') }),
    );
    dlqUrl = QueueUrl as string;
    const table = unique('hostile-state');
    await ensureStateTable(dynamoClient(), table);
    vi.resetModules();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_DLQ_URL: dlqUrl,
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_CONFIG: JSON.stringify({ trustedCidrs: ['10.0.0.0/8'] }),
    });
    ({ handler } = await import('../../packages/functions/src/evaluate'));
  });

  async function deadLettered(): Promise<{ body: string; reason: string }[]> {
    const { Messages } = await sqsClient().send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    return (Messages ?? []).map((message) => ({
      body: message.Body ?? '',
      reason: message.MessageAttributes?.reason?.StringValue ?? '',
    }));
  }

  async function groupWithOpenIngress(cidr: string) {
    const ec2 = ec2Client();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('h'), Description: 'd', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const permissions = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: cidr }] }];
    const { event } = await openIngress(ec2, groupId, permissions);
    const ingress = async () => {
      const { SecurityGroupRules } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      );
      return (SecurityGroupRules ?? []).filter((rule) => !rule.IsEgress);
    };
    return { event, ingress };
  }

  it('an envelope whose account differs from recipientAccountId is spoofed: dead-lettered, nothing done', async () => {
    const { event, ingress } = await groupWithOpenIngress('0.0.0.0/0');
    const spoofed = { ...(event as Record<string, unknown>), account: '999988887777' };
    const response = await handler({ Records: [sqsRecord('spoofed', JSON.stringify(spoofed))] }, context);

    expect(response.batchItemFailures).toEqual([]);
    expect(await ingress()).toHaveLength(1);
    const [letter, ...rest] = await deadLettered();
    expect(rest).toEqual([]);
    expect(letter?.reason).toBe(
      'spoofed event: the EventBridge envelope names account 999988887777 but the CloudTrail record was delivered to 123456789012 (recipientAccountId)',
    );
  });

  it('a GuardDuty finding nested 20 000 deep (or over 256 KiB) goes straight to the DLQ with a reason, never retried', async () => {
    const fixture = JSON.parse(
      readFileSync(
        new URL('../fixtures/findings/01-ec2-backdoor-cc-dns-eventbridge.json', import.meta.url),
        'utf8',
      ),
    ) as { input: { detail: { id?: string; Id?: string; service: Record<string, unknown> } } };
    fixture.input.detail.service.additionalInfo = 'NESTED';
    // `aws guardduty get-findings` writes PascalCase keys ("Id"): the reader converts them recursively.
    fixture.input.detail.Id = fixture.input.detail.id;
    delete fixture.input.detail.id;
    const depth = 20_000;
    // Built as text: the nesting is deeper than JSON.stringify itself could write.
    const body = JSON.stringify(fixture.input).replace(
      '"NESTED"',
      `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`,
    );

    expect(body.length).toBeLessThan(256 * 1024);
    const huge = JSON.stringify({ ...fixture.input, padding: 'x'.repeat(300_000) });

    const response = await handler(
      { Records: [sqsRecord('deep', body, 1), sqsRecord('huge', huge, 1)] },
      context,
    );

    expect(response.batchItemFailures).toEqual([]);
    const letters = await deadLettered();
    expect(letters.map((letter) => letter.reason).sort()).toEqual([
      'input nested deeper than 64 levels (at $.detail.service.additionalInfo.a.a.a.a.a.…): refused as bad input',
      `message body is ${huge.length} bytes, over EventBridge's 256 KiB event limit`,
    ]);
  });

  it('a non-canonical 012.0.0.0/8 source is never read as the trusted 10.0.0.0/8 (octal): reverted', async () => {
    // A reader that takes the leading zero as decimal opened 12.0.0.0/8 (the internet) while the
    // record spells it 012.0.0.0/8, which ipaddr.js read as octal 10.0.0.0/8: trusted, ignored.
    const { event, ingress } = await groupWithOpenIngress('12.0.0.0/8');
    const text = JSON.stringify(event).replaceAll('"12.0.0.0/8"', '"012.0.0.0/8"');
    expect(text).not.toContain('"12.0.0.0/8"');
    const response = await handler({ Records: [sqsRecord('octal', text)] }, context);

    expect(response.batchItemFailures).toEqual([]);
    expect(await ingress()).toEqual([]);
  });
});
