import type { Config } from '../config';
import type { Change } from '../events/change';
import { toStr } from '../events/ec2-sets';
import type { Operation, Target, ZoneSnapshot } from '../operations';
import type { PolicyAnalysis } from '../policy/analyze';
import { type PolicyDocument, parsePolicy, policyWithStatements, type Statement } from '../policy/document';
import { offendingStatements } from '../policy/offending';
import { analyzeBucketPolicyWith, bucketZone } from '../policy/readings';
import { statementLabel, statementRef } from '../policy/statements';
import { unreadablePolicyVerdict } from '../policy/unreadable';
import { bucketRef } from '../resource-refs';
import type { Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

export const BUCKET_POLICY_SNAPSHOT = 'bucket-policy';

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
  const remove = offending.map(statementRef);
  const { restore } = config.rules['s3-bucket-policy'];
  // Built whole, keys in their output order: a literal ending in a spread takes V8's slow path.
  if (keep.length === 0) {
    return {
      service: 's3',
      operation: 'DeleteBucketPolicy',
      input: { Bucket: bucket },
      target,
      remove,
      restore,
      zone,
    };
  }
  return {
    service: 's3',
    operation: 'PutBucketPolicy',
    input: { Bucket: bucket, Policy: JSON.stringify(policyWithStatements(policy, keep)) },
    target,
    remove,
    restore,
    zone,
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

export const s3BucketPolicy: Guardrail = {
  id: 's3-bucket-policy',
  title: 'Bucket policy public or granting outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
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
    const violation: Verdict = {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `bucket policy of ${bucket}: ${parts.join(', ')} (of ${policy.statements.length} statement(s))${kept.size > 0 ? `; ${kept.size} left in place to alert on` : ''}${s3LabelNote(analysis)}`,
      offenses,
      remediation:
        offending.length > 0 ? [remediation(target, bucket, policy, offending, snapshotOfZone, config)] : [],
    };
    // Assigned, not spread in: a literal with a spread takes V8's slow path on Node 20.
    if (notReverted) violation.notReverted = notReverted;
    return violation;
  },
};

/** What RULES.md says of `s3BucketPolicy` (`npm run rules:docs`; the functions do not ship it). */
export const s3BucketPolicyDocs: GuardrailDocs = {
  rationale:
    'A bucket policy is the one place where data leaves the organization without any identity policy of yours being involved: a public statement serves objects to the internet, a grant to another account hands them to whoever runs that account.',
  violation:
    'An Allow statement that is public by S3\'s own definition (critical), or that grants a principal outside the trust zone — an account outside the organization and `trustedAccounts`, a service principal not pinned by `aws:SourceAccount` / `aws:SourceArn` / `aws:SourceOrgID`, a CloudFront OAI or canonical user not in `trustedPrincipals` — with no condition pinning it to the trust zone (high). Effective access decides: `"Principal": "*"` limited by fixed `aws:PrincipalArn` / `aws:PrincipalAccount` values inside the zone is compliant, and S3\'s own "public" label is reported beside it; the access point delegation pattern is not public. See "Policy analysis" below for the exact reading of principals and conditions. A successful record whose `requestParameters` is null or absent (truncated or redacted) is reported as an unreadable record, not applicable, with that reason; the sweep re-checks the live policy.',
  revert:
    'PutBucketPolicy without exactly the offending statements (the others keep their Sids and order); DeleteBucketPolicy when none remain. Never removed, alerted instead with the reason: a grant to an AWS service principal without a source pin (the alert names the exact condition to add) and a statement that serves log delivery, S3 Inventory / analytics export or replication (removing it would cut the integration); when nothing else offends, the decision is alert. With `restore: last-known-good`, the last policy seen compliant is put back instead when one is known. The executor re-reads the live policy first, removes only referenced statements that still offend, and reads it back to verify.',
};
