/**
 * What the identity running `sst deploy` may create, resource type by resource type, and the
 * name each must carry (DEPLOY.md, "Deployer permissions", states the same patterns as ARNs).
 * test/infra/deployer-policy.test.ts runs the whole stack under Pulumi mocks and fails when a
 * resource's type is not listed here or its physical name falls outside its pattern: a new
 * resource, or one left to an auto-generated name, breaks the documented least-privilege policy
 * in review instead of in the first real deploy.
 */

export interface DeployerScope {
  /** How DEPLOY.md writes the resource scope (`<stage>` stands for the stage). */
  documented: string;
  /** The physical name the resource must have; undefined: scoped through its parent (below). */
  name?: (stage: string) => RegExp;
  /** The resource input holding its physical name, when it is not `name`. */
  nameInput?: string;
  /** Why a nameless resource is still inside the policy. */
  via?: string;
}

const prefixed = (stage: string) => new RegExp(`^driftguard-${stage}(-[A-Za-z0-9-]+)?$`);

export const DEPLOYER_SCOPES: Record<string, DeployerScope> = {
  'aws:cloudwatch/eventBus:EventBus': { documented: 'event-bus/driftguard-<stage>', name: prefixed },
  'aws:cloudwatch/eventRule:EventRule': { documented: 'rule/driftguard-<stage>-*', name: prefixed },
  'aws:cloudwatch/eventTarget:EventTarget': { documented: 'rule/driftguard-<stage>-*', via: 'its rule' },
  'aws:cloudwatch/eventBusPolicy:EventBusPolicy': {
    documented: 'event-bus/driftguard-<stage>',
    via: 'its bus',
  },
  'aws:iam/role:Role': { documented: 'role/driftguard-<stage>-*', name: prefixed },
  'aws:iam/rolePolicy:RolePolicy': { documented: 'role/driftguard-<stage>-*', via: 'its role' },
  'aws:sqs/queue:Queue': { documented: 'driftguard-<stage>-*', name: prefixed },
  'aws:sqs/queuePolicy:QueuePolicy': { documented: 'driftguard-<stage>-*', via: 'its queue' },
  'aws:sns/topic:Topic': { documented: 'driftguard-<stage>-*', name: prefixed },
  'aws:sns/topicPolicy:TopicPolicy': { documented: 'driftguard-<stage>-*', via: 'its topic' },
  'aws:kms/key:Key': {
    documented: 'kms:CreateKey',
    via: 'keys have no name; kms:* only on keys tagged by the stack',
  },
  'aws:dynamodb/table:Table': { documented: 'table/driftguard-<stage>-*', name: prefixed },
  'aws:dynamodb/resourcePolicy:ResourcePolicy': {
    documented: 'table/driftguard-<stage>-*',
    via: 'its table',
  },
  'aws:lambda/function:Function': { documented: 'function:driftguard-<stage>-*', name: prefixed },
  'aws:lambda/functionUrl:FunctionUrl': { documented: 'function:driftguard-<stage>-*', via: 'its function' },
  'aws:lambda/eventSourceMapping:EventSourceMapping': {
    documented: 'lambda:CreateEventSourceMapping',
    via: 'conditioned on lambda:FunctionArn = function:driftguard-<stage>-*',
  },
  'aws:cloudwatch/logGroup:LogGroup': {
    documented: 'log-group:/aws/lambda/driftguard-<stage>-*',
    name: (stage) => new RegExp(`^/aws/lambda/driftguard-${stage}-[a-z-]+$`),
  },
  'aws:cloudwatch/logMetricFilter:LogMetricFilter': {
    documented: 'log-group:/aws/lambda/driftguard-<stage>-*',
    name: prefixed,
  },
  'aws:cloudwatch/metricAlarm:MetricAlarm': { documented: 'alarm:driftguard-<stage>-*', name: prefixed },
  'aws:cloudwatch/dashboard:Dashboard': {
    documented: 'dashboard/driftguard-<stage>',
    name: prefixed,
    nameInput: 'dashboardName',
  },
  'aws:scheduler/schedule:Schedule': { documented: 'schedule/default/driftguard-<stage>-*', name: prefixed },
  'aws:ssm/parameter:Parameter': {
    documented: 'parameter/driftguard/<stage>/*',
    name: (stage) => new RegExp(`^/driftguard/${stage}/[a-z-]+$`),
  },
  'aws:cloudformation/stackSet:StackSet': { documented: 'stackset/driftguard-<stage>-*', name: prefixed },
  'aws:cloudformation/stackInstances:StackInstances': {
    documented: 'stackset/driftguard-<stage>-*',
    via: 'its stack set',
  },
  'aws:cloudformation/stack:Stack': {
    documented: 'role/driftguard-<stage>-management-deployer',
    // Created in the management account through the role the deployer assumes there.
    name: prefixed,
  },
  'aws:s3/bucketObjectv2:BucketObjectv2': {
    documented: 'sst-asset-*',
    via: "SST's asset bucket (function code)",
  },
};

/** Not AWS resources: providers, SST components, the random provider's bytes (no AWS call). */
export const NOT_AWS_RESOURCES = [/^pulumi:providers:/, /^sst:/, /^random:/] as const;
