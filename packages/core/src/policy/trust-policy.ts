import { classifyCondition } from './conditions';
import type { ConditionEntry, PolicyDocument, Statement } from './document';
import {
  classifyPrincipal,
  describePrincipal,
  inZone,
  type PrincipalVerdict,
  type ZoneContext,
} from './principals';

/**
 * A role trust policy (AssumeRolePolicyDocument) read for zero trust: who can become this role.
 * Unlike a resource policy there is no "public" label to follow; the judgement is:
 * - anyone (`*`, wildcards, NotPrincipal) with no condition pinning the caller to the trust zone
 *   (aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn…): critical;
 * - an account outside the trust zone with neither such a pin nor `sts:ExternalId` (the
 *   confused-deputy guard AWS prescribes for third parties): high;
 * - a web identity provider (OIDC, Google…) with no condition on the provider's `sub` (Cognito:
 *   its `aud`, the identity pool): anyone who can sign in there: high.
 * AWS service principals assume roles for the account that owns the role and are inside; so are
 * accounts of the zone and SAML providers of the zone.
 */
export interface TrustStatementVerdict {
  index: number;
  sid?: string;
  offending: boolean;
  severity: 'critical' | 'high';
  reason: string;
}

const ASSUME_ACTIONS = ['sts:assumerole', 'sts:assumerolewithsaml', 'sts:assumerolewithwebidentity'];

/** Whether an action pattern (IAM wildcards, case-insensitive) lets a caller assume the role. */
function grantsAssume(statement: Statement): boolean {
  if (statement.notActions) return true;
  return (statement.actions ?? []).some((action) => {
    const pattern = new RegExp(
      `^${action
        .toLowerCase()
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return ASSUME_ACTIONS.some((assume) => pattern.test(assume));
  });
}

const fixedValues = (entry: ConditionEntry) =>
  entry.values.length > 0 && entry.values.every((v) => !/[*?]/.test(v));

function hasExternalId(statement: Statement): boolean {
  return statement.conditions.some(
    (entry) => entry.keyLower === 'sts:externalid' && !entry.negated && !entry.ifExists && fixedValues(entry),
  );
}

/** A condition on the web identity provider's own keys (e.g. token.actions.githubusercontent.com:sub). */
function providerCondition(statement: Statement, provider: string): boolean {
  const host = provider.includes(':oidc-provider/') ? (provider.split(':oidc-provider/')[1] ?? '') : provider;
  const prefix = `${host.toLowerCase()}:`;
  return statement.conditions.some(
    (entry) =>
      entry.keyLower.startsWith(prefix) &&
      // Cognito's aud is the identity pool; any other provider's aud is shared by all its tenants
      // (every GitHub workflow presents aud sts.amazonaws.com): only its sub names who signs in.
      entry.keyLower.endsWith(host.toLowerCase() === 'cognito-identity.amazonaws.com' ? ':aud' : ':sub') &&
      !entry.negated &&
      entry.values.some((value) => value !== '*'),
  );
}

function principalsOf(statement: Statement, zone: ZoneContext): PrincipalVerdict[] {
  if (statement.notPrincipal || !statement.principal || statement.principal.kind === 'wildcard') {
    return [{ type: '*', value: '*', scope: 'anonymous', reason: 'every principal, in any account' }];
  }
  return statement.principal.entries.map((entry) => classifyPrincipal(entry, zone));
}

/**
 * A verdict with its keys in one order (index, sid, offending, severity, reason), built field by
 * field: copying an object with a spread and adding keys takes V8's slow path on Node 20.
 */
function trustVerdict(
  statement: Statement,
  offending: boolean,
  severity: TrustStatementVerdict['severity'],
  reason: string,
): TrustStatementVerdict {
  const { index, sid } = statement;
  return sid ? { index, sid, offending, severity, reason } : { index, offending, severity, reason };
}

export function analyzeTrustStatement(statement: Statement, zone: ZoneContext): TrustStatementVerdict {
  if (statement.effect === 'Deny' || !grantsAssume(statement)) {
    return trustVerdict(statement, false, 'high', 'grants no role assumption');
  }
  const pinned = statement.conditions
    .map((entry) => classifyCondition(entry, statement.conditions, zone))
    .filter((verdict) => verdict.pin?.axis === 'identity' && verdict.pin.scope === 'trust-zone');
  if (pinned.length > 0) {
    return trustVerdict(
      statement,
      false,
      'high',
      `callers are pinned to the trust zone by ${pinned.map((c) => c.key).join(', ')}`,
    );
  }
  const problems: { severity: 'critical' | 'high'; reason: string }[] = [];
  for (const principal of principalsOf(statement, zone)) {
    const who = describePrincipal(principal);
    if (principal.type === 'Federated') {
      const ownSaml =
        principal.account && inZone(principal.account, zone) && principal.value.includes(':saml-provider/');
      if (ownSaml || providerCondition(statement, principal.value)) continue;
      problems.push({
        severity: 'high',
        reason: `${who}: anyone who can sign in to this identity provider can assume the role (no condition on its sub, or aud for Cognito)`,
      });
    } else if (principal.scope === 'anonymous') {
      problems.push({
        severity: 'critical',
        reason: `${who}: ${principal.reason}, with no aws:PrincipalOrgID / aws:PrincipalAccount pin`,
      });
    } else if (principal.scope === 'outside' && !hasExternalId(statement)) {
      problems.push({
        severity: 'high',
        reason: `${who}: ${principal.reason}, without sts:ExternalId or an organization pin`,
      });
    }
  }
  if (problems.length === 0) {
    return trustVerdict(
      statement,
      false,
      'high',
      'only principals of the trust zone, AWS services, or third parties bound by sts:ExternalId',
    );
  }
  return trustVerdict(
    statement,
    true,
    problems.some((problem) => problem.severity === 'critical') ? 'critical' : 'high',
    problems.map((problem) => problem.reason).join('; '),
  );
}

export function analyzeTrustPolicy(policy: PolicyDocument, zone: ZoneContext): TrustStatementVerdict[] {
  return policy.statements.map((statement) => analyzeTrustStatement(statement, zone));
}
