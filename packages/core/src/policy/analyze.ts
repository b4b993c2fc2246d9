import { type ConditionVerdict, classifyCondition } from './conditions';
import { type Effect, type PolicyDocument, type Statement, statementShape } from './document';
import {
  ACCOUNT_ID,
  classifyPrincipal,
  describePrincipal,
  hasPolicyVariable,
  hasWildcard,
  inZone,
  isFixed,
  type PrincipalVerdict,
  parseArn,
  type ZoneContext,
} from './principals';

/**
 * public: grants to anyone (S3's definition) · open: any principal to any resource (endpoint
 * policies) · outside-trust-zone: grants a principal outside the zone that no condition pins ·
 * missing-perimeter: a stricter configured perimeter is absent · trust-zone: compliant grant ·
 * deny: never grants · grants-nobody: names only deleted principals.
 */
export type StatementStatus =
  | 'public'
  | 'open'
  | 'outside-trust-zone'
  | 'missing-perimeter'
  | 'trust-zone'
  | 'deny'
  | 'grants-nobody';

export interface StatementAnalysis {
  index: number;
  sid?: string;
  effect: Effect;
  status: StatementStatus;
  offending: boolean;
  /** Why, in one paragraph: which principal, which condition restricted it or failed to. */
  reason: string;
  principals: PrincipalVerdict[];
  conditions: ConditionVerdict[];
  /** NotAction / NotResource and other shapes a reviewer should see. */
  notes: string[];
  /**
   * Set when S3's own label differs from the effective reading: S3 calls the statement public
   * (a key not on its list limits `"Principal": "*"`) while the callers are pinned to fixed
   * identities. Block Public Access refuses such a statement; the reason says so.
   */
  s3Label?: 'public';
  /** Service principals granted without a source pin (alert with the condition to add; never removed). */
  unpinnedServices?: string[];
}

export interface PolicyAnalysis {
  verdict: 'violation' | 'compliant';
  statements: StatementAnalysis[];
  /** Accounts of the trust zone that the document names (a revert re-checks with the same zone). */
  zoneAccounts: string[];
}

export interface BucketPolicyOptions {
  /** Count aws:SourceIp / aws:SourceVpc / aws:SourceVpce as pinning callers to the zone (default: no). */
  networkConditionsPin?: boolean;
}

export type Perimeter = 'none' | 'identity' | 'resource' | 'both';

export interface EndpointPolicyOptions {
  requirePerimeter?: Perimeter;
}

const OFFENDING: ReadonlySet<StatementStatus> = new Set([
  'public',
  'open',
  'outside-trust-zone',
  'missing-perimeter',
]);

function principalsOf(statement: Statement, context: ZoneContext): PrincipalVerdict[] {
  if (statement.notPrincipal) {
    const listed =
      statement.notPrincipal.kind === 'wildcard'
        ? '*'
        : statement.notPrincipal.entries.map((entry) => `${entry.type}:${entry.value}`).join(', ');
    return [
      {
        type: 'NotPrincipal',
        value: listed,
        scope: statement.effect === 'Allow' ? 'anonymous' : 'nobody',
        reason:
          statement.effect === 'Allow'
            ? `Allow with NotPrincipal grants every principal except ${listed}, anonymous callers included`
            : `Deny with NotPrincipal denies every principal except ${listed}`,
      },
    ];
  }
  if (!statement.principal) {
    return [
      {
        type: '*',
        value: '*',
        scope: 'anonymous',
        reason: 'no Principal element: treated as every principal',
      },
    ];
  }
  if (statement.principal.kind === 'wildcard') {
    return [
      {
        type: '*',
        value: '*',
        scope: 'anonymous',
        reason: '"Principal": "*" is anyone, including anonymous callers',
      },
    ];
  }
  if (statement.principal.entries.length === 0) {
    return [
      {
        type: 'Principal',
        value: '{}',
        scope: 'nobody',
        reason: '"Principal": {} names no principal, so the statement grants nobody',
      },
    ];
  }
  return statement.principal.entries.map((entry) => classifyPrincipal(entry, context));
}

/**
 * Keys that fix who the caller is, though S3 does not count them for "public": `"Principal": "*"`
 * limited by fixed values of them reaches exactly those identities (effective access).
 */
