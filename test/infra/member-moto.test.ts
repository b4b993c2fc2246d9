/**
 * The generated member template, deployed to moto's CloudFormation in two throwaway member
 * accounts, forwarding to a central bus in a third: the stacks create, the role and rules are what
 * the template says, and the fixture events put on the members' default buses reach the central
 * bus exactly when they should. moto implements EventBridge's pattern matching and bus-to-bus
 * delivery independently of our code, so this checks the patterns against real semantics.
 *
 * This suite runs its own moto process rather than the shared one: moto re-parses JSONPath for
 * every event it delivers (~1 s of CPU each), and that load must not stall the other suites'
 * calls on the shared server. Accounts are random all the same.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import {
  CATALOG,
  CLOUDTRAIL_DETAIL_TYPE,
  eventBridgeSource,
  REMEDIATION_SESSION_NAME,
  watchesCall,
} from '@driftguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberActions, memberParameters, memberTemplate } from '../../infra/member-template';
import { memberPatterns } from '../../infra/patterns';
import { MOTO_INSTALL_HINT, type MotoServer, motoAvailable, startMoto } from '../../packages/cli/src/moto';
import { loadCases } from '../support/cases';
import { resolveForAccount } from '../support/event-bus';

const REGION = 'us-east-1';
const ORG = 'o-exampleorg1';
const EXTERNAL_ID = 'driftguard-test-external-id';
const CENTRAL_ROLE = 'driftguard-test-central';

const randomAccount = () => String(100_000_000_000 + Math.floor(Math.random() * 800_000_000_000));
const central = randomAccount();
const withGuardDuty = randomAccount();
const withoutGuardDuty = randomAccount();

let ownMoto: MotoServer | undefined;
let endpoint: string;
const credentials = new Map<string, AwsCredentialIdentity>();
const options = (account: string) => ({
  region: REGION,
  endpoint,
  credentials: credentials.get(account) ?? { accessKeyId: 'testing', secretAccessKey: 'testing' },
  maxAttempts: 2,
});

const template = memberTemplate({ remediationRoleName: 'DriftGuardRemediation' });
const busName = `driftguard-test-${Date.now().toString(36)}`;
const busArn = `arn:aws:events:${REGION}:${central}:event-bus/${busName}`;
let queueUrl: string;

async function deployMember(account: string, forwardGuardDuty: boolean) {
  const cfn = new CloudFormationClient(options(account));
  const stackName = `driftguard-member-${forwardGuardDuty ? 'gd' : 'nogd'}`;
  const parameters = memberParameters(template, {
    centralEventBusArn: busArn,
    centralFunctionRoleArn: `arn:aws:iam::${central}:role/${CENTRAL_ROLE}`,
    organizationId: ORG,
    externalId: EXTERNAL_ID,
    roleRegion: REGION,
    forwardGuardDutyFindings: forwardGuardDuty,
  });
  await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify(template),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
    }),
  );
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const status = Stacks?.[0]?.StackStatus ?? '';
    if (status === 'CREATE_COMPLETE') return;
    if (!status.endsWith('IN_PROGRESS')) throw new Error(`stack ${stackName} in ${account}: ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`stack ${stackName} in ${account} did not complete`);
}

beforeAll(async () => {
  if (!motoAvailable()) {
    throw new Error(
      `moto is not installed; this suite deploys the member template to it (${MOTO_INSTALL_HINT})`,
    );
  }
  ownMoto = await startMoto();
  endpoint = ownMoto.endpoint;
  // moto keys accounts off assumed-role sessions.
  for (const account of [central, withGuardDuty, withoutGuardDuty])
    credentials.set(account, await assumeInto(account));

  // The central end: the bus, and a catch-all rule delivering everything that reaches it to a queue.
  const events = new EventBridgeClient(options(central));
  const sqs = new SQSClient(options(central));
  await events.send(new CreateEventBusCommand({ Name: busName }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${busName}-received` }))).QueueUrl ?? '';
  const queueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  await events.send(
    new PutRuleCommand({
      Name: 'everything',
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [{ prefix: '' }] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'everything',
      EventBusName: busName,
      Targets: [
        {
          Id: 'queue',
          Arn: queueArn,
          // One JSONPath instead of moto's default eight per delivery; the whole event is kept.
          InputTransformer: {
            InputPathsMap: { probe: '$.detail.driftguardProbe' },
            InputTemplate: '{"probe": "<probe>", "event": <aws.events.event.json>}',
          },
        },
      ],
    }),
  );

  await deployMember(withGuardDuty, true);
  await deployMember(withoutGuardDuty, false);
}, 180_000);

afterAll(async () => {
  await ownMoto?.stop();
});

/** Credentials acting in `account` (moto's multi-account model). */
async function assumeInto(account: string): Promise<AwsCredentialIdentity> {
  const sts = new STSClient(options('none'));
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/test`,
      RoleSessionName: 'driftguard-test',
    }),
  );
  return {
    accessKeyId: Credentials?.AccessKeyId ?? '',
    secretAccessKey: Credentials?.SecretAccessKey ?? '',
    sessionToken: Credentials?.SessionToken ?? '',
  };
}

/**
 * moto's CloudFormation stores inline policies as Python reprs (`{'Version': …}`) where IAM's
 * API returns URL-encoded JSON; both are read here. Our documents hold no quotes of their own.
 */
function policyJson(document: string | undefined): { Statement: { Action: string[] }[] } {
  const text = decodeURIComponent(document ?? '{}');
  return JSON.parse(text.startsWith("{'") ? text.replaceAll("'", '"') : text);
}

describe('member stack in moto', () => {
  it('creates the remediation role with the template’s trust policy and exactly the executor actions', async () => {
    const iam = new IAMClient(options(withGuardDuty));
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'DriftGuardRemediation' }));
    expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '{}')).Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${central}:role/${CENTRAL_ROLE}` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': EXTERNAL_ID } },
      },
    ]);
    const { PolicyDocument } = await iam.send(
      new GetRolePolicyCommand({ RoleName: 'DriftGuardRemediation', PolicyName: 'driftguard-executor' }),
    );
    const [allow] = policyJson(PolicyDocument).Statement;
    // No playbook is enabled by default: the role holds none of their actions.
    expect(allow?.Action).toEqual(memberActions([]));
  });

  it('creates one forwarding rule per catalog pattern on the default bus, targeting the central bus with a role', async () => {
    const events = new EventBridgeClient(options(withoutGuardDuty));
    const { Rules } = await events.send(
      new ListRulesCommand({ EventBusName: 'default', NamePrefix: 'driftguard-' }),
    );
    const expected = memberPatterns('DriftGuardRemediation').filter(
      (pattern) => !(pattern.pattern.source as string[]).includes('aws.guardduty'),
    );
    // CloudFormation filled in this account's ARNs (Fn::Sub) where the template names them.
    expect((Rules ?? []).map((rule) => JSON.parse(rule.EventPattern ?? '{}'))).toEqual(
      expect.arrayContaining(expected.map((pattern) => resolveForAccount(pattern.pattern, withoutGuardDuty))),
    );
    // Without the parameter, no GuardDuty rule: the condition held.
    expect(Rules).toHaveLength(expected.length);
    for (const rule of Rules ?? []) {
      const { Targets } = await events.send(
        new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: 'default' }),
      );
      expect(Targets).toEqual([
        expect.objectContaining({ Arn: busArn, RoleArn: expect.stringContaining(':role/') }),
      ]);
    }
  });
});

