import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { sendToDeadLetter } from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeIngressEvent } from '../../packages/cli/src/simulate/cloudtrail';
import { credentialsInAccount, ec2Client, motoEndpoint, sqsClient, unique } from '../support/aws';
import { runBuiltCli, runCli } from '../support/cli';

const ACCOUNT = '240000000001';

describe.skipIf(!motoEndpoint)('driftguard sweep and driftguard dlq, as a user runs them (moto)', () => {
  const env = () => ({
    AWS_ENDPOINT_URL: motoEndpoint,
    AWS_REGION: 'us-east-1',
    DRIFTGUARD_READ_ORGANIZATION: 'false',
  });

  describe('sweep', () => {
    let groupId: string;
    beforeAll(async () => {
      const ec2 = ec2Client('eu-west-1', await credentialsInAccount(ACCOUNT));
      const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
      ({ GroupId: groupId = '' } = await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: unique('cli'), Description: 'cli', VpcId: Vpc?.VpcId }),
      ));
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          ],
        }),
      );
    });

    it('without --apply reports the drift, changes nothing, shows progress on stderr, exits 1', async () => {
      // The prebuilt command, end to end (the other cases run the same entry function in-process).
      const run = await runBuiltCli(['sweep', '--accounts', ACCOUNT, '--regions', 'eu-west-1'], {
        env: env(),
      });
      expect(run.stderr).toContain('report only: nothing is changed without --apply');
      expect(run.stderr).toMatch(
        new RegExp(`\\[\\d+/\\d+\\] ${ACCOUNT} eu-west-1 security-groups: \\d+ resource\\(s\\)`),
      );
      expect(run.stdout).toContain(groupId);
      expect(run.stdout).toMatch(/sg-open-ingress\s+critical\s+revert/);
      expect(run.code).toBe(1);
      const ec2 = ec2Client('eu-west-1', await credentialsInAccount(ACCOUNT));
      const { SecurityGroupRules = [] } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      );
      expect(SecurityGroupRules.filter((rule) => !rule.IsEgress)).toHaveLength(1);
    }, 60_000);

    it('--apply --json reverts through the pipeline; the report says found by sweep and verified', async () => {
      const run = await runCli(
        ['sweep', '--accounts', ACCOUNT, '--regions', 'eu-west-1', '--apply', '--json'],
        {
          env: env(),
        },
      );
      const report = JSON.parse(run.stdout);
      const item = report.items.find(
        (candidate: { resourceId: string; rule?: string }) =>
          candidate.resourceId === groupId && candidate.rule === 'sg-open-ingress',
      );
      expect(item).toMatchObject({
        status: 'violation',
        outcome: 'reverted',
        verified: true,
        account: ACCOUNT,
        region: 'eu-west-1',
      });
      expect(item.eventId).toMatch(/^driftguard-sweep:/);
      expect(report.totals.failedUnits).toBe(0);
      const again = await runCli(['sweep', '--accounts', ACCOUNT, '--regions', 'eu-west-1', '--json'], {
        env: env(),
      });
      const violations = JSON.parse(again.stdout).items.filter(
        (candidate: { status: string }) => candidate.status === 'violation',
      );
      // Nothing left but driftguard's own footprint, which this account never got (no member stack):
      // the sweep says so rather than calling the account clean.
      expect(violations.map((candidate: { rule: string }) => candidate.rule)).toEqual([
        'driftguard-integrity',
      ]);
      expect(again.code).toBe(1);
    }, 60_000);

    it('names bad usage clearly: an account id that is not one, no accounts at all', async () => {
      const bad = await runCli(['sweep', '--accounts', '12345', '--regions', 'eu-west-1'], { env: env() });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('not 12-digit account ids: 12345');
      const none = await runCli(['sweep', '--regions', 'eu-west-1'], { env: env() });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('no accounts to sweep');
    }, 60_000);
  });

  describe('dlq', () => {
    let source: string;
    let dlq: string;
    const event = authorizeIngressEvent({
      account: ACCOUNT,
      region: 'us-east-1',
      groupId: 'sg-0123456789abcdef0',
      permissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });

    beforeAll(async () => {
      const sqs = sqsClient();
      dlq = (await sqs.send(new CreateQueueCommand({ QueueName: unique('cli-dlq') }))).QueueUrl as string;
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }),
      );
      source = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: unique('cli-events'),
            Attributes: {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: Attributes?.QueueArn,
                maxReceiveCount: 5,
              }),
            },
          }),
        )
      ).QueueUrl as string;
      await sendToDeadLetter(sqs, dlq, '{"detail": ', 'message body is not JSON');
      await sendToDeadLetter(
        sqs,
        dlq,
        JSON.stringify(event),
        'gave up after 5 deliveries: RequestLimitExceeded: Rate exceeded',
      );
      // Moved by SQS's own redrive policy: no reason attached.
      await sqs.send(
        new SendMessageCommand({ QueueUrl: dlq, MessageBody: JSON.stringify({ hello: 'world' }) }),
      );
    });

    it('list shows every dead letter with its reason and consumes none', async () => {
      const run = await runCli(['dlq', 'list', '--json'], { env: { ...env(), DRIFTGUARD_DLQ_URL: dlq } });
      expect(run.code).toBe(0);
      const letters = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(letters.map((letter) => letter.reason ?? null).sort()).toEqual([
        'gave up after 5 deliveries: RequestLimitExceeded: Rate exceeded',
        'message body is not JSON',
        null,
      ]);
      const withEvent = letters.find((letter) => letter.reason?.startsWith('gave up'));
      expect(withEvent).toMatchObject({
        event: (event.detail as { eventID: string }).eventID,
        eventName: 'AuthorizeSecurityGroupIngress',
      });
      const table = await runCli(['dlq', 'list', '--dlq', dlq], { env: env() });
      expect(table.stdout).toContain('no reason recorded: moved by SQS after maxReceiveCount');
      expect(table.stdout).toContain('3 dead letter(s)');
    }, 60_000);

    it('redrive --reason moves only the matching letters back to the source queue, found from the redrive policy', async () => {
      const run = await runCli(['dlq', 'redrive', '--dlq', dlq, '--reason', 'gave up'], { env: env() });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`moved 1 message(s) to ${source}; 2 left (reason did not match)`);
      const sqs = sqsClient();
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: source,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      expect(Messages.map((message) => message.Body)).toEqual([JSON.stringify(event)]);
      expect(Messages[0]?.MessageAttributes?.previousReason?.StringValue).toMatch(
        /^gave up after 5 deliveries/,
      );
      const left = await runCli(['dlq', 'list', '--json', '--dlq', dlq], { env: env() });
      expect(left.stdout.trim().split('\n')).toHaveLength(2);
    }, 60_000);

    it('says what is missing: no DLQ configured, a queue that does not exist', async () => {
      const none = await runCli(['dlq', 'list'], { env: { ...env(), DRIFTGUARD_DLQ_URL: '' } });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('no dead-letter queue: pass --dlq <queue url> or set DRIFTGUARD_DLQ_URL');
      const missing = await runCli(
        ['dlq', 'list', '--dlq', `${motoEndpoint}/123456789012/${unique('nope')}`],
        { env: env() },
      );
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/queue .* does not exist/);
    }, 60_000);
  });
});
