import { cidrWithin, parseCidr, readCidr } from '../net/cidr';
import type { ConditionEntry } from './document';
import { ACCOUNT_ID, hasPolicyVariable, inZone, isFixed, parseArn, type ZoneContext } from './principals';

/** Which side of a grant a condition narrows: who calls, which resource, or from which network. */
export type ConditionAxis = 'identity' | 'resource' | 'network';

export interface ConditionPin {
  axis: ConditionAxis;
  /**
   * trust-zone: only principals/resources of the zone · outside: fixed values outside the zone ·
   * aws-service: only AWS service principals · unattributed: fixed, but no account or organization to check.
   */
  scope: 'trust-zone' | 'outside' | 'aws-service' | 'unattributed';
}

export interface ConditionVerdict {
  operator: string;
  key: string;
  values: string[];
  /** S3's definition of public: this condition limits the grant to fixed values of a key on S3's list. */
  restrictsPublic: boolean;
  /** Set when the condition effectively narrows the grant; absent when it restricts nothing. */
  pin?: ConditionPin;
  reason: string;
}

/** The keys that make an Allow non-public in S3's definition (Amazon S3 user guide, "The meaning of public"). */
export const S3_NON_PUBLIC_KEYS = [
  'aws:SourceIp',
  'aws:SourceArn',
  'aws:SourceVpc',
  'aws:SourceVpce',
  'aws:SourceOwner',
  'aws:SourceAccount',
  'aws:userid',
  's3:DataAccessPointArn',
  's3:DataAccessPointAccount',
  'aws:PrincipalOrgID',
] as const;
const S3_NON_PUBLIC = new Set(S3_NON_PUBLIC_KEYS.map((key) => key.toLowerCase()));

const STRING_OPERATORS = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike']);
const ARN_OPERATORS = new Set([...STRING_OPERATORS, 'ArnEquals', 'ArnLike']);

type KeyKind = 'ip' | 'arn' | 'string' | 'bool';

interface KeySpec {
  kind: KeyKind;
  /** How the values relate to the trust zone. */
  zone: 'account' | 'org' | 'org-path' | 'arn' | 'aws-service' | 'network' | 'unattributed';
  axis: ConditionAxis;
}

const KEYS: Record<string, KeySpec> = {
  'aws:principalorgid': { kind: 'string', zone: 'org', axis: 'identity' },
  'aws:principalorgpaths': { kind: 'string', zone: 'org-path', axis: 'identity' },
  'aws:principalaccount': { kind: 'string', zone: 'account', axis: 'identity' },
  'aws:principalarn': { kind: 'arn', zone: 'arn', axis: 'identity' },
  // The account of the caller in KMS key policies, like aws:PrincipalAccount.
  'kms:calleraccount': { kind: 'string', zone: 'account', axis: 'identity' },
  'aws:principalisawsservice': { kind: 'bool', zone: 'aws-service', axis: 'identity' },
  'aws:userid': { kind: 'string', zone: 'unattributed', axis: 'identity' },
  'aws:sourceaccount': { kind: 'string', zone: 'account', axis: 'identity' },
  'aws:sourceowner': { kind: 'string', zone: 'account', axis: 'identity' },
  'aws:sourcearn': { kind: 'arn', zone: 'arn', axis: 'identity' },
  'aws:sourceorgid': { kind: 'string', zone: 'org', axis: 'identity' },
  'aws:sourceorgpaths': { kind: 'string', zone: 'org-path', axis: 'identity' },
  's3:dataaccesspointaccount': { kind: 'string', zone: 'account', axis: 'identity' },
  's3:dataaccesspointarn': { kind: 'arn', zone: 'arn', axis: 'identity' },
  'aws:resourceorgid': { kind: 'string', zone: 'org', axis: 'resource' },
  'aws:resourceorgpaths': { kind: 'string', zone: 'org-path', axis: 'resource' },
  'aws:resourceaccount': { kind: 'string', zone: 'account', axis: 'resource' },
  'aws:sourceip': { kind: 'ip', zone: 'network', axis: 'network' },
  'aws:sourcevpc': { kind: 'string', zone: 'network', axis: 'network' },
  'aws:sourcevpce': { kind: 'string', zone: 'network', axis: 'network' },
};

const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((text) => parseCidr(text));

/**
 * S3: aws:SourceIp values broader than /8 (IPv4) or /32 (IPv6) are public, except the RFC 1918
 * ranges. Returns why a value is too broad (or unreadable), undefined when it restricts.
 */
export function broadSourceIp(value: string): string | undefined {
  const reading = readCidr(value);
  if (!reading.ok) return reading.reason;
  const { cidr } = reading;
  if (RFC1918.some((range) => range !== undefined && cidrWithin(cidr, range))) return undefined;
  if (cidr.family === 'ipv4' && cidr.prefix < 8) return `${value} is broader than /8`;
  if (cidr.family === 'ipv6' && cidr.prefix < 32) return `${value} is broader than /32`;
  return undefined;
}