interface Probe {
  id: string;
  account: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  /** Our independent statement of whether the event should reach the central bus. */
  routed: boolean;
}

/** A catalog call: by exact name, or by prefix for versioned names (Lambda's AddPermission20150331v2). */
const isTrigger = (eventSource: unknown, eventName: unknown) =>
  CATALOG.some((guardrail) => watchesCall(guardrail, String(eventSource), String(eventName)));

/**
 * The rule the patterns implement, stated without EventBridge: catalog call, succeeded, not
 * driftguard's own session of the remediation role of the account the event is put in.
 */
function shouldRoute(detail: Record<string, unknown>, account: string): boolean {
  const identity = (detail.userIdentity ?? {}) as {
    type?: string;
    arn?: string;
    sessionContext?: { sessionIssuer?: { arn?: string } };
  };
  const ours =
    identity.type === 'AssumedRole' &&
    identity.sessionContext?.sessionIssuer?.arn === `arn:aws:iam::${account}:role/DriftGuardRemediation` &&
    identity.arn === `arn:aws:sts::${account}:assumed-role/DriftGuardRemediation/${REMEDIATION_SESSION_NAME}`;
  // EventBridge's `exists: false` treats a null errorCode as present (only log pipelines write one).
  return isTrigger(detail.eventSource, detail.eventName) && !('errorCode' in detail) && !ours;
}

