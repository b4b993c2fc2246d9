import type { EventPattern } from '@driftguard/core';
import type { DeploymentContext } from './context';
import { logicalId } from './naming';
import { routedPatterns } from './patterns';
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

  const patterns = routedPatterns({
    ownRoleNames: context.ownRoleNames,
    guardDutyFindings: settings.forwardGuardDutyFindings,
  });

  const rules: RoutedRule[] = patterns.map((pattern) => {
    const id = logicalId(pattern.name);
    const rule = new aws.cloudwatch.EventRule(`Rule${id}`, {
      name: names.rule(pattern.name),
      description: `driftguard: ${pattern.name} events to the evaluate queue`,
      eventBusName: bus.name,
      eventPattern: JSON.stringify(pattern.pattern),
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

  return { bus, rules };
}