const CALLER_IDENTITY_KEYS: ReadonlySet<string> = new Set([
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principalorgpaths',
  // KMS's own key for the caller's account (AWS managed key policies pin "*" with it).
  'kms:calleraccount',
]);

/** Why a pin to the organization cannot be judged: no organization id is known. */
function unknownOrganizationPin(condition: ConditionVerdict): boolean {
  const key = condition.key.toLowerCase();
  return (
    condition.pin?.scope === 'unattributed' &&
    (key === 'aws:principalorgid' || key === 'aws:principalorgpaths')
  );
}

const describePins = (pins: ConditionVerdict[]) =>
  pins.map((c) => `${c.key} (${c.values.join(', ')})`).join(', ');

function conditionsOf(statement: Statement, context: ZoneContext): ConditionVerdict[] {
  return statement.conditions.map((entry) => classifyCondition(entry, statement.conditions, context));
}

const list = (principals: PrincipalVerdict[]) => principals.map(describePrincipal).join(', ');

function conditionSummary(conditions: ConditionVerdict[]): string {
  if (conditions.length === 0) return 'there is no Condition';
  return conditions.map((c) => `${c.operator} ${c.key} [${c.values.join(', ')}]: ${c.reason}`).join('; ');
}

/** What an analysis is built from: the statement and the verdicts on its principals and conditions. */
interface Parts {
  statement: Statement;
  principals: PrincipalVerdict[];
  conditions: ConditionVerdict[];
}

type Labels = Pick<StatementAnalysis, 's3Label' | 'unpinnedServices'>;

function finish(parts: Parts, status: StatementStatus, reason: string, labels?: Labels): StatementAnalysis {
  const { statement, principals, conditions } = parts;
  const notes = statementShape(statement);
  // Keys in the order analyses have always had, assigned one by one: copying an object with a
  // spread and adding keys to the copy takes V8's slow path (microseconds per object on Node 20).
  const analysis: Partial<StatementAnalysis> = { index: statement.index };
  if (statement.sid) analysis.sid = statement.sid;
  analysis.effect = statement.effect;
  analysis.principals = principals;
  analysis.conditions = conditions;
  analysis.notes = notes;
  if (labels?.s3Label) analysis.s3Label = labels.s3Label;
  if (labels?.unpinnedServices) analysis.unpinnedServices = labels.unpinnedServices;
  analysis.status = status;
  analysis.offending = OFFENDING.has(status);
  analysis.reason = notes.length > 0 ? `${reason} [${notes.join('; ')}]` : reason;
  return analysis as StatementAnalysis;
}

function denied(statement: Statement, context: ZoneContext): StatementAnalysis | undefined {
  if (statement.effect !== 'Deny') return undefined;
  const parts = {
    statement,
    principals: principalsOf(statement, context),
    conditions: conditionsOf(statement, context),
  };
  return finish(parts, 'deny', 'a Deny statement never grants access');
}

/** Accounts of the zone the document names, in principals or conditions. */
function namedZoneAccounts(statements: StatementAnalysis[], context: ZoneContext): string[] {
  const accounts = new Set<string>();
  for (const statement of statements) {
    for (const principal of statement.principals) {
      if (principal.account && inZone(principal.account, context)) accounts.add(principal.account);
    }
    for (const condition of statement.conditions) {
      for (const value of condition.values) {
        const account = ACCOUNT_ID.test(value) ? value : parseArn(value)?.account;
        if (account && ACCOUNT_ID.test(account) && inZone(account, context)) accounts.add(account);
      }
    }
  }
  return [...accounts].sort();
}

function analysis(statements: StatementAnalysis[], context: ZoneContext): PolicyAnalysis {
  return {
    verdict: statements.some((statement) => statement.offending) ? 'violation' : 'compliant',
    statements,
    zoneAccounts: namedZoneAccounts(statements, context),
  };
}

/**
 * One statement of a resource policy (bucket policy) in S3's terms: public when an Allow grants to
 * anyone and no condition limits it to fixed values of a key on S3's list; otherwise outside the
 * trust zone when it grants a principal outside the zone that no condition pins to the zone.
 */
