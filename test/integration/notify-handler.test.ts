import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoAuditStore, ensureStateTable } from '@driftguard/aws';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, ec2Client, motoEndpoint, openIngress, unique } from '../support/aws';
import { lambdaContext as context, sqsRecord } from '../support/lambda';
import { type Loopback, loopback } from '../support/notify';

const OPEN_SSH = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];

async function openGroup(ec2: EC2Client) {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: unique('web'), Description: 'web', VpcId: Vpc?.VpcId }),
  );
  const groupId = GroupId as string;
  const { event } = await openIngress(ec2, groupId, OPEN_SSH);
  return { groupId, event };
}

async function ingress(ec2: EC2Client, groupId: string): Promise<number> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (SecurityGroupRules ?? []).filter((rule) => !rule.IsEgress).length;
}

describe.skipIf(!motoEndpoint)(
  'evaluate handler: a channel failure never fails the batch item, a lost audit record does',
  () => {
    let slack: Loopback;
    let tableName: string;
    let handler: (
      event: SQSEvent,
      context: Context,
    ) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

    beforeAll(async () => {
      slack = await loopback(() => ({ status: 503, body: 'service_unavailable' }));
      tableName = unique('driftguard-state');
      await ensureStateTable(dynamoClient(), tableName);
      // The handler wires itself from its environment on first invocation, as in Lambda.
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: motoEndpoint,
        DRIFTGUARD_READ_ORGANIZATION: 'false',
        DRIFTGUARD_TABLE: tableName,
        SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/HANDLER`,
        DRIFTGUARD_CONFIG: JSON.stringify({
          trustedCidrs: ['10.0.0.0/8'],
          notifications: { delivery: { attempts: 2, backoffMs: 10 } },
        }),
      });
      ({ handler } = await import('../../packages/functions/src/evaluate'));
    });
    afterAll(async () => {
      await slack?.close();
    });

    it('Slack down: the revert is verified, the failure is in the audit record, and no item fails', async () => {
      const ec2 = ec2Client();
      const { groupId, event } = await openGroup(ec2);
      const response = await handler({ Records: [sqsRecord('m-1', JSON.stringify(event))] }, context);
      expect(response.batchItemFailures).toEqual([]);
      expect(await ingress(ec2, groupId)).toBe(0);
      expect(slack.requests).toHaveLength(2);
      const detail = event.detail as { eventID: string; eventTime: string };
      const record = await dynamoAuditStore(DynamoDBDocumentClient.from(dynamoClient()), tableName, {
        retentionDays: 1,
      }).get({ eventId: detail.eventID, eventTime: detail.eventTime });
      expect(record).toMatchObject({
        outcome: { status: 'reverted', verified: true },
        channels: {
          slack: {
            ok: false,
            attempts: 2,
            detail: 'slack: HTTP 503 service_unavailable (gave up after 2 attempt(s))',
          },
        },
      });
    });

    it('state table gone: the event cannot be recorded, so the batch fails (SQS retries it) and nobody is told', async () => {
      await dynamoClient().send(new DeleteTableCommand({ TableName: tableName }));
      const ec2 = ec2Client();
      const { event } = await openGroup(ec2);
      const before = slack.requests.length;
      // Powertools reports a batch whose every item failed by throwing: the whole batch is retried.
      await expect(handler({ Records: [sqsRecord('m-2', JSON.stringify(event))] }, context)).rejects.toThrow(
        /All records failed processing/,
      );
      expect(slack.requests.length).toBe(before);
    });
  },
);
