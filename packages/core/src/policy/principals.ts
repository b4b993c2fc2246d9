import type { TrustZone } from '../trust-zone';
import type { PrincipalEntry } from './document';

/**
 * Who a policy talks about, placed relative to the trust zone:
 * - anonymous: anyone, including unauthenticated callers ("*", {"AWS": "*"}, wildcards, NotPrincipal)
 * - trust-zone: an account (or a principal of an account) inside the zone
 * - outside: a fixed principal whose account is not in the zone, or cannot be attributed to one
 * - service: an AWS service principal; inside only when a source condition pins it to the zone
 * - nobody: the unique id of a deleted IAM principal (AWS keeps it in place of the ARN; it grants nothing)
 */
export type PrincipalScope = 'anonymous' | 'trust-zone' | 'outside' | 'service' | 'nobody';

export interface PrincipalVerdict {
  /** AWS, Service, Federated, CanonicalUser; "*" for `"Principal": "*"`; NotPrincipal for the inverse. */
  type: string;
  value: string;
  scope: PrincipalScope;
  account?: string;
  reason: string;
}

/** Who is inside: the zone plus the resource owner, plus principals the rule config trusts by name. */
export interface ZoneContext {
  trustZone: TrustZone;
  /** The account that owns the resource; always inside. */
  owner?: string;
  /** Exact principal strings (ARN, canonical user id) configured as trusted. */
  trustedPrincipals?: readonly string[];
}

export const ACCOUNT_ID = /^\d{12}$/;
/** Unique ids AWS substitutes for deleted users (AIDA) and roles (AROA) in resource policies. */
const UNIQUE_ID = /^(AIDA|AROA)[A-Z0-9]{12,}$/;
const WILDCARD = /[*?]/;
const POLICY_VARIABLE = /\$\{/;

export function hasWildcard(value: string): boolean {
  return WILDCARD.test(value);
}

export function hasPolicyVariable(value: string): boolean {
  return POLICY_VARIABLE.test(value);
}

/** A value S3 calls "fixed": no wildcard and no policy variable. */
export function isFixed(value: string): boolean {
  return value.length > 0 && !hasWildcard(value) && !hasPolicyVariable(value);
}

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(text: string): Arn | undefined {
  // Not split unless it can be an ARN: condition values (IPs, ids, org paths) are read here too.
  if (!text.startsWith('arn:')) return undefined;
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

export function inZone(account: string, context: ZoneContext): boolean {
  return account === context.owner || context.trustZone.accounts.has(account);
}

export function zoneAccounts(context: ZoneContext): string[] {
  return [...new Set([...(context.owner ? [context.owner] : []), ...context.trustZone.accounts])].sort();
}

/**
 * A verdict with its keys in one order (type, value, scope, account, reason). Built field by field:
 * spreading the entry and adding keys takes V8's slow path (microseconds per object on Node 20),
 * and every principal of every policy document goes through here.
 */
function verdictOf(
  entry: PrincipalEntry,
  scope: PrincipalScope,
  reason: string,
  account?: string,
): PrincipalVerdict {
  return account === undefined
    ? { type: entry.type, value: entry.value, scope, reason }
    : { type: entry.type, value: entry.value, scope, account, reason };
}

function accountVerdict(
  entry: PrincipalEntry,
  account: string,
  context: ZoneContext,
  what: string,
): PrincipalVerdict {
  if (inZone(account, context)) {
    const why = account === context.owner ? 'the resource owner' : 'in the trust zone';
    return verdictOf(entry, 'trust-zone', `${what} of account ${account}, ${why}`, account);
  }
  return verdictOf(
    entry,
    'outside',
    `${what} of account ${account}, which is not in the organization or trustedAccounts`,
    account,
  );
}

/** Places one principal entry of a `Principal` element relative to the trust zone. */
export function classifyPrincipal(entry: PrincipalEntry, context: ZoneContext): PrincipalVerdict {
  const { type, value } = entry;
  if (context.trustedPrincipals?.includes(value)) {
    return verdictOf(entry, 'trust-zone', `${value} is in the rule's trustedPrincipals`);
  }
  if (value === '*') {
    return verdictOf(entry, 'anonymous', `{"${type}": "*"} is anyone, including anonymous callers`);
  }
  if (hasWildcard(value) || hasPolicyVariable(value)) {
    return verdictOf(
      entry,
      'anonymous',
      `${value} is not a fixed principal (wildcard or policy variable): treated as anyone`,
    );
  }
  switch (type) {
    case 'AWS': {
      if (ACCOUNT_ID.test(value)) return accountVerdict(entry, value, context, 'every principal');
      if (UNIQUE_ID.test(value)) {
        return verdictOf(
          entry,
          'nobody',
          `${value} is the unique id AWS leaves in place of a deleted user or role: it grants nothing`,
        );
      }
      const arn = parseArn(value);
      if (arn && ACCOUNT_ID.test(arn.account) && (arn.service === 'iam' || arn.service === 'sts')) {
        const what = arn.resource === 'root' ? 'every principal' : arn.resource;
        return accountVerdict(entry, arn.account, context, what);
      }
      if (arn?.service === 'iam' && arn.account === 'cloudfront') {
        return verdictOf(
          entry,
          'outside',
          `${value} is a CloudFront origin access identity, which names no account; trust it with trustedPrincipals or move to origin access control (service principal pinned by aws:SourceArn)`,
        );
      }
      return verdictOf(entry, 'outside', `${value} cannot be attributed to an account of the trust zone`);
    }
    case 'Service':
      return verdictOf(
        entry,
        'service',
        `AWS service ${value}: acts for any account unless a source condition pins it`,
      );
    case 'Federated': {
      const arn = parseArn(value);
      if (arn && ACCOUNT_ID.test(arn.account))
        return accountVerdict(entry, arn.account, context, arn.resource);
      return verdictOf(
        entry,
        'anonymous',
        `${value} is a web identity provider: anyone who can sign in there`,
      );
    }
    case 'CanonicalUser':
      return verdictOf(
        entry,
        'outside',
        `canonical user ${value} cannot be attributed to an account of the trust zone`,
      );
  }
}

export function describePrincipal(verdict: Pick<PrincipalVerdict, 'type' | 'value'>): string {
  if (verdict.type === '*') return '"*"';
  return `${verdict.type}:${verdict.value}`;
}
