import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ec2Client, motoEndpoint, openIngress, sqsClient, unique } from '../support/aws';
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
