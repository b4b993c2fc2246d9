import type { DeploymentContext } from './context';
import { functionPolicy } from './function-policy';
import { lambdaTrustPolicy } from './policies';

/**
 * The role the central functions (evaluate, sweep planner and worker, exemption expiry) run with, and the one principal the member
 * remediation roles trust. It is ours, not SST's: SST would attach the managed basic-execution
 * policy and `link` wildcards, while this one holds exactly the statements of
 * infra/function-policy.ts. One role for all: they run the same pipeline.
 */
export function createCentralRole(
  context: DeploymentContext,
  resources: {
    table: aws.dynamodb.Table;
    exemptionsTable: aws.dynamodb.Table;
    topic: aws.sns.Topic;
    topicKey: aws.kms.Key;
    queue: aws.sqs.Queue;
    deadLetterQueue: aws.sqs.Queue;
    sweepQueue: aws.sqs.Queue;
  },
) {
  const { names, settings, config } = context;

  const role = new aws.iam.Role('CentralRole', {
    name: names.functionRole,
    description: `driftguard ${context.stage}: the central functions; the only principal member roles trust`,
    assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
  });

  const functions = [
    names.function,
    names.sweepFunction,
    names.sweepWorkerFunction,
    names.exemptionExpiryFunction,
  ];
  const logGroupArns = functions.map(
    (name) =>
      $interpolate`arn:${context.partition}:logs:${context.region}:${context.account}:log-group:/aws/lambda/${name}`,
  );

  const rolePolicy = new aws.iam.RolePolicy('CentralRolePolicy', {
    role: role.name,
    name: 'driftguard-central',
    policy: $resolve({
      partition: context.partition,
      account: context.account,
      tableArn: resources.table.arn,
      exemptionsTableArn: resources.exemptionsTable.arn,
      topicArn: resources.topic.arn,
      topicKeyArn: resources.topicKey.arn,
      queueArn: resources.queue.arn,
      deadLetterQueueArn: resources.deadLetterQueue.arn,
      sweepQueueArn: resources.sweepQueue.arn,
      logGroupArns: $resolve(logGroupArns),
      configParameterArn: $interpolate`arn:${context.partition}:ssm:${context.region}:${context.account}:parameter${names.configParameter}`,
    }).apply((arns) =>
      JSON.stringify(
        functionPolicy({
          ...arns,
          organizationId: settings.organizationId,
          remediationRoleName: config.remediationRoleName,
        }),
      ),
    ),
  });

  return { role, rolePolicy };
}
