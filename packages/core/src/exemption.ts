import type { Config } from './config';
import { formatDuration, parseDuration } from './duration';
import type { Actor } from './events/change';
import type { ResourceRef } from './verdict';

/** What an exemption covers and why: the same in the request, the exemption and the decision. */
export interface ExemptionTerms {
  /** The account whose changes it covers. */
  account: string;
  /** A resource id (sg-…) or ARN; every resource of the account when absent. */
  resource?: string;
  /** A guardrail id; every guardrail when absent. */
  rule?: string;
  reason: string;
  /** Change or incident reference, e.g. CHG-1234. */
  ticket: string;
}

/**
 * A break-glass exemption: for a while, violations in its scope are alerted on but not reverted.
 * Stored in the state table (never as resource tags the violator could set).
 */
export interface Exemption extends ExemptionTerms {
  id: string;
  /** Who asked for it: the caller's ARN as AWS authenticated the request (never typed in). */
  requester: string;
  /** Who approved it: a second principal, authenticated the same way (two-person rule). */
  approver: string;
  /** The principals compared by the two-person rule (see `authenticatedPrincipal`). */
  requesterPrincipal?: string;
  approverPrincipal?: string;
  /** The request it was approved from, and when that request was made. */
  requestId?: string;
  requestedAt?: string;
  /** ISO times. */
  grantedAt: string;
  expiresAt: string;
  revokedAt?: string;
  revokedBy?: string;
}

/** An exemption as a decision used it: what the alert and the audit record say. */
export type ExemptionUse = Pick<
  Exemption,
  'id' | keyof ExemptionTerms | 'requester' | 'approver' | 'expiresAt'
>;

export function exemptionUse(exemption: Exemption): ExemptionUse {
  const { id, account, resource, rule, reason, ticket, requester, approver, expiresAt } = exemption;
  return {
    id,
    account,
    ...(resource ? { resource } : {}),
    ...(rule ? { rule } : {}),
    reason,
    ticket,
    requester,
    approver,
    expiresAt,
  };
}

/** "exempted until 2024-03-01T12:00:00Z by bob (requested by alice, ticket CHG-1), reason: …" */
export function describeExemption(use: ExemptionUse): string {
  return `exempted until ${use.expiresAt} by ${use.approver} (exemption ${use.id}, requested by ${use.requester}, ticket ${use.ticket}), reason: ${use.reason}`;
}

/** Scope in words: "account 111122223333, resource sg-…, rule sg-open-ingress". */
export function describeScope(exemption: Pick<Exemption, 'account' | 'resource' | 'rule'>): string {
  return [
    `account ${exemption.account}`,
    exemption.resource ? `resource ${exemption.resource}` : 'every resource',
    exemption.rule ? `rule ${exemption.rule}` : 'every rule',
  ].join(', ');
}

const ASSUMED_ROLE = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/;
// STS answers GetCallerIdentity for an IAM user with the iam ARN (moto with an sts one): both.
const IAM_USER = /^arn:aws[a-z-]*:(?:iam|sts)::\d{12}:user\/(?:.*\/)?([^/]+)$/;
const FEDERATED = /^arn:aws[a-z-]*:sts::\d{12}:federated-user\/(.+)$/;

/**
 * The names one person goes by: an identity as written (`bob@example.com`) and, for an ARN, the
 * name inside it (the session name of an assumed role — the user's email under IAM Identity
 * Center —, the IAM user name). Compared case-insensitively.
 */
export function identityKeys(identity: string): string[] {
  const value = identity.trim().toLowerCase();
  if (!value) return [];
  const inner = ASSUMED_ROLE.exec(value)?.[1] ?? IAM_USER.exec(value)?.[1] ?? FEDERATED.exec(value)?.[1];
  return inner ? [value, inner] : [value];
}

/** True when two identities name the same person (an ARN and the name inside it count as one). */
export function samePerson(a: string, b: string): boolean {
  const keys = new Set(identityKeys(a));
  return identityKeys(b).some((key) => keys.has(key));
}

