/**
 * The production central stack under Pulumi mocks: what `sst deploy --stage prod` would ask AWS
 * for, resource by resource. Expected values come from the code's own sources of truth (the
 * catalog, TABLE_KEYS, the stage settings), not from infra/, so a drift on either side fails here.
 */
import { CONFIG_REJECTED_MESSAGE, decodeConfigDocument, TABLE_KEYS } from '@driftguard/aws';
import { CATALOG, eventPatterns } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXEMPTION_API_ACTIONS } from '../../infra/exemption-policies';
import { CENTRAL_ACTIONS, PLATFORM_ACTIONS } from '../../infra/function-policy';
import { memberTemplate } from '../../infra/member-template';
import type { PolicyDocument } from '../../infra/policies';
import {
  DEFAULT_SWEEP_CONCURRENCY,
  EVALUATE_TIMEOUT_SECONDS,
  SWEEP_MAX_RECEIVE_COUNT,
  SWEEP_WORKER_TIMEOUT_SECONDS,
  stackReservedConcurrency,
} from '../../infra/sizing';
import { loadStageFile, resolveStage } from '../../infra/stages';
import {
  DEAD_LETTER_REASONS,
  EXEMPTION_API_SUSPICIOUS,
  METRICS,
  SERVICES,
} from '../../packages/functions/src/metric-names';
import { REQUIRED_SETTINGS } from '../../packages/functions/src/required-settings';
import {
  FIXTURE_STAGES,
  MOCK_ACCOUNT,
  MOCK_ENABLED_REGIONS,
  MOCK_REGION,
  type RecordedResource,
  type RecordedStack,
  recordedProdStack,
} from './support/sst-mocks';

// The stage file a team would write (test/infra/fixtures/stages/prod.json), read as `sst deploy` does.
const prod = resolveStage(loadStageFile('prod', FIXTURE_STAGES), MOCK_ENABLED_REGIONS);
/** What the mocked random provider generates for the external id (24 bytes of 0x07). */
const generatedExternalId = '07'.repeat(24);

let sst: RecordedStack;

beforeAll(async () => {
  sst = await recordedProdStack();
}, 240_000);

const policyOf = (resource: RecordedResource, field = 'policy') =>
  JSON.parse(String(resource.inputs[field])) as PolicyDocument;
const only = (resources: RecordedResource[]) => {
  expect(resources).toHaveLength(1);
  return resources[0] as RecordedResource;
};

const queueArn = `arn:aws:sqs:${MOCK_REGION}:${MOCK_ACCOUNT}:driftguard-prod-events`;
const dlqArn = `arn:aws:sqs:${MOCK_REGION}:${MOCK_ACCOUNT}:driftguard-prod-events-dlq`;
const sweepQueueArn = `arn:aws:sqs:${MOCK_REGION}:${MOCK_ACCOUNT}:driftguard-prod-sweep-units`;
const sweepDlqArn = `arn:aws:sqs:${MOCK_REGION}:${MOCK_ACCOUNT}:driftguard-prod-sweep-units-dlq`;
const busArn = `arn:aws:events:${MOCK_REGION}:${MOCK_ACCOUNT}:event-bus/driftguard-prod`;
const topicArn = `arn:aws:sns:${MOCK_REGION}:${MOCK_ACCOUNT}:driftguard-prod-alerts`;
const tableArn = `arn:aws:dynamodb:${MOCK_REGION}:${MOCK_ACCOUNT}:table/driftguard-prod-state`;
const centralRoleArn = `arn:aws:iam::${MOCK_ACCOUNT}:role/driftguard-prod-central`;
const exemptionsTableArn = `arn:aws:dynamodb:${MOCK_REGION}:${MOCK_ACCOUNT}:table/driftguard-prod-exemptions`;
const exemptionApiRoleArn = `arn:aws:iam::${MOCK_ACCOUNT}:role/driftguard-prod-exemption-api`;
const centralIdentity = { roleArn: centralRoleArn };
const busRules = () =>
  sst
    .ofType('aws:cloudwatch/eventRule:EventRule')
    .filter((rule) => rule.inputs.eventBusName === 'driftguard-prod');
const isCloudTrail = (rule: RecordedResource) =>
  JSON.parse(String(rule.inputs.eventPattern))['detail-type'][0] === 'AWS API Call via CloudTrail';