function probes(): Probe[] {
  const list: Probe[] = [];
  let n = 0;
  const add = (
    account: string,
    source: string,
    detailType: string,
    detail: Record<string, unknown>,
    routed: boolean,
  ) => list.push({ id: `probe-${n++}`, account, source, detailType, detail, routed });

  // Every fixture that must not route is sent. Of those that must, one per combination of the
  // fields the patterns read: each delivery costs moto a second of CPU, and fixtures that agree on
  // all of them are routed alike by construction.
  const seen = new Set<string>();
  for (const [, testCase] of loadCases()) {
    const event = testCase.event as Record<string, unknown>;
    const envelope = 'detail-type' in event;
    const detail = (envelope ? event.detail : event) as Record<string, unknown>;
    const source = envelope ? String(event.source) : eventBridgeSource(String(detail.eventSource));
    const detailType = envelope ? String(event['detail-type']) : CLOUDTRAIL_DETAIL_TYPE;
    const routed = source !== 'aws.guardduty' && shouldRoute(detail, withoutGuardDuty);
    const identity = (detail.userIdentity ?? {}) as {
      type?: string;
      sessionContext?: { sessionIssuer?: unknown };
    };
    const key = JSON.stringify([
      source,
      detailType,
      detail.eventSource,
      detail.eventName,
      identity.type,
      identity.sessionContext?.sessionIssuer,
    ]);
    if (routed && seen.has(key)) continue;
    seen.add(key);
    add(withoutGuardDuty, source, detailType, detail, routed);
  }
  // Variations the fixtures may not hold, built from the first routed fixture.
  const base = list.find((probe) => probe.routed);
  if (!base) throw new Error('no fixture event routes: the catalog or the fixtures are empty');
  const failed = { ...base.detail, errorCode: 'Client.UnauthorizedOperation', errorMessage: 'denied' };
  add(withoutGuardDuty, base.source, base.detailType, failed, false);
  // Who made the call, in the member account the event is put in (issue 12: exact identity).
  const member = withoutGuardDuty;
  const session = (issuerArn: string, sessionArn: string, type = 'AssumedRole', issuerType = 'Role') => ({
    ...base.detail,
    userIdentity: {
      type,
      arn: sessionArn,
      accountId: member,
      sessionContext: { sessionIssuer: { type: issuerType, arn: issuerArn, accountId: member } },
    },
  });
  const ownRole = `arn:aws:iam::${member}:role/DriftGuardRemediation`;
  const ownSession = `arn:aws:sts::${member}:assumed-role/DriftGuardRemediation/${REMEDIATION_SESSION_NAME}`;
  // driftguard's own session of this account's remediation role: the only call that is dropped.
  add(member, base.source, base.detailType, session(ownRole, ownSession), false);
  // Everything that only looks like it reaches the central bus:
  add(
    member,
    base.source,
    base.detailType,
    session(ownRole, `${ownSession.slice(0, -REMEDIATION_SESSION_NAME.length)}attacker`),
    true,
  );
  add(
    member,
    base.source,
    base.detailType,
    session(
      `arn:aws:iam::${member}:role/attacker/${CENTRAL_ROLE}`,
      `arn:aws:sts::${member}:assumed-role/${CENTRAL_ROLE}/${REMEDIATION_SESSION_NAME}`,
    ),
    true,
  );
  add(
    member,
    base.source,
    base.detailType,
    session(`arn:aws:iam::${member}:role/attacker/DriftGuardRemediation`, ownSession),
    true,
  );
  add(
    member,
    base.source,
    base.detailType,
    session(
      `arn:aws:iam::${member}:user/DriftGuardRemediation`,
      `arn:aws:sts::${member}:federated-user/DriftGuardRemediation`,
      'FederatedUser',
      'IAMUser',
    ),
    true,
  );
  add(
    member,
    base.source,
    base.detailType,
    session(
      `arn:aws:iam::${central}:role/DriftGuardRemediation`,
      `arn:aws:sts::${central}:assumed-role/DriftGuardRemediation/${REMEDIATION_SESSION_NAME}`,
    ),
    true,
  );
  add(
    member,
    base.source,
    base.detailType,
    session(`arn:aws:iam::${member}:role/Admin`, `arn:aws:sts::${member}:assumed-role/Admin/alice`),
    true,
  );
  add(withoutGuardDuty, base.source, base.detailType, { ...base.detail, eventName: 'RunInstances' }, false);
  add(withoutGuardDuty, 'aws.ec2', 'EC2 Instance State-change Notification', { state: 'running' }, false);
  const finding = {
    schemaVersion: '2.0',
    id: 'finding-1',
    type: 'Recon:EC2/PortProbeUnprotectedPort',
    severity: 5,
  };
  add(withGuardDuty, 'aws.guardduty', 'GuardDuty Finding', finding, true);
  add(withoutGuardDuty, 'aws.guardduty', 'GuardDuty Finding', finding, false);
  return list;
}