/** The names the actor of a change goes by (never the role alone: many people share a role). */
export function actorKeys(actor: Actor): string[] {
  const keys = new Set<string>();
  for (const value of [actor.arn, actor.sessionName]) {
    for (const key of identityKeys(value ?? '')) keys.add(key);
  }
  const session = actor.principalId?.includes(':')
    ? actor.principalId.split(':').slice(1).join(':')
    : undefined;
  if (session) keys.add(session.toLowerCase());
  return [...keys];
}

export function madeBy(actor: Actor, identity: string): boolean {
  const keys = new Set(actorKeys(actor));
  return identityKeys(identity).some((key) => keys.has(key));
}

/** The id inside a resource ARN (`…:security-group/sg-1` → `sg-1`); the value itself otherwise. */
function resourceIdOf(value: string): string {
  if (!value.startsWith('arn:')) return value;
  const tail = value.split(':').slice(5).join(':');
  return tail.includes('/') ? (tail.split('/').pop() ?? tail) : tail;
}

export function coversResource(exemption: Pick<Exemption, 'resource'>, resource: ResourceRef): boolean {
  if (!exemption.resource) return true;
  if (exemption.resource === resource.id || exemption.resource === resource.arn) return true;
  return exemption.resource.startsWith('arn:') && resourceIdOf(exemption.resource) === resource.id;
}

export type ExemptionCheck =
  | { applies: true; exemption: Exemption }
  | {
      applies: false;
      exemption: Exemption;
      /** True when account, rule and resource match: only its state or the people kept it out. */
      inScope: boolean;
      why: string;
    };

export interface ExemptionTarget {
  account: string;
  rule: string;
  resource: ResourceRef;
  actor: Actor;
}

/**
 * Whether one exemption covers one violation at `now`. Pure; the order of the checks is the
 * order of the explanation: scope, state (revoked, not yet, expired, too long), people.
 */
export function checkExemption(
  exemption: Exemption,
  target: ExemptionTarget,
  config: Pick<Config, 'exemptions'>,
  now: number,
): ExemptionCheck {
  const out = (why: string) => ({ applies: false as const, exemption, inScope: false, why });
  const refused = (why: string) => ({ applies: false as const, exemption, inScope: true, why });
  if (exemption.account !== target.account) return out(`it is for account ${exemption.account}`);
  if (exemption.rule && exemption.rule !== target.rule) return out(`it is for rule ${exemption.rule}`);
  if (!coversResource(exemption, target.resource)) return out(`it is for resource ${exemption.resource}`);
  if (exemption.revokedAt)
    return refused(
      `revoked at ${exemption.revokedAt}${exemption.revokedBy ? ` by ${exemption.revokedBy}` : ''}`,
    );
  const granted = Date.parse(exemption.grantedAt);
  const expires = Date.parse(exemption.expiresAt);
  if (!Number.isFinite(granted) || !Number.isFinite(expires)) return refused('its times are unreadable');
  if (now < granted) return refused(`not in force before ${exemption.grantedAt}`);
  if (now >= expires) return refused(`expired at ${exemption.expiresAt}`);
  const max = parseDuration(config.exemptions.maxDuration);
  if (max.ok && expires - granted > max.ms)
    return refused(
      `it lasts ${formatDuration(expires - granted)}, longer than exemptions.maxDuration = ${config.exemptions.maxDuration}`,
    );
  if (
    samePerson(exemption.approver, exemption.requester) ||
    principalKey(exemption.approver, config) === principalKey(exemption.requester, config) ||
    (exemption.approverPrincipal !== undefined &&
      exemption.approverPrincipal === exemption.requesterPrincipal)
  )
    return refused(`it was approved by its own requester ${exemption.approver} (two-person rule)`);
  if (madeBy(target.actor, exemption.approver))
    return refused(`the change was made by its approver ${exemption.approver} (two-person rule)`);
  return { applies: true, exemption };
}

/** What AWS authentication says about a caller (an IAM-authorized function URL's `authorizer.iam`). */
export interface AuthenticatedCaller {
  userArn: string;
  accountId: string;
}

