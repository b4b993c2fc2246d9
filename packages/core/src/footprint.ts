import type { Actor } from './events/change';

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

/** One forwarding rule as the sweep reads it (DescribeRule + ListTargetsByRule). */
export interface ObservedRule {
  name: string;
  state?: string;
  targets: { id: string; arn?: string; roleArn?: string }[];
}

/**
 * What the sweep's integrity check read in one account and region: the forwarding rules (those
 * named with the prefix) and, in the role's region, the remediation role's trust policy. `unreadable`
 * says why the footprint could not be read: a silent account is a finding, not "all clear".
 */
export interface FootprintObservation {
  /** The rules the template creates in this region (from the catalog's patterns). */
  expectedRules: string[];
  rules: ObservedRule[];
  /** Only in the role's region: `null` when the role does not exist. */
  role?: { trustPolicy: string } | null;
  unreadable?: string;
}

/** The sweep-only event name the integrity check's observations carry (never a CloudTrail name). */
export const FOOTPRINT_OBSERVATION = 'DriftguardObserveFootprint';
