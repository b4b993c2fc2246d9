import { enabledPlaybooks } from '@driftguard/core';
import type { DeploymentContext } from './context';
import { memberParameters, memberTemplate } from './member-template';

/**
 * Member accounts: the generated template (infra/member-template.ts) in every account of the
 * target OUs and every member region, through a service-managed StackSet. Auto-deployment covers
 * accounts that join those OUs later and removes the stacks of accounts that leave. The
 * organization's management account is never a target of a service-managed StackSet: DEPLOY.md
 * shows how to cover it with a plain stack of the same template.
 */
export function createMembers(
  context: DeploymentContext,
  central: { busArn: $util.Input<string>; functionRoleArn: $util.Input<string> },
) {
  const { names, settings, config } = context;
  const roleRegion = settings.roleRegion ?? settings.region;
  // The stack set lives in the security account, registered as a StackSets delegated administrator.
  const callAs = settings.stackSetsCallAs;
  const template = memberTemplate({
    remediationRoleName: config.remediationRoleName,
    // A playbook's permissions exist in member accounts only while the config enables it.
    playbooks: enabledPlaybooks(config.rules['guardduty-finding']),
  });

  const stackSet = new aws.cloudformation.StackSet('MemberStackSet', {
    name: names.stackSet,
    description: 'driftguard member accounts: event forwarding and the remediation role',
    permissionModel: 'SERVICE_MANAGED',
    autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
    callAs,
    // The remediation role has a fixed name the central function assumes.
    capabilities: ['CAPABILITY_NAMED_IAM'],
    // Queues operations that would otherwise conflict (one instance resource per region, below).
    managedExecution: { active: true },
    operationPreferences: {
      regionConcurrencyType: 'PARALLEL',
      maxConcurrentPercentage: 25,
      failureTolerancePercentage: 10,
    },
    templateBody: JSON.stringify(template),
    parameters: $resolve([central.busArn, central.functionRoleArn, context.externalId]).apply(
      ([busArn, functionRoleArn, externalId]) =>
        memberParameters(template, {
          centralEventBusArn: busArn,
          centralFunctionRoleArn: functionRoleArn,
          organizationId: settings.organizationId,
          externalId,
          roleRegion,
          forwardGuardDutyFindings: settings.guardDutyFindings === 'member-accounts',
        }),
    ),
  });

  // The role region first, so the remediation role exists as early as possible.
  const regions = [roleRegion, ...settings.memberRegions.filter((region) => region !== roleRegion)];
  const instances = regions.map(
    (region) =>
      new aws.cloudformation.StackSetInstance(`MemberStackSetInstance-${region}`, {
        stackSetName: stackSet.name,
        callAs,
        stackSetInstanceRegion: region,
        deploymentTargets: { organizationalUnitIds: settings.targetOrganizationalUnits },
        operationPreferences: { maxConcurrentPercentage: 25, failureTolerancePercentage: 10 },
      }),
  );

  return { stackSet, instances };
}