/** Why a condition restricts nothing whatever its values, or undefined when its operator can restrict. */
function operatorWeakness(entry: ConditionEntry, all: readonly ConditionEntry[]): string | undefined {
  if (entry.negated) {
    return `${entry.operator} is negated: it matches every value except those listed, so it restricts nothing`;
  }
  if (entry.ifExists) {
    return `${entry.operator} is true when the request has no ${entry.key}, so it restricts nothing`;
  }
  if (entry.base === 'Null') return `Null only tests whether ${entry.key} is present`;
  if (entry.qualifier === 'ForAllValues') {
    const required = all.some(
      (other) =>
        other.base === 'Null' &&
        !other.qualifier &&
        other.keyLower === entry.keyLower &&
        other.values.length > 0 &&
        other.values.every((v) => v.toLowerCase() === 'false'),
    );
    if (!required) {
      return `ForAllValues is true when the request has no ${entry.key} (and no Null: false condition requires it), so it restricts nothing`;
    }
  }
  return undefined;
}

function operatorFits(entry: ConditionEntry, kind: KeyKind): boolean {
  switch (kind) {
    case 'ip':
      return entry.base === 'IpAddress';
    case 'arn':
      return ARN_OPERATORS.has(entry.base);
    case 'string':
      return STRING_OPERATORS.has(entry.base);
    case 'bool':
      return entry.base === 'Bool';
  }
}

function unfixedValues(values: readonly string[]): string[] {
  return values.filter((value) => !isFixed(value));
}

/** The zone pin of a key whose values are fixed enough to check (see KeySpec.zone). */
function zonePin(
  spec: KeySpec,
  entry: ConditionEntry,
  context: ZoneContext,
): { pin?: ConditionPin; why: string } {
  const { values } = entry;
  const org = context.trustZone.organizationId;
  switch (spec.zone) {
    case 'account': {
      const bad = values.filter((value) => !ACCOUNT_ID.test(value));
      if (bad.length > 0) return { why: `${bad.join(', ')} is not a fixed 12-digit account id` };
      const outside = values.filter((value) => !inZone(value, context));
      return outside.length === 0
        ? {
            pin: { axis: spec.axis, scope: 'trust-zone' },
            why: `accounts ${values.join(', ')} are in the trust zone`,
          }
        : {
            pin: { axis: spec.axis, scope: 'outside' },
            why: `account(s) ${outside.join(', ')} are outside the trust zone`,
          };
    }
    case 'org': {
      if (unfixedValues(values).length > 0) return { why: 'the organization id is not a fixed value' };
      if (!org)
        return {
          pin: { axis: spec.axis, scope: 'unattributed' },
          why: 'the organization id of the trust zone is not known (set organizationId)',
        };
      return values.every((value) => value === org)
        ? { pin: { axis: spec.axis, scope: 'trust-zone' }, why: `${org} is the organization` }
        : {
            pin: { axis: spec.axis, scope: 'outside' },
            why: `${values.filter((v) => v !== org).join(', ')} is not the organization ${org}`,
          };
    }
    case 'org-path': {
      const heads = values.map((value) => value.split('/')[0] ?? '');
      if (heads.some((head) => !isFixed(head)))
        return { why: 'the organization part of the path is not fixed' };
      if (!org)
        return {
          pin: { axis: spec.axis, scope: 'unattributed' },
          why: 'the organization id of the trust zone is not known (set organizationId)',
        };
      return heads.every((head) => head === org)
        ? { pin: { axis: spec.axis, scope: 'trust-zone' }, why: `every path is inside ${org}` }
        : { pin: { axis: spec.axis, scope: 'outside' }, why: `a path is outside the organization ${org}` };
    }
    case 'arn': {
      const arns = values.map((value) => ({ value, arn: parseArn(value) }));
      const unreadable = arns.filter(({ arn }) => !arn);
      if (unreadable.length > 0) return { why: `${unreadable.map((a) => a.value).join(', ')} is not an ARN` };
      const noAccount = arns.filter(({ arn }) => arn?.account === '');
      if (noAccount.length > 0) {
        return {
          pin: { axis: spec.axis, scope: 'unattributed' },
          why: `${noAccount.map((a) => a.value).join(', ')} names no account (pair it with aws:SourceAccount)`,
        };
      }
      const wild = arns.filter(({ arn }) => !isFixed(arn?.account ?? ''));
      if (wild.length > 0)
        return { why: `the account part of ${wild.map((a) => a.value).join(', ')} is not fixed` };
      const outside = arns.filter(({ arn }) => !inZone(arn?.account ?? '', context));
      return outside.length === 0
        ? {
            pin: { axis: spec.axis, scope: 'trust-zone' },
            why: 'every ARN belongs to an account of the trust zone',
          }
        : {
            pin: { axis: spec.axis, scope: 'outside' },
            why: `${outside.map((a) => a.value).join(', ')} belongs to an account outside the trust zone`,
          };
    }
    case 'aws-service':
      return values.every((value) => value.toLowerCase() === 'true')
        ? {
            pin: { axis: spec.axis, scope: 'aws-service' },
            why: 'only AWS service principals, acting for their own resources',
          }
        : { why: 'it is not "true"' };
    case 'network':
      return { pin: { axis: spec.axis, scope: 'unattributed' }, why: 'a network location, not an identity' };
    case 'unattributed':
      return {
        pin: { axis: spec.axis, scope: 'unattributed' },
        why: 'a fixed caller id that names no account',
      };
  }
}

