import {
  DEFAULT_FORWARDING_PREFIX,
  type EventPattern,
  FORWARDING_TARGET_ID,
  type ForwardingPlacement,
  forwardingPlacement,
  forwardingRuleName,
  type Guardrail,
  globalEventsRegion,
  MEMBER_ROLE_PATH,
  type Playbook,
  PROTECTED_ROLES,
  remediationTrustPolicy,
} from '@driftguard/core';
import { logicalId } from './naming';
import { isGuardDutyPattern, memberPatterns } from './patterns';
import { memberActionsFor } from './permissions/derive';
import permissions from './permissions.json';
import type { StageSettings } from './stages';

/**
 * The one flat CloudFormation template every member account gets (DESIGN.md §2), in every member
 * region, from a service-managed StackSet (infra/members.ts) or, in the management account, from
 * a plain stack (DEPLOY.md). It is generated, never written by hand: the forwarding patterns come
 * from the rule catalog and the role's actions from the SDK calls in the executor
 * (infra/permissions.json, checked against the code by test/infra/permissions.test.ts).
 */

export interface MemberTemplateOptions {
  /** Name of the role the central function assumes (config `remediationRoleName`). */
  remediationRoleName: string;
  /**
   * GuardDuty playbooks the config enables (core `enabledPlaybooks`): their actions are granted,
   * no other playbook's. Default: none.
   */
  playbooks?: readonly Playbook[];
  /** IAM actions of the remediation role; by default the derived executor set for `playbooks`. */
  actions?: readonly string[];
  catalog?: readonly Guardrail[];
  /**
   * Name prefix of the forwarding rules and the per-region forwarding roles (infra/naming.ts
   * `memberForwardingPrefix`: it carries the stage; the functions get it as `footprint.forwardingPrefix`).
   */
  forwardingPrefix?: string;
}

/** The executor's actions as derived from the code (infra/permissions.json), every playbook included. */
export const MEMBER_ACTIONS: readonly string[] = Object.keys(permissions.member).sort();

/** The remediation role's actions with these playbooks enabled (and only these). */
export function memberActions(playbooks: readonly Playbook[]): string[] {
  return memberActionsFor(permissions.member, playbooks);
}

/** IAM writes, as patterns: whatever the role may write, never to a protected role. */
export const IAM_WRITE_ACTIONS = [
  'iam:Add*',
  'iam:Attach*',
  'iam:Create*',
  'iam:Delete*',
  'iam:Detach*',
  'iam:PassRole',
  'iam:Put*',
  'iam:Remove*',
  'iam:Tag*',
  'iam:Untag*',
  'iam:Update*',
] as const;

export { MEMBER_ROLE_PATH };

