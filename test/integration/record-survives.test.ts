import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecurityGroupCommand, CreateVpcCommand, type IpPermission } from '@aws-sdk/client-ec2';
import { auditReader, ensureStateTable, type RuntimeEnv, runtimeFromEnv } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { processRecord } from '../../packages/functions/src/evaluate';
import { dynamoClient, ec2Client, motoEndpoint, openIngress, unique } from '../support/aws';
import { type Call, type FaultProxy, startFaultProxy } from '../support/faults';
import { sqsRecord } from '../support/lambda';

const SSH_OPEN: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];

/** The audit trail's write of an intent (before the revert). */
const auditIntentWrite = (call: { service: string; action: string; body?: string }) =>
  call.service === 'dynamodb' &&
  call.action === 'PutItem' &&
  (call.body ?? '').includes('"AUDIT#') &&
  (call.body ?? '').includes('"status":{"S":"intended"}');

/** The audit trail's write of a result (not of an intent): what the table refuses in this test. */
const auditResultWrite = (call: { service: string; action: string; body?: string }) =>
  call.service === 'dynamodb' &&
  call.action === 'PutItem' &&
  (call.body ?? '').includes('"AUDIT#') &&
  !(call.body ?? '').includes('"status":{"S":"intended"}');

describe.skipIf(!motoEndpoint)(
  'the record of a revert survives a failure after the act (evaluate handler, moto)',
  () => {
    let proxy: FaultProxy;
    beforeAll(async () => {
      proxy = await startFaultProxy(motoEndpoint as string);
    });
    afterAll(async () => {
      await proxy?.close();
    });

    /**
     * A fresh state table, the evaluate runtime behind the fault proxy, and a security group in moto
     * that was just opened to the internet: the event of that change and the rules it added.
     */
    const openGroupScene = async (name: string, env: RuntimeEnv = {}) => {
      const table = unique(name);
      await ensureStateTable(dynamoClient(), table);
      const runtimeEnv = {
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_REGION: 'us-east-1',
        DRIFTGUARD_TABLE: table,
        DRIFTGUARD_READ_ORGANIZATION: 'false',
        ...env,
      };
      const runtime = runtimeFromEnv(runtimeEnv);
      const audit = auditReader({ region: 'us-east-1', endpoint: motoEndpoint, tableName: table });
      const ec2 = ec2Client();
      const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
      const { GroupId } = await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: unique(name), Description: 'd', VpcId: Vpc?.VpcId }),
      );
      const { event, addedRules } = await openIngress(ec2, GroupId as string, SSH_OPEN);
      const detail = event.detail as { eventID: string; eventTime: string };
      // Another Lambda container of the same function (its own clients, the same table).
      const container = () => runtimeFromEnv(runtimeEnv);
      return { runtime, audit, event, addedRules, detail, table, container };
    };

    it('the audit write fails after the revert; the redelivery records driftguard’s own verified revert, not "already compliant"', async () => {
      const { runtime, audit, event, addedRules, detail } = await openGroupScene('survives');
      const ref = { eventTime: detail.eventTime, eventId: detail.eventID };
      const body = JSON.stringify(event);

      // Delivery 1: the revert happens, then every write of its result is throttled.
      proxy.setPlan({ throttle: 1, eligible: auditResultWrite });
      await expect(processRecord(sqsRecord('m-1', body, 1), runtime)).rejects.toThrow(
        `the audit record of event ${detail.eventID} could not be written`,
      );
      expect(proxy.stats.throttled).toBeGreaterThan(0);
      expect(proxy.stats.revoked.get(addedRules[0]?.SecurityGroupRuleId as string)).toBe(1);
      // What the trail holds meanwhile: the intent, written before the revert.
      const meanwhile = await audit.get(ref);
      expect(meanwhile?.outcome.status).toBe('intended');
      expect(meanwhile?.intent?.operations.map((operation) => operation.operation)).toEqual([
        'ec2:RevokeSecurityGroupIngress',
      ]);

      // Delivery 2 (the queue's retry), with the table healthy again.
      proxy.setPlan({});
      await processRecord(sqsRecord('m-1', body, 2), runtime);
      const record = await audit.get(ref);
      expect(record?.action).toBe('revert');
      expect(record?.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(record?.outcome.summary).toContain(
        `reverted by driftguard: an earlier delivery of this event set out to revert it at ${meanwhile?.intent?.at}`,
      );
      expect(record?.outcome.summary).toContain('re-read now: nothing left to revert (verified)');
      expect(record?.deliveries).toBe(2);
      // Reverted once: the redelivery re-read the group and found nothing left to do.
      expect(proxy.stats.revoked.get(addedRules[0]?.SecurityGroupRuleId as string)).toBe(1);
    });

    it('the intent is written while the group is re-read; when it fails, nothing is revoked and the retry reverts once', async () => {
      const { runtime, audit, event, addedRules, detail } = await openGroupScene('intent-fails');
      const ruleId = addedRules[0]?.SecurityGroupRuleId as string;
      const body = JSON.stringify(event);

      // Delivery 1: every write of the intent is throttled (the SDK's retries included).
      proxy.reset();
      proxy.setPlan({ throttle: 1, eligible: auditIntentWrite });
      await expect(processRecord(sqsRecord('m-1', body, 1), runtime)).rejects.toThrow(
        `the intent of event ${detail.eventID} could not be recorded, so nothing was done`,
      );
      expect(proxy.stats.throttled).toBeGreaterThan(0);
      // The executor re-read the group meanwhile, and revoked nothing.
      expect(proxy.stats.applied.get('DescribeSecurityGroupRules')).toBeGreaterThan(0);
      expect(proxy.stats.revoked.get(ruleId)).toBeUndefined();
      expect(await audit.get({ eventTime: detail.eventTime, eventId: detail.eventID })).toBeUndefined();

      // Delivery 2 (the queue's retry), with the table healthy again: reverted once, recorded.
      proxy.setPlan({});
      await processRecord(sqsRecord('m-1', body, 2), runtime);
      expect(proxy.stats.revoked.get(ruleId)).toBe(1);
      const record = await audit.get({ eventTime: detail.eventTime, eventId: detail.eventID });
      expect(record?.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(record?.deliveries).toBe(1);
    });
    it('the function dies after marking the event completed, before its record of the result lands; a duplicate meanwhile is not taken for done, the retry after the lock records the verified revert', async () => {
      const { runtime, audit, event, addedRules, detail, table, container } = await openGroupScene(
        'dies-after-marker',
        // The held write waits as long as the test needs: the client does not give up on it.
        { DRIFTGUARD_REQUEST_TIMEOUT_MS: '600000' },
      );
      const ruleId = addedRules[0]?.SecurityGroupRuleId as string;
      const ref = { eventTime: detail.eventTime, eventId: detail.eventID };
      const body = JSON.stringify(event);
      const markerKey = { pk: { S: `DEDUPE#${detail.eventID}` }, sk: { S: 'EVENT' } };
      const marker = async () =>
        (
          await dynamoClient().send(
            new GetItemCommand({
              TableName: table,
              Key: markerKey,
              ConsistentRead: true,
            }),
          )
        ).Item?.state?.S;

      // Delivery 1 reverts; its record of the result is held and never lands (the function dies
      // there), while the event's completion, sent alongside it, does land.
      let die = () => {};
      const dead = new Promise<void>((resolve) => {
        die = resolve;
      });
      // Only that one write: the other deliveries' writes go through.
      let dying: Call | undefined;
      proxy.reset();
      proxy.setPlan({
        hold: (call) => {
          if (dying || !auditResultWrite(call)) return undefined;
          dying = call;
          return dead;
        },
        throttle: 1,
        // Refused once let go, and so are the SDK's retries of it (the same request).
        eligible: (call) => call.body === dying?.body,
      });
      const first = processRecord(sqsRecord('m-1', body, 1), runtime);
      first.catch(() => undefined);
      await vi.waitFor(async () => expect(await marker()).toBe('completed'), { timeout: 20_000 });
      expect(proxy.stats.revoked.get(ruleId)).toBe(1);
      expect((await audit.get(ref))?.outcome.status).toBe('intended');

      // A redelivery meanwhile (another container): the marker says completed, the record does not
      // hold the result, and the lock still holds: in progress, retried later, never a duplicate.
      await expect(processRecord(sqsRecord('m-1', body, 2), container())).rejects.toThrow(
        'is being processed by another delivery',
      );

      // Once the lock has expired (its 120 s pass: the marker's lock is moved into the past), the
      // retry takes the event over and resolves the intent.
      await dynamoClient().send(
        new UpdateItemCommand({
          TableName: table,
          Key: markerKey,
          UpdateExpression: 'SET lockedUntil = :past',
          ExpressionAttributeValues: { ':past': { N: String(Date.now() - 1) } },
        }),
      );
      await processRecord(sqsRecord('m-1', body, 3), container());
      const record = await audit.get(ref);
      expect(record?.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(record?.outcome.summary).toContain('reverted by driftguard: an earlier delivery of this event');
      expect(record?.deliveries).toBe(2);
      expect(proxy.stats.revoked.get(ruleId)).toBe(1);
      expect(await marker()).toBe('completed');

      // The dead delivery's held write, let go at last, is refused: the record stands.
      die();
      await expect(first).rejects.toThrow(`the audit record of event ${detail.eventID} could not be written`);
      proxy.setPlan({});
      expect((await audit.get(ref))?.outcome.status).toBe('reverted');
      // And a later duplicate is one: the marker stands now that the record holds the result.
      const again = await container().pipeline.process(event);
      expect(again.duplicate).toBeDefined();
      expect(proxy.stats.revoked.get(ruleId)).toBe(1);
    }, 120_000);
  },
);