/**
 * One principal for the two-person rule. `key` is what is compared: a role (every session of it is
 * the same principal, since whoever holds the role picks each session's name), a role session
 * (only for `exemptions.sessionPrincipalRoles`, whose session names nobody holding the role can
 * choose), or an IAM user.
 */
export interface Principal {
  /** The caller's ARN exactly as authenticated (shown in alerts and the audit). */
  arn: string;
  account: string;
  kind: 'role' | 'role-session' | 'iam-user';
  key: string;
  /** The IAM ARN the `exemptions.approvers` list names: the role's or the user's. */
  iamArn: string;
}

/**
 * Why a caller is not one accountable principal, as a closed class (metrics, alarms). An ARN whose
 * account is not the authenticated account is never what Lambda's IAM authorizer produces: a
 * forged caller context.
 */
export type IdentityRefusal = 'root' | 'federated-user' | 'identity-mismatch' | 'unrecognised-identity';

export type PrincipalResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: string; refusal: IdentityRefusal };

const STS_ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const IAM_USER_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/;
const IAM_ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

/** IAM names are unique case-insensitively and ARNs may carry a path: compare `partition:account:name`. */
const roleName = (arn: string) => {
  const match = IAM_ROLE_ARN.exec(arn);
  return match ? `${match[1]}:${match[2]}:role/${match[3]}`.toLowerCase() : undefined;
};

/**
 * The principal AWS authenticated, from the function URL's IAM authorizer context. Refuses the
 * identities that do not stand for one accountable principal: the root user, federated users (their
 * name is chosen by the IAM user who called GetFederationToken), anything unrecognised.
 */
