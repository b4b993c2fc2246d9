import type { Config } from '../config';
import type { Change } from '../events/change';
import { type PolicyDocument, parsePolicy } from '../policy/document';
import { offendingStatements } from '../policy/offending';
import { analyzeResourcePolicyWith, resourcePolicyZone } from '../policy/readings';
import { policyWithout, statementRef } from '../policy/statements';
import { unreadablePolicyVerdict } from '../policy/unreadable';
import {
  adapterFor,
  type PolicyChange,
  RESOURCE_POLICY_ADAPTERS,
  type ResourcePolicyAdapter,
} from '../resource-policy/index';
import type { TrustZone } from '../trust-zone';
import type { Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

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
  const { offenses, offending, kept, zone, parts, notReverted } = offendingStatements(
    analysis,
    policy,
    owner,
    trustZone,
    (statement) => adapter.mustKeep?.(statement, owner),
  );
  const unreverted = notReverted ? [notReverted] : [];
  let remediation: Extract<Verdict, { kind: 'violation' }>['remediation'] = [];
  if (offending.length > 0) {
    const left = policyWithout(policy, offending);
    const refusal = adapter.refuseKept?.(left, owner);
    const planned = refusal
      ? ({ ok: false, reason: refusal } as const)
      : found.revert(left?.source, {
          target: { account: owner, region: found.region },
          remove: offending.map(statementRef),
          zone,
        });
    if (planned.ok) remediation = [planned.operation];
    else {
      unreverted.push(planned.reason);
      for (const offense of offenses) offense.remediable = false;
    }
  }
  const violation: Verdict = {
    kind: 'violation',
    severity: maxSeverity(offenses.map((offense) => offense.severity)),
    resource,
    summary: `policy of ${subject}: ${parts.join(', ')} (of ${policy.statements.length} statement(s))${remediation.length === 0 ? '; not reverted, alerted' : kept.size > 0 ? `; ${kept.size} left in place to alert on` : ''}`,
    offenses,
    remediation,
  };
  // Assigned, not spread in: a literal with a spread takes V8's slow path on Node 20.
  if (unreverted.length > 0) violation.notReverted = unreverted.join('; ');
  return violation;
}

const services = RESOURCE_POLICY_ADAPTERS.map((adapter) => adapter.noun).join(', ');
const perService = RESOURCE_POLICY_ADAPTERS.map((adapter) => `- ${adapter.doc}`).join('\n');

export const resourcePolicy: Guardrail = {
  id: 'resource-policy',
  title: 'Resource policy public or granting outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
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

/** What RULES.md says of `resourcePolicy` (`npm run rules:docs`; the functions do not ship it). */
export const resourcePolicyDocs: GuardrailDocs = {
  rationale:
    'A queue, topic, key, repository or secret policy lets another account — or anyone — read messages, publish, decrypt, pull images or read secrets without any identity policy of yours being involved: the resource-policy doors used to reach data from outside an organization.',
  violation: `The policy a call sets on one of these resources — ${services} — read the way \`s3-bucket-policy\` reads a bucket policy: an Allow that is public by S3's definition (critical), or that grants a principal outside the trust zone (outside the organization, \`trustedAccounts\` and this rule's \`trustedPrincipals\`) with no condition pinning it to the zone (high). Effective access decides: \`"Principal": "*"\` limited by fixed \`aws:PrincipalAccount\` / \`aws:PrincipalArn\` values inside the zone is compliant. A call that sets no policy is not applicable.`,
  revert: `The policy written back without exactly the offending statements (the others keep their Sids and order), per service:\n\n${perService}\n\nNever removed, alerted instead with the reason: a grant to an AWS service principal without a source pin (the alert names the condition to add). The executor re-reads the live policy first, removes only referenced statements that still offend, and reads it back to verify.`,
};