async function drain(): Promise<Map<string, Record<string, unknown>>> {
  const sqs = new SQSClient(options(central));
  const received = new Map<string, Record<string, unknown>>();
  for (let empty = 0; empty < 3; ) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!Messages?.length) {
      empty++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    for (const message of Messages) {
      const { probe, event } = JSON.parse(message.Body ?? '{}') as {
        probe: string;
        event: Record<string, unknown>;
      };
      received.set(received.has(probe) ? `${probe} (again)` : probe, event);
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
  return received;
}

describe('forwarding through moto’s EventBridge', () => {
  it('delivers to the central bus exactly the fixture events the catalog routes, and nothing else', async () => {
    const all = probes();
    for (const account of [withGuardDuty, withoutGuardDuty]) {
      const events = new EventBridgeClient(options(account));
      const mine = all.filter((probe) => probe.account === account);
      for (let index = 0; index < mine.length; index += 10) {
        const { FailedEntryCount } = await events.send(
          new PutEventsCommand({
            Entries: mine.slice(index, index + 10).map((probe) => ({
              EventBusName: 'default',
              Source: probe.source,
              DetailType: probe.detailType,
              // A marker to tell the probes apart; patterns ignore fields they do not name.
              Detail: JSON.stringify({ ...probe.detail, driftguardProbe: probe.id }),
            })),
          }),
        );
        expect(FailedEntryCount ?? 0).toBe(0);
      }
    }
    const received = await drain();
    const expected = all.filter((probe) => probe.routed).map((probe) => probe.id);
    expect(expected.length).toBeGreaterThan(10);
    expect([...received.keys()].sort()).toEqual(expected.sort());
    // Forwarding keeps what the central rules and the function read.
    for (const probe of all.filter((candidate) => candidate.routed)) {
      expect(received.get(probe.id)).toMatchObject({ source: probe.source, 'detail-type': probe.detailType });
    }
  }, 180_000);
});
