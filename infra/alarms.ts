import type { RoutedRule } from './bus';
import type { DeploymentContext } from './context';
import { logicalId } from './naming';

/** Oldest message in the buffer, in seconds, before someone should look: the function is stuck or failing. */
export const QUEUE_AGE_ALARM_SECONDS = 300;

/**
 * Alarms on every way an event can be lost or late, all to the alerts topic: something in the
 * DLQ, EventBridge failing to deliver to the queue, and a buffer that is not draining.
 */
export function createAlarms(
  context: DeploymentContext,
  resources: {
    topic: aws.sns.Topic;
    queue: aws.sqs.Queue;
    deadLetterQueue: aws.sqs.Queue;
    bus: aws.cloudwatch.EventBus;
    rules: RoutedRule[];
  },
) {
  const { names } = context;
  const actions = {
    alarmActions: [resources.topic.arn],
    okActions: [resources.topic.arn],
    // No data means nothing happened, which is the healthy case for all three.
    treatMissingData: 'notBreaching',
  };

  const deadLetters = new aws.cloudwatch.MetricAlarm('DeadLetterAlarm', {
    name: `${names.deadLetterQueue}-not-empty`,
    alarmDescription:
      'driftguard: events in the dead-letter queue were not evaluated (see DEPLOY.md, "Operating")',
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: resources.deadLetterQueue.name },
    statistic: 'Maximum',
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    ...actions,
  });

  const queueAge = new aws.cloudwatch.MetricAlarm('QueueAgeAlarm', {
    name: `${names.queue}-backlog`,
    alarmDescription: `driftguard: events waited more than ${QUEUE_AGE_ALARM_SECONDS} s for the evaluate function`,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateAgeOfOldestMessage',
    dimensions: { QueueName: resources.queue.name },
    statistic: 'Maximum',
    period: 60,
    evaluationPeriods: 5,
    threshold: QUEUE_AGE_ALARM_SECONDS,
    comparisonOperator: 'GreaterThanThreshold',
    ...actions,
  });

  const failedInvocations = resources.rules.map(
    ({ pattern, rule }) =>
      new aws.cloudwatch.MetricAlarm(`FailedInvocations${logicalId(pattern.name)}`, {
        name: `${names.rule(pattern.name)}-failed-invocations`,
        alarmDescription: `driftguard: EventBridge could not deliver ${pattern.name} events to the queue (they go to the DLQ)`,
        namespace: 'AWS/Events',
        metricName: 'FailedInvocations',
        dimensions: { EventBusName: resources.bus.name, RuleName: rule.name },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        ...actions,
      }),
  );

  return { deadLetters, queueAge, failedInvocations };
}
