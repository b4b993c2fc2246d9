import { CATALOG } from '@driftguard/core';
import {
  DEAD_LETTER_REASONS,
  EXEMPTION_API_SUSPICIOUS,
  METRICS,
  METRICS_NAMESPACE,
  SERVICES,
} from '../packages/functions/src/metric-names';
import type { DeploymentContext } from './context';

/** A CloudWatch dashboard metric line: namespace, name, then dimension name/value pairs, then options. */
type MetricLine = (string | Record<string, string>)[];

const evaluateMetric = (name: string, dimensions: Record<string, string> = {}, options = {}): MetricLine => [
  METRICS_NAMESPACE,
  name,
  'service',
  SERVICES.evaluate,
  ...Object.entries(dimensions).flat(),
  ...(Object.keys(options).length > 0 ? [options] : []),
];

const sweepMetric = (name: string, service: string, label: string): MetricLine => [
  METRICS_NAMESPACE,
  name,
  'service',
  service,
  { label, stat: 'Sum' },
];

const exemptionApiMetric = (name: string, dimensions: Record<string, string>, label: string): MetricLine => [
  METRICS_NAMESPACE,
  name,
  'service',
  SERVICES.exemptionApi,
  ...Object.entries(dimensions).flat(),
  { label },
];

interface Widget {
  title: string;
  metrics: MetricLine[];
  stat: string;
  period: number;
  /** Where the widget sits on the 24-column grid. */
  x: number;
  y: number;
}

function metricWidget(widget: Widget, region: string) {
  const { x, y, title, metrics, stat, period } = widget;
  return {
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, metrics, stat, period, view: 'timeSeries', stacked: false },
  };
}

/**
 * The dashboard body: what driftguard did and how fast, from the functions' own metrics (EMF) and
 * the queues. Rules and dead-letter reasons are listed from the catalog and the reason classes, so
 * a new guardrail gets its line without an edit here.
 */
export function dashboardBody(input: {
  region: string;
  deadLetterQueue: string;
  sweepDeadLetterQueue: string;
}) {
  const { region } = input;
  const verified = { outcome: 'reverted' };
  const widgets: Widget[] = [
    {
      title: 'Time to verified revert (ms)',
      metrics: [
        evaluateMetric(METRICS.timeFromEvent, verified, { stat: 'p50', label: 'from the change, p50' }),
        evaluateMetric(METRICS.timeFromEvent, verified, { stat: 'p99', label: 'from the change, p99' }),
        evaluateMetric(METRICS.timeFromReceipt, verified, { stat: 'p50', label: 'from arrival, p50' }),
        evaluateMetric(METRICS.timeFromReceipt, verified, { stat: 'p99', label: 'from arrival, p99' }),
      ],
      stat: 'p99',
      period: 300,
      x: 0,
      y: 0,
    },
    {
      title: 'Verified reverts by rule',
      metrics: CATALOG.map((guardrail) =>
        evaluateMetric(METRICS.revertVerified, { rule: guardrail.id }, { label: guardrail.id }),
      ),
      stat: 'Sum',
      period: 300,
      x: 12,
      y: 0,
    },
    {
      title: 'Failures',
      metrics: [
        evaluateMetric(METRICS.revertFailed, {}, { label: 'reverts failed' }),
        ...DEAD_LETTER_REASONS.map((reason) =>
          evaluateMetric(METRICS.deadLetter, { reason }, { label: `dead letters: ${reason}` }),
        ),
        evaluateMetric(METRICS.tamper, {}, { label: 'tamper findings' }),
        evaluateMetric(METRICS.breakerTrip, {}, { label: 'circuit breaker trips' }),
        sweepMetric(METRICS.sweepUnitFailures, SERVICES.sweepWorker, 'sweep units failed'),
      ],
      stat: 'Sum',
      period: 300,
      x: 0,
      y: 6,
    },
    {
      title: 'Dead-letter queue depth',
      metrics: [
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'QueueName',
          input.deadLetterQueue,
          { label: 'events' },
        ],
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'QueueName',
          input.sweepDeadLetterQueue,
          { label: 'sweep units' },
        ],
      ],
      stat: 'Maximum',
      period: 60,
      x: 12,
      y: 6,
    },
    {
      title: 'Sweep coverage (units per run)',
      metrics: [
        sweepMetric(METRICS.sweepUnitsPlanned, SERVICES.sweepPlanner, 'planned'),
        sweepMetric(METRICS.sweepUnitsSwept, SERVICES.sweepWorker, 'swept'),
        sweepMetric(METRICS.sweepUnitFailures, SERVICES.sweepWorker, 'failed'),
        sweepMetric(METRICS.sweepUnitsUnreached, SERVICES.sweepPlanner, 'unreached'),
        sweepMetric(METRICS.sweepViolations, SERVICES.sweepWorker, 'violations found'),
      ],
      stat: 'Sum',
      period: 21_600,
      x: 0,
      y: 12,
    },
    {
      title: 'Decisions and duplicates',
      metrics: [
        evaluateMetric(METRICS.revertVerified, {}, { label: 'verified reverts' }),
        evaluateMetric(METRICS.duplicate, {}, { label: 'duplicates suppressed' }),
      ],
      stat: 'Sum',
      period: 300,
      x: 12,
      y: 12,
    },
    {
      title: 'Break-glass exemptions',
      metrics: [
        exemptionApiMetric(
          METRICS.exemptionApiCall,
          { operation: 'request', outcome: 'accepted' },
          'requested',
        ),
        exemptionApiMetric(
          METRICS.exemptionApiCall,
          { operation: 'approve', outcome: 'accepted' },
          'granted',
        ),
        exemptionApiMetric(METRICS.exemptionApiCall, { operation: 'revoke', outcome: 'accepted' }, 'revoked'),
        exemptionApiMetric(METRICS.exemptionApiFailures, {}, 'failed (500)'),
        ...EXEMPTION_API_SUSPICIOUS.map((reason) =>
          exemptionApiMetric(METRICS.exemptionApiSuspicious, { reason }, `suspicious: ${reason}`),
        ),
      ],
      stat: 'Sum',
      period: 300,
      x: 0,
      y: 18,
    },
  ];
  return { widgets: widgets.map((widget) => metricWidget(widget, region)) };
}

/** The operator's dashboard (README, "Operating driftguard"). */
export function createDashboard(
  context: DeploymentContext,
  resources: { deadLetterQueue: aws.sqs.Queue; sweepDeadLetterQueue: aws.sqs.Queue },
) {
  return new aws.cloudwatch.Dashboard('Dashboard', {
    dashboardName: `driftguard-${context.stage}`,
    dashboardBody: $resolve([
      context.region,
      resources.deadLetterQueue.name,
      resources.sweepDeadLetterQueue.name,
    ]).apply(([region, deadLetterQueue, sweepDeadLetterQueue]) =>
      JSON.stringify(dashboardBody({ region, deadLetterQueue, sweepDeadLetterQueue })),
    ),
  });
}
