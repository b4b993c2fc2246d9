import type { RoutedRule } from './bus';
import type { DeploymentContext } from './context';
import { logicalId } from './naming';
import { SWEEP_UNIT_FAILED_MESSAGE } from './schedules';

/** Oldest message in the buffer, in seconds, before someone should look: the function is stuck or failing. */
export const QUEUE_AGE_ALARM_SECONDS = 300;

/** The metric the sweep's failed units are counted in (from its logs). */
export const SWEEP_METRIC = { namespace: 'driftguard', name: 'SweepUnitFailures' } as const;

/**
 * Alarms on every way an event can be lost or late, all to the alerts topic: something in the
 * DLQ, EventBridge failing to deliver to the queue, a buffer that is not draining, and scheduled
 * runs that fail (an exemption re-check that did not complete, an account the sweep could not read).
 */
export function createAlarms(
  context: DeploymentContext,
  resources: {
    topic: aws.sns.Topic;
    queue: aws.sqs.Queue;
    deadLetterQueue: aws.sqs.Queue;
    bus: aws.cloudwatch.EventBus;
    rules: RoutedRule[];
    sweep: { fn: sst.aws.Function };
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

  // Scheduled functions throw when a run is incomplete (exemption expiry) or cannot start (sweep).
  const functionErrors = [
    { id: 'SweepErrorsAlarm', functionName: names.sweepFunction },
    { id: 'ExemptionExpiryErrorsAlarm', functionName: names.exemptionExpiryFunction },
  ].map(
    ({ id, functionName }) =>
      new aws.cloudwatch.MetricAlarm(id, {
        name: `${functionName}-errors`,
        alarmDescription: `driftguard: ${functionName} failed (see its logs)`,
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: functionName },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        ...actions,
      }),
  );

  // The sweep does not fail for one unreachable account or region (a retry would sweep everything
  // again): it logs each one, and the log lines are counted here.
  const sweepLogGroup = resources.sweep.fn.nodes.logGroup.apply((group) => {
    if (!group) throw new Error('the sweep function has no log group');
    return group.name;
  });
  new aws.cloudwatch.LogMetricFilter('SweepUnitFailuresFilter', {
    name: `${names.sweepFunction}-unit-failures`,
    logGroupName: sweepLogGroup,
    pattern: `{ $.message = "${SWEEP_UNIT_FAILED_MESSAGE}" }`,
    metricTransformation: {
      namespace: SWEEP_METRIC.namespace,
      name: SWEEP_METRIC.name,
      value: '1',
      defaultValue: '0',
    },
  });
  const sweepUnitFailures = new aws.cloudwatch.MetricAlarm('SweepUnitFailuresAlarm', {
    name: `${names.sweepFunction}-unit-failures`,
    alarmDescription:
      'driftguard: the sweep could not read an account or region (see its logs, "sweep unit failed")',
    namespace: SWEEP_METRIC.namespace,
    metricName: SWEEP_METRIC.name,
    statistic: 'Sum',
    period: 900,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    ...actions,
  });

  return { deadLetters, queueAge, failedInvocations, functionErrors, sweepUnitFailures };
}
