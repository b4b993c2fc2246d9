import type { Config } from './config';
import { formatDuration, parseDuration } from './duration';
import type { Actor } from './events/change';
import type { ResourceRef } from './verdict';

/**
 * A break-glass exemption: for a while, violations in its scope are alerted on but not reverted.
 * Stored in the state table (never as resource tags the violator could set).
 */
export interface Exemption {
  id: string;
  /** The account whose changes it covers. */
  account: string;
  /** A resource id (sg-…) or ARN; every resource of the account when absent. */
  resource?: string;
  /** A guardrail id; every guardrail when absent. */
  rule?: string;
  reason: string;
  /** Change or incident reference, e.g. CHG-1234. */
  ticket: string;
  /** Who asked for it (default: the granting caller's identity). */
  requester: string;
  /** Who approved it: a second person (two-person rule). */
  approver: string;
  /** ISO times. */
  grantedAt: string;
  expiresAt: string;
  revokedAt?: string;
  revokedBy?: string;
}

/** An exemption as a decision used it: what the alert and the audit record say. */
export interface ExemptionUse {
  id: string;
  account: string;
  resource?: string;
  rule?: string;
  reason: string;
  ticket: string;
  requester: string;
  approver: string;
  expiresAt: string;
}

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
  if (samePerson(exemption.approver, exemption.requester))
    return refused(`it was approved by its own requester ${exemption.approver} (two-person rule)`);
  if (madeBy(target.actor, exemption.approver))
    return refused(`the change was made by its approver ${exemption.approver} (two-person rule)`);
  return { applies: true, exemption };
}

export interface GrantRequest {
  account: string;
  resource?: string;
  rule?: string;
  /** How long, e.g. "2h"; at most exemptions.maxDuration. */
  duration: string;
  reason: string;
  ticket: string;
  requester: string;
  approver: string;
}

export type GrantResult = { ok: true; exemption: Exemption } | { ok: false; reason: string };

/**
 * Validates a grant and builds the exemption (pure: the id and the time are given). Every refusal
 * says what to change.
 */
export function validateGrant(
  request: GrantRequest,
  config: Pick<Config, 'exemptions'>,
  options: { id: string; now: number; knownRules?: readonly string[] },
): GrantResult {
  const fail = (reason: string): GrantResult => ({ ok: false, reason });
  if (!config.exemptions.enabled)
    return fail(
      'exemptions are disabled: set "exemptions": { "enabled": true } in the driftguard config to allow break-glass exemptions',
    );
  if (!/^\d{12}$/.test(request.account))
    return fail(`--account must be a 12-digit AWS account id, not "${request.account}"`);
  if (request.rule !== undefined && options.knownRules && !options.knownRules.includes(request.rule))
    return fail(`--rule ${request.rule} is not a guardrail (known: ${options.knownRules.join(', ')})`);
  if (request.resource !== undefined && !/^\S{1,2048}$/.test(request.resource))
    return fail('--resource must be a resource id (sg-…) or ARN, without spaces');
  const duration = parseDuration(request.duration);
  if (!duration.ok) return fail(`--for: ${duration.reason}`);
  const max = parseDuration(config.exemptions.maxDuration);
  if (max.ok && duration.ms > max.ms)
    return fail(
      `--for ${request.duration} is longer than the maximum exemptions.maxDuration = ${config.exemptions.maxDuration}`,
    );
  if (request.reason.trim().length < 5) return fail('--reason must say why (at least a few words)');
  if (!request.ticket.trim()) return fail('--ticket must name the change or incident ticket');
  if (!request.approver.trim()) return fail('--approver must name the person who approved the exemption');
  if (!request.requester.trim()) return fail('the requester is unknown: pass --requester');
  if (samePerson(request.approver, request.requester))
    return fail(
      `the approver (${request.approver}) cannot be the requester (${request.requester}): a second person must approve (two-person rule)`,
    );
  return {
    ok: true,
    exemption: {
      id: options.id,
      account: request.account,
      ...(request.resource ? { resource: request.resource } : {}),
      ...(request.rule ? { rule: request.rule } : {}),
      reason: request.reason.trim(),
      ticket: request.ticket.trim(),
      requester: request.requester.trim(),
      approver: request.approver.trim(),
      grantedAt: new Date(options.now).toISOString(),
      expiresAt: new Date(options.now + duration.ms).toISOString(),
    },
  };
}