describe('central bus', () => {
  it('accepts PutEvents from the organization only', () => {
    const bus = only(sst.ofType('aws:cloudwatch/eventBus:EventBus'));
    expect(bus.inputs.name).toBe('driftguard-prod');
    const policy = policyOf(only(sst.ofType('aws:cloudwatch/eventBusPolicy:EventBusPolicy')));
    expect(policy.Statement).toEqual([
      {
        Sid: 'OrganizationPutEvents',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: busArn,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': prod.organizationId } },
      },
    ]);
  });

  it('has exactly one rule per catalog pattern, each equal to the catalog pattern', () => {
    const expected = eventPatterns(CATALOG, centralIdentity);
    const rules = busRules();
    expect(rules.map((rule) => rule.inputs.name).sort()).toEqual(
      expected.map((pattern) => `driftguard-prod-${pattern.name}`).sort(),
    );
    for (const pattern of expected) {
      const rule = rules.find((candidate) => candidate.inputs.name === `driftguard-prod-${pattern.name}`);
      expect(rule?.inputs.eventBusName).toBe('driftguard-prod');
      expect(rule?.inputs.state).toBe('ENABLED');
      expect(JSON.parse(String(rule?.inputs.eventPattern))).toEqual(pattern.pattern);
    }
  });

  it('filters failed calls and the central role’s own calls, by its full ARN, in every CloudTrail pattern', () => {
    expect(busRules().filter(isCloudTrail).length).toBeGreaterThan(0);
    for (const rule of busRules().filter(isCloudTrail)) {
      const text = String(rule.inputs.eventPattern);
      const detail = JSON.parse(text).detail;
      expect(detail.errorCode).toEqual([{ exists: false }]);
      expect(detail.$or).toEqual([
        { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
        {
          userIdentity: {
            sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [centralRoleArn] }] } },
          },
        },
      ]);
      // No name of driftguard's roles anywhere but inside that full ARN.
      expect(text.replaceAll(centralRoleArn, '')).not.toMatch(
        /driftguard-prod-central|DriftGuardRemediation/,
      );
    }
    // The ARN the patterns (and the functions' config) use is the role's real one.
    expect(sst.named('CentralRole').state.arn).toBe(centralRoleArn);
  });

  it('targets the buffer queue with a DLQ and an explicit retry policy', () => {
    const rules = busRules();
    const targets = sst
      .ofType('aws:cloudwatch/eventTarget:EventTarget')
      .filter((target) => target.inputs.eventBusName === 'driftguard-prod');
    expect(targets.map((target) => target.inputs.rule).sort()).toEqual(
      rules.map((rule) => rule.inputs.name).sort(),
    );
    for (const target of targets) {
      expect(target.inputs).toMatchObject({
        eventBusName: 'driftguard-prod',
        arn: queueArn,
        deadLetterConfig: { arn: dlqArn },
        retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
      });
    }
  });

  it('lets only its own rules send to the queue and the DLQ', () => {
    const ruleArns = busRules()
      .map((rule) => `arn:aws:events:${MOCK_REGION}:${MOCK_ACCOUNT}:rule/driftguard-prod/${rule.inputs.name}`)
      .sort();
    const policies = sst.ofType('aws:sqs/queuePolicy:QueuePolicy');
    expect(policies.map((policy) => policy.inputs.queueUrl).sort()).toEqual([
      `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/driftguard-prod-events`,
      `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/driftguard-prod-events-dlq`,
    ]);
    for (const resource of policies) {
      const [allow, deny] = policyOf(resource).Statement;
      expect(allow).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
      });
      expect(deny).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    }
  });
});

describe('GuardDuty findings (this account is the GuardDuty administrator)', () => {
  it('are forwarded from this account’s default bus in every member region to the central bus, with one named role', () => {
    const guardDuty = eventPatterns(CATALOG, centralIdentity).filter((pattern) =>
      (pattern.pattern.source as string[]).includes('aws.guardduty'),
    );
    expect(guardDuty.length).toBeGreaterThan(0);
    const forwarding = sst
      .ofType('aws:cloudwatch/eventRule:EventRule')
      .filter((rule) => rule.inputs.eventBusName === 'default');
    // Findings are regional at the administrator: one rule set per member region.
    expect(forwarding).toHaveLength(guardDuty.length * prod.memberRegions.length);
    expect(new Set(forwarding.map((rule) => rule.inputs.eventPattern))).toEqual(
      new Set(guardDuty.map((pattern) => JSON.stringify(pattern.pattern))),
    );
    for (const rule of forwarding) expect(String(rule.inputs.name)).toMatch(/^driftguard-prod-central-/);
    // Every region but the central one through a provider pinned to the security account.
    const providers = sst
      .ofType('pulumi:providers:aws')
      .filter((provider) => provider.name.startsWith('SecurityAccount-'));
    expect(providers.map((provider) => provider.inputs.region).sort()).toEqual(
      prod.memberRegions.filter((region) => region !== prod.region).sort(),
    );
    for (const provider of providers)
      expect(JSON.parse(String(provider.inputs.allowedAccountIds))).toEqual([prod.account]);

    const role = sst.named('GuardDutyForwardingRole');
    expect(role.inputs.name).toBe('driftguard-prod-guardduty-forwarding');
    const targets = sst
      .ofType('aws:cloudwatch/eventTarget:EventTarget')
      .filter((target) => target.inputs.eventBusName === 'default');
    expect(targets).toHaveLength(forwarding.length);
    for (const target of targets)
      expect(target.inputs).toMatchObject({ arn: busArn, roleArn: role.state.arn });
    expect(policyOf(sst.named('GuardDutyForwardingRolePolicy')).Statement).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn },
    ]);
  });
});

describe('queues', () => {
  it('redrives to the DLQ and hides messages longer than six function timeouts', () => {
    const queue = sst.named('EventsQueue');
    expect(queue.inputs.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * EVALUATE_TIMEOUT_SECONDS);
    expect(JSON.parse(String(queue.inputs.redrivePolicy))).toEqual({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: 5,
    });
    expect(queue.inputs.sqsManagedSseEnabled).toBe(true);
    expect(sst.named('EventsDeadLetterQueue').inputs).toMatchObject({
      messageRetentionSeconds: 14 * 24 * 3600,
      sqsManagedSseEnabled: true,
    });
  });
});

const lambdaNamed = (name: string) =>
  only(sst.ofType('aws:lambda/function:Function').filter((fn) => fn.inputs.name === name));

