import type { Config } from '../config';
import type { Change } from '../events/change';
import { toStr } from '../events/ec2-sets';
import type { Operation, PolicyStatementRef, Target, ZoneSnapshot } from '../operations';
import { analyzeBucketPolicy, type PolicyAnalysis, type StatementAnalysis } from '../policy/analyze';
import {
  type PolicyDocument,
  parsePolicy,
  policyWithStatements,
  type Statement,
  statementFingerprint,
} from '../policy/document';
import { serviceIntegration } from '../policy/integrations';
import type { ZoneContext } from '../policy/principals';
import type { OrganizationInfo, TrustZone } from '../trust-zone';
import type { Offense, ResourceRef, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail } from './guardrail';
import { unreadablePolicyVerdict } from './unreadable-policy';

export const BUCKET_POLICY_SNAPSHOT = 'bucket-policy';

export function bucketRef(bucket: string): ResourceRef {
  return { type: 'AWS::S3::Bucket', id: bucket, arn: `arn:aws:s3:::${bucket}` };
}

/** Who is inside for a bucket of `owner`: the trust zone, the owner, and the rule's trusted principals. */
export function bucketZone(config: Config, trustZone: TrustZone, owner: string): ZoneContext {
  return {
    trustZone,
    owner,
    trustedPrincipals: config.rules['s3-bucket-policy'].trustedPrincipals,
  };
}

/**
 * The trust zone a revert re-checks with: the operation's snapshot of it, config, and the
 * organization's accounts when the executor can read them.
 */
export function zoneOfOperation(
  zone: ZoneSnapshot,
  config: Config,
  organization?: OrganizationInfo,
): TrustZone {
  const organizationId = zone.organizationId ?? config.organizationId ?? organization?.organizationId;
  return {
    ...(organizationId ? { organizationId } : {}),
    accounts: new Set([...zone.accounts, ...config.trustedAccounts, ...(organization?.accounts ?? [])]),
  };
}

export function analyzeBucketPolicyWith(
  policy: PolicyDocument,
  zone: ZoneContext,
  config: Config,
): PolicyAnalysis {
  return analyzeBucketPolicy(policy, zone, {
    networkConditionsPin: config.rules['s3-bucket-policy'].networkConditionsPin,
  });
}

export function statementLabel(statement: Pick<StatementAnalysis, 'index' | 'sid'>): string {
  return statement.sid ? `Statement[${statement.index}] "${statement.sid}"` : `Statement[${statement.index}]`;
}

export function statementRef(statement: Statement): PolicyStatementRef {
  return {
    index: statement.index,
    ...(statement.sid ? { sid: statement.sid } : {}),
    fingerprint: statementFingerprint(statement.source),
  };
}

/** CloudTrail carries the new policy as an object in most records and as a JSON string in some. */
export function policyOfRequest(request: Record<string, unknown>): unknown {
  return request.bucketPolicy ?? request.policy;
}

function remediation(
  target: Target,
  bucket: string,
  policy: PolicyDocument,
  offending: Statement[],
  zone: ZoneSnapshot,
  config: Config,
): Operation {
  const keep = policy.statements.filter((statement) => !offending.includes(statement));
  const common = {
    target,
    remove: offending.map(statementRef),
    restore: config.rules['s3-bucket-policy'].restore,
    zone,
  };
  if (keep.length === 0) {
    return { service: 's3', operation: 'DeleteBucketPolicy', input: { Bucket: bucket }, ...common };
  }
  return {
    service: 's3',
    operation: 'PutBucketPolicy',
    input: { Bucket: bucket, Policy: JSON.stringify(policyWithStatements(policy, keep)) },
    ...common,
  };
}

/** Compliant only by effective access: why, with S3's own label (see analyze.ts s3Label). */
function effectiveAccessNote(analysis: PolicyAnalysis): string {
  const labelled = analysis.statements.filter((statement) => statement.s3Label === 'public');
  return labelled.map((statement) => `; ${statementLabel(statement)}: ${statement.reason}`).join('');
}

/** S3's own "public" label where it differs from the effective reading (see analyze.ts s3Label). */
function s3LabelNote(analysis: PolicyAnalysis): string {
  const labelled = analysis.statements.filter((statement) => statement.s3Label === 'public');
  if (labelled.length === 0) return '';
  return ` (S3 itself labels ${labelled.map(statementLabel).join(', ')} public: Block Public Access refuses it)`;
}

