import type { Config } from '../config';
import type { Change } from '../events/change';
import { isRecord, toStr } from '../events/ec2-sets';
import type { ZoneSnapshot } from '../operations';
import { type PolicyDocument, parsePolicy, policyWithStatements } from '../policy/document';
import { type ZoneContext, zoneAccounts } from '../policy/principals';
import { statementLabel, statementRef } from '../policy/statements';
import { analyzeTrustPolicy } from '../policy/trust-policy';
import { unreadablePolicyVerdict } from '../policy/unreadable';
import { zoneSnapshot } from '../policy/zone';
import { protectedRoleReason } from '../protected-roles';
import type { UpdateAssumeRolePolicy } from '../trust-operations';
import type { TrustZone } from '../trust-zone';
import type { Offense, ResourceRef, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

export const ROLE_TRUST_SNAPSHOT = 'role-trust';

/** Who is inside for a role of `owner`: the trust zone, the owner, and the rule's trusted principals. */
export function roleTrustZone(config: Config, trustZone: TrustZone, owner: string): ZoneContext {
  return { trustZone, owner, trustedPrincipals: config.rules['iam-role-trust'].trustedPrincipals };
}

/** IAM returns trust policies URL-encoded (GetRole, ListRoles, CreateRole's response); requests carry JSON. */
export function decodeTrustPolicy(raw: unknown): unknown {
  if (typeof raw !== 'string' || !raw.trimStart().startsWith('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function roleRef(change: Change, roleName: string): ResourceRef {
  return { type: 'AWS::IAM::Role', id: roleName, arn: `arn:aws:iam::${change.account}:role/${roleName}` };
}

/** The role and its new trust policy, from CreateRole or UpdateAssumeRolePolicy (request, else response). */
function trustChange(change: Change): { roleName?: string; path?: string; policy: unknown } {
  const role = isRecord(change.response.role) ? change.response.role : {};
  if (change.eventName === 'CreateRole') {
    return {
      roleName: toStr(change.request.roleName) ?? toStr(role.roleName),
      path: toStr(change.request.path) ?? toStr(role.path),
      policy: change.request.assumeRolePolicyDocument ?? decodeTrustPolicy(role.assumeRolePolicyDocument),
    };
  }
  return { roleName: toStr(change.request.roleName), policy: change.request.policyDocument };
}

function revert(
  change: Change,
  roleName: string,
  policy: PolicyDocument,
  offendingIndexes: number[],
  zone: ZoneSnapshot,
  config: Config,
): UpdateAssumeRolePolicy {
  const offending = policy.statements.filter((statement) => offendingIndexes.includes(statement.index));
  const keep = policy.statements.filter((statement) => !offendingIndexes.includes(statement.index));
  return {
    service: 'iam',
    operation: 'UpdateAssumeRolePolicy',
    target: { account: change.account, region: change.region },
    input: { RoleName: roleName, PolicyDocument: JSON.stringify(policyWithStatements(policy, keep)) },
    remove: offending.map(statementRef),
    restore: config.rules['iam-role-trust'].restore,
    zone,
  };
}

export const iamRoleTrust: Guardrail = {
  id: 'iam-role-trust',
  title: 'Role assumable from outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [{ eventSource: 'iam.amazonaws.com', eventNames: ['CreateRole', 'UpdateAssumeRolePolicy'] }],
  evaluate(change: Change, { config, trustZone }): Verdict {
    const { roleName, path, policy: raw } = trustChange(change);
    if (!roleName) return { kind: 'not-applicable', summary: 'the record names no role (roleName)' };
    const resource = roleRef(change, roleName);
    if (path?.startsWith('/aws-service-role/')) {
      return {
        kind: 'not-applicable',
        summary: `${roleName} is a service-linked role: AWS owns its trust policy`,
      };
    }
    const protectedWhy = protectedRoleReason(roleName, change.account, config);
    if (protectedWhy) return { kind: 'not-applicable', summary: `not judged: ${protectedWhy}` };
    if (raw === undefined || raw === null) {
      return {
        kind: 'not-applicable',
        summary: `the record carries no trust policy for ${roleName}; the sweep re-checks live state`,
      };
    }
    const parsed = parsePolicy(raw);
    if (!parsed.ok)
      return unreadablePolicyVerdict(resource, `the trust policy of ${roleName}`, parsed.reason);
    const { policy } = parsed;
    const zone = roleTrustZone(config, trustZone, change.account);
    const verdicts = analyzeTrustPolicy(policy, zone);
    const offending = verdicts.filter((verdict) => verdict.offending);
    if (offending.length === 0) {
      return {
        kind: 'compliant',
        resource,
        summary: `trust policy of ${roleName}: ${policy.statements.length} statement(s), none lets a principal outside the trust zone assume it`,
        snapshot: {
          resourceId: roleName,
          kind: ROLE_TRUST_SNAPSHOT,
          document: JSON.stringify(policy.source),
        },
      };
    }
    // Removing every statement leaves a role nobody can assume: only a known-good policy may replace it.
    const everyStatement = offending.length === policy.statements.length;
    const remediable = !everyStatement || config.rules['iam-role-trust'].restore === 'last-known-good';
    const offenses: Offense[] = offending.map((verdict) => ({
      id: verdict.sid ?? `Statement[${verdict.index}]`,
      severity: verdict.severity,
      reason: `${statementLabel(verdict)} ${verdict.reason}`,
      remediable,
    }));
    const snapshotOfZone = zoneSnapshot(trustZone, zoneAccounts(zone));
    const note = everyStatement
      ? remediable
        ? ' (every statement offends: only a last-known-good policy can replace it, else it is alerted)'
        : ' (every statement offends: removing them would leave a role nobody can assume, so it is alerted)'
      : '';
    return {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `trust policy of ${roleName}: ${offending.length} of ${policy.statements.length} statement(s) let principals outside the trust zone assume it${note}`,
      offenses,
      remediation: remediable
        ? [
            revert(
              change,
              roleName,
              policy,
              offending.map((verdict) => verdict.index),
              snapshotOfZone,
              config,
            ),
          ]
        : [],
    };
  },
};

/** What RULES.md says of `iamRoleTrust` (`npm run rules:docs`; the functions do not ship it). */
export const iamRoleTrustDocs: GuardrailDocs = {
  rationale:
    'A role trust policy is the identity perimeter itself: whoever it lets assume the role gets its permissions without any credential of yours. Trusting "*", an outside account without an external id, or a web identity provider without a subject condition hands the role to strangers.',
  violation:
    "CreateRole or UpdateAssumeRolePolicy (IAM delivers them in us-east-1 only) with an Allow of sts:AssumeRole / AssumeRoleWithSAML / AssumeRoleWithWebIdentity (or a wildcard covering them) to: anyone (`*`, a wildcard, NotPrincipal, no Principal) without a condition pinning callers to the trust zone (`aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:PrincipalArn`…) — critical; an account outside the trust zone and `trustedPrincipals` without `sts:ExternalId` or such a pin — high; a web identity provider (OIDC such as GitHub Actions, Google…) without a condition on its `sub` (Cognito: its `aud`, the identity pool) — high: a provider's `aud` alone is shared by all its tenants. AWS service principals, accounts of the zone and SAML providers of the zone are inside. driftguard's own roles, service-linked roles and the other protected roles (Organizations access, SSO, StackSets) are not judged (the integrity guardrail watches driftguard's).",
  revert:
    'UpdateAssumeRolePolicy with the last trust policy seen compliant (`restore: last-known-good`, the default) when one is known, else the policy without exactly the offending statements. When every statement offends and no good policy is known, nothing is written (a role nobody can assume would break whoever uses it): the violation is alerted instead. The executor re-reads the role (GetRole) first, acts only while a referenced statement still offends, and reads it back to verify.',
};
