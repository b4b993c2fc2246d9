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

export const s3BucketPolicy: Guardrail = {
  id: 's3-bucket-policy',
  title: 'Bucket policy public or granting outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
  rationale:
    'A bucket policy is the one place where data leaves the organization without any identity policy of yours being involved: a public statement serves objects to the internet, a grant to another account hands them to whoever runs that account.',
  docs: {
    violation:
      'An Allow statement that is public by S3\'s own definition (critical), or that grants a principal outside the trust zone — an account outside the organization and `trustedAccounts`, a service principal not pinned by `aws:SourceAccount` / `aws:SourceArn` / `aws:SourceOrgID`, a CloudFront OAI or canonical user not in `trustedPrincipals` — with no condition pinning it to the trust zone (high). See "Policy analysis" below for the exact reading of principals and conditions.',
    revert:
      'PutBucketPolicy without exactly the offending statements (the others keep their Sids and order); DeleteBucketPolicy when none remain. With `restore: last-known-good`, the last policy seen compliant is put back instead when one is known. The executor re-reads the live policy first, removes only referenced statements that still offend, and reads it back to verify.',
  },
  triggers: [{ eventSource: 's3.amazonaws.com', eventNames: ['PutBucketPolicy'] }],
  evaluate(change: Change, { config, trustZone }): Verdict {
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
        summary: `${policy.statements.length} statement(s) on ${bucket}: none public, none granting outside the trust zone`,
        snapshot: {
          resourceId: bucket,
          kind: BUCKET_POLICY_SNAPSHOT,
          document: JSON.stringify(policy.source),
        },
      };
    }
    const offenses: Offense[] = offendingAnalyses.map((statement) => ({
      id: statement.sid ?? `Statement[${statement.index}]`,
      severity: statement.status === 'public' ? 'critical' : 'high',
      reason: `${statementLabel(statement)} ${statement.reason}`,
      remediable: true,
    }));
    const offending = policy.statements.filter((statement) =>
      offendingAnalyses.some((analysisOf) => analysisOf.index === statement.index),
    );
    const target = { account: change.account, region: change.region };
    const snapshotOfZone: ZoneSnapshot = {
      ...(trustZone.organizationId ? { organizationId: trustZone.organizationId } : {}),
      accounts: analysis.zoneAccounts,
    };
    const publicCount = offendingAnalyses.filter((statement) => statement.status === 'public').length;
    const outsideCount = offendingAnalyses.length - publicCount;
    const parts = [
      ...(publicCount > 0 ? [`${publicCount} public`] : []),
      ...(outsideCount > 0 ? [`${outsideCount} granting outside the trust zone`] : []),
    ];
    return {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `bucket policy of ${bucket}: ${parts.join(', ')} (of ${policy.statements.length} statement(s))`,
      offenses,
      remediation: [remediation(target, bucket, policy, offending, snapshotOfZone, config)],
    };
  },
};

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