/**
 * Offending statements that are alerted on but never removed, and what to do instead:
 * - a grant to an AWS service principal without a source pin (confused deputy): the exact
 *   condition to add;
 * - a statement that serves a known AWS service integration (log delivery, replication,
 *   inventory): removing it would cut the integration.
 */
export function keptInPlace(
  analysis: StatementAnalysis,
  statement: Statement | undefined,
  owner: string,
  trustZone: TrustZone,
): { why: string; advice: string } | undefined {
  if (!statement || analysis.status === 'public') return undefined;
  const integration = serviceIntegration(statement);
  const services = analysis.unpinnedServices ?? [];
  if (
    services.length > 0 &&
    analysis.principals.every((p) => p.scope === 'service' || p.scope === 'trust-zone')
  ) {
    const condition = trustZone.organizationId
      ? `"Condition": {"StringEquals": {"aws:SourceOrgID": "${trustZone.organizationId}"}}`
      : `"Condition": {"StringEquals": {"aws:SourceAccount": "${owner}"}}`;
    const cut = integration
      ? `removing it would cut ${integration}`
      : `removing it would cut what ${services.join(', ')} delivers`;
    return {
      why: `a grant to ${services.join(', ')} without a source pin is a confused-deputy risk, not removed (${cut})`,
      advice: `Not removed (${cut}): add ${condition} to the statement (or aws:SourceArn naming the exact source), so that ${services.join(', ')} acts only for the trust zone`,
    };
  }
  if (integration) {
    return {
      why: `removing it would cut ${integration}`,
      advice: `Not removed: removing it would cut ${integration}; narrow it to the trust zone instead`,
    };
  }
  return undefined;
}

export const s3BucketPolicy: Guardrail = {
  id: 's3-bucket-policy',
  title: 'Bucket policy public or granting outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
  rationale:
    'A bucket policy is the one place where data leaves the organization without any identity policy of yours being involved: a public statement serves objects to the internet, a grant to another account hands them to whoever runs that account.',
  docs: {
    violation:
      'An Allow statement that is public by S3\'s own definition (critical), or that grants a principal outside the trust zone — an account outside the organization and `trustedAccounts`, a service principal not pinned by `aws:SourceAccount` / `aws:SourceArn` / `aws:SourceOrgID`, a CloudFront OAI or canonical user not in `trustedPrincipals` — with no condition pinning it to the trust zone (high). Effective access decides: `"Principal": "*"` limited by fixed `aws:PrincipalArn` / `aws:PrincipalAccount` values inside the zone is compliant, and S3\'s own "public" label is reported beside it; the access point delegation pattern is not public. See "Policy analysis" below for the exact reading of principals and conditions. A successful record whose `requestParameters` is null or absent (truncated or redacted) is reported as an unreadable record, not applicable, with that reason; the sweep re-checks the live policy.',
    revert:
      'PutBucketPolicy without exactly the offending statements (the others keep their Sids and order); DeleteBucketPolicy when none remain. Never removed, alerted instead with the reason: a grant to an AWS service principal without a source pin (the alert names the exact condition to add) and a statement that serves log delivery, S3 Inventory / analytics export or replication (removing it would cut the integration); when nothing else offends, the decision is alert. With `restore: last-known-good`, the last policy seen compliant is put back instead when one is known. The executor re-reads the live policy first, removes only referenced statements that still offend, and reads it back to verify.',
  },
  triggers: [{ eventSource: 's3.amazonaws.com', eventNames: ['PutBucketPolicy'] }],
  evaluate(change: Change, { config, trustZone }): Verdict {
    if (change.requestMissing) {
      return {
        kind: 'not-applicable',
        summary:
          'unreadable record: requestParameters is missing (null or absent), so neither the bucket nor its new policy can be read; the sweep re-checks live bucket policies',
      };
    }
    const bucket = toStr(change.request.bucketName);
    if (!bucket) return { kind: 'not-applicable', summary: 'the record names no bucket (bucketName)' };
    const resource = bucketRef(bucket);
    const raw = policyOfRequest(change.request);
    if (raw === undefined || raw === null) {
      return {
        kind: 'not-applicable',
        summary: `the record carries no policy for ${bucket}; the sweep re-checks live state`,
      };
    }
    const parsed = parsePolicy(raw);
    if (!parsed.ok) {
      return unreadablePolicyVerdict(resource, `the new policy of ${bucket}`, parsed.reason);
    }
    const { policy } = parsed;
    const zone = bucketZone(config, trustZone, change.account);
    const analysis = analyzeBucketPolicyWith(policy, zone, config);
    const offendingAnalyses = analysis.statements.filter((statement) => statement.offending);
    if (offendingAnalyses.length === 0) {
      return {
        kind: 'compliant',
        resource,
        summary: `${policy.statements.length} statement(s) on ${bucket}: none public, none granting outside the trust zone${effectiveAccessNote(analysis)}`,
        snapshot: {
          resourceId: bucket,
          kind: BUCKET_POLICY_SNAPSHOT,
          document: JSON.stringify(policy.source),
        },
      };
    }
    const {
      offenses,
      offending,
      kept,
      zone: snapshotOfZone,
      parts,
      notReverted,
    } = offendingStatements(analysis, policy, change.account, trustZone);
    const target = { account: change.account, region: change.region };
    return {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `bucket policy of ${bucket}: ${parts.join(', ')} (of ${policy.statements.length} statement(s))${kept.size > 0 ? `; ${kept.size} left in place to alert on` : ''}${s3LabelNote(analysis)}`,
      offenses,
      remediation:
        offending.length > 0 ? [remediation(target, bucket, policy, offending, snapshotOfZone, config)] : [],
      ...(notReverted ? { notReverted } : {}),
    };
  },
};

