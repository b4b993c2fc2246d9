import type { Actor } from './events/change';
import type { Guardrail } from './rules/guardrail';
import { type EventPattern, eventPatterns, memberOwnIdentity } from './rules/patterns';

/**
 * driftguard's own footprint in a member account, as the member template (infra/member-template.ts)
 * creates it: forwarding rules on the default bus, one forwarding role per region, and the
 * remediation role. The integrity guardrail, the sweep's integrity check, the executor's reverts and
 * the generated SCP all read the expected values from here, so they cannot drift from the template.
 */

/** Default name prefix of the forwarding rules (and per-region forwarding roles) in member accounts. */
export const DEFAULT_FORWARDING_PREFIX = 'driftguard-forward-';

/** The one target every forwarding rule has: the central bus. */
export const FORWARDING_TARGET_ID = 'driftguard-central-bus';

/** Path of driftguard's other member roles (event forwarding): one ARN pattern protects them all. */
export const MEMBER_ROLE_PATH = '/driftguard/';

/** The per-region role EventBridge uses to put forwarded events on the central bus (≤ 64 chars). */
export function forwardingRoleName(prefix: string, region: string): string {
  return `${prefix}${region}`.slice(0, 64);
}

/** The forwarding rule for one catalog pattern (`cloudtrail-ec2` → `driftguard-forward-cloudtrail-ec2`). */
export function forwardingRuleName(prefix: string, patternName: string): string {
  return `${prefix}${patternName}`.slice(0, 64);
}

/**
 * Global services (IAM, STS, Organizations, CloudFront, account management) deliver their
 * CloudTrail events to EventBridge only in one region of each partition (DESIGN.md §5): us-east-1
 * in `aws`, and the partition's first region elsewhere.
 */
export const GLOBAL_EVENT_SOURCES: readonly string[] = [
  'iam.amazonaws.com',
  'sts.amazonaws.com',
  'organizations.amazonaws.com',
  'cloudfront.amazonaws.com',
  'account.amazonaws.com',
];

export function globalEventsRegion(partition = 'aws'): string {
  if (partition === 'aws-cn') return 'cn-north-1';
  if (partition === 'aws-us-gov') return 'us-gov-west-1';
  return 'us-east-1';
}

export const isGlobalEventSource = (eventSource: string) => GLOBAL_EVENT_SOURCES.includes(eventSource);

/** `arn:aws-cn:…` → `aws-cn`; undefined for anything that is not an ARN. */
export function partitionOf(arn: string | undefined): string | undefined {
  return arn?.match(/^arn:(aws(?:-[a-z]+)*):/)?.[1];
}

/**
 * The remediation role's trust policy exactly as the template writes it. Generic in the value type
 * so the template passes CloudFormation references (`{ Ref: … }`) and the guardrail and executor
 * pass the deployed strings: one shape, checked equal by test/unit/footprint.test.ts.
 */
export function remediationTrustPolicy<T>(values: { centralRoleArn: T; organizationId: T; externalId: T }) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: values.centralRoleArn },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: {
            'aws:PrincipalOrgID': values.organizationId,
            'sts:ExternalId': values.externalId,
          },
        },
      },
    ],
  };
}

/**
 * The roles a StackSet deploys member stacks with, recognised by exact identity in the event's own
 * account, at the root path, never by a name alone:
 * - service-managed StackSets: StackSets creates an execution role named `stacksets-exec-*` in each
 *   target account and operates through it ("By default, StackSets with service-managed permissions
 *   creates an execution role named stacksets-exec-* in each target account",
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html;
 *   the administrator's service-linked role may assume only `arn:aws:iam::*:role/stacksets-exec-*`,
 *   AWS managed policy CloudFormationStackSetsOrgAdminServiceRolePolicy). The service-linked role
 *   `aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgMember`
 *   only creates that role; it never deploys the template's resources;
 * - self-managed StackSets: `AWSCloudFormationStackSetExecutionRole`, the documented default name.
 * A member admin could create a role of either name themselves: the generated SCP
 * (infra/member-scp.ts) denies creating or changing roles of these names, which closes that gap.
 */
const STACKSET_EXECUTION_ROLE = /^(stacksets-exec-[A-Za-z0-9]+|AWSCloudFormationStackSetExecutionRole)$/;

export function isStackSetExecution(actor: Actor, account: string): boolean {
  if (actor.type !== 'AssumedRole' || !actor.roleArn) return false;
  const match = actor.roleArn.match(/^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/([^/]+)$/);
  return match !== null && match[1] === account && STACKSET_EXECUTION_ROLE.test(match[2] ?? '');
}

