import { CONFIG_REJECTED_MESSAGE, encodeConfigDocument } from '@driftguard/aws/config-parameter';
import type { DeploymentContext } from './context';
export const CONFIG_METRIC = { namespace: 'driftguard', name: 'ConfigRejected' } as const;

/**
 * The runtime config in SSM Parameter Store (packages/aws/src/config-parameter.ts): a deploy
 * publishes the stage file's `config`; `driftguard config publish` publishes a change without one.
 * Plain String (nothing in it is secret: secrets are SST secrets), the cheapest tier that holds it.
 */
export function createConfigParameter(context: DeploymentContext) {
  const { value, tier } = encodeConfigDocument(context.settings.config);
  const parameter = new aws.ssm.Parameter('ConfigParameter', {
    name: context.names.configParameter,
    description: `driftguard ${context.stage}: the runtime config (DEPLOY.md, "Change the config")`,
    type: 'String',
    tier,
    value,
  });
  return { parameter };
}

/**
 * A refused config keeps the last good one in force, so nothing breaks loudly: this alarm is how
 * the team learns its publish did not take effect (or that no function can start).
 */
export function createConfigAlarm(
  context: DeploymentContext,
  resources: { topic: aws.sns.Topic; functions: sst.aws.Function[] },
) {
  const filters = resources.functions.map(
    (fn, index) =>
      new aws.cloudwatch.LogMetricFilter(`ConfigRejectedFilter${index}`, {
        name: `driftguard-${context.stage}-config-rejected-${index}`,
        logGroupName: fn.nodes.logGroup.apply((group) => {
          if (!group) throw new Error('a central function has no log group');
          return group.name;
        }),
        pattern: `{ $.message = "${CONFIG_REJECTED_MESSAGE}" }`,
        metricTransformation: {
          namespace: CONFIG_METRIC.namespace,
          name: CONFIG_METRIC.name,
          value: '1',
          defaultValue: '0',
        },
      }),
  );
  const alarm = new aws.cloudwatch.MetricAlarm('ConfigRejectedAlarm', {
    name: `driftguard-${context.stage}-config-rejected`,
    alarmDescription:
      'driftguard: a published config was refused (or could not be read); the last good config is in force (see the function logs, "driftguard config rejected")',
    namespace: CONFIG_METRIC.namespace,
    metricName: CONFIG_METRIC.name,
    statistic: 'Sum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    alarmActions: [resources.topic.arn],
    okActions: [resources.topic.arn],
    treatMissingData: 'notBreaching',
  });
  return { filters, alarm };
}