const inAccount = (resource: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${resource}`,
});

/**
 * The roles driftguard never writes to (core protected-roles.ts), as resources of this account.
 * The central role exists in the security account only; there its ARN is this. driftguard's own
 * member roles have statements of their own (the integrity guardrail's two exact reverts).
 */
function protectedRoleResources(): unknown[] {
  return [...PROTECTED_ROLES.map((role) => inAccount(role.resource)), { Ref: 'CentralFunctionRoleArn' }];
}

/** driftguard's other member roles (event forwarding), under one path: one ARN pattern covers them. */
const ownForwardingRoles = inAccount(`${MEMBER_ROLE_PATH.slice(1)}*`);

export type CfnTemplate = {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters: Record<string, Record<string, unknown>>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, Record<string, unknown>>;
};

function forwardingRule(pattern: EventPattern, prefix: string, description: string, condition?: string) {
  return {
    Type: 'AWS::Events::Rule',
    ...(condition ? { Condition: condition } : {}),
    Properties: {
      Name: forwardingRuleName(prefix, pattern.name),
      Description: description,
      EventBusName: 'default',
      EventPattern: pattern.pattern,
      State: 'ENABLED',
      Targets: [
        {
          Id: FORWARDING_TARGET_ID,
          Arn: { Ref: 'CentralEventBusArn' },
          // Cross-account bus targets need a role of their own in the sending account.
          RoleArn: { 'Fn::GetAtt': ['ForwardingRole', 'Arn'] },
        },
      ],
    },
  };
}

/**
 * Global services (IAM, STS, …) deliver CloudTrail events to EventBridge in one region per
 * partition only (DESIGN.md §5): their forwarding rules exist there and nowhere else. Where each
 * rule goes is core's forwardingPlacement, which the sweep's integrity check reads too.
 */
export function isGlobalPattern(pattern: EventPattern): boolean {
  return forwardingPlacement(pattern) === 'global-events-region';
}

const CONDITIONS: Record<ForwardingPlacement, string | undefined> = {
  'every-region': undefined,
  'global-events-region': 'InGlobalEventsRegion',
  'guardduty-opt-in': 'ForwardGuardDuty',
};

const conditionOf = (pattern: EventPattern) => CONDITIONS[forwardingPlacement(pattern)];

export function memberTemplate(options: MemberTemplateOptions): CfnTemplate {
  const prefix = options.forwardingPrefix ?? DEFAULT_FORWARDING_PREFIX;
  const actions = [...new Set(options.actions ?? memberActions(options.playbooks ?? []))].sort();
  if (actions.length === 0) throw new Error('the remediation role needs at least one action');
  const patterns = memberPatterns(options.remediationRoleName, options.catalog);
  // GuardDuty findings come from the GuardDuty administrator; members forward theirs only on request.
  const guardDuty = patterns.filter(isGuardDutyPattern);

  const rules = Object.fromEntries(
    patterns.map((pattern) => [
      `Forward${logicalId(pattern.name)}`,
      forwardingRule(
        pattern,
        prefix,
        `driftguard: forward ${pattern.name} events to the central bus`,
        conditionOf(pattern),
      ),
    ]),
  );
  const guardDutyParameter: CfnTemplate['Parameters'] =
    guardDuty.length > 0
      ? {
          ForwardGuardDutyFindings: {
            Type: 'String',
            Description:
              'Forward this account’s GuardDuty findings (when the central account is not the GuardDuty administrator)',
            AllowedValues: ['true', 'false'],
            Default: 'false',
          },
        }
      : {};
  const guardDutyCondition: CfnTemplate['Conditions'] =
    guardDuty.length > 0
      ? { ForwardGuardDuty: { 'Fn::Equals': [{ Ref: 'ForwardGuardDutyFindings' }, 'true'] } }
      : {};

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'driftguard member account: forwards guardrail-relevant events to the central bus and lets the central function revert violations (generated by infra/member-template.ts)',
    Parameters: {
      CentralEventBusArn: {
        Type: 'String',
        Description: 'ARN of the central driftguard event bus',
        AllowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/[A-Za-z0-9._-]+$',
      },
      CentralFunctionRoleArn: {
        Type: 'String',
        Description:
          'ARN of the central evaluate function role, the only principal that may assume the remediation role',
        AllowedPattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/[A-Za-z0-9+=,.@_/-]+$',
      },
      OrganizationId: {
        Type: 'String',
        Description: 'The organization (o-...) the central function role must belong to',
        AllowedPattern: '^o-[a-z0-9]{10,32}$',
      },
      ExternalId: {
        Type: 'String',
        Description: 'sts:ExternalId the central function presents when assuming the remediation role',
        AllowedPattern: '^[\\w+=,.@:/-]{2,1224}$',
      },
      RoleRegion: {
        Type: 'String',
        Description: 'The one region whose stack instance creates the (global) IAM remediation role',
        AllowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
      },
      ...guardDutyParameter,
    },
    Conditions: {
      CreateRemediationRole: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'RoleRegion' }] },
      ...(patterns.some(isGlobalPattern)
        ? {
            // us-east-1, cn-north-1, us-gov-west-1: globalEventsRegion() of each partition.
            InGlobalEventsRegion: {
              'Fn::Or': ['us-east-1', 'cn-north-1', 'us-gov-west-1'].map((region) => ({
                'Fn::Equals': [{ Ref: 'AWS::Region' }, region],
              })),
            },
          }
        : {}),
      ...guardDutyCondition,
    },
    Resources: {
      ForwardingRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          // One per region, named so the integrity check, its revert and the SCP can name it; the
          // path puts it under driftguard's own roles (denied to every write but being passed to
          // EventBridge, below).
          Path: MEMBER_ROLE_PATH,
          RoleName: { 'Fn::Sub': `${prefix}\${AWS::Region}` },
          Description: 'driftguard: lets EventBridge put forwarded events on the central bus',
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'put-events-on-central-bus',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Action: 'events:PutEvents', Resource: { Ref: 'CentralEventBusArn' } },
                ],
              },
            },
          ],
        },
      },
      ...rules,
      RemediationRole: {
        Type: 'AWS::IAM::Role',
        Condition: 'CreateRemediationRole',
        Properties: {
          RoleName: options.remediationRoleName,
          Description:
            'driftguard: reverts guardrail violations; assumable only by the central evaluate function',
          // Sessions are requested for 15 minutes; an hour is the floor IAM allows here.
          MaxSessionDuration: 3600,
          // The same document the integrity guardrail restores (core footprint.ts).
          AssumeRolePolicyDocument: remediationTrustPolicy({
            centralRoleArn: { Ref: 'CentralFunctionRoleArn' },
            organizationId: { Ref: 'OrganizationId' },
            externalId: { Ref: 'ExternalId' },
          }),
          Policies: [
            {
              PolicyName: 'driftguard-executor',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Sid: 'ExactlyTheCallsTheExecutorMakes',
                    Effect: 'Allow',
                    Action: actions,
                    // Every call targets this account; several (Describe*) support no narrower resource.
                    Resource: '*',
                  },
                  {
                    // The role-sessions playbook writes one inline policy to a role named by a
                    // finding. IAM has no condition key for an inline policy's name or content, so
                    // the roles that must never be written to are denied by ARN instead.
                    Sid: 'NeverWriteProtectedRoles',
                    Effect: 'Deny',
                    Action: [...IAM_WRITE_ACTIONS],
                    Resource: protectedRoleResources(),
                  },
                  {
                    // driftguard's forwarding roles: never written to; passed only to EventBridge,
                    // when the integrity guardrail puts a forwarding rule's template target back.
                    Sid: 'NeverWriteOwnForwardingRoles',
                    Effect: 'Deny',
                    Action: IAM_WRITE_ACTIONS.filter((action) => action !== 'iam:PassRole'),
                    Resource: ownForwardingRoles,
                  },
                  {
                    Sid: 'PassOwnForwardingRolesToEventBridgeOnly',
                    Effect: 'Deny',
                    Action: 'iam:PassRole',
                    Resource: ownForwardingRoles,
                    Condition: { StringNotEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
                  },
                  {
                    // Never on this role itself, or a compromised session could grant itself anything;
                    // reading itself and restoring its trust policy from the template
                    // (driftguard-integrity) are the two exceptions.
                    Sid: 'NeverChangeItself',
                    Effect: 'Deny',
                    NotAction: ['iam:GetRole', 'iam:UpdateAssumeRolePolicy'],
                    Resource: {
                      'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${options.remediationRoleName}`,
                    },
                  },
                ],
              },
            },
          ],
          Tags: [{ Key: 'driftguard:component', Value: 'remediation' }],
        },
      },
    },
    Outputs: {
      RemediationRoleArn: {
        Condition: 'CreateRemediationRole',
        Description: 'The role the central function assumes in this account',
        Value: { 'Fn::GetAtt': ['RemediationRole', 'Arn'] },
      },
    },
  };
}

