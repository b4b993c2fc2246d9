import type { Config } from '../config';
import type { Change } from '../events/change';
import type { ZoneSnapshot } from '../operations';
import { analyzeBucketPolicy, type PolicyAnalysis } from '../policy/analyze';
import { type PolicyDocument, parsePolicy, policyWithStatements, type Statement } from '../policy/document';
import type { ZoneContext } from '../policy/principals';
import {
  adapterFor,
  type PolicyChange,
  RESOURCE_POLICY_ADAPTERS,
  type ResourcePolicyAdapter,
} from '../resource-policy/index';
import type { TrustZone } from '../trust-zone';
import type { Offense, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail } from './guardrail';
import { keptInPlace, statementLabel, statementRef } from './s3-bucket-policy';
import { unreadablePolicyVerdict } from './unreadable-policy';

/** Who is inside for a resource of `owner`: the trust zone, the owner, and the rule's trusted principals. */
export function resourcePolicyZone(config: Config, trustZone: TrustZone, owner: string): ZoneContext {
  return { trustZone, owner, trustedPrincipals: config.rules['resource-policy'].trustedPrincipals };
}

/** The bucket-policy reading (S3's "public", then the trust zone), with this rule's settings. */
export function analyzeResourcePolicyWith(
  policy: PolicyDocument,
  zone: ZoneContext,
  config: Config,
): PolicyAnalysis {
  return analyzeBucketPolicy(policy, zone, {
    networkConditionsPin: config.rules['resource-policy'].networkConditionsPin,
  });
}

/** The document left once `remove` is taken out, or undefined when no statement remains. */
export function policyWithout(
  policy: PolicyDocument,
  remove: readonly Statement[],
): PolicyDocument | undefined {
  const keep = policy.statements.filter((statement) => !remove.includes(statement));
  if (keep.length === 0) return undefined;
  return { ...policy, statements: keep, source: policyWithStatements(policy, keep) };
}

function zoneSnapshot(trustZone: TrustZone, analysis: PolicyAnalysis): ZoneSnapshot {
  return {
    ...(trustZone.organizationId ? { organizationId: trustZone.organizationId } : {}),
    accounts: analysis.zoneAccounts,
  };
}

function judge(
  adapter: ResourcePolicyAdapter,
  found: PolicyChange,
  policy: PolicyDocument,
  { config, trustZone }: { config: Config; trustZone: TrustZone },
): Verdict {
  const { resource, owner } = found;
  const subject = `${adapter.noun} ${resource.id}`;
  const analysis = analyzeResourcePolicyWith(policy, resourcePolicyZone(config, trustZone, owner), config);
  const offendingAnalyses = analysis.statements.filter((statement) => statement.offending);
  if (offendingAnalyses.length === 0) {
    return {
      kind: 'compliant',
      resource,
      summary: `${policy.statements.length} statement(s) on ${subject}: none public, none granting outside the trust zone`,
    };
  }
  const kept = new Map<number, string>();
  const offenses: Offense[] = offendingAnalyses.map((statement) => {
    const label = statementLabel(statement);
    const source = policy.statements[statement.index];
    const inPlace = keptInPlace(statement, source, owner, trustZone);
    const serviceWhy = source ? adapter.mustKeep?.(source, owner) : undefined;
    const why = inPlace?.why ?? serviceWhy;
    if (why) kept.set(statement.index, `${label}: ${why}`);
    const advice = inPlace ? ` ${inPlace.advice}` : serviceWhy ? ` Not removed: ${serviceWhy}` : '';
    return {
      id: statement.sid ?? `Statement[${statement.index}]`,
      severity: statement.status === 'public' ? 'critical' : 'high',
      reason: `${label} ${statement.reason}.${advice}`,
      remediable: why === undefined,
    };
  });
  const offending = policy.statements.filter(
    (statement) =>
      !kept.has(statement.index) &&
      offendingAnalyses.some((analysisOf) => analysisOf.index === statement.index),
  );
  const notReverted = [...kept.values()];
  let remediation: Extract<Verdict, { kind: 'violation' }>['remediation'] = [];
  if (offending.length > 0) {
    const left = policyWithout(policy, offending);
    const refusal = adapter.refuseKept?.(left, owner);
    const planned = refusal
      ? ({ ok: false, reason: refusal } as const)
      : found.revert(left?.source, {
          target: { account: owner, region: found.region },
          remove: offending.map(statementRef),
          zone: zoneSnapshot(trustZone, analysis),
        });
    if (planned.ok) remediation = [planned.operation];
    else {
      notReverted.push(planned.reason);
      for (const offense of offenses) offense.remediable = false;
    }
  }
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
    summary: `policy of ${subject}: ${parts.join(', ')} (of ${policy.statements.length} statement(s))${remediation.length === 0 ? '; not reverted, alerted' : kept.size > 0 ? `; ${kept.size} left in place to alert on` : ''}`,
    offenses,
    remediation,
    ...(notReverted.length > 0 ? { notReverted: notReverted.join('; ') } : {}),
  };
}

const services = RESOURCE_POLICY_ADAPTERS.map((adapter) => adapter.noun).join(', ');
const perService = RESOURCE_POLICY_ADAPTERS.map((adapter) => `- ${adapter.doc}`).join('\n');

export const resourcePolicy: Guardrail = {
  id: 'resource-policy',
  title: 'Resource policy public or granting outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
  rationale:
    'A queue, topic, key, repository or secret policy lets another account — or anyone — read messages, publish, decrypt, pull images or read secrets without any identity policy of yours being involved: the resource-policy doors used to reach data from outside an organization.',
  docs: {
    violation: `The policy a call sets on one of these resources — ${services} — read the way \`s3-bucket-policy\` reads a bucket policy: an Allow that is public by S3's definition (critical), or that grants a principal outside the trust zone (outside the organization, \`trustedAccounts\` and this rule's \`trustedPrincipals\`) with no condition pinning it to the zone (high). Effective access decides: \`"Principal": "*"\` limited by fixed \`aws:PrincipalAccount\` / \`aws:PrincipalArn\` values inside the zone is compliant. A call that sets no policy is not applicable.`,
    revert: `The policy written back without exactly the offending statements (the others keep their Sids and order), per service:\n\n${perService}\n\nNever removed, alerted instead with the reason: a grant to an AWS service principal without a source pin (the alert names the condition to add). The executor re-reads the live policy first, removes only referenced statements that still offend, and reads it back to verify.`,
  },
  triggers: RESOURCE_POLICY_ADAPTERS.map((adapter) => ({
    eventSource: adapter.eventSource,
    eventNames: adapter.eventNames,
  })),
  evaluate(change: Change, context): Verdict {
    const adapter = adapterFor(change.eventSource, change.eventName);
    if (!adapter) return { kind: 'not-applicable', summary: `${change.eventName} sets no resource policy` };
    const found = adapter.read(change);
    if ('notApplicable' in found) return { kind: 'not-applicable', summary: found.notApplicable };
    const parsed = parsePolicy(found.policy);
    if (!parsed.ok) {
      return unreadablePolicyVerdict(
        found.resource,
        `the new policy of ${adapter.noun} ${found.resource.id}`,
        parsed.reason,
      );
    }
    return judge(adapter, found, parsed.policy, context);
  },
};
