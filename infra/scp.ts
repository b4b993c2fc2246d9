import { MEMBER_ROLE_PATH } from '@driftguard/core';
import { names } from './naming';

/**
 * The Service Control Policy that keeps member-account admins away from driftguard's footprint:
 * the forwarding rules and their targets, the remediation role and the forwarding roles (trust,
 * policies, boundary, deletion), and the StackSet's stack instances. Only the StackSet's own
 * execution, and driftguard's remediation role for its exact reverts, are let through.
 *
 * The exceptions are role ARNs, and a role's ARN is chosen by whoever creates it: so the same
 * policy denies creating or re-trusting a role with the StackSet execution role's name to everyone
 * but the StackSets service-linked role that creates it, and denies creating a role with the
 * remediation role's name to everyone but the StackSet execution. SCPs do not apply to the
 * management account: its stack is protected by who may log in there, not by this policy.
 */
export function memberFootprintScp(stage: string) {
  const n = names(stage);
  const stackSetExecution = [
    'arn:*:iam::*:role/stacksets-exec-*',
    'arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole',
  ];
  const remediationRole = `arn:*:iam::*:role/${n.remediationRole}`;
  const stackSetsServiceLinkedRole =
    'arn:*:iam::*:role/aws-service-role/member.org.stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgMember';
  const exceptFor = (arns: string[]) => ({ ArnNotLike: { 'aws:PrincipalArn': arns } });
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DriftguardForwardingRules',
        Effect: 'Deny',
        Action: [
          'events:DeleteRule',
          'events:DisableRule',
          'events:PutRule',
          'events:PutTargets',
          'events:RemoveTargets',
          'events:TagResource',
          'events:UntagResource',
        ],
        Resource: `arn:*:events:*:*:rule/${n.memberForwardingPrefix}*`,
        Condition: exceptFor([...stackSetExecution, remediationRole]),
      },
      {
        Sid: 'DriftguardRoles',
        Effect: 'Deny',
        Action: [
          'iam:AttachRolePolicy',
          'iam:CreateRole',
          'iam:DeleteRole',
          'iam:DeleteRolePermissionsBoundary',
          'iam:DeleteRolePolicy',
          'iam:DetachRolePolicy',
          'iam:PutRolePermissionsBoundary',
          'iam:PutRolePolicy',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:UpdateRole',
          'iam:UpdateRoleDescription',
        ],
        Resource: [remediationRole, `arn:*:iam::*:role${MEMBER_ROLE_PATH}*`],
        Condition: exceptFor([...stackSetExecution, remediationRole]),
      },
      {
        Sid: 'StackSetExecutionRoleNames',
        Effect: 'Deny',
        Action: ['iam:AttachRolePolicy', 'iam:CreateRole', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy'],
        Resource: stackSetExecution,
        Condition: exceptFor([stackSetsServiceLinkedRole]),
      },
      {
        Sid: 'DriftguardStackInstances',
        Effect: 'Deny',
        Action: [
          'cloudformation:CancelUpdateStack',
          'cloudformation:ContinueUpdateRollback',
          'cloudformation:DeleteStack',
          'cloudformation:SetStackPolicy',
          'cloudformation:UpdateStack',
          'cloudformation:UpdateTerminationProtection',
        ],
        Resource: `arn:*:cloudformation:*:*:stack/StackSet-${n.stackSet}-*`,
        Condition: exceptFor(stackSetExecution),
      },
    ],
  };
}

/** Organizations' limit on a policy document: 5,120 characters. */
export const SCP_MAX_CHARACTERS = 5120;

/** The SCP as it is pasted into Organizations: minified JSON (whitespace counts toward the limit). */
export const scpText = (stage: string) => JSON.stringify(memberFootprintScp(stage));