const AXIS_WORD: Record<ConditionAxis, string> = {
  identity: 'callers',
  resource: 'resources',
  network: 'the network',
};

function describeVerdict(
  restrictsPublic: boolean,
  publicWhy: string | undefined,
  pin: ConditionPin | undefined,
  why: string,
): string {
  if (!restrictsPublic && !pin && publicWhy === why) return `restricts nothing: ${why}`;
  const s3 = restrictsPublic ? 'non-public for S3 (fixed values)' : `not restricting for S3: ${publicWhy}`;
  if (!pin) return `${s3}; pins nothing: ${why}`;
  const what = AXIS_WORD[pin.axis];
  switch (pin.scope) {
    case 'trust-zone':
      return `${s3}; pins ${what} to the trust zone: ${why}`;
    case 'outside':
      return `${s3}; pins ${what} outside the trust zone: ${why}`;
    case 'aws-service':
      return `${s3}; limits callers to AWS services: ${why}`;
    case 'unattributed':
      return `${s3}; does not place ${what} in the trust zone: ${why}`;
  }
}

/**
 * `arn:aws:s3:<region>:<account>:accesspoint/*`: every access point of one fixed account. The S3
 * guide's delegation pattern ("delegate access control to access points") hands the bucket's access
 * decisions to the access points of the owner; the wildcard covers access point names only, so the
 * grant reaches no caller an access point of that account does not let through.
 */
function accessPointsOfOneAccount(value: string): boolean {
  const arn = parseArn(value);
  if (!arn || hasPolicyVariable(value)) return false;
  const fixedHead = arn.partition.length > 0 && isFixed(arn.partition) && arn.service === 's3';
  const region = arn.region === '*' || (arn.region.length > 0 && isFixed(arn.region));
  return fixedHead && region && ACCOUNT_ID.test(arn.account) && arn.resource.startsWith('accesspoint/');
}

/**
 * What one condition does for a grant: whether it makes the statement non-public in S3's sense,
 * and whether it pins callers or resources to the trust zone.
 */
export function classifyCondition(
  entry: ConditionEntry,
  all: readonly ConditionEntry[],
  context: ZoneContext,
): ConditionVerdict {
  const weakness = operatorWeakness(entry, all);
  if (weakness) return conditionVerdict(entry, false, undefined, weakness);
  const spec = KEYS[entry.keyLower];
  if (!spec) {
    return conditionVerdict(
      entry,
      false,
      undefined,
      `${entry.key} is neither on S3's list of restricting keys nor a trust-zone key`,
    );
  }
  if (!operatorFits(entry, spec.kind)) {
    return conditionVerdict(
      entry,
      false,
      undefined,
      `${entry.operator} does not compare ${entry.key} as S3 and IAM expect, so it restricts nothing`,
    );
  }
  const onS3List = S3_NON_PUBLIC.has(entry.keyLower);
  const unfixed = unfixedValues(entry.values).filter(
    (value) => !(entry.keyLower === 's3:dataaccesspointarn' && accessPointsOfOneAccount(value)),
  );
  let publicWhy: string | undefined;
  if (!onS3List) publicWhy = `${entry.key} is not on S3's list of keys that make a grant non-public`;
  else if (unfixed.length > 0)
    publicWhy = `${unfixed.join(', ')} is not a fixed value (wildcard or policy variable)`;
  else if (spec.kind === 'ip') {
    const broad = entry.values.map(broadSourceIp).filter((why): why is string => why !== undefined);
    if (broad.length > 0) publicWhy = broad.join('; ');
  }
  const restrictsPublic = publicWhy === undefined;
  // Zone pins tolerate wildcards where the account or organization part stays fixed (ARNs, paths).
  let pinnable: boolean;
  if (spec.zone === 'network') pinnable = restrictsPublic;
  else if (spec.zone === 'arn' || spec.zone === 'org-path')
    pinnable = !entry.values.some((value) => hasPolicyVariable(value));
  else pinnable = unfixed.length === 0;
  const { pin, why } = pinnable
    ? zonePin(spec, entry, context)
    : { pin: undefined, why: publicWhy ?? `${unfixed.join(', ')} is not a fixed value` };
  const sentence = describeVerdict(restrictsPublic, publicWhy, pin, why);
  return conditionVerdict(entry, restrictsPublic, pin, sentence);
}

/**
 * A verdict with its keys in one order (operator, key, values, restrictsPublic, pin, reason), built
 * field by field: spreading an object and adding keys takes V8's slow path (microseconds per
 * object on Node 20), and every condition of every policy document goes through here.
 */
function conditionVerdict(
  entry: ConditionEntry,
  restrictsPublic: boolean,
  pin: ConditionPin | undefined,
  reason: string,
): ConditionVerdict {
  const { operator, key, values } = entry;
  return pin
    ? { operator, key, values, restrictsPublic, pin, reason }
    : { operator, key, values, restrictsPublic, reason };
}
