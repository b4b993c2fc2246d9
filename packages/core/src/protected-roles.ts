import { globRegExp } from './glob';
import { type OwnIdentityConfig, parseRoleArn } from './own-identity';

/**
 * Roles driftguard never writes to, whatever a finding says: the roles an organization uses to
 * administer, recover and deploy its accounts, AWS's own, and driftguard's (those by identity,
 * see protectedRoleReason). Revoking their
 * sessions (the role-sessions playbook) could lock the organization out of an account or cut
 * driftguard off; doing it is a person's decision.
 *
 * Two forms of the same list: names (a GuardDuty finding names a role, never its path) for the
 * planner, and ARN patterns (with the path) for the member role's IAM Deny, the control that holds
 * even if the planner were wrong. Paths `/aws-service-role/` and `/aws-reserved/` are reserved to
 * AWS: nobody can create a role there, so those ARN patterns cannot be squatted.
 */

export interface ProtectedRole {
  /** What it is, for the explanation. */
  what: string;
  /** Role name pattern (`*` wildcard), as a finding names the role. */
  name: string;
  /** Resource pattern after `arn:<partition>:iam::<account>:role/` (IAM wildcards). */
  resource: string;
}

export const PROTECTED_ROLES: readonly ProtectedRole[] = [
  {
    what: "the Organizations access role (the management account's way in)",
    name: 'OrganizationAccountAccessRole',
    resource: 'OrganizationAccountAccessRole',
  },
  { what: 'an IAM Identity Center (SSO) role', name: 'AWSReservedSSO_*', resource: 'aws-reserved/*' },
  { what: 'a service-linked role', name: 'AWSServiceRoleFor*', resource: 'aws-service-role/*' },
  {
    // Service-managed StackSets name it `stacksets-exec-` + 32 hex digits.
    what: 'the service-managed StackSets execution role',
    name: 'stacksets-exec-????????????????????????????????',
    resource: 'stacksets-exec-????????????????????????????????',
  },
  {
    what: 'the self-managed StackSets execution role',
    name: 'AWSCloudFormationStackSetExecutionRole',
    resource: 'AWSCloudFormationStackSetExecutionRole',
  },
];

/** IAM's wildcards: `*` any run of characters, `?` exactly one. */
function matches(pattern: string, value: string): boolean {
  return patternRegExp(pattern).test(value);
}

/** The protected names are a fixed list: each pattern is compiled once, not once per event. */
const compiled = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  const known = compiled.get(pattern);
  if (known) return known;
  const regExp = globRegExp(pattern);
  compiled.set(pattern, regExp);
  return regExp;
}

/**
 * Why driftguard must not write to the role of this name in this account, or undefined when it
 * may. driftguard's own roles count by identity: the remediation role (in every account) and the
 * central role (in its own account only, by its full ARN).
 */
export function protectedRoleReason(
  roleName: string,
  account: string,
  own: OwnIdentityConfig,
): string | undefined {
  if (roleName === own.remediationRoleName) return `${roleName} is driftguard's own remediation role`;
  const central = parseRoleArn(own.centralRoleArn);
  if (central && central.account === account && central.name === roleName)
    return `${roleName} is driftguard's own central role`;
  const found = PROTECTED_ROLES.find((role) => matches(role.name, roleName));
  return found && `${roleName} is ${found.what}: driftguard never writes to it`;
}
