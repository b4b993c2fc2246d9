import { CATALOG } from '../rules/catalog';
import { type Guardrail, watchersOf } from '../rules/guardrail';
import { isRecord } from './ec2-sets';
import { CLOUDTRAIL_DETAIL_TYPE } from './normalize';

/** Who/what/where of a call no guardrail watches: the fields replay prints for it. */
export interface UnwatchedCall {
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime: string;
  account: string;
  region: string;
  actor: string;
  actorType: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/**
 * Most of an organization trail is calls no guardrail watches (Describe*, Get*, data events).
 * This recognises them from a handful of plain fields, before any schema runs, so replaying a
 * whole `AWSLogs/` tree costs little more than parsing it. Anything it is unsure of (a watched
 * call, a GuardDuty finding, a failed call, a session of a role named like driftguard's own, a
 * record missing a field the full reading needs) returns undefined and goes through
 * `normalizeEvent` and `assess` as before: those say "ignored" or "bad input" where this would
 * say "not applicable", so the verdicts are the same either way.
 */
export function unwatchedCall(
  input: unknown,
  /** Role names whose sessions may be driftguard's own (the exact check is `assess`'s). */
  ownRoleNames: readonly string[],
  catalog: readonly Guardrail[] = CATALOG,
): UnwatchedCall | undefined {
  if (!isRecord(input)) return undefined;
  let record: unknown = input;
  let envelopeAccount: string | undefined;
  if ('detail-type' in input || 'detail' in input) {
    if (input['detail-type'] !== CLOUDTRAIL_DETAIL_TYPE) return undefined;
    record = input.detail;
    envelopeAccount = text(input.account);
  }
  if (!isRecord(record)) return undefined;
  const eventSource = text(record.eventSource);
  const eventName = text(record.eventName);
  // Every test below only says "not sure": the watched-call test goes first, so a watched call
  // (all of them, on the watched-calls bench row) is handed on without reading the rest.
  if (!eventSource || !eventName || watchersOf(catalog, eventSource, eventName).length > 0) return undefined;
  const eventId = text(record.eventID);
  const eventTime = text(record.eventTime);
  const region = text(record.awsRegion);
  const identity = record.userIdentity;
  if (!eventId || !eventTime || !region || !isRecord(identity)) return undefined;
  if (record.errorCode !== undefined && record.errorCode !== null) return undefined;
  if (mayBeOwnSession(identity, ownRoleNames)) return undefined;
  const account = text(record.recipientAccountId) ?? envelopeAccount ?? text(identity.accountId);
  if (!account) return undefined;
  const actorType = text(identity.type) ?? 'Unknown';
  return {
    eventId,
    eventName,
    eventSource,
    eventTime,
    account,
    region,
    actor: text(identity.arn) ?? text(identity.invokedBy) ?? text(identity.principalId) ?? actorType,
    actorType,
  };
}

function mayBeOwnSession(identity: Record<string, unknown>, ownRoleNames: readonly string[]): boolean {
  const session = identity.sessionContext;
  const issuer = isRecord(session) ? session.sessionIssuer : undefined;
  const roleArn = isRecord(issuer) ? text(issuer.arn) : undefined;
  const arn = text(identity.arn);
  // Compared in place: every record of a trail comes through here (no `/${name}` strings built).
  return ownRoleNames.some(
    (name) =>
      (roleArn !== undefined && endsWithSegment(roleArn, name)) ||
      (arn !== undefined && hasSegment(arn, name)),
  );
}

const SLASH = 0x2f;

/** `value.endsWith(`/${name}`)`. */
function endsWithSegment(value: string, name: string): boolean {
  return (
    value.length > name.length &&
    value.endsWith(name) &&
    value.charCodeAt(value.length - name.length - 1) === SLASH
  );
}

/** `value.includes(`/${name}/`)`. */
function hasSegment(value: string, name: string): boolean {
  for (let at = value.indexOf(name, 1); at >= 0; at = value.indexOf(name, at + 1))
    if (value.charCodeAt(at - 1) === SLASH && value.charCodeAt(at + name.length) === SLASH) return true;
  return false;
}