/**
 * The catalog's patterns as a member account's forwarding rules carry them. driftguard's own
 * identity there is the remediation role of that very account, written with CloudFormation's
 * `${AWS::Partition}` and `${AWS::AccountId}`; `place` says how those become values: the member
 * template wraps them in `Fn::Sub` (CloudFormation resolves them per stack), the sweep resolves them
 * for the account it reads (memberAccountValues). One builder, so the two cannot differ.
 */
export function memberForwardingPatterns<V>(
  remediationRoleName: string,
  catalog: readonly Guardrail[],
  place: (substitution: string) => V,
): EventPattern[] {
  const { roleArn, sessionArn } = memberOwnIdentity(remediationRoleName);
  return eventPatterns(catalog, { roleArn: place(roleArn), sessionArn: place(sessionArn) });
}

// CloudFormation's pseudo parameters as `Fn::Sub` writes them (escaped: not JS placeholders).
const PARTITION = `\${AWS::Partition}`;
const ACCOUNT_ID = `\${AWS::AccountId}`;

/** `Fn::Sub` as CloudFormation resolves it in a stack of this account and partition. */
export const memberAccountValues =
  (where: { account: string; partition: string }) =>
  (substitution: string): string =>
    substitution.replaceAll(PARTITION, where.partition).replaceAll(ACCOUNT_ID, where.account);

/**
 * Where the member template creates a forwarding rule (its CloudFormation condition):
 * - `every-region`: every stack instance;
 * - `global-events-region`: only where global services deliver their events (globalEventsRegion);
 * - `guardduty-opt-in`: only when the stack forwards the member's own GuardDuty findings (the
 *   central account is not the GuardDuty administrator).
 */
export type ForwardingPlacement = 'every-region' | 'global-events-region' | 'guardduty-opt-in';

export function forwardingPlacement(pattern: EventPattern): ForwardingPlacement {
  const source = pattern.pattern.source;
  if (Array.isArray(source) && source.includes('aws.guardduty')) return 'guardduty-opt-in';
  const detail = pattern.pattern.detail as { eventSource?: unknown } | undefined;
  const global =
    Array.isArray(detail?.eventSource) &&
    detail.eventSource.some((eventSource) => isGlobalEventSource(String(eventSource)));
  return global ? 'global-events-region' : 'every-region';
}

/** A forwarding rule the template creates in one account and region, its pattern resolved there. */
export interface ExpectedRule {
  name: string;
  pattern: Record<string, unknown>;
}

export interface ForwardingRulesQuery {
  catalog: readonly Guardrail[];
  remediationRoleName: string;
  forwardingPrefix: string;
  account: string;
  region: string;
  partition: string;
  /** The stack's ForwardGuardDutyFindings parameter. */
  forwardGuardDutyFindings: boolean;
}

/**
 * Exactly the forwarding rules the member template creates in this account and region, with the
 * patterns CloudFormation gives them there: what the sweep's integrity check compares live rules with.
 */
export function expectedForwardingRules(query: ForwardingRulesQuery): ExpectedRule[] {
  const place = memberAccountValues(query);
  const here = (placement: ForwardingPlacement) =>
    placement === 'every-region' ||
    (placement === 'global-events-region' && query.region === globalEventsRegion(query.partition)) ||
    (placement === 'guardduty-opt-in' && query.forwardGuardDutyFindings);
  return memberForwardingPatterns(query.remediationRoleName, query.catalog, place)
    .filter((pattern) => here(forwardingPlacement(pattern)))
    .map((pattern) => ({
      name: forwardingRuleName(query.forwardingPrefix, pattern.name),
      pattern: pattern.pattern,
    }));
}

/** One forwarding rule as the sweep reads it (DescribeRule + ListTargetsByRule). */
export interface ObservedRule {
  name: string;
  state?: string;
  /** The pattern as EventBridge returns it (JSON text). */
  pattern?: string;
  targets: { id: string; arn?: string; roleArn?: string }[];
}

/**
 * What the sweep's integrity check read in one account and region: the forwarding rules (those
 * named with the prefix) and, in the role's region, the remediation role's trust policy. `unreadable`
 * says why the footprint could not be read: a silent account is a finding, not "all clear".
 */
export interface FootprintObservation {
  /** The rules the template creates in this region (expectedForwardingRules). */
  expectedRules: ExpectedRule[];
  rules: ObservedRule[];
  /** Only in the role's region: `null` when the role does not exist. */
  role?: { trustPolicy: string } | null;
  unreadable?: string;
}

/** The resource the integrity check reports per account and region (one observation each). */
export const footprintResourceId = (account: string, region: string) =>
  `driftguard-footprint/${account}/${region}`;

/** The sweep-only event name the integrity check's observations carry (never a CloudTrail name). */
export const FOOTPRINT_OBSERVATION = 'DriftguardObserveFootprint';
