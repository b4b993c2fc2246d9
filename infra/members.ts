import { enabledPlaybooks } from '@driftguard/core';
import type { DeploymentContext } from './context';
import { type CfnTemplate, memberInstanceRegions, memberParameters, memberTemplate } from './member-template';
import type { StageSettings } from './stages';

/**
 * How StackSets rolls the member template out, sized for ~300 accounts × 17 regions (DEPLOY.md,
 * "Roll-out time"). Regions run in parallel. Within a region, strict failure tolerance would cap
 * the concurrency at FailureTolerance + 1 accounts (AWS, DESIGN.md §5), so the mode is
 * SOFT_FAILURE_TOLERANCE: up to MaxConcurrentPercentage of the accounts at once, and the operation
 * still stops once more than FailureTolerancePercentage of them have failed.
 */
export const MEMBER_OPERATION_PREFERENCES = {
  regionConcurrencyType: 'PARALLEL',
  concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
  maxConcurrentPercentage: 25,
  failureTolerancePercentage: 10,
} as const;

/**
 * An operation over 300 accounts × 17 regions takes tens of minutes (DEPLOY.md); the provider's
 * defaults (30 min) would abandon it half-way and leave the stack set busy.
 */
export const MEMBER_OPERATION_TIMEOUTS = { create: '3h', update: '3h', delete: '3h' } as const;

/**
 * Whether member stacks forward their own GuardDuty findings (their ForwardGuardDutyFindings
 * parameter): only when the central account is not the GuardDuty administrator. The functions get
 * the same answer (infra/environment.ts), so the sweep's integrity check expects exactly that rule.
 */
export const forwardsMemberGuardDuty = (settings: Pick<StageSettings, 'guardDutyFindings'>) =>
  settings.guardDutyFindings === 'member-accounts';

/**
 * Member accounts: the generated template (infra/member-template.ts) in every account of the
 * target OUs and every member region, through a service-managed StackSet; auto-deployment covers
 * accounts that join those OUs later and removes the stacks of accounts that leave. Service-managed
 * StackSets never target the organization's management account, so the same program covers it with
 * one stack per member region, through a role it assumes there (`managementAccount` in the stage
 * file): upgrades that change the template or the permissions reach it in the same deploy.
 */
export function createMembers(
  context: DeploymentContext,
  central: {
    busArn: $util.Input<string>;
    functionRoleArn: $util.Input<string>;
    /**
     * What handles the events members forward (central rules' targets, the evaluate function's
     * event source): member stacks are created after it and, on removal, deleted before it, so no
     * member forwards events while nothing is there to take them (DEPLOY.md, "Remove").
     */
    eventPath: $util.Resource[];
  },
) {
  const { names, settings, config } = context;
  const roleRegion = settings.roleRegion ?? settings.region;
  // The stack set lives in the security account, registered as a StackSets delegated administrator.
  const callAs = settings.stackSetsCallAs;
  const template = memberTemplate({
    remediationRoleName: config.remediationRoleName,
    // A playbook's permissions exist in member accounts only while the config enables it.
    playbooks: enabledPlaybooks(config.rules['guardduty-finding']),
    forwardingPrefix: names.memberForwardingPrefix,
  });
  const parameters = $resolve([central.busArn, central.functionRoleArn, context.externalId]).apply(
    ([busArn, functionRoleArn, externalId]) =>
      memberParameters(template, {
        centralEventBusArn: busArn,
        centralFunctionRoleArn: functionRoleArn,
        organizationId: settings.organizationId,
        externalId,
        roleRegion,
        forwardGuardDutyFindings: forwardsMemberGuardDuty(settings),
      }),
  );

  const stackSet = new aws.cloudformation.StackSet(
    'MemberStackSet',
    {
      name: names.stackSet,
      description: `driftguard ${context.stage} member accounts: event forwarding and the remediation role`,
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      callAs,
      // The remediation role has a fixed name the central function assumes.
      capabilities: ['CAPABILITY_NAMED_IAM'],
      // Queues operations that would otherwise conflict (a template update while instances change).
      managedExecution: { active: true },
      operationPreferences: MEMBER_OPERATION_PREFERENCES,
      templateBody: JSON.stringify(template),
      parameters,
    },
    { customTimeouts: MEMBER_OPERATION_TIMEOUTS },
  );

  // One resource for every region: one StackSets operation, regions in parallel (a resource per
  // region would be one queued operation after another).
  const instances = new aws.cloudformation.StackInstances(
    'MemberStackInstances',
    {
      stackSetName: stackSet.name,
      callAs,
      // us-east-1 always: IAM events reach EventBridge only there (memberInstanceRegions).
      regions: memberInstanceRegions(settings),
      deploymentTargets: { organizationalUnitIds: settings.targetOrganizationalUnits },
      operationPreferences: MEMBER_OPERATION_PREFERENCES,
    },
    { customTimeouts: MEMBER_OPERATION_TIMEOUTS, dependsOn: central.eventPath },
  );

  const management = coverManagementAccount(context, template, parameters, central.eventPath);

  return { stackSet, instances, management };
}

/**
 * The management account's member stacks: one plain CloudFormation stack per member region, named
 * like the stack set, created with a provider that assumes `managementAccount.roleName` there.
 */
function coverManagementAccount(
  context: DeploymentContext,
  template: CfnTemplate,
  parameters: $util.Output<Record<string, string>>,
  eventPath: $util.Resource[],
) {
  const { settings, names } = context;
  if (settings.managementAccount === 'uncovered') return [];
  const { account, roleName = names.managementDeployerRole } = settings.managementAccount;
  const roleArn = $interpolate`arn:${context.partition}:iam::${account}:role/${roleName}`;
  return memberInstanceRegions(settings).map((region) => {
    const provider = new aws.Provider(`ManagementAccount-${region}`, {
      region: region as aws.Region,
      allowedAccountIds: [account],
      assumeRoles: [{ roleArn, sessionName: `driftguard-${context.stage}-deploy` }],
    });
    const stack = new aws.cloudformation.Stack(
      `ManagementMemberStack-${region}`,
      {
        name: names.stackSet,
        templateBody: JSON.stringify(template),
        parameters,
        capabilities: ['CAPABILITY_NAMED_IAM'],
        onFailure: 'DELETE',
        tags: { 'driftguard:stage': context.stage },
      },
      { provider, dependsOn: eventPath },
    );
    return { region, provider, stack };
  });
}
