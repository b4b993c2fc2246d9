/**
 * The sweep's integrity check of driftguard's own footprint, against moto, through the real sweep
 * worker Lambda handler. Each member account gets the generated member template as a real
 * CloudFormation stack; a member admin then tampers with it (deletes a forwarding rule, disables
 * one, rewrites its pattern, points it at another bus, widens the remediation role's trust). What a
 * user notices: a critical driftguard-integrity alert on the SNS topic that says what differs, the
 * exact reverts done where they exist, and nothing at all for an untampered footprint, including in
 * a region where the template creates no IAM rule. A footprint that cannot be read (the remediation
 * role refused, ListRules denied) is a finding too, never a pass.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { dynamoSweepRunStore, ensureStateTable } from '@driftguard/aws';
import { FORWARDING_TARGET_ID, remediationTrustPolicy } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberParameters, memberTemplate } from '../../infra/member-template';
import {
  clientOptions,
  credentialsInAccount,
  dynamoClient,
  motoEndpoint,
  sqsClient,
  unique,
} from '../support/aws';
import { type FaultProxy, startFaultProxy } from '../support/faults';
import { lambdaContext, sqsRecord } from '../support/lambda';

const HOME = 'us-east-1';
const OTHER = 'eu-west-1';
const PREFIX = 'driftguard-test-forward-';
const ROLE = 'DriftGuardRemediation';
const ORGANIZATION = 'o-a1b2c3d4e5';
const EXTERNAL_ID = 'driftguard-test-external-id';
const CENTRAL = '263000000000';
const CENTRAL_ROLE = `arn:aws:iam::${CENTRAL}:role/driftguard-test-central`;
const CENTRAL_BUS = `arn:aws:events:${HOME}:${CENTRAL}:event-bus/driftguard-test`;
const ELSEWHERE = 'arn:aws:events:us-east-1:444455556666:event-bus/attacker';

/** One account per case, so each tamper is judged on its own (and one stays untampered). */
const ACCOUNTS = {
  intact: '263000000001',
  deleted: '263000000002',
  disabled: '263000000003',
  pattern: '263000000004',
  retargeted: '263000000005',
  trust: '263000000006',
  denied: '263000000007',
  unlisted: '263000000008',
} as const;

const EC2_RULE = `${PREFIX}cloudtrail-ec2`;
const IAM_RULE = `${PREFIX}cloudtrail-iam`;
const TEMPLATE_TRUST = remediationTrustPolicy({
  centralRoleArn: CENTRAL_ROLE,
  organizationId: ORGANIZATION,
  externalId: EXTERNAL_ID,
});
const template = memberTemplate({ remediationRoleName: ROLE, forwardingPrefix: PREFIX });