/** The offending statements of an S3 policy (bucket or access point) as its verdict reports them. */
export interface OffendingStatements {
  offenses: Offense[];
  /** The statements the revert removes: offending and not kept in place. */
  offending: Statement[];
  /** Statement index → why it is left in place to alert on. */
  kept: Map<number, string>;
  zone: ZoneSnapshot;
  /** "n public", "m granting outside the trust zone", for the summary. */
  parts: string[];
  notReverted: string;
}

/**
 * One reading of an analysis that found offending statements: an offense per statement (critical
 * when public), the statements kept in place (see `keptInPlace`) and the ones a revert removes.
 */
export function offendingStatements(
  analysis: PolicyAnalysis,
  policy: PolicyDocument,
  owner: string,
  trustZone: TrustZone,
): OffendingStatements {
  const offendingAnalyses = analysis.statements.filter((statement) => statement.offending);
  const kept = new Map<number, string>();
  const offenses: Offense[] = offendingAnalyses.map((statement) => {
    const label = statementLabel(statement);
    const keep = keptInPlace(statement, policy.statements[statement.index], owner, trustZone);
    if (keep) kept.set(statement.index, `${label}: ${keep.why}`);
    return {
      id: statement.sid ?? `Statement[${statement.index}]`,
      severity: statement.status === 'public' ? 'critical' : 'high',
      reason: keep ? `${label} ${statement.reason}. ${keep.advice}` : `${label} ${statement.reason}`,
      remediable: keep === undefined,
    };
  });
  const offending = policy.statements.filter(
    (statement) =>
      !kept.has(statement.index) && offendingAnalyses.some((found) => found.index === statement.index),
  );
  const zone: ZoneSnapshot = {
    ...(trustZone.organizationId ? { organizationId: trustZone.organizationId } : {}),
    accounts: analysis.zoneAccounts,
  };
  const publicCount = offendingAnalyses.filter((statement) => statement.status === 'public').length;
  const outsideCount = offendingAnalyses.length - publicCount;
  const parts = [
    ...(publicCount > 0 ? [`${publicCount} public`] : []),
    ...(outsideCount > 0 ? [`${outsideCount} granting outside the trust zone`] : []),
  ];
  return { offenses, offending, kept, zone, parts, notReverted: [...kept.values()].join('; ') };
}

/**
 * The statements of a (live) policy that the refs point at: same canonical content, else the same
 * Sid. Each statement matches at most one ref.
 */
export function matchStatements(
  statements: readonly Statement[],
  refs: readonly PolicyStatementRef[],
): Statement[] {
  const matched = new Set<Statement>();
  for (const ref of refs) {
    const free = statements.filter((statement) => !matched.has(statement));
    const found =
      free.find((statement) => statementFingerprint(statement.source) === ref.fingerprint) ??
      (ref.sid ? free.find((statement) => statement.sid === ref.sid) : undefined);
    if (found) matched.add(found);
  }
  return statements.filter((statement) => matched.has(statement));
}
