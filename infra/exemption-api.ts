import { NODEJS_BUNDLING } from './bundling';
import type { DeploymentContext } from './context';
import { CONFIG_MAX_AGE_SECONDS } from './environment';
import { exemptionApiPolicy, exemptionsTablePolicy } from './exemption-policies';
import { lambdaTrustPolicy } from './policies';

/**
 * The break-glass API (packages/functions/src/exemption-api.ts) behind an AWS_IAM function URL:
 * Lambda authenticates every caller (SigV4) and hands the function the caller's ARN; the function
 * records requests and approvals under that identity. Its own role (not the central one: it cannot
 * assume member roles) writes only the exemptions table, whose resource policy lets nothing else
 * write it.
 */
export function createExemptionApi(
  context: DeploymentContext,
  resources: {
    exemptionsTable: aws.dynamodb.Table;
    topic: aws.sns.Topic;
    topicKey: aws.kms.Key;
    centralRole: aws.iam.Role;
  },
) {
  const { names } = context;
  const role = new aws.iam.Role('ExemptionApiRole', {
    name: names.exemptionApiRole,
    description: `driftguard ${context.stage}: the exemption API function (requests, approvals, revocations)`,
    assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()),
  });
  const logGroupArn = $interpolate`arn:${context.partition}:logs:${context.region}:${context.account}:log-group:/aws/lambda/${names.exemptionApiFunction}`;
  const rolePolicy = new aws.iam.RolePolicy('ExemptionApiRolePolicy', {
    role: role.name,
    name: 'driftguard-exemption-api',
    policy: $resolve({
      exemptionsTableArn: resources.exemptionsTable.arn,
      topicArn: resources.topic.arn,
      topicKeyArn: resources.topicKey.arn,
      configParameterArn: $interpolate`arn:${context.partition}:ssm:${context.region}:${context.account}:parameter${names.configParameter}`,
      logGroupArn,
    }).apply((arns) => JSON.stringify(exemptionApiPolicy(arns))),
  });

  const fn = new sst.aws.Function('ExemptionApi', {
    name: names.exemptionApiFunction,
    description: 'driftguard: break-glass requests and approvals by authenticated AWS principals',
    handler: 'packages/functions/src/exemption-api.handler',
    runtime: 'nodejs22.x',
    nodejs: NODEJS_BUNDLING,
    architecture: 'arm64',
    memory: '256 MB',
    timeout: '30 seconds',
    role: role.arn,
    logging: { format: 'json', retention: '3 months' },
    // Who may call it is decided by IAM (lambda:InvokeFunctionUrl + lambda:InvokeFunction): DEPLOY.md.
    url: { authorization: 'iam' },
    environment: {
      // The runtime config, from Parameter Store like the other functions (infra/config-parameter.ts).
      DRIFTGUARD_CONFIG_PARAMETER: names.configParameter,
      DRIFTGUARD_CONFIG_MAX_AGE_SECONDS: String(CONFIG_MAX_AGE_SECONDS),
      DRIFTGUARD_EXEMPTIONS_TABLE: resources.exemptionsTable.name,
      DRIFTGUARD_TOPIC_ARN: resources.topic.arn,
    },
  });

  const tablePolicy = new aws.dynamodb.ResourcePolicy('ExemptionsTablePolicy', {
    resourceArn: resources.exemptionsTable.arn,
    policy: $resolve([resources.exemptionsTable.arn, resources.centralRole.arn, role.arn]).apply(
      ([tableArn, central, api]) => JSON.stringify(exemptionsTablePolicy(tableArn, [central, api])),
    ),
  });

  return { fn, role, rolePolicy, tablePolicy };
}