describe('evaluate function', () => {
  const lambda = () => lambdaNamed('driftguard-prod-evaluate');

  it('runs the evaluate handler on arm64 nodejs22.x with the benchmarked size and reserved concurrency', () => {
    expect(lambda().inputs).toMatchObject({
      name: 'driftguard-prod-evaluate',
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      memorySize: 1024,
      timeout: EVALUATE_TIMEOUT_SECONDS,
      reservedConcurrentExecutions: prod.reservedConcurrency,
      role: centralRoleArn,
    });
    const build = sst.rpcCalls.find(
      (call) => call.method === 'Runtime.Build' && call.args.functionID === 'Evaluate',
    );
    expect(build?.args.handler).toBe('packages/functions/src/evaluate.handler');
  });

  it('reads exactly the documented environment, with the stage config', () => {
    const variables = (lambda().inputs.environment as { variables: Record<string, string> }).variables;
    const ours = Object.keys(variables).filter((key) => !key.startsWith('SST_'));
    expect(ours.sort()).toEqual([
      'DRIFTGUARD_CENTRAL_BUS_ARN',
      'DRIFTGUARD_CENTRAL_ROLE_ARN',
      'DRIFTGUARD_CONFIG_MAX_AGE_SECONDS',
      'DRIFTGUARD_CONFIG_PARAMETER',
      'DRIFTGUARD_DLQ_URL',
      'DRIFTGUARD_EXEMPTIONS_TABLE',
      'DRIFTGUARD_EXTERNAL_ID',
      'DRIFTGUARD_FORWARDING_PREFIX',
      'DRIFTGUARD_FORWARD_GUARDDUTY_FINDINGS',
      'DRIFTGUARD_MAX_RECEIVE_COUNT',
      'DRIFTGUARD_REMEDIATION_ROLE_NAME',
      'DRIFTGUARD_ROLE_REGION',
      'DRIFTGUARD_TABLE',
      'DRIFTGUARD_TOPIC_ARN',
    ]);
    expect(variables.DRIFTGUARD_TABLE).toBe('driftguard-prod-state');
    expect(variables.DRIFTGUARD_EXEMPTIONS_TABLE).toBe('driftguard-prod-exemptions');
    expect(variables.DRIFTGUARD_TOPIC_ARN).toBe(topicArn);
    expect(variables.DRIFTGUARD_DLQ_URL).toBe(
      `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/driftguard-prod-events-dlq`,
    );
    // The handler attaches the failure reason on the delivery SQS dead-letters after.
    const queue = sst.named('EventsQueue');
    expect(JSON.parse(String(queue.inputs.redrivePolicy)).maxReceiveCount).toBe(
      Number(variables.DRIFTGUARD_MAX_RECEIVE_COUNT),
    );
    // The config itself is in Parameter Store (below); the deployment's own settings are laid over it.
    expect(variables.DRIFTGUARD_CONFIG_PARAMETER).toBe('/driftguard/prod/config');
    expect(variables.DRIFTGUARD_EXTERNAL_ID).toBe(generatedExternalId);
    expect(variables.DRIFTGUARD_REMEDIATION_ROLE_NAME).toBe('DriftGuardRemediation-prod');
    expect(variables.DRIFTGUARD_CENTRAL_ROLE_ARN).toBe(centralRoleArn);
    // The member footprint the integrity guardrail compares live state with.
    expect(variables.DRIFTGUARD_CENTRAL_BUS_ARN).toBe(busArn);
    expect(variables.DRIFTGUARD_ROLE_REGION).toBe(prod.region);
    // The member stacks' ForwardGuardDutyFindings: prod's central account is the GuardDuty
    // administrator, so members have no GuardDuty rule and the sweep expects none.
    expect(variables.DRIFTGUARD_FORWARD_GUARDDUTY_FINDINGS).toBe('false');
  });

  it('links the four channel secrets to the pipeline functions and nothing else', () => {
    const builds = sst.rpcCalls.filter((call) => call.method === 'Runtime.Build');
    expect(builds.map((build) => build.args.functionID).sort()).toEqual([
      'Evaluate',
      'ExemptionApi',
      'ExemptionExpiry',
      'Sweep',
      'SweepWorker',
    ]);
    for (const build of builds) {
      // The exemption API sends no alert of its own (SNS only): it never sees the channel secrets.
      if (build.args.functionID === 'ExemptionApi') {
        expect(Object.keys(build.args.links as object)).toEqual([]);
        continue;
      }
      expect(Object.keys(build.args.links as object).sort()).toEqual([
        'GitHubToken',
        'JiraToken',
        'SlackWebhookUrl',
        'WebhookSecret',
      ]);
    }
    expect(
      sst
        .ofType('sst:sst:Secret')
        .map((secret) => secret.name)
        .sort(),
    ).toEqual(['GitHubToken', 'JiraToken', 'SlackWebhookUrl', 'WebhookSecret']);
  });

  it('consumes the queue in batches reporting partial failures, never above its reserved concurrency', () => {
    const mappings = sst
      .ofType('aws:lambda/eventSourceMapping:EventSourceMapping')
      .filter((mapping) => mapping.inputs.eventSourceArn === queueArn);
    expect(only(mappings).inputs).toMatchObject({
      eventSourceArn: queueArn,
      functionName: 'driftguard-prod-evaluate',
      batchSize: 10,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: prod.reservedConcurrency },
    });
  });

  it('runs with the central role: only Lambda assumes it, one inline policy, no managed policies', () => {
    const role = sst.named('CentralRole');
    expect(role.inputs.name).toBe('driftguard-prod-central');
    expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const policies = sst
      .ofType('aws:iam/rolePolicy:RolePolicy')
      .filter((policy) => policy.inputs.role === 'driftguard-prod-central');
    expect(policies).toHaveLength(1);
    expect(sst.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')).toEqual([]);
    // SST made no role of its own for either function.
    expect(sst.ofType('aws:iam/role:Role').map((r) => r.name)).not.toContain('EvaluateRole');
    expect(sst.ofType('aws:iam/role:Role').map((r) => r.name)).not.toContain('SweepRole');
    expect(sst.ofType('aws:iam/role:Role').map((r) => r.name)).not.toContain('ExemptionExpiryRole');
  });

  it('grants the derived actions and the platform’s, each on its one resource', () => {
    const statements = policyOf(sst.named('CentralRolePolicy')).Statement;
    const actions = statements.flatMap((statement) => statement.Action);
    expect(actions.sort()).toEqual(
      [...new Set([...CENTRAL_ACTIONS, ...Object.keys(PLATFORM_ACTIONS)])].sort(),
    );
    expect(actions.some((action) => action.includes('*'))).toBe(false);
    const resourcesOf = (action: string) =>
      statements.filter((statement) => ([] as string[]).concat(statement.Action).includes(action));
    for (const statement of statements) {
      const list = ([] as string[]).concat(statement.Action);
      if (list.some((action) => action.startsWith('dynamodb:'))) {
        expect(statement.Resource).toEqual([tableArn, `${tableArn}/index/*`, exemptionsTableArn]);
      }
    }
    expect(resourcesOf('sns:Publish').map((s) => s.Resource)).toEqual([topicArn]);
    expect(resourcesOf('sqs:SendMessage').map((s) => s.Resource)).toEqual([dlqArn]);
    expect(resourcesOf('sqs:SendMessageBatch').map((s) => s.Resource)).toEqual([sweepQueueArn]);
    expect(resourcesOf('sqs:ReceiveMessage').map((s) => s.Resource)).toEqual([[queueArn, sweepQueueArn]]);
    expect(resourcesOf('ssm:GetParameter').map((s) => s.Resource)).toEqual([
      `arn:aws:ssm:${MOCK_REGION}:${MOCK_ACCOUNT}:parameter/driftguard/prod/config`,
    ]);
    expect(resourcesOf('sts:AssumeRole')).toEqual([
      expect.objectContaining({
        Resource: 'arn:aws:iam::*:role/DriftGuardRemediation-prod',
        Condition: { StringEquals: { 'aws:ResourceOrgID': prod.organizationId } },
      }),
    ]);
    expect(resourcesOf('logs:PutLogEvents').map((s) => s.Resource)).toEqual([
      [
        `arn:aws:logs:${MOCK_REGION}:${MOCK_ACCOUNT}:log-group:/aws/lambda/driftguard-prod-evaluate:*`,
        `arn:aws:logs:${MOCK_REGION}:${MOCK_ACCOUNT}:log-group:/aws/lambda/driftguard-prod-sweep:*`,
        `arn:aws:logs:${MOCK_REGION}:${MOCK_ACCOUNT}:log-group:/aws/lambda/driftguard-prod-sweep-worker:*`,
        `arn:aws:logs:${MOCK_REGION}:${MOCK_ACCOUNT}:log-group:/aws/lambda/driftguard-prod-exemption-expiry:*`,
      ],
    ]);
    expect(sst.named('EvaluateLogGroup').inputs.name).toBe('/aws/lambda/driftguard-prod-evaluate');
    expect(sst.named('SweepLogGroup').inputs.name).toBe('/aws/lambda/driftguard-prod-sweep');
    expect(sst.named('SweepWorkerLogGroup').inputs.name).toBe('/aws/lambda/driftguard-prod-sweep-worker');
  });
});

