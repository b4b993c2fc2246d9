import type { EventPattern } from '@driftguard/core';
import type { DeploymentContext } from './context';
import { logicalId } from './naming';
import { centralPatterns, isGuardDutyPattern } from './patterns';
import { busPolicy, queuePolicy } from './policies';

/**
 * EventBridge keeps retrying a failed delivery for 24 h / 185 attempts (DESIGN.md §5); these are
 * those defaults, written down so a reviewer sees them. After that the event goes to the DLQ.
 */
export const TARGET_RETRY_POLICY = {
  maximumEventAgeInSeconds: 24 * 3600,
  maximumRetryAttempts: 185,
} as const;

export interface RoutedRule {
  pattern: EventPattern;
  rule: aws.cloudwatch.EventRule;
  target: aws.cloudwatch.EventTarget;
}

/**
 * The central bus: only the organization may put events on it, and one rule per catalog pattern
 * (the same patterns the member accounts forward) sends matching events to the buffer queue.
 */
export function createBus(
  context: DeploymentContext,
  queues: { queue: aws.sqs.Queue; deadLetterQueue: aws.sqs.Queue },
) {
  const { names, settings } = context;

  const bus = new aws.cloudwatch.EventBus('CentralBus', { name: names.bus });

  new aws.cloudwatch.EventBusPolicy('CentralBusPolicy', {
    eventBusName: bus.name,
    policy: bus.arn.apply((arn) => JSON.stringify(busPolicy(arn, settings.organizationId))),
  });

  const patterns = centralPatterns(context.centralRoleArn);

  const rules: RoutedRule[] = patterns.map((pattern) => {
    const id = logicalId(pattern.name);
    const rule = new aws.cloudwatch.EventRule(`Rule${id}`, {
      name: names.rule(pattern.name),
      description: `driftguard: ${pattern.name} events to the evaluate queue`,
      eventBusName: bus.name,
      // The central role's ARN is an output: resolved inside the pattern at deploy time.
      eventPattern: $jsonStringify(pattern.pattern),
      state: 'ENABLED',
    });
    const target = new aws.cloudwatch.EventTarget(`Rule${id}Target`, {
      rule: rule.name,
      eventBusName: bus.name,
      targetId: 'evaluate-queue',
      arn: queues.queue.arn,
      deadLetterConfig: { arn: queues.deadLetterQueue.arn },
      retryPolicy: TARGET_RETRY_POLICY,
    });
    return { pattern, rule, target };
  });

  const ruleArns = $resolve(rules.map(({ rule }) => rule.arn));
  for (const [id, queue] of [
    ['EventsQueuePolicy', queues.queue],
    ['EventsDeadLetterQueuePolicy', queues.deadLetterQueue],
  ] as const) {
    new aws.sqs.QueuePolicy(id, {
      queueUrl: queue.url,
      policy: $resolve({ arn: queue.arn, arns: ruleArns }).apply(({ arn, arns }) =>
        JSON.stringify(queuePolicy(arn, arns)),
      ),
    });
  }

  const guardDutyForwarding =
    settings.guardDutyFindings === 'central-account'
      ? forwardGuardDutyFromEveryRegion(context, bus, patterns.filter(isGuardDutyPattern))
      : [];

  return { bus, rules, guardDutyForwarding };
}

/**
 * When this (security) account is the GuardDuty delegated administrator, every member's findings
 * arrive on its default bus, but region by region: a finding raised in eu-west-1 reaches the
 * administrator's eu-west-1 bus only. One rule per member region forwards them to the central
 * bus (a cross-region bus target, through one named role), where the catalog rule routes them
 * like any forwarded event.
 */
function forwardGuardDutyFromEveryRegion(
  context: DeploymentContext,
  bus: aws.cloudwatch.EventBus,
  patterns: EventPattern[],
) {
  if (patterns.length === 0) return [];
  const { names, settings } = context;
  const role = new aws.iam.Role('GuardDutyForwardingRole', {
    // Named, so the deployer's policy (DEPLOY.md) can scope iam:* to driftguard-<stage>-*.
    name: names.guardDutyForwardingRole,
    description:
      'driftguard: lets EventBridge put GuardDuty findings from every region’s default bus on the central bus',
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': settings.account } },
        },
      ],
    }),
  });
  new aws.iam.RolePolicy('GuardDutyForwardingRolePolicy', {
    role: role.name,
    policy: bus.arn.apply((arn) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: arn }],
      }),
    ),
  });
  return settings.memberRegions.flatMap((region) => {
    // The central region uses the stack's own provider; the others one pinned to the same account.
    const opts =
      region === settings.region
        ? {}
        : {
            provider: new aws.Provider(`SecurityAccount-${region}`, {
              region: region as aws.Region,
              allowedAccountIds: [settings.account],
            }),
          };
    const suffix = region === settings.region ? '' : `-${region}`;
    return patterns.map((pattern) => {
      const id = `Forward${logicalId(pattern.name)}${suffix}`;
      const rule = new aws.cloudwatch.EventRule(
        id,
        {
          name: names.guardDutyRule(pattern.name),
          description: `driftguard: forward ${pattern.name} events from ${region}'s default bus to the central bus`,
          eventBusName: 'default',
          eventPattern: JSON.stringify(pattern.pattern),
          state: 'ENABLED',
        },
        opts,
      );
      const target = new aws.cloudwatch.EventTarget(
        `${id}Target`,
        {
          rule: rule.name,
          eventBusName: 'default',
          targetId: 'driftguard-central-bus',
          arn: bus.arn,
          roleArn: role.arn,
        },
        opts,
      );
      return { region, pattern, rule, target };
    });
  });
}
