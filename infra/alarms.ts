import type { RoutedRule } from './bus';
import type { DeploymentContext } from './context';
import { logicalId } from './naming';
import { SWEEP_UNIT_FAILED_MESSAGE, SWEEP_UNITS_UNREACHED_MESSAGE } from './schedules';

/** Oldest message in the buffer, in seconds, before someone should look: the function is stuck or failing. */
export const QUEUE_AGE_ALARM_SECONDS = 300;

/** The metric the sweep's failed units are counted in (from the worker's logs). */
export const SWEEP_METRIC = { namespace: 'driftguard', name: 'SweepUnitFailures' } as const;
/** Units a superseded run never reached (from the planner's logs). */
export const SWEEP_UNREACHED_METRIC = { namespace: 'driftguard', name: 'SweepUnitsUnreached' } as const;

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
    sweepDeadLetterQueue: aws.sqs.Queue;
    sweep: { fn: sst.aws.Function; worker: sst.aws.Function };
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

  const logGroupOf = (fn: sst.aws.Function) =>
    fn.nodes.logGroup.apply((group) => {
      if (!group) throw new Error('a sweep function has no log group');
      return group.name;
    });
  const sweepAlarm = { statistic: 'Sum', period: 900, evaluationPeriods: 1, threshold: 0 } as const;

  // A unit that fails on its last delivery is counted failed in its run and logged by the worker;
  // one retry would sweep it again, not recover the others, so the log lines are counted here.
  new aws.cloudwatch.LogMetricFilter('SweepUnitFailuresFilter', {
    name: `${names.sweepWorkerFunction}-unit-failures`,
    logGroupName: logGroupOf(resources.sweep.worker),
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
      'driftguard: the sweep could not read an account/region/kind after every retry (worker logs, "sweep unit failed")',
    namespace: SWEEP_METRIC.namespace,
    metricName: SWEEP_METRIC.name,
    ...sweepAlarm,
    comparisonOperator: 'GreaterThanThreshold',
    ...actions,
  });

  // A run still unfinished when the next one starts: units nobody swept (workers too few or too
  // slow for the schedule, or messages lost). The planner logs the count as it supersedes the run.
  new aws.cloudwatch.LogMetricFilter('SweepUnitsUnreachedFilter', {
    name: `${names.sweepFunction}-units-unreached`,
    logGroupName: logGroupOf(resources.sweep.fn),
    pattern: `{ $.message = "${SWEEP_UNITS_UNREACHED_MESSAGE}" }`,
    metricTransformation: {
      namespace: SWEEP_UNREACHED_METRIC.namespace,
      name: SWEEP_UNREACHED_METRIC.name,
      value: '$.unreached',
      defaultValue: '0',
    },
  });
  const sweepUnitsUnreached = new aws.cloudwatch.MetricAlarm('SweepUnitsUnreachedAlarm', {
    name: `${names.sweepFunction}-units-unreached`,
    alarmDescription:
      'driftguard: a sweep run was superseded before every unit was swept (planner logs, "sweep units unreached"; see DEPLOY.md, sweep sizing)',
    namespace: SWEEP_UNREACHED_METRIC.namespace,
    metricName: SWEEP_UNREACHED_METRIC.name,
    ...sweepAlarm,
    comparisonOperator: 'GreaterThanThreshold',
    ...actions,
  });

  // Units that crashed or timed out the worker on every delivery (never counted in their run).
  const sweepDeadLetters = new aws.cloudwatch.MetricAlarm('SweepDeadLetterAlarm', {
    name: `${names.sweepDeadLetterQueue}-not-empty`,
    alarmDescription: 'driftguard: sweep units crashed the worker on every delivery (see the sweep DLQ)',
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: resources.sweepDeadLetterQueue.name },
    statistic: 'Maximum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    ...actions,
  });

  return {
    deadLetters,
    queueAge,
    failedInvocations,
    functionErrors,
    sweepUnitFailures,
    sweepUnitsUnreached,
    sweepDeadLetters,
  };
}