describe('runtime config', () => {
  it('is the stage file’s config in one SSM parameter, validated, without the external id', () => {
    const parameter = sst.named('ConfigParameter');
    expect(parameter.inputs).toMatchObject({
      name: '/driftguard/prod/config',
      type: 'String',
      tier: 'Standard',
    });
    const decoded = decodeConfigDocument(String(parameter.inputs.value));
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.config.dryRun).toBe(prod.config.dryRun);
    expect(decoded.config.externalId).toBeUndefined();
  });

  it('alarms when a published config is refused, from every central function’s logs', () => {
    const filters = sst
      .ofType('aws:cloudwatch/logMetricFilter:LogMetricFilter')
      .filter((filter) => String(filter.inputs.name).includes('config-rejected'));
    expect(filters.map((filter) => filter.inputs.logGroupName).sort()).toEqual([
      '/aws/lambda/driftguard-prod-evaluate',
      '/aws/lambda/driftguard-prod-exemption-api',
      '/aws/lambda/driftguard-prod-exemption-expiry',
      '/aws/lambda/driftguard-prod-sweep',
      '/aws/lambda/driftguard-prod-sweep-worker',
    ]);
    for (const filter of filters)
      expect(filter.inputs.pattern).toBe(`{ $.message = "${CONFIG_REJECTED_MESSAGE}" }`);
    expect(sst.named('ConfigRejectedAlarm').inputs).toMatchObject({
      name: 'driftguard-prod-config-rejected',
      alarmActions: [topicArn],
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('scheduled functions', () => {
  const schedules = () => sst.ofType('aws:scheduler/schedule:Schedule');

  it('plans a sweep run on a schedule, one at a time, over the member regions, with the central role', () => {
    const planner = lambdaNamed('driftguard-prod-sweep');
    expect(planner.inputs).toMatchObject({
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      timeout: 300,
      reservedConcurrentExecutions: 1,
      role: centralRoleArn,
    });
    const variables = (planner.inputs.environment as { variables: Record<string, string> }).variables;
    expect(variables).toMatchObject({
      DRIFTGUARD_SWEEP_REGIONS: prod.memberRegions.join(','),
      DRIFTGUARD_TABLE: 'driftguard-prod-state',
      DRIFTGUARD_SWEEP_QUEUE_URL: expect.stringContaining('driftguard-prod-sweep-units'),
    });
    const build = sst.rpcCalls.find(
      (call) => call.method === 'Runtime.Build' && call.args.functionID === 'Sweep',
    );
    expect(build?.args.handler).toBe('packages/functions/src/sweep-planner.handler');
    const schedule = schedules().find(
      (candidate) => (candidate.inputs.target as { arn: string }).arn === planner.state.arn,
    );
    expect(schedule?.inputs).toMatchObject({ scheduleExpression: 'rate(6 hours)', state: 'ENABLED' });
  });

  it('gives every function each setting it refuses to start without (packages/functions/src/required-settings.ts)', () => {
    for (const [name, required] of [
      ['driftguard-prod-evaluate', REQUIRED_SETTINGS.evaluate],
      ['driftguard-prod-sweep', REQUIRED_SETTINGS.sweepPlanner],
      ['driftguard-prod-sweep-worker', REQUIRED_SETTINGS.sweepWorker],
      ['driftguard-prod-exemption-expiry', REQUIRED_SETTINGS.exemptionExpiry],
      ['driftguard-prod-exemption-api', REQUIRED_SETTINGS.exemptionApi],
    ] as const) {
      const variables = (lambdaNamed(name).inputs.environment as { variables: Record<string, string> })
        .variables;
      for (const setting of required) expect(variables[setting], `${name} ${setting}`).toBeTruthy();
    }
  });

  it('reserves exactly the Lambda concurrency preflight checks the account can give', () => {
    const reserved = sst
      .ofType('aws:lambda/function:Function')
      .reduce((sum, fn) => sum + Number(fn.inputs.reservedConcurrentExecutions ?? 0), 0);
    expect(reserved).toBe(stackReservedConcurrency(prod));
  });

  it('works the sweep one unit per message, at bounded concurrency, each unit retried on its own then dead-lettered', () => {
    const worker = lambdaNamed('driftguard-prod-sweep-worker');
    expect(worker.inputs).toMatchObject({
      timeout: SWEEP_WORKER_TIMEOUT_SECONDS,
      reservedConcurrentExecutions: DEFAULT_SWEEP_CONCURRENCY,
      role: centralRoleArn,
    });
    const variables = (worker.inputs.environment as { variables: Record<string, string> }).variables;
    expect(variables.DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT).toBe(String(SWEEP_MAX_RECEIVE_COUNT));
    const build = sst.rpcCalls.find(
      (call) => call.method === 'Runtime.Build' && call.args.functionID === 'SweepWorker',
    );
    expect(build?.args.handler).toBe('packages/functions/src/sweep-worker.handler');
    const mapping = only(
      sst
        .ofType('aws:lambda/eventSourceMapping:EventSourceMapping')
        .filter((candidate) => candidate.inputs.eventSourceArn === sweepQueueArn),
    );
    expect(mapping.inputs).toMatchObject({
      functionName: 'driftguard-prod-sweep-worker',
      batchSize: 1,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: DEFAULT_SWEEP_CONCURRENCY },
    });
    const queue = sst.named('SweepQueue');
    expect(queue.inputs.name).toBe('driftguard-prod-sweep-units');
    // At least six times the worker's timeout: a unit still being worked is never delivered twice.
    expect(queue.inputs.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * SWEEP_WORKER_TIMEOUT_SECONDS);
    expect(JSON.parse(String(queue.inputs.redrivePolicy))).toEqual({
      deadLetterTargetArn: sweepDlqArn,
      maxReceiveCount: SWEEP_MAX_RECEIVE_COUNT,
    });
  });

  it('re-checks ended exemptions every five minutes, each run shorter than the period', () => {
    const expiry = lambdaNamed('driftguard-prod-exemption-expiry');
    expect(expiry.inputs).toMatchObject({
      timeout: 240,
      reservedConcurrentExecutions: 1,
      role: centralRoleArn,
    });
    const build = sst.rpcCalls.find(
      (call) => call.method === 'Runtime.Build' && call.args.functionID === 'ExemptionExpiry',
    );
    expect(build?.args.handler).toBe('packages/functions/src/exemption-expiry.handler');
    const schedule = schedules().find(
      (candidate) => (candidate.inputs.target as { arn: string }).arn === expiry.state.arn,
    );
    expect(schedule?.inputs.scheduleExpression).toBe('rate(5 minutes)');
    expect(schedules()).toHaveLength(2);
  });
});

describe('state', () => {
  it('is two on-demand tables keyed like the code (state, exemptions), with TTL, PITR and deletion protection in production', () => {
    const tables = sst.ofType('aws:dynamodb/table:Table');
    expect(tables.map((table) => table.inputs.name).sort()).toEqual([
      'driftguard-prod-exemptions',
      'driftguard-prod-state',
    ]);
    expect(sst.named('ExemptionsTable').inputs).toEqual({
      ...sst.named('StateTable').inputs,
      name: 'driftguard-prod-exemptions',
    });
    expect(sst.named('StateTable').inputs).toEqual({
      name: 'driftguard-prod-state',
      billingMode: 'PAY_PER_REQUEST',
      hashKey: TABLE_KEYS.partition,
      rangeKey: TABLE_KEYS.sort,
      attributes: [
        { name: TABLE_KEYS.partition, type: 'S' },
        { name: TABLE_KEYS.sort, type: 'S' },
      ],
      ttl: { attributeName: TABLE_KEYS.ttl, enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: true,
    });
  });

  it('publishes alerts to a topic encrypted with a rotating customer key CloudWatch may use', () => {
    const key = only(sst.ofType('aws:kms/key:Key'));
    expect(key.inputs.enableKeyRotation).toBe(true);
    const topic = only(sst.ofType('aws:sns/topic:Topic'));
    expect(topic.inputs.kmsMasterKeyId).toBe(key.state.arn);
    const cloudwatch = policyOf(key).Statement.find(
      (statement) => statement.Sid === 'CloudWatchAlarmsEncrypt',
    );
    expect(cloudwatch?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': MOCK_ACCOUNT } });
    const topicPolicy = policyOf(only(sst.ofType('aws:sns/topicPolicy:TopicPolicy')));
    expect(topicPolicy.Statement[0]).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topicArn,
    });
  });
});

describe('alarms', () => {
  const alarms = () => sst.ofType('aws:cloudwatch/metricAlarm:MetricAlarm');

  it('alarm on any dead letter and on a backlog, to the alerts topic', () => {
    const dlq = alarms().find((alarm) => alarm.inputs.metricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlq?.inputs).toMatchObject({
      namespace: 'AWS/SQS',
      dimensions: { QueueName: 'driftguard-prod-events-dlq' },
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      alarmActions: [topicArn],
    });
    const age = alarms().find((alarm) => alarm.inputs.metricName === 'ApproximateAgeOfOldestMessage');
    expect(age?.inputs.dimensions).toEqual({ QueueName: 'driftguard-prod-events' });
  });

  it('alarm when a scheduled run fails, on each sweep unit that failed, and on units a run never reached', () => {
    const errors = alarms().filter((alarm) => alarm.inputs.metricName === 'Errors');
    expect(errors.map((alarm) => alarm.inputs.dimensions)).toEqual([
      { FunctionName: 'driftguard-prod-sweep' },
      { FunctionName: 'driftguard-prod-exemption-expiry' },
      { FunctionName: 'driftguard-prod-exemption-api' },
    ]);
    // Counted by the functions themselves (EMF): no log filter besides the config alarm's.
    expect(
      sst
        .ofType('aws:cloudwatch/logMetricFilter:LogMetricFilter')
        .filter((resource) => !String(resource.inputs.name).includes('config-rejected')),
    ).toEqual([]);
    for (const [metricName, service] of [
      [METRICS.sweepUnitFailures, SERVICES.sweepWorker],
      [METRICS.sweepUnitsUnreached, SERVICES.sweepPlanner],
    ]) {
      const alarm = alarms().find((candidate) => candidate.inputs.metricName === metricName);
      expect(alarm?.inputs).toMatchObject({
        namespace: 'driftguard',
        dimensions: { service },
        statistic: 'Sum',
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        alarmActions: [topicArn],
      });
    }
    const sweepDlq = alarms().find(
      (alarm) =>
        (alarm.inputs.dimensions as { QueueName?: string } | undefined)?.QueueName ===
        'driftguard-prod-sweep-units-dlq',
    );
    expect(sweepDlq?.inputs).toMatchObject({
      metricName: 'ApproximateNumberOfMessagesVisible',
      threshold: 0,
    });
  });

  it('alarm on a revert that failed, a slow revert, and a tamper finding, from the evaluate function’s metrics', () => {
    const byMetric = (name: string) =>
      only(alarms().filter((alarm) => alarm.inputs.metricName === name)).inputs;
    expect(byMetric(METRICS.revertFailed)).toMatchObject({
      name: 'driftguard-prod-evaluate-reverts-failed',
      namespace: 'driftguard',
      dimensions: { service: 'driftguard-evaluate' },
      statistic: 'Sum',
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      alarmActions: [topicArn],
      okActions: [topicArn],
      treatMissingData: 'notBreaching',
    });
    expect(byMetric(METRICS.timeFromEvent)).toMatchObject({
      namespace: 'driftguard',
      dimensions: { service: 'driftguard-evaluate', outcome: 'reverted' },
      extendedStatistic: 'p99',
      threshold: 600_000,
      comparisonOperator: 'GreaterThanThreshold',
      alarmActions: [topicArn],
    });
    expect(byMetric(METRICS.tamper)).toMatchObject({
      dimensions: { service: 'driftguard-evaluate' },
      threshold: 0,
      alarmActions: [topicArn],
    });
  });

  // Suspicious: the total (no reason dimension), which the handler counts for every reason too.
  it.each([
    [
      'looks like getting round the two-person rule',
      METRICS.exemptionApiSuspicious,
      'suspicious-calls',
      'self-approval',
    ],
    ['was answered with an internal error', METRICS.exemptionApiFailures, 'failures', 'internal error'],
  ])('alarm on any exemption call that %s, from the exemption API’s metrics', (_, metric, suffix, says) => {
    const alarm = only(alarms().filter((candidate) => candidate.inputs.metricName === metric));
    expect(alarm.inputs).toMatchObject({
      name: `driftguard-prod-exemption-api-${suffix}`,
      namespace: 'driftguard',
      dimensions: { service: 'driftguard-exemption-api' },
      statistic: 'Sum',
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      alarmActions: [topicArn],
      okActions: [topicArn],
      treatMissingData: 'notBreaching',
    });
    expect(alarm.inputs.alarmDescription).toContain(says);
  });

  it('alarm on failed invocations of every rule', () => {
    const failed = alarms().filter((alarm) => alarm.inputs.metricName === 'FailedInvocations');
    const rules = busRules().map((rule) => rule.inputs.name);
    expect(failed.map((alarm) => (alarm.inputs.dimensions as { RuleName: string }).RuleName).sort()).toEqual(
      rules.sort(),
    );
    for (const alarm of failed) {
      expect(alarm.inputs).toMatchObject({
        namespace: 'AWS/Events',
        dimensions: { EventBusName: 'driftguard-prod' },
        alarmActions: [topicArn],
      });
    }
  });
});

describe('dashboard', () => {
  interface DashboardWidget {
    properties: { title: string; region: string; metrics: (string | Record<string, string>)[][] };
  }
  const widgets = () =>
    (
      JSON.parse(String(only(sst.ofType('aws:cloudwatch/dashboard:Dashboard')).inputs.dashboardBody)) as {
        widgets: DashboardWidget[];
      }
    ).widgets;
  const widget = (title: string) => {
    const found = widgets().find((candidate) => candidate.properties.title === title);
    if (!found) throw new Error(`no widget "${title}"`);
    return found.properties;
  };
  /** A metric line without its options, e.g. driftguard RevertsVerified service driftguard-evaluate rule x. */
  const lines = (title: string) =>
    widget(title).metrics.map((line) => line.filter((part) => typeof part === 'string').join(' '));
  const options = (title: string) =>
    widget(title).metrics.map((line) => line.find((part) => typeof part === 'object') ?? {});

  it('is one dashboard for the stage, in the stack’s region', () => {
    expect(only(sst.ofType('aws:cloudwatch/dashboard:Dashboard')).inputs.dashboardName).toBe(
      'driftguard-prod',
    );
    for (const { properties } of widgets()) expect(properties.region).toBe(MOCK_REGION);
  });

  it('shows the time to verified revert at p50 and p99, from the change and from arrival', () => {
    const title = 'Time to verified revert (ms)';
    expect(lines(title)).toEqual([
      'driftguard TimeFromEventToVerifiedOutcome service driftguard-evaluate outcome reverted',
      'driftguard TimeFromEventToVerifiedOutcome service driftguard-evaluate outcome reverted',
      'driftguard TimeFromReceiptToVerifiedOutcome service driftguard-evaluate outcome reverted',
      'driftguard TimeFromReceiptToVerifiedOutcome service driftguard-evaluate outcome reverted',
    ]);
    expect(options(title).map((option) => (option as { stat?: string }).stat)).toEqual([
      'p50',
      'p99',
      'p50',
      'p99',
    ]);
  });

  it('shows verified reverts for every guardrail of the catalog, failures with every dead-letter reason, and both DLQ depths', () => {
    expect(lines('Verified reverts by rule')).toEqual(
      CATALOG.map(
        (guardrail) => `driftguard RevertsVerified service driftguard-evaluate rule ${guardrail.id}`,
      ),
    );
    expect(lines('Failures')).toEqual(
      expect.arrayContaining([
        'driftguard RevertsFailed service driftguard-evaluate',
        ...DEAD_LETTER_REASONS.map(
          (reason) => `driftguard DeadLetters service driftguard-evaluate reason ${reason}`,
        ),
        'driftguard SweepUnitFailures service driftguard-sweep-worker',
      ]),
    );
    expect(lines('Dead-letter queue depth')).toEqual([
      'AWS/SQS ApproximateNumberOfMessagesVisible QueueName driftguard-prod-events-dlq',
      'AWS/SQS ApproximateNumberOfMessagesVisible QueueName driftguard-prod-sweep-units-dlq',
    ]);
  });

  it('shows break-glass exemptions requested, granted, revoked and failed, and each attack-looking call by reason', () => {
    const service = 'service driftguard-exemption-api';
    expect(lines('Break-glass exemptions')).toEqual([
      `driftguard ExemptionApiCalls ${service} operation request outcome accepted`,
      `driftguard ExemptionApiCalls ${service} operation approve outcome accepted`,
      `driftguard ExemptionApiCalls ${service} operation revoke outcome accepted`,
      `driftguard ExemptionApiFailures ${service}`,
      ...EXEMPTION_API_SUSPICIOUS.map(
        (reason) => `driftguard ExemptionApiSuspiciousCalls ${service} reason ${reason}`,
      ),
    ]);
    expect(EXEMPTION_API_SUSPICIOUS).toEqual(
      expect.arrayContaining(['self-approval', 'not-approver', 'identity-mismatch', 'lapsed']),
    );
  });

  it('shows sweep coverage: units planned, swept, failed and unreached per run', () => {
    expect(lines('Sweep coverage (units per run)')).toEqual([
      'driftguard SweepUnitsPlanned service driftguard-sweep-planner',
      'driftguard SweepUnitsSwept service driftguard-sweep-worker',
      'driftguard SweepUnitFailures service driftguard-sweep-worker',
      'driftguard SweepUnitsUnreached service driftguard-sweep-planner',
      'driftguard SweepViolations service driftguard-sweep-worker',
    ]);
  });
});

describe('member StackSet', () => {
  it('is service-managed with auto-deployment, run as delegated administrator, with the generated template', () => {
    const stackSet = only(sst.ofType('aws:cloudformation/stackSet:StackSet'));
    expect(stackSet.inputs).toMatchObject({
      name: 'driftguard-prod-member',
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      callAs: 'DELEGATED_ADMIN',
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { active: true },
      parameters: {
        CentralEventBusArn: busArn,
        CentralFunctionRoleArn: centralRoleArn,
        OrganizationId: prod.organizationId,
        ExternalId: generatedExternalId,
        RoleRegion: prod.region,
        // The central account forwards GuardDuty findings; members do not, or each arrives twice.
        ForwardGuardDutyFindings: 'false',
      },
    });
    expect(JSON.parse(String(stackSet.inputs.templateBody))).toEqual(
      memberTemplate({
        remediationRoleName: 'DriftGuardRemediation-prod',
        forwardingPrefix: 'driftguard-prod-forward-',
      }),
    );
  });

  it('deploys to every member region in one parallel operation, sized for hundreds of accounts', () => {
    const instances = only(sst.ofType('aws:cloudformation/stackInstances:StackInstances'));
    expect(instances.inputs).toMatchObject({
      stackSetName: 'driftguard-prod-member',
      callAs: 'DELEGATED_ADMIN',
      regions: prod.memberRegions,
      deploymentTargets: { organizationalUnitIds: prod.targetOrganizationalUnits },
      operationPreferences: {
        regionConcurrencyType: 'PARALLEL',
        concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
        maxConcurrentPercentage: 25,
        failureTolerancePercentage: 10,
      },
    });
    // Every region enabled in the account but the excluded one.
    expect(prod.memberRegions).toHaveLength(17);
  });

  it('covers the management account with the same template in every member region, through its deployer role', () => {
    const stacks = sst.ofType('aws:cloudformation/stack:Stack');
    expect(stacks).toHaveLength(prod.memberRegions.length);
    const stackSet = only(sst.ofType('aws:cloudformation/stackSet:StackSet'));
    for (const stack of stacks) {
      expect(stack.inputs).toMatchObject({
        name: 'driftguard-prod-member',
        templateBody: stackSet.inputs.templateBody,
        parameters: stackSet.inputs.parameters,
        capabilities: ['CAPABILITY_NAMED_IAM'],
      });
    }
    const providers = sst
      .ofType('pulumi:providers:aws')
      .filter((provider) => provider.name.startsWith('ManagementAccount-'));
    expect(providers.map((provider) => provider.inputs.region).sort()).toEqual(
      [...prod.memberRegions].sort(),
    );
    for (const provider of providers) {
      expect(JSON.parse(String(provider.inputs.allowedAccountIds))).toEqual(['730335218694']);
      expect(JSON.parse(String(provider.inputs.assumeRoles))).toEqual([
        expect.objectContaining({
          roleArn: 'arn:aws:iam::730335218694:role/driftguard-prod-management-deployer',
        }),
      ]);
    }
  });

  it('names every member resource by stage, so two stages can target the same accounts', () => {
    const template = JSON.parse(
      String(only(sst.ofType('aws:cloudformation/stackSet:StackSet')).inputs.templateBody),
    );
    const resources = Object.values(template.Resources) as {
      Type: string;
      Properties: Record<string, unknown>;
    }[];
    for (const rule of resources.filter((resource) => resource.Type === 'AWS::Events::Rule'))
      expect(String(rule.Properties.Name)).toMatch(/^driftguard-prod-forward-/);
    expect(
      resources
        .filter((resource) => resource.Type === 'AWS::IAM::Role')
        .map((role) => role.Properties.RoleName),
    ).toContain('DriftGuardRemediation-prod');
  });
});

describe('function bundling', () => {
  it('minifies and splits every function: SST 4.17 does either only when the nodejs block says so', () => {
    const builds = sst.rpcCalls.filter((call) => call.method === 'Runtime.Build');
    expect(builds.length).toBeGreaterThan(0);
    for (const build of builds) {
      const properties = build.args.properties as { minify?: boolean; splitting?: boolean } | undefined;
      // Without splitting the evaluate function's deferred imports are inlined into its cold start.
      expect({
        id: build.args.functionID,
        minify: properties?.minify,
        splitting: properties?.splitting,
      }).toEqual({
        id: build.args.functionID,
        minify: true,
        splitting: true,
      });
    }
  });
});

describe('break-glass exemptions', () => {
  it('are written only by driftguard’s function roles: the exemptions table’s resource policy denies everyone else', () => {
    const resourcePolicy = only(sst.ofType('aws:dynamodb/resourcePolicy:ResourcePolicy'));
    expect(resourcePolicy.inputs.resourceArn).toBe(exemptionsTableArn);
    const policy = policyOf(resourcePolicy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'OnlyDriftguardFunctionsWriteExemptions',
        Effect: 'Deny',
        Principal: '*',
        Action: [
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:PartiQLDelete',
          'dynamodb:PartiQLInsert',
          'dynamodb:PartiQLUpdate',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        Resource: exemptionsTableArn,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [centralRoleArn, exemptionApiRoleArn] } },
      },
    ]);
    // Every write the code makes (TransactWriteItems is authorized item by item as these) is covered.
    const writes = CENTRAL_ACTIONS.filter((action) =>
      ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].some((write) => action.endsWith(`:${write}`)),
    );
    for (const action of writes) expect(policy.Statement[0]?.Action).toContain(action);
    // The writers named are exactly the roles the functions run with.
    const roles = sst.ofType('aws:lambda/function:Function').map((fn) => fn.inputs.role);
    expect([...new Set(roles)].sort()).toEqual([centralRoleArn, exemptionApiRoleArn].sort());
  });

  it('are requested and approved through an AWS_IAM function URL, run with a role of its own', () => {
    const api = lambdaNamed('driftguard-prod-exemption-api');
    expect(api.inputs).toMatchObject({ role: exemptionApiRoleArn, runtime: 'nodejs22.x' });
    const url = only(sst.ofType('aws:lambda/functionUrl:FunctionUrl'));
    expect(url.inputs).toMatchObject({
      functionName: 'driftguard-prod-exemption-api',
      authorizationType: 'AWS_IAM',
    });
    // No resource-policy grant to "*": only identities allowed by IAM can call it.
    const grants = sst
      .ofType('aws:lambda/permission:Permission')
      .filter((permission) => String(permission.inputs.function).includes('exemption-api'));
    expect(grants).toEqual([]);
    const variables = (api.inputs.environment as { variables: Record<string, string> }).variables;
    expect(
      Object.keys(variables)
        .filter((key) => !key.startsWith('SST_'))
        .sort(),
    ).toEqual([
      'DRIFTGUARD_CONFIG_MAX_AGE_SECONDS',
      'DRIFTGUARD_CONFIG_PARAMETER',
      'DRIFTGUARD_EXEMPTIONS_TABLE',
      'DRIFTGUARD_TOPIC_ARN',
    ]);
    expect(variables.DRIFTGUARD_EXEMPTIONS_TABLE).toBe('driftguard-prod-exemptions');
  });

  it('the API role writes only the exemptions table and the topic (no member role, no state table)', () => {
    const statements = policyOf(sst.named('ExemptionApiRolePolicy')).Statement;
    const actions = statements.flatMap((statement) => ([] as string[]).concat(statement.Action));
    expect(
      actions.filter((action) => !action.startsWith('kms:') && !action.startsWith('logs:')).sort(),
    ).toEqual([...EXEMPTION_API_ACTIONS].sort());
    expect(actions.some((action) => action.startsWith('sts:'))).toBe(false);
    const dynamo = statements.find((statement) => statement.Sid === 'ExemptionsTable');
    expect(dynamo?.Resource).toBe(exemptionsTableArn);
    expect(statements.find((statement) => statement.Sid === 'AlertsTopic')?.Resource).toBe(topicArn);
  });
});
