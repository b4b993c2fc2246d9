import type { DeploymentContext } from './context';
import { forwardsMemberGuardDuty } from './members';
import { MAX_RECEIVE_COUNT } from './sizing';

/** How long the functions cache the config parameter: a publish takes effect within this. */
export const CONFIG_MAX_AGE_SECONDS = 60;

/**
 * What both central functions read (packages/aws/src/runtime.ts, RuntimeEnv): where the state,
 * the alerts and the dead letters are, and the queue's receive limit, so the last failing delivery
 * can attach its reason before SQS dead-letters it.
 */
export function functionEnvironment(
  context: DeploymentContext,
  resources: {
    table: aws.dynamodb.Table;
    exemptionsTable: aws.dynamodb.Table;
    topic: aws.sns.Topic;
    deadLetterQueue: aws.sqs.Queue;
  },
): Record<string, $util.Input<string>> {
  return {
    ...context.settings.channelSettings,
    // The config lives in Parameter Store (infra/config-parameter.ts), not in the 4 KB environment.
    DRIFTGUARD_CONFIG_PARAMETER: context.names.configParameter,
    DRIFTGUARD_CONFIG_MAX_AGE_SECONDS: String(CONFIG_MAX_AGE_SECONDS),
    // What the deployment owns, laid over every published config (packages/aws/src/runtime.ts):
    // the generated external id, the member role's name, and the central role's real ARN, so code
    // and the central bus's patterns agree on which calls are driftguard's own (loop guard).
    DRIFTGUARD_EXTERNAL_ID: context.externalId,
    DRIFTGUARD_REMEDIATION_ROLE_NAME: context.config.remediationRoleName,
    DRIFTGUARD_CENTRAL_ROLE_ARN: context.centralRoleArn,
    // What the member template deploys, for the integrity guardrail and the sweep's check
    // (core footprint.ts): the bus the forwarding rules target and the role region.
    DRIFTGUARD_CENTRAL_BUS_ARN: $interpolate`arn:${context.partition}:events:${context.region}:${context.account}:event-bus/${context.names.bus}`,
    DRIFTGUARD_ROLE_REGION: context.settings.roleRegion ?? context.settings.region,
    DRIFTGUARD_FORWARDING_PREFIX: context.names.memberForwardingPrefix,
    // The member stacks' ForwardGuardDutyFindings (infra/members.ts): whether their GuardDuty rule exists.
    DRIFTGUARD_FORWARD_GUARDDUTY_FINDINGS: String(forwardsMemberGuardDuty(context.settings)),
    DRIFTGUARD_TABLE: resources.table.name,
    DRIFTGUARD_EXEMPTIONS_TABLE: resources.exemptionsTable.name,
    DRIFTGUARD_TOPIC_ARN: resources.topic.arn,
    DRIFTGUARD_DLQ_URL: resources.deadLetterQueue.url,
    DRIFTGUARD_MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
  };
}