export function analyzeResourceStatement(
  statement: Statement,
  context: ZoneContext,
  options: BucketPolicyOptions = {},
): StatementAnalysis {
  const deny = denied(statement, context);
  if (deny) return deny;
  const principals = principalsOf(statement, context);
  const conditions = conditionsOf(statement, context);
  const parts = { statement, principals, conditions };
  const anonymous = principals.filter((p) => p.scope === 'anonymous');
  const restricting = conditions.filter((c) => c.restrictsPublic);
  if (anonymous.length > 0 && restricting.length === 0) {
    const callerPins = conditions.filter(
      (c) =>
        CALLER_IDENTITY_KEYS.has(c.key.toLowerCase()) &&
        (c.pin?.scope === 'trust-zone' || c.pin?.scope === 'outside'),
    );
    if (callerPins.length > 0) {
      // Effective access decides: the conditions are ANDed, so one pin to the zone keeps every
      // caller inside; otherwise the fixed identities are outside. S3's label is reported beside.
      const s3 = `S3 itself labels this statement public (${describePins(callerPins)} is not on S3's list of keys that make a grant non-public, so Block Public Access refuses it)`;
      const inside = callerPins.filter((c) => c.pin?.scope === 'trust-zone');
      const labels = { s3Label: 'public' } as const;
      return inside.length > 0
        ? finish(
            parts,
            'trust-zone',
            `${list(anonymous)} is limited to fixed identities inside the trust zone by ${describePins(inside)}: effective access stays in the zone; ${s3}`,
            labels,
          )
        : finish(
            parts,
            'outside-trust-zone',
            `${list(anonymous)} is limited to fixed identities outside the trust zone by ${describePins(callerPins)} (${callerPins.map((c) => c.reason).join('; ')}); ${s3}`,
            labels,
          );
    }
    return finish(
      parts,
      'public',
      `public: ${list(anonymous)} grants to anyone (${anonymous.map((p) => p.reason).join('; ')}), and no condition limits it to fixed values of a key S3 accepts (${conditionSummary(conditions)})`,
    );
  }
  const unpinned = principals.filter(
    (p) => p.scope === 'anonymous' || p.scope === 'outside' || p.scope === 'service',
  );
  if (unpinned.length === 0) {
    if (principals.every((p) => p.scope === 'nobody')) {
      return finish(parts, 'grants-nobody', `grants nobody: ${principals.map((p) => p.reason).join('; ')}`);
    }
    return finish(
      parts,
      'trust-zone',
      `grants only principals inside the trust zone (${principals.map((p) => p.reason).join('; ')})`,
    );
  }
  const zonePins = conditions.filter((c) => c.pin?.axis === 'identity' && c.pin.scope === 'trust-zone');
  if (zonePins.length > 0) {
    return finish(
      parts,
      'trust-zone',
      `${list(unpinned)} is pinned to the trust zone by ${zonePins.map((c) => `${c.key} (${c.values.join(', ')})`).join(', ')}`,
    );
  }
  const networkPins = conditions.filter((c) => c.pin?.axis === 'network');
  if (options.networkConditionsPin && networkPins.length > 0) {
    return finish(
      parts,
      'trust-zone',
      `${list(unpinned)} is limited to the network ${networkPins.map((c) => `${c.key} (${c.values.join(', ')})`).join(', ')}, trusted by networkConditionsPin`,
    );
  }
  const services = unpinned.filter((p) => p.scope === 'service').map((p) => p.value);
  return finish(
    parts,
    'outside-trust-zone',
    `grants ${list(unpinned)} outside the trust zone (${unpinned.map((p) => p.reason).join('; ')}), and no condition pins it to the trust zone (${conditionSummary(conditions)})`,
    services.length > 0 ? { unpinnedServices: services } : undefined,
  );
}

/** Every statement of a bucket policy (or any resource policy) in S3's terms. */
export function analyzeBucketPolicy(
  policy: PolicyDocument,
  context: ZoneContext,
  options: BucketPolicyOptions = {},
): PolicyAnalysis {
  return analysis(
    policy.statements.map((statement) => analyzeResourceStatement(statement, context, options)),
    context,
  );
}

