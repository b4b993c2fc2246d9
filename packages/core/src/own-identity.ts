import type { Change } from './events/change';

/**
 * driftguard's own changes (the loop guard), recognised by exact identity, never by a name.
 *
 * A role *name* proves nothing: anyone with IAM in a member account can create
 * `role/attacker/DriftGuardRemediation` (paths make names collide-free), a role named like the
 * central role, or an IAM user named `DriftGuardRemediation` whose federation tokens show it as the
 * session issuer. What nobody else can produce is a session whose issuer is *the* role at
 * `arn:<partition>:iam::<this account>:role/<name>` (no path) with the session name only
 * driftguard's credentials use: the role's trust policy admits the central function role alone.
 */

/** The session name driftguard's credentials use when they assume the member remediation role. */
export const REMEDIATION_SESSION_NAME = 'driftguard-remediation';

/** What the check needs from the config: the member role's name and the central role's ARN. */
export interface OwnIdentityConfig {
  remediationRoleName: string;
  /** The central function role's full ARN (set by infra); counts only in its own account. */
  centralRoleArn?: string | undefined;
}

/** A role ARN without a path: `arn:<partition>:iam::<account>:role/<name>`. */
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/([\w+=,.@-]{1,64})$/;

export interface RoleArnParts {
  partition: string;
  account: string;
  name: string;
}

/** The parts of a role ARN that has no path; undefined for anything else (paths included). */
export function parseRoleArn(arn: string | undefined): RoleArnParts | undefined {
  const match = arn ? ROLE_ARN.exec(arn) : null;
  if (!match) return undefined;
  const [, partition, account, name] = match as unknown as [string, string, string, string];
  return { partition, account, name };
}

/** Whether `arn` ends with `/<name>`, as a role ARN without a path named `name` does. */
function endsWithName(arn: string, name: string): boolean {
  return arn.length > name.length && arn.endsWith(name) && arn[arn.length - name.length - 1] === '/';
}

/** The partition of an ARN (`arn:<partition>:…`). */
function partitionOf(arn: string | undefined): string | undefined {
  return arn ? /^arn:(aws[a-z-]*):/.exec(arn)?.[1] : undefined;
}

/**
 * The role session of a change, when the call was made by a session of a role (not an IAM user's
 * federation token, not a service): its issuer role (without path) and the session's own ARN.
 */
function roleSession(change: Change): { issuer: RoleArnParts; sessionArn: string } | undefined {
  const { actor } = change;
  if (actor.type !== 'AssumedRole' || actor.issuerType !== 'Role' || !actor.arn) return undefined;
  const issuer = parseRoleArn(actor.roleArn);
  // The issuer must be in the account the event belongs to, and the session in the same partition.
  if (!issuer || issuer.account !== change.account || partitionOf(actor.arn) !== issuer.partition)
    return undefined;
  if (actor.accountId !== undefined && actor.accountId !== change.account) return undefined;
  return { issuer, sessionArn: actor.arn };
}

/**
 * True only for a change driftguard itself made:
 * - a session of `arn:<partition>:iam::<the event's account>:role/<remediationRoleName>` (no
 *   path) named REMEDIATION_SESSION_NAME, or
 * - a session of the central function role, by its full ARN, in the central role's own account.
 */
export function isOwnChange(change: Change, config: OwnIdentityConfig): boolean {
  // Every event is asked: a role that is neither of the two above (its name, or the central ARN)
  // is answered without parsing ARNs.
  const { roleArn } = change.actor;
  if (
    roleArn === undefined ||
    (roleArn !== config.centralRoleArn && !endsWithName(roleArn, config.remediationRoleName))
  )
    return false;
  const session = roleSession(change);
  if (!session) return false;
  const { issuer, sessionArn } = session;
  if (issuer.name === config.remediationRoleName) {
    return (
      sessionArn ===
      `arn:${issuer.partition}:sts::${issuer.account}:assumed-role/${issuer.name}/${REMEDIATION_SESSION_NAME}`
    );
  }
  const central = parseRoleArn(config.centralRoleArn);
  return (
    central !== undefined &&
    change.actor.roleArn === config.centralRoleArn &&
    sessionArn.startsWith(`arn:${central.partition}:sts::${central.account}:assumed-role/${central.name}/`)
  );
}
