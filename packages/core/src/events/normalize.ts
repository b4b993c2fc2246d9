import * as z from 'zod/mini';
import { safeParseWithMessages } from '../schema';
import { tooDeep } from './bounds';
import type { Actor, Change } from './change';
import { isRecord, toStr } from './ec2-sets';

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

export type Normalized = { ok: true; change: Change } | { ok: false; reason: string };

const nonEmpty = z.string().check(z.minLength(1));
const stringOrNull = z.nullish(z.string());

// Only what the pipeline relies on is required; everything else in a record is kept as is.
export const cloudTrailRecordSchema = z.looseObject({
  eventID: nonEmpty,
  eventTime: nonEmpty,
  eventSource: nonEmpty,
  eventName: nonEmpty,
  awsRegion: nonEmpty,
  recipientAccountId: z.optional(nonEmpty),
  userIdentity: z.looseObject({ type: z.optional(z.string()), accountId: z.optional(z.string()) }),
  requestParameters: z.optional(z.unknown()),
  responseElements: z.optional(z.unknown()),
  errorCode: stringOrNull,
  errorMessage: stringOrNull,
  sourceIPAddress: stringOrNull,
  userAgent: stringOrNull,
});

type CloudTrailRecord = z.infer<typeof cloudTrailRecordSchema>;

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
const nullishString = (value: unknown) => value === undefined || value === null || typeof value === 'string';
const nonEmptyString = (value: unknown) => typeof value === 'string' && value.length > 0;

/**
 * Exactly what `cloudTrailRecordSchema` accepts, checked by hand: every record of a trail goes through here,
 * and a well-formed one needs no copy. Anything else goes through the schema, for its reasons.
 */
export function wellFormedCloudTrailRecord(record: unknown): record is CloudTrailRecord {
  if (!isRecord(record)) return false;
  const identity = record.userIdentity;
  return (
    nonEmptyString(record.eventID) &&
    nonEmptyString(record.eventTime) &&
    nonEmptyString(record.eventSource) &&
    nonEmptyString(record.eventName) &&
    nonEmptyString(record.awsRegion) &&
    (record.recipientAccountId === undefined || nonEmptyString(record.recipientAccountId)) &&
    isRecord(identity) &&
    optionalString(identity.type) &&
    optionalString(identity.accountId) &&
    nullishString(record.errorCode) &&
    nullishString(record.errorMessage) &&
    nullishString(record.sourceIPAddress) &&
    nullishString(record.userAgent)
  );
}

/**
 * Accepts an EventBridge event (`detail-type: "AWS API Call via CloudTrail"`) or a raw CloudTrail
 * record and returns the typed change, or a reason that says what is wrong and where.
 */
export function normalizeCloudTrail(input: unknown): Normalized {
  if (!isRecord(input)) return { ok: false, reason: `expected a JSON object, got ${describe(input)}` };
  const deep = tooDeep(input);
  if (deep) return { ok: false, reason: deep };
  return normalizeBoundedCloudTrail(input);
}

/**
 * `normalizeCloudTrail` for input whose depth `tooDeep` has already accepted (normalizeEvent
 * checks it once for both kinds of event): the walk over the whole record is not repeated.
 */
export function normalizeBoundedCloudTrail(input: unknown): Normalized {
  if (!isRecord(input)) return { ok: false, reason: `expected a JSON object, got ${describe(input)}` };
  let record: unknown = input;
  let envelopeAccount: string | undefined;
  if ('detail-type' in input || 'detail' in input) {
    const detailType = input['detail-type'];
    if (detailType !== CLOUDTRAIL_DETAIL_TYPE) {
      return { ok: false, reason: `unsupported EventBridge detail-type ${JSON.stringify(detailType)}` };
    }
    record = input.detail;
    envelopeAccount = toStr(input.account);
    if (!isRecord(record)) return { ok: false, reason: 'EventBridge event has no object "detail"' };
  }
  const parsed = wellFormedCloudTrailRecord(record)
    ? { success: true as const, data: record }
    : safeParseWithMessages(cloudTrailRecordSchema, record);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason: `not a CloudTrail record (${where})` };
  }
  const data = parsed.data;
  // EventBridge sets the envelope's `account` (the account the event came from; kept when it is
  // forwarded to another bus) and CloudTrail sets `recipientAccountId` (the account the call was
  // made in): on a real event they are the same account. An event whose record claims another
  // account than its envelope was made up by whoever sent it, and must not make driftguard act
  // in (or report on) an account the sender does not control.
  const recipient = data.recipientAccountId;
  if (envelopeAccount !== undefined && recipient !== undefined && envelopeAccount !== recipient) {
    return {
      ok: false,
      reason: `spoofed event: the EventBridge envelope names account ${envelopeAccount} but the CloudTrail record was delivered to ${recipient} (recipientAccountId)`,
    };
  }
  const account = data.recipientAccountId ?? envelopeAccount ?? toStr(data.userIdentity.accountId);
  if (!account) return { ok: false, reason: 'CloudTrail record names no account (recipientAccountId)' };
  const request = isRecord(data.requestParameters) ? data.requestParameters : undefined;
  // Keys assigned in order, optional ones only when present: spreading them into the literal
  // takes V8's slow path on Node 20, and every watched record comes through here.
  const change: Partial<Change> = {
    kind: 'cloudtrail',
    eventId: data.eventID,
    eventTime: data.eventTime,
    eventSource: data.eventSource,
    eventName: data.eventName,
    account,
    region: data.awsRegion,
    actor: actorOf(data),
    request: request ?? {},
  };
  if (!request) change.requestMissing = true;
  change.response = isRecord(data.responseElements) ? data.responseElements : {};
  // Log pipelines sometimes keep `"errorCode": null` on successful calls: null means absent.
  if (data.errorCode) change.errorCode = data.errorCode;
  if (data.errorMessage) change.errorMessage = data.errorMessage;
  return { ok: true, change: change as Change };
}

function actorOf(record: CloudTrailRecord): Actor {
  const identity = record.userIdentity;
  const session = isRecord(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isRecord(session.sessionIssuer) ? session.sessionIssuer : {};
  const arn = toStr(identity.arn);
  const actor: Actor = { type: toStr(identity.type) ?? 'Unknown' };
  // Plain assignments, no helper closure: every watched record comes through here.
  if (arn !== undefined) actor.arn = arn;
  const accountId = toStr(identity.accountId);
  if (accountId !== undefined) actor.accountId = accountId;
  const principalId = toStr(identity.principalId);
  if (principalId !== undefined) actor.principalId = principalId;
  const issuerType = toStr(issuer.type);
  if (issuerType !== undefined) actor.issuerType = issuerType;
  const roleArn = toStr(issuer.arn);
  if (roleArn !== undefined) actor.roleArn = roleArn;
  const roleName = toStr(issuer.userName);
  if (roleName !== undefined) actor.roleName = roleName;
  // The last `/`-separated part, sliced out (no list of parts per record).
  const sessionName = arn?.includes(':assumed-role/') ? arn.slice(arn.lastIndexOf('/') + 1) : undefined;
  if (sessionName !== undefined) actor.sessionName = sessionName;
  const invokedBy = toStr(identity.invokedBy);
  if (invokedBy !== undefined) actor.invokedBy = invokedBy;
  const sourceIp = toStr(record.sourceIPAddress);
  if (sourceIp !== undefined) actor.sourceIp = sourceIp;
  const userAgent = toStr(record.userAgent);
  if (userAgent !== undefined) actor.userAgent = userAgent;
  return actor;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