/** Parameter values for a stack of the template, as CloudFormation takes them. */
export function memberParameters(
  template: CfnTemplate,
  values: {
    centralEventBusArn: string;
    centralFunctionRoleArn: string;
    organizationId: string;
    externalId: string;
    roleRegion: string;
    forwardGuardDutyFindings: boolean;
  },
): Record<string, string> {
  const all: Record<string, string> = {
    CentralEventBusArn: values.centralEventBusArn,
    CentralFunctionRoleArn: values.centralFunctionRoleArn,
    OrganizationId: values.organizationId,
    ExternalId: values.externalId,
    RoleRegion: values.roleRegion,
    ForwardGuardDutyFindings: String(values.forwardGuardDutyFindings),
  };
  // Only what the template declares: CloudFormation rejects unknown parameters.
  return Object.fromEntries(Object.entries(all).filter(([key]) => key in template.Parameters));
}

/**
 * The regions with a stack instance: the role region first, so the remediation role exists as early
 * as possible, then the member regions, then us-east-1 whatever memberRegions says: IAM events reach
 * EventBridge only there (DESIGN.md §5), so without it role changes are never forwarded. The sweep
 * covers the same regions.
 */
export function memberInstanceRegions(
  settings: Pick<StageSettings, 'region' | 'roleRegion' | 'memberRegions'>,
) {
  const roleRegion = settings.roleRegion ?? settings.region;
  return [...new Set([roleRegion, ...settings.memberRegions, globalEventsRegion()])];
}