export function authenticatedPrincipal(
  caller: AuthenticatedCaller,
  config: Pick<Config, 'exemptions'>,
): PrincipalResult {
  const fail = (reason: string, refusal: IdentityRefusal): PrincipalResult => ({
    ok: false,
    reason,
    refusal,
  });
  const arn = caller.userArn;
  const role = STS_ASSUMED_ROLE.exec(arn);
  if (role) {
    const [, partition, account, name, session] = role as unknown as [string, string, string, string, string];
    if (account !== caller.accountId)
      return fail(`the caller ${arn} does not belong to account ${caller.accountId}`, 'identity-mismatch');
    const iamArn = `arn:${partition}:iam::${account}:role/${name}`;
    const roleKey = `${partition}:${account}:role/${name}`.toLowerCase();
    const bySession = config.exemptions.sessionPrincipalRoles.some((listed) => roleName(listed) === roleKey);
    return {
      ok: true,
      principal: bySession
        ? { arn, account, kind: 'role-session', key: `${roleKey}/${session.toLowerCase()}`, iamArn }
        : { arn, account, kind: 'role', key: roleKey, iamArn },
    };
  }
  const user = IAM_USER_ARN.exec(arn);
  if (user) {
    const [, partition, account, name] = user as unknown as [string, string, string, string];
    if (account !== caller.accountId)
      return fail(`the caller ${arn} does not belong to account ${caller.accountId}`, 'identity-mismatch');
    return {
      ok: true,
      principal: {
        arn,
        account,
        kind: 'iam-user',
        key: `${partition}:${account}:user/${name}`.toLowerCase(),
        iamArn: arn,
      },
    };
  }
  if (/^arn:aws[a-z-]*:iam::\d{12}:root$/.test(arn))
    return fail('the root user cannot request or approve exemptions: use an IAM role or user', 'root');
  if (/^arn:aws[a-z-]*:sts::\d{12}:federated-user\//.test(arn))
    return fail(
      'federated users (GetFederationToken) cannot request or approve exemptions: their name is chosen by whoever called GetFederationToken; use an IAM role',
      'federated-user',
    );
  return fail(
    `${arn || 'an anonymous caller'} is not an IAM role session or IAM user`,
    'unrecognised-identity',
  );
}

/**
 * The two-person rule's key for an identity as stored: an authenticated ARN maps to its principal
 * (see `authenticatedPrincipal`); anything else (not written by the exemption API) to itself.
 */
export function principalKey(identity: string, config: Pick<Config, 'exemptions'>): string {
  const account = /^arn:[^:]+:[^:]+::(\d{12}):/.exec(identity)?.[1];
  if (account) {
    const parsed = authenticatedPrincipal({ userArn: identity, accountId: account }, config);
    if (parsed.ok) return parsed.principal.key;
  }
  return identity.trim().toLowerCase();
}

/** A pending request: nothing is exempted until a second principal approves it. */
export interface ExemptionRequest extends RequestInput {
  id: string;
  /** The requester's ARN as authenticated, and its two-person-rule key. */
  requester: string;
  requesterPrincipal: string;
  requestedAt: string;
  /** An unapproved request lapses then. */
  validUntil: string;
}

/** What a requester sends: the scope and the why. Who is asking is never part of it. */
export interface RequestInput extends ExemptionTerms {
  /** How long the exemption lasts once approved, e.g. "2h". */
  duration: string;
}

/** A request waits this long for its approval. */
export const REQUEST_VALIDITY_MS = 24 * 3_600_000;

export type RequestResult = { ok: true; request: ExemptionRequest } | { ok: false; reason: string };
/**
 * Why an approval was refused, as a closed class (metrics, alarms): `self-approval` (the two-person
 * rule), `not-approver` (not in `exemptions.approvers`), `lapsed` (the request's 24 h are over),
 * `disabled`, `invalid-duration`.
 */
export type GrantRefusal = 'disabled' | 'lapsed' | 'self-approval' | 'not-approver' | 'invalid-duration';

export type GrantResult =
  | { ok: true; exemption: Exemption }
  | { ok: false; reason: string; refusal: GrantRefusal };

const disabled = () =>
  'exemptions are disabled: set "exemptions": { "enabled": true } in the driftguard config to allow break-glass exemptions';

/**
 * Validates a request and builds it (pure: the id and the time are given). The requester is the
 * authenticated principal; every refusal says what to change.
 */
export function validateRequest(
  input: RequestInput,
  requester: Principal,
  config: Pick<Config, 'exemptions'>,
  options: { id: string; now: number; knownRules?: readonly string[] },
): RequestResult {
  const fail = (reason: string): RequestResult => ({ ok: false, reason });
  if (!config.exemptions.enabled) return fail(disabled());
  if (!/^\d{12}$/.test(input.account))
    return fail(`--account must be a 12-digit AWS account id, not "${input.account}"`);
  if (input.rule !== undefined && options.knownRules && !options.knownRules.includes(input.rule))
    return fail(`--rule ${input.rule} is not a guardrail (known: ${options.knownRules.join(', ')})`);
  if (input.resource !== undefined && !/^\S{1,2048}$/.test(input.resource))
    return fail('--resource must be a resource id (sg-…) or ARN, without spaces');
  const duration = parseDuration(input.duration);
  if (!duration.ok) return fail(`--for: ${duration.reason}`);
  const max = parseDuration(config.exemptions.maxDuration);
  if (max.ok && duration.ms > max.ms)
    return fail(
      `--for ${input.duration} is longer than the maximum exemptions.maxDuration = ${config.exemptions.maxDuration}`,
    );
  if (input.reason.trim().length < 5) return fail('--reason must say why (at least a few words)');
  if (!input.ticket.trim()) return fail('--ticket must name the change or incident ticket');
  return {
    ok: true,
    request: {
      id: options.id,
      account: input.account,
      ...(input.resource ? { resource: input.resource } : {}),
      ...(input.rule ? { rule: input.rule } : {}),
      duration: input.duration,
      reason: input.reason.trim(),
      ticket: input.ticket.trim(),
      requester: requester.arn,
      requesterPrincipal: requester.key,
      requestedAt: new Date(options.now).toISOString(),
      validUntil: new Date(options.now + REQUEST_VALIDITY_MS).toISOString(),
    },
  };
}

/**
 * The second act: an authenticated approver, another principal than the requester (and, when
 * `exemptions.approvers` is set, one of them), turns a pending request into an exemption that
 * starts now.
 */
export function approveRequest(
  request: ExemptionRequest,
  approver: Principal,
  config: Pick<Config, 'exemptions'>,
  options: { id: string; now: number },
): GrantResult {
  const fail = (reason: string, refusal: GrantRefusal): GrantResult => ({ ok: false, reason, refusal });
  if (!config.exemptions.enabled) return fail(disabled(), 'disabled');
  if (options.now >= Date.parse(request.validUntil))
    return fail(
      `request ${request.id} lapsed at ${request.validUntil} without approval: request again`,
      'lapsed',
    );
  if (
    approver.key === request.requesterPrincipal ||
    approver.key === principalKey(request.requester, config) ||
    samePerson(approver.arn, request.requester)
  )
    return fail(
      `${approver.arn} cannot approve request ${request.id}: it was requested by ${request.requester}, the same principal (two-person rule: another principal must approve; sessions of one role are one principal)`,
      'self-approval',
    );
  const allowed = config.exemptions.approvers;
  if (allowed.length > 0) {
    const mine = approver.kind === 'iam-user' ? approver.key : roleName(approver.iamArn);
    const listed = allowed.some((arn) => (roleName(arn) ?? principalKey(arn, config)) === mine);
    if (!listed)
      return fail(
        `${approver.arn} is not an approver: exemptions.approvers lists ${allowed.join(', ')}`,
        'not-approver',
      );
  }
  const duration = parseDuration(request.duration);
  const max = parseDuration(config.exemptions.maxDuration);
  if (!duration.ok) return fail(`request ${request.id}: ${duration.reason}`, 'invalid-duration');
  if (max.ok && duration.ms > max.ms)
    return fail(
      `request ${request.id} asks for ${request.duration}, longer than exemptions.maxDuration = ${config.exemptions.maxDuration}`,
      'invalid-duration',
    );
  return {
    ok: true,
    exemption: {
      id: options.id,
      account: request.account,
      ...(request.resource ? { resource: request.resource } : {}),
      ...(request.rule ? { rule: request.rule } : {}),
      reason: request.reason,
      ticket: request.ticket,
      requester: request.requester,
      approver: approver.arn,
      requesterPrincipal: request.requesterPrincipal,
      approverPrincipal: approver.key,
      requestId: request.id,
      requestedAt: request.requestedAt,
      grantedAt: new Date(options.now).toISOString(),
      expiresAt: new Date(options.now + duration.ms).toISOString(),
    },
  };
}

/**
 * What an exemption let through, as a reference: where, which guardrail, which resource, which
 * event. Never the event's text: at expiry the change is re-derived from live state.
 */
export interface ExemptionReference {
  eventId: string;
  eventTime: string;
  /** `change`: a CloudTrail change (re-derived at expiry) · `finding`: GuardDuty (never re-run). */
  kind: 'change' | 'finding';
  account: string;
  region: string;
  rule: string;
  /** The resource id the guardrail judged (sg-…, a bucket name, pcx-…), and its ARN when known. */
  resource: string;
  resourceArn?: string;
  usedAt: string;
}

/**
 * Whether a stored reference is one this exemption could have let through; the reason when not
 * (a reference outside the scope was not written by driftguard's decision: it is refused).
 */
export function referenceInScope(
  exemption: Pick<Exemption, 'account' | 'rule' | 'resource'>,
  reference: Pick<ExemptionReference, 'account' | 'rule' | 'resource' | 'resourceArn'>,
): { ok: true } | { ok: false; reason: string } {
  if (reference.account !== exemption.account)
    return {
      ok: false,
      reason: `account ${reference.account} is outside the exemption (account ${exemption.account})`,
    };
  if (exemption.rule && reference.rule !== exemption.rule)
    return { ok: false, reason: `rule ${reference.rule} is outside the exemption (rule ${exemption.rule})` };
  const resource = {
    type: '',
    id: reference.resource,
    ...(reference.resourceArn ? { arn: reference.resourceArn } : {}),
  };
  if (!coversResource(exemption, resource))
    return {
      ok: false,
      reason: `resource ${reference.resource} is outside the exemption (resource ${exemption.resource})`,
    };
  return { ok: true };
}