/** A resource value that reaches any account's resources: "*", or an ARN whose owner part is not fixed. */
export function isOpenResource(resource: string): boolean {
  if (resource === '*' || hasPolicyVariable(resource)) return true;
  const arn = parseArn(resource);
  if (!arn) return hasWildcard(resource);
  if (arn.account !== '') return !isFixed(arn.account);
  // No account in the ARN (S3 buckets, …): the first segment (the bucket) must be fixed.
  const head = arn.resource.split('/')[0] ?? '';
  return !isFixed(head) || (arn.service !== 's3' && hasWildcard(arn.resource));
}

function resourceInZone(resource: string, context: ZoneContext): boolean {
  const arn = parseArn(resource);
  return arn !== undefined && ACCOUNT_ID.test(arn.account) && inZone(arn.account, context);
}

/**
 * One statement of a VPC endpoint policy. Violations: an Allow naming a principal outside the zone;
 * an Allow open on both axes (any principal and any resource); with a stricter configured
 * perimeter, an Allow without the identity and/or resource perimeter.
 */
export function analyzeEndpointStatement(
  statement: Statement,
  context: ZoneContext,
  options: EndpointPolicyOptions = {},
): StatementAnalysis {
  const deny = denied(statement, context);
  if (deny) return deny;
  const principals = principalsOf(statement, context);
  const conditions = conditionsOf(statement, context);
  const parts = { statement, principals, conditions };
  // An organization pin with no organization known cannot be judged inside: it closes nothing.
  const unjudged = conditions.filter(unknownOrganizationPin);
  const identityPins = conditions.filter((c) => c.pin?.axis === 'identity' && !unknownOrganizationPin(c));
  const identityZonePins = identityPins.filter(
    (c) => c.pin?.scope === 'trust-zone' || c.pin?.scope === 'aws-service',
  );
  const identityOutsidePins = identityPins.filter((c) => c.pin?.scope === 'outside');
  const resourcePins = conditions.filter((c) => c.pin?.axis === 'resource');
  const resourceZonePins = resourcePins.filter((c) => c.pin?.scope === 'trust-zone');
  const awsServiceOnly = identityPins.some((c) => c.pin?.scope === 'aws-service');
  const unjudgedNote =
    unjudged.length > 0
      ? `; ${describePins(unjudged)} cannot be judged inside: the organization of the trust zone is not known (set organizationId)`
      : '';

  const namedOutside = principals.filter((p) => p.scope === 'outside' || p.scope === 'service');
  if (namedOutside.length > 0 && identityZonePins.length === 0) {
    return finish(
      parts,
      'outside-trust-zone',
      `names ${list(namedOutside)} outside the trust zone (${namedOutside.map((p) => p.reason).join('; ')})`,
    );
  }
  const anyPrincipal = principals.some((p) => p.scope === 'anonymous');
  if (anyPrincipal && identityZonePins.length === 0 && identityOutsidePins.length > 0) {
    // As in bucket policies: fixed callers outside the zone are outside, whatever the resources.
    return finish(
      parts,
      'outside-trust-zone',
      `${list(principals.filter((p) => p.scope === 'anonymous'))} is limited to callers outside the trust zone by ${describePins(identityOutsidePins)} (${identityOutsidePins.map((c) => c.reason).join('; ')})`,
    );
  }
  const resources = statement.resources ?? ['*'];
  const openResources = statement.notResources
    ? [`every resource except ${statement.notResources.join(', ')} (NotResource)`]
    : resources.filter(isOpenResource);
  const principalAxisOpen = anyPrincipal && identityPins.length === 0;
  const resourceAxisOpen = openResources.length > 0 && resourcePins.length === 0;
  if (principalAxisOpen && resourceAxisOpen) {
    return finish(
      parts,
      'open',
      `open on both axes: ${list(principals.filter((p) => p.scope === 'anonymous'))} with no aws:PrincipalOrgID / aws:PrincipalAccount / aws:PrincipalIsAWSService pin, on ${openResources.join(', ')} with no aws:ResourceOrgID / aws:ResourceAccount pin (${conditionSummary(conditions)})${unjudgedNote}`,
    );
  }
  const requirement = options.requirePerimeter ?? 'none';
  const missing: string[] = [];
  if (requirement === 'identity' || requirement === 'both') {
    const named = !anyPrincipal && principals.every((p) => p.scope === 'trust-zone' || p.scope === 'nobody');
    if (!named && identityZonePins.length === 0) {
      missing.push(
        `identity perimeter: callers are not limited to the trust zone (${identityPins.length > 0 ? describePins(identityPins) : 'no aws:PrincipalOrgID / aws:PrincipalAccount / aws:PrincipalIsAWSService condition'})`,
      );
    }
  }
  if (requirement === 'resource' || requirement === 'both') {
    const named = !statement.notResources && resources.every((resource) => resourceInZone(resource, context));
    if (!named && resourceZonePins.length === 0 && !awsServiceOnly) {
      missing.push(
        `resource perimeter: resources are not limited to the trust zone (${resourcePins.length > 0 ? describePins(resourcePins) : 'no aws:ResourceOrgID / aws:ResourceAccount condition'})`,
      );
    }
  }
  if (missing.length > 0) {
    return finish(parts, 'missing-perimeter', `requirePerimeter = ${requirement}, but ${missing.join('; ')}`);
  }
  const why: string[] = [];
  if (!principalAxisOpen) {
    why.push(
      anyPrincipal
        ? `callers limited by ${describePins(identityPins)}`
        : `principals named: ${principals.map((p) => p.reason).join('; ')}`,
    );
  }
  if (!resourceAxisOpen) {
    why.push(
      openResources.length === 0
        ? `resources limited to ${resources.join(', ')}`
        : `resources limited by ${describePins(resourcePins)}`,
    );
  }
  return finish(parts, 'trust-zone', why.join('; '));
}