async function deployMember(credentials: AwsCredentialIdentity, account: string, region: string) {
  const cfn = new CloudFormationClient(clientOptions(region, credentials));
  const StackName = 'driftguard-test-member';
  const parameters = memberParameters(template, {
    centralEventBusArn: CENTRAL_BUS,
    centralFunctionRoleArn: CENTRAL_ROLE,
    organizationId: ORGANIZATION,
    externalId: EXTERNAL_ID,
    roleRegion: HOME,
    forwardGuardDutyFindings: false,
  });
  await cfn.send(
    new CreateStackCommand({
      StackName,
      TemplateBody: JSON.stringify(template),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
    }),
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName }));
    const status = Stacks?.[0]?.StackStatus ?? '';
    if (status === 'CREATE_COMPLETE') return;
    if (!status.endsWith('IN_PROGRESS')) throw new Error(`member stack in ${account}/${region}: ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`member stack in ${account}/${region} did not complete`);
}

type Worker = typeof import('../../packages/functions/src/sweep-worker').handler;

describe.skipIf(!motoEndpoint)(
  "the sweep's integrity check of driftguard's footprint (moto, sweep worker)",
  () => {
    const table = unique('footprint-state');
    const runs = dynamoSweepRunStore(DynamoDBDocumentClient.from(dynamoClient()), table);
    const admin = new Map<string, AwsCredentialIdentity>();
    let worker: Worker;
    let proxy: FaultProxy;
    let sqs: SQSClient;
    let alertQueue: string;

    const events = (account: string, region = HOME) =>
      new EventBridgeClient(clientOptions(region, admin.get(account)));
    const iam = (account: string) => new IAMClient(clientOptions(HOME, admin.get(account)));

    /** Every alert published so far, parsed (the SNS notification's JSON message). */
    const published: Record<string, unknown>[] = [];
    async function alertsFor(account: string) {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: alertQueue, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) published.push(JSON.parse(JSON.parse(message.Body ?? '{}').Message));
      }
      return published.filter(
        (alert) => (alert.event as { account?: string } | undefined)?.account === account,
      );
    }

    /** One sweep run over these units, each delivered to the worker handler as its SQS message. */
    async function sweep(account: string, regions: string[] = [HOME]) {
      const runId = unique('run').slice(0, 40);
      const observedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await runs.start({ runId, startedAt: observedAt, planned: regions.length });
      const records = regions.map((region) =>
        sqsRecord(
          unique('unit'),
          JSON.stringify({ runId, account, region, describer: 'driftguard-footprint', observedAt, regions }),
        ),
      );
      const response = await worker({ Records: records }, lambdaContext);
      return { response, run: await runs.get(runId) };
    }

    const integrityAlerts = async (account: string) =>
      (await alertsFor(account)).filter((alert) => alert.rule === 'driftguard-integrity');
    const reasonsOf = (alert: Record<string, unknown> | undefined) =>
      ((alert?.offenses as { reason: string }[] | undefined) ?? [])
        .map((offense) => offense.reason)
        .join(' | ');

    beforeAll(async () => {
      for (const account of Object.values(ACCOUNTS)) admin.set(account, await credentialsInAccount(account));
      for (const account of Object.values(ACCOUNTS)) {
        if (account === ACCOUNTS.unlisted) continue;
        await deployMember(admin.get(account) as AwsCredentialIdentity, account, HOME);
      }
      // The untampered account has a stack instance in a second region too: no IAM rule there.
      await deployMember(admin.get(ACCOUNTS.intact) as AwsCredentialIdentity, ACCOUNTS.intact, OTHER);

      sqs = sqsClient(HOME);
      const sns = new SNSClient(clientOptions(HOME));
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: unique('footprint-alerts') }));
      ({ QueueUrl: alertQueue = '' } = await sqs.send(
        new CreateQueueCommand({ QueueName: unique('footprint-alerts') }),
      ));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: alertQueue, AttributeNames: ['QueueArn'] }),
      );
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
      await ensureStateTable(dynamoClient(), table);
      // The remediation role of one account refuses driftguard (AccessDenied on AssumeRole).
      proxy = await startFaultProxy(motoEndpoint as string, { deniedAccounts: [ACCOUNTS.denied] });
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_REGION: HOME,
        DRIFTGUARD_READ_ORGANIZATION: 'false',
        DRIFTGUARD_TABLE: table,
        DRIFTGUARD_TOPIC_ARN: TopicArn,
        DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT: '1',
        DRIFTGUARD_CONFIG: JSON.stringify({
          organizationId: ORGANIZATION,
          externalId: EXTERNAL_ID,
          centralRoleArn: CENTRAL_ROLE,
          remediationRoleName: ROLE,
        }),
        // What the deployment sets (infra/environment.ts), laid over the config.
        DRIFTGUARD_CENTRAL_BUS_ARN: CENTRAL_BUS,
        DRIFTGUARD_ROLE_REGION: HOME,
        DRIFTGUARD_FORWARDING_PREFIX: PREFIX,
        DRIFTGUARD_FORWARD_GUARDDUTY_FINDINGS: 'false',
      });
      ({ handler: worker } = await import('../../packages/functions/src/sweep-worker'));
    }, 240_000);

    afterAll(async () => {
      await proxy?.close();
    });

    it('the untampered footprint, in the role region and in a region without the IAM rule: no finding', async () => {
      const rules = await events(ACCOUNTS.intact, OTHER).send(new ListRulesCommand({ NamePrefix: PREFIX }));
      expect(rules.Rules?.map((rule) => rule.Name)).not.toContain(IAM_RULE);
      const { response, run } = await sweep(ACCOUNTS.intact, [HOME, OTHER]);
      expect(response.batchItemFailures).toEqual([]);
      expect(run).toMatchObject({ done: 2, failed: 0, violations: 0, resources: 2 });
      expect(await integrityAlerts(ACCOUNTS.intact)).toEqual([]);
    }, 60_000);

    it('a deleted forwarding rule: critical, named', async () => {
      const client = events(ACCOUNTS.deleted);
      await client.send(new RemoveTargetsCommand({ Rule: IAM_RULE, Ids: [FORWARDING_TARGET_ID] }));
      await client.send(new DeleteRuleCommand({ Name: IAM_RULE }));
      const { response, run } = await sweep(ACCOUNTS.deleted);
      expect(response.batchItemFailures).toEqual([]);
      expect(run).toMatchObject({ done: 1, violations: 1 });
      const [alert] = await integrityAlerts(ACCOUNTS.deleted);
      expect(alert).toMatchObject({ severity: 'critical', status: 'violation' });
      expect(reasonsOf(alert)).toContain(`forwarding rule ${IAM_RULE} is missing`);
    }, 60_000);

    it('a disabled forwarding rule: critical, and enabled again (read back ENABLED)', async () => {
      await events(ACCOUNTS.disabled).send(new DisableRuleCommand({ Name: EC2_RULE }));
      const { run } = await sweep(ACCOUNTS.disabled);
      expect(run).toMatchObject({ done: 1, violations: 1 });
      const [alert] = await integrityAlerts(ACCOUNTS.disabled);
      expect(reasonsOf(alert)).toContain(`${EC2_RULE} is DISABLED`);
      expect(alert).toMatchObject({ severity: 'critical', outcome: 'reverted', verified: true });
      const { State } = await events(ACCOUNTS.disabled).send(new DescribeRuleCommand({ Name: EC2_RULE }));
      expect(State).toBe('ENABLED');
    }, 60_000);

    it('a rewritten pattern: critical, saying which events it no longer forwards', async () => {
      const client = events(ACCOUNTS.pattern);
      const { EventPattern = '{}' } = await client.send(new DescribeRuleCommand({ Name: EC2_RULE }));
      const pattern = JSON.parse(EventPattern);
      pattern.detail.eventName = pattern.detail.eventName.filter(
        (name: string) => name !== 'AuthorizeSecurityGroupIngress',
      );
      await client.send(
        new PutRuleCommand({ Name: EC2_RULE, EventPattern: JSON.stringify(pattern), State: 'ENABLED' }),
      );
      const { run } = await sweep(ACCOUNTS.pattern);
      expect(run).toMatchObject({ done: 1, violations: 1 });
      const [alert] = await integrityAlerts(ACCOUNTS.pattern);
      expect(alert).toMatchObject({ severity: 'critical' });
      expect(reasonsOf(alert)).toContain(
        `${EC2_RULE}'s event pattern differs from the template (detail.eventName lost AuthorizeSecurityGroupIngress)`,
      );
    }, 60_000);

    it('a rule pointed at another bus: critical, naming that bus, and the central target put back', async () => {
      const client = events(ACCOUNTS.retargeted);
      const { Targets = [] } = await client.send(new ListTargetsByRuleCommand({ Rule: EC2_RULE }));
      const roleArn = Targets[0]?.RoleArn;
      await client.send(
        new PutTargetsCommand({
          Rule: EC2_RULE,
          Targets: [{ Id: FORWARDING_TARGET_ID, Arn: ELSEWHERE, RoleArn: roleArn }],
        }),
      );
      const { run } = await sweep(ACCOUNTS.retargeted);
      expect(run).toMatchObject({ done: 1, violations: 1 });
      const [alert] = await integrityAlerts(ACCOUNTS.retargeted);
      expect(reasonsOf(alert)).toContain(`sends events to ${ELSEWHERE}, not the central bus ${CENTRAL_BUS}`);
      expect(alert).toMatchObject({ severity: 'critical', outcome: 'reverted', verified: true });
      const after = await client.send(new ListTargetsByRuleCommand({ Rule: EC2_RULE }));
      expect(after.Targets?.map((target) => target.Arn)).toEqual([CENTRAL_BUS]);
    }, 60_000);

    it("a widened trust on DriftGuardRemediation: critical, naming who else it trusts, and the template's trust restored", async () => {
      const widened = {
        ...TEMPLATE_TRUST,
        Statement: [
          ...TEMPLATE_TRUST.Statement,
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNTS.trust}:root` },
            Action: 'sts:AssumeRole',
          },
        ],
      };
      await iam(ACCOUNTS.trust).send(
        new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: JSON.stringify(widened) }),
      );
      const { run } = await sweep(ACCOUNTS.trust);
      expect(run).toMatchObject({ done: 1, violations: 1 });
      const [alert] = await integrityAlerts(ACCOUNTS.trust);
      expect(reasonsOf(alert)).toContain(
        `${ROLE}'s trust policy differs from the template (it also trusts arn:aws:iam::${ACCOUNTS.trust}:root)`,
      );
      expect(alert).toMatchObject({ severity: 'critical', outcome: 'reverted', verified: true });
      const { Role } = await iam(ACCOUNTS.trust).send(new GetRoleCommand({ RoleName: ROLE }));
      const text = Role?.AssumeRolePolicyDocument ?? '';
      expect(JSON.parse(text.startsWith('{') ? text : decodeURIComponent(text))).toEqual(TEMPLATE_TRUST);
    }, 60_000);

    it('a remediation role that refuses driftguard: "cannot verify", and the unit is counted failed', async () => {
      const { run } = await sweep(ACCOUNTS.denied);
      expect(run).toMatchObject({ done: 0, failed: 1 });
      const [alert] = await integrityAlerts(ACCOUNTS.denied);
      expect(alert).toMatchObject({ severity: 'critical', status: 'violation' });
      expect(reasonsOf(alert)).toMatch(
        /^cannot verify driftguard's footprint: (CredentialsError: )?cannot assume arn:aws:iam::263000000007:role\/DriftGuardRemediation: .*(AccessDenied|not authorized)/,
      );
    }, 60_000);

    it('ListRules denied (an SCP or a deny on the role): "cannot verify", never an empty footprint that passes', async () => {
      // moto cannot deny one call to an assumed role: the one error it cannot produce.
      const denied = Object.assign(new Error('User is not authorized to perform: events:ListRules'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      });
      const mock = mockClient(EventBridgeClient);
      mock.on(ListRulesCommand).rejects(denied);
      try {
        const { run } = await sweep(ACCOUNTS.unlisted);
        expect(run).toMatchObject({ failed: 1 });
      } finally {
        mock.restore();
      }
      const [alert] = await integrityAlerts(ACCOUNTS.unlisted);
      expect(alert).toMatchObject({ severity: 'critical', status: 'violation' });
      expect(reasonsOf(alert)).toBe(
        "cannot verify driftguard's footprint: AccessDeniedException: User is not authorized to perform: events:ListRules",
      );
    }, 60_000);
  },
);
