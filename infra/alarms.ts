import { METRICS, METRICS_NAMESPACE, SERVICES } from '../packages/functions/src/metric-names';
import type { RoutedRule } from './bus';
import type { DeploymentContext } from './context';
import { logicalId } from './naming';

/** Oldest message in the buffer, in seconds, before someone should look: the function is stuck or failing. */
export const QUEUE_AGE_ALARM_SECONDS = 300;

/** Milliseconds from a change to its verified revert (p99 over 15 minutes) before someone should look. */
export const TIME_TO_REVERT_ALARM_MS = 10 * 60 * 1000;

/** A driftguard metric (EMF, packages/functions/src/metric-names.ts) as one function emits it. */
const driftguardMetric = (name: string, service: string) => ({
  namespace: METRICS_NAMESPACE,
  metricName: name,
  dimensions: { service },
});

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
  },
) {
  const { names } = context;
  /**
   * One alarm to the alerts topic (and back to OK), above `threshold` by default. No data means
   * nothing happened, which is the healthy case for every alarm here.
   */
  const alarm = (
    id: string,
    args: Omit<aws.cloudwatch.MetricAlarmArgs, 'alarmActions' | 'okActions' | 'comparisonOperator'>,
  ) =>
    new aws.cloudwatch.MetricAlarm(id, {
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      ...args,
      alarmActions: [resources.topic.arn],
      okActions: [resources.topic.arn],
    });
  /** Any message visible in a dead-letter queue. */
  const notEmpty = (
    id: string,
    queue: aws.sqs.Queue,
    queueName: string,
    description: string,
    period: number,
  ) =>
    alarm(id, {
      name: `${queueName}-not-empty`,
      alarmDescription: description,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queue.name },
      statistic: 'Maximum',
      period,
      evaluationPeriods: 1,
      threshold: 0,
    });
  const anyIn15Minutes = { statistic: 'Sum', period: 900, evaluationPeriods: 1, threshold: 0 } as const;

  const deadLetters = notEmpty(
    'DeadLetterAlarm',
    resources.deadLetterQueue,
    names.deadLetterQueue,
    'driftguard: events in the dead-letter queue were not evaluated (see DEPLOY.md, "Operating")',
    60,
  );

  const queueAge = alarm('QueueAgeAlarm', {
    name: `${names.queue}-backlog`,
    alarmDescription: `driftguard: events waited more than ${QUEUE_AGE_ALARM_SECONDS} s for the evaluate function`,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateAgeOfOldestMessage',
    dimensions: { QueueName: resources.queue.name },
    statistic: 'Maximum',
    period: 60,
    evaluationPeriods: 5,
    threshold: QUEUE_AGE_ALARM_SECONDS,
  });

  const failedInvocations = resources.rules.map(({ pattern, rule }) =>
    alarm(`FailedInvocations${logicalId(pattern.name)}`, {
      name: `${names.rule(pattern.name)}-failed-invocations`,
      alarmDescription: `driftguard: EventBridge could not deliver ${pattern.name} events to the queue (they go to the DLQ)`,
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensions: { EventBusName: resources.bus.name, RuleName: rule.name },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
    }),
  );

  // Scheduled functions throw when a run is incomplete (exemption expiry) or cannot start (sweep);
  // the exemption API's errors are the calls its handler never answered (a timeout, a crash at init).
  const functionErrors = [
    { id: 'SweepErrorsAlarm', functionName: names.sweepFunction },
    { id: 'ExemptionExpiryErrorsAlarm', functionName: names.exemptionExpiryFunction },
    { id: 'ExemptionApiErrorsAlarm', functionName: names.exemptionApiFunction },
  ].map(({ id, functionName }) =>
    alarm(id, {
      name: `${functionName}-errors`,
      alarmDescription: `driftguard: ${functionName} failed (see its logs)`,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: functionName },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
    }),
  );

  // What the functions count themselves (EMF metrics: no log filters to keep in step with messages).
  const revertsFailed = alarm('RevertsFailedAlarm', {
    name: `${names.function}-reverts-failed`,
    alarmDescription:
      'driftguard: a revert could not be verified; the event is retried, then dead-lettered (evaluate logs, "event processed" with outcome revert-failed)',
    ...driftguardMetric(METRICS.revertFailed, SERVICES.evaluate),
    statistic: 'Sum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
  });

  const timeToRevert = alarm('TimeToRevertAlarm', {
    name: `${names.function}-time-to-revert`,
    alarmDescription: `driftguard: the p99 time from a change to its verified revert was above ${TIME_TO_REVERT_ALARM_MS / 60_000} minutes (CloudTrail delivery, a backlog, or throttling)`,
    ...driftguardMetric(METRICS.timeFromEvent, SERVICES.evaluate),
    dimensions: { service: SERVICES.evaluate, outcome: 'reverted' },
    extendedStatistic: 'p99',
    period: 900,
    evaluationPeriods: 1,
    threshold: TIME_TO_REVERT_ALARM_MS,
  });

  const tamper = alarm('TamperFindingsAlarm', {
    name: `${names.function}-tamper-findings`,
    alarmDescription:
      "driftguard: someone changed driftguard's own footprint in a member account (driftguard-integrity)",
    ...driftguardMetric(METRICS.tamper, SERVICES.evaluate),
    ...anyIn15Minutes,
  });

  // A unit that fails on its last delivery is counted failed in its run: one retry would sweep it
  // again, not recover the others, so the worker's count alarms instead.
  const sweepUnitFailures = alarm('SweepUnitFailuresAlarm', {
    name: `${names.sweepFunction}-unit-failures`,
    alarmDescription:
      'driftguard: the sweep could not read an account/region/kind after every retry (worker logs, "sweep unit failed")',
    ...driftguardMetric(METRICS.sweepUnitFailures, SERVICES.sweepWorker),
    ...anyIn15Minutes,
  });

  // A run still unfinished when the next one starts: units nobody swept (workers too few or too
  // slow for the schedule, or messages lost). The planner counts them as it supersedes the run.
  const sweepUnitsUnreached = alarm('SweepUnitsUnreachedAlarm', {
    name: `${names.sweepFunction}-units-unreached`,
    alarmDescription:
      'driftguard: a sweep run was superseded before every unit was swept (planner logs, "sweep units unreached"; see DEPLOY.md, sweep sizing)',
    ...driftguardMetric(METRICS.sweepUnitsUnreached, SERVICES.sweepPlanner),
    ...anyIn15Minutes,
  });

  // Someone tried to get round the two-person rule: approving their own request (from another
  // session too), approving without being a listed approver, a forged caller context, approving a
  // lapsed request, or a body naming another requester/approver. Each is refused or ignored; the
  // alarm is so that a person hears of the attempt.
  const exemptionApiSuspicious = alarm('ExemptionApiSuspiciousAlarm', {
    name: `${names.exemptionApiFunction}-suspicious-calls`,
    alarmDescription:
      'driftguard: a break-glass exemption call looked like an attempt to get round the two-person rule (self-approval, not an approver, forged identity, lapsed request); exemption API logs, "exemption api refused or suspicious"',
    ...driftguardMetric(METRICS.exemptionApiSuspicious, SERVICES.exemptionApi),
    statistic: 'Sum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
  });

  // A break-glass call answered 500: the person asking (in an incident, most likely) got nothing.
  const exemptionApiFailures = alarm('ExemptionApiFailuresAlarm', {
    name: `${names.exemptionApiFunction}-failures`,
    alarmDescription:
      'driftguard: a break-glass exemption call failed with an internal error (exemption API logs, "exemption api failed")',
    ...driftguardMetric(METRICS.exemptionApiFailures, SERVICES.exemptionApi),
    statistic: 'Sum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
  });

  // Units that crashed or timed out the worker on every delivery (never counted in their run).
  const sweepDeadLetters = notEmpty(
    'SweepDeadLetterAlarm',
    resources.sweepDeadLetterQueue,
    names.sweepDeadLetterQueue,
    'driftguard: sweep units crashed the worker on every delivery (see the sweep DLQ)',
    300,
  );

  return {
    deadLetters,
    queueAge,
    failedInvocations,
    functionErrors,
    revertsFailed,
    timeToRevert,
    tamper,
    sweepUnitFailures,
    sweepUnitsUnreached,
    sweepDeadLetters,
    exemptionApiSuspicious,
    exemptionApiFailures,
  };
}