export function analyzeEndpointPolicy(
  policy: PolicyDocument,
  context: ZoneContext,
  options: EndpointPolicyOptions = {},
): PolicyAnalysis {
  return analysis(
    policy.statements.map((statement) => analyzeEndpointStatement(statement, context, options)),
    context,
  );
}

/** The policy AWS attaches when an endpoint is created without one, or reset (full access). */
export const AWS_DEFAULT_ENDPOINT_POLICY = {
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
} as const;

export interface AllowedPrincipalFinding {
  index: number;
  principal: string;
  scope: 'anonymous' | 'trust-zone' | 'outside';
  offending: boolean;
  reason: string;
}

/**
 * The allowed principals of a VPC endpoint service (ARNs, or "*"): which may connect from outside
 * the trust zone. Organization and OU ARNs are inside when they name the zone's organization.
 */
export function analyzeAllowedPrincipals(
  principals: readonly string[],
  context: ZoneContext,
): AllowedPrincipalFinding[] {
  return principals.map((principal, index) => {
    const finding = (scope: AllowedPrincipalFinding['scope'], reason: string): AllowedPrincipalFinding => ({
      index,
      principal,
      scope,
      offending: scope !== 'trust-zone',
      reason,
    });
    if (principal === '*') return finding('anonymous', '"*" lets every AWS account connect');
    if (hasWildcard(principal) || hasPolicyVariable(principal)) {
      return finding('anonymous', `${principal} is not a fixed principal: treated as every account`);
    }
    const arn = parseArn(principal);
    if (arn?.service === 'organizations') {
      const org = context.trustZone.organizationId;
      const id = /(?:organization|ou)\/(o-[a-z0-9]+)/.exec(arn.resource)?.[1];
      if (!id) return finding('outside', `${principal} names no organization`);
      if (!org)
        return finding(
          'outside',
          `${principal}: the organization of the trust zone is not known (set organizationId)`,
        );
      return id === org
        ? finding('trust-zone', `${principal} is inside the organization ${org}`)
        : finding('outside', `${principal} belongs to organization ${id}, not ${org}`);
    }
    const verdict = classifyPrincipal({ type: 'AWS', value: principal }, context);
    if (verdict.scope === 'trust-zone') return finding('trust-zone', verdict.reason);
    if (verdict.scope === 'anonymous') return finding('anonymous', verdict.reason);
    return finding('outside', verdict.reason);
  });
}
