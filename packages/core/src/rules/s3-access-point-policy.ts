import type { Config } from '../config';
import type { Change } from '../events/change';
import { toStr } from '../events/ec2-sets';
import type { Operation, Target, ZoneSnapshot } from '../operations';
import type { PolicyAnalysis } from '../policy/analyze';
import { type PolicyDocument, parsePolicy, policyWithStatements, type Statement } from '../policy/document';
import { offendingStatements } from '../policy/offending';
import { parseArn } from '../policy/principals';
import { analyzeBucketPolicyWith, bucketZone } from '../policy/readings';
import { statementRef } from '../policy/statements';
import { unreadablePolicyVerdict } from '../policy/unreadable';
import type { TrustZone } from '../trust-zone';
import type { ResourceRef, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

export const S3_ACCESS_POINT_POLICY_RULE = 's3-access-point-policy';

export function accessPointRef(account: string, region: string, name: string): ResourceRef {
  return {
    type: 'AWS::S3::AccessPoint',
    id: name,
    arn: `arn:aws:s3:${region}:${account}:accesspoint/${name}`,
  };
}

/**
 * The access point a PutAccessPointPolicy names: `name` is its name, or (S3 on Outposts and SDKs
 * that pass an ARN) its ARN, whose account must then be the record's own.
 */
function accessPointName(request: Record<string, unknown>, account: string): string | undefined {
  const name = toStr(request.name) ?? toStr(request.Name);
  if (!name?.startsWith('arn:')) return name;
  const arn = parseArn(name);
  if (!arn || arn.account !== account || !arn.resource.startsWith('accesspoint/')) return undefined;
  return arn.resource.slice('accesspoint/'.length) || undefined;
}

/**
 * S3 Control sends the policy in an XML body whose root is `PutAccessPointPolicyRequest`, and
 * CloudTrail keys S3 Control bodies by that root element (as it records
 * `requestParameters.PublicAccessBlockConfiguration` and `requestParameters.CreateAccessPointRequest`);
 * a flat `policy` is read too, as the sweep and hand-built records carry it.
 */
export function accessPointPolicyOfRequest(request: Record<string, unknown>): unknown {
  const body = request.PutAccessPointPolicyRequest;
  if (body && typeof body === 'object') {
    const fields = body as Record<string, unknown>;
    return fields.Policy ?? fields.policy;
  }
  return request.policy ?? request.Policy;
}

function remediation(
  target: Target,
  name: string,
  policy: PolicyDocument,
  offending: Statement[],
  zone: ZoneSnapshot,
): Operation {
  const keep = policy.statements.filter((statement) => !offending.includes(statement));
  const common = { target, remove: offending.map(statementRef), zone };
  if (keep.length === 0) {
    return {
      service: 's3control',
      operation: 'DeleteAccessPointPolicy',
      input: { AccountId: target.account, Name: name },
      ...common,
    };
  }
  return {
    service: 's3control',
    operation: 'PutAccessPointPolicy',
    input: {
      AccountId: target.account,
      Name: name,
      Policy: JSON.stringify(policyWithStatements(policy, keep)),
    },
    ...common,
  };
}

/** The access point's policy read like a bucket policy: who it lets in, statement by statement. */
export function analyzeAccessPointPolicy(
  policy: PolicyDocument,
  config: Config,
  trustZone: TrustZone,
  owner: string,
): PolicyAnalysis {
  return analyzeBucketPolicyWith(policy, bucketZone(config, trustZone, owner), config);
}

export const s3AccessPointPolicy: Guardrail = {
  id: S3_ACCESS_POINT_POLICY_RULE,
  title: 'Access point policy public or granting outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    { eventSource: 's3.amazonaws.com', eventNames: ['PutAccessPointPolicy'] },
    // S3 Control calls go to the s3-control endpoint; watched under that source as well.
    { eventSource: 's3control.amazonaws.com', eventNames: ['PutAccessPointPolicy'] },
  ],
  evaluate(change: Change, { config, trustZone }): Verdict {
    const name = accessPointName(change.request, change.account);
    if (!name) {
      return {
        kind: 'not-applicable',
        summary: `the record names no access point of account ${change.account} (name)`,
      };
    }
    const resource = accessPointRef(change.account, change.region, name);
    const raw = accessPointPolicyOfRequest(change.request);
    if (raw === undefined || raw === null) {
      return {
        kind: 'not-applicable',
        summary: `the record carries no policy for access point ${name} (unreadable record); the sweep re-checks live state`,
      };
    }
    const parsed = parsePolicy(raw);
    if (!parsed.ok) {
      return unreadablePolicyVerdict(resource, `the new policy of access point ${name}`, parsed.reason);
    }
    const { policy } = parsed;
    const analysis = analyzeAccessPointPolicy(policy, config, trustZone, change.account);
    const offendingAnalyses = analysis.statements.filter((statement) => statement.offending);
    if (offendingAnalyses.length === 0) {
      return {
        kind: 'compliant',
        resource,
        summary: `${policy.statements.length} statement(s) on access point ${name}: none public, none granting outside the trust zone`,
      };
    }
    const { offenses, offending, kept, zone, parts, notReverted } = offendingStatements(
      analysis,
      policy,
      change.account,
      trustZone,
    );
    const target = { account: change.account, region: change.region };
    return {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `policy of access point ${name}: ${parts.join(', ')} (of ${policy.statements.length} statement(s))${kept.size > 0 ? `; ${kept.size} left in place to alert on` : ''}`,
      offenses,
      remediation: offending.length > 0 ? [remediation(target, name, policy, offending, zone)] : [],
      ...(notReverted ? { notReverted } : {}),
    };
  },
};

/** What RULES.md says of `s3AccessPointPolicy` (`npm run rules:docs`; the functions do not ship it). */
export const s3AccessPointPolicyDocs: GuardrailDocs = {
  rationale:
    "A bucket that delegates access control to its access points (the S3 guide's delegation pattern, which s3-bucket-policy counts as not public) lets each access point's own policy decide who reads and writes its data: an access point policy open to anyone or to another account is the same door as a bucket policy, one level down.",
  violation:
    "The s3-bucket-policy reading, applied to the policy of an S3 access point (PutAccessPointPolicy, S3 Control): an Allow statement that is public by S3's own definition (critical), or that grants a principal outside the trust zone with no condition pinning it to the zone (high). Effective access decides as for bucket policies, with the same `trustedPrincipals` and `networkConditionsPin` (from `rules.s3-bucket-policy`). A statement granting an AWS service principal without a source pin is alerted on with the condition to add, never removed. Object Lambda access points and Multi-Region Access Points are not judged.",
  revert:
    'PutAccessPointPolicy without exactly the offending statements (the others keep their Sids and order); DeleteAccessPointPolicy when none remain. The executor re-reads the live policy with GetAccessPointPolicy, removes only the referenced statements that still offend, and reads it back to verify.',
};
