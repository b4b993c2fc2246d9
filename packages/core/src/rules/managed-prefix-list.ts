import type { Config } from '../config';
import type { Change } from '../events/change';
import { isRecord, pick, setEntries, toStr, unwrap } from '../events/ec2-sets';
import type { LiveFacts, PrefixListUse } from '../live-facts';
import { cidrOutsideTrusted } from '../net/cidr';
import type { IngressRule } from '../net/sg-rule';
import { classifyIngressRule } from '../net/sg-rule-classification';
import type { Offense, ResourceRef, Severity, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

/**
 * What a CreateManagedPrefixList / ModifyManagedPrefixList record says. The calls are of EC2's
 * newer kind: CloudTrail wraps the parameters (`ModifyManagedPrefixListRequest`, PascalCase, the
 * query API's names: `AddEntry`, `RemoveEntry`, `Entry`) and writes each entry as
 * `{"Description", "cidr", "tag"}` — an object for one entry, an array for several. A real record:
 * KodeKloud Notes, "Demo Tracking Access with CloudTrail" (AWS SysOps course), ModifyManagedPrefixList
 * with `AddEntry: {"Description": "My IP Range", "cidr": "71.131.0.0/16", "tag": "1"}`. The response
 * (`<Call>Response.prefixList`, camelCase) carries the list id of a new list.
 */
export interface PrefixListChange {
  prefixListId?: string;
  /** CIDRs the call added (Entry for a new list, AddEntry for a modification). */
  added: string[];
}

export function prefixListChange(change: Change): PrefixListChange {
  const request = unwrap(change.request, `${change.eventName}Request`);
  const response = unwrap(change.response, `${change.eventName}Response`);
  const list = pick(response, 'prefixList', 'PrefixList');
  const prefixListId =
    toStr(pick(request, 'PrefixListId', 'prefixListId')) ??
    (isRecord(list) ? toStr(pick(list, 'prefixListId', 'PrefixListId')) : undefined);
  const keys =
    change.eventName === 'CreateManagedPrefixList'
      ? ['Entry', 'Entries', 'entry', 'entries']
      : ['AddEntry', 'AddEntries', 'addEntry', 'addEntries'];
  const added = setEntries(pick(request, ...keys)).flatMap((entry) => {
    const cidr = toStr(pick(entry, 'cidr', 'Cidr'));
    return cidr ? [cidr] : [];
  });
  return { ...(prefixListId ? { prefixListId } : {}), added };
}

function prefixListRef(change: Change, prefixListId: string): ResourceRef {
  return {
    type: 'AWS::EC2::PrefixList',
    id: prefixListId,
    arn: `arn:aws:ec2:${change.region}:${change.account}:prefix-list/${prefixListId}`,
  };
}

/**
 * Each referencing rule that an entry would open (as sg-open-ingress judges a CIDR source). A group
 * of another account whose rules could not be read may admit the entry on any port: zero trust
 * takes that as an opening (high), not as nothing.
 */
function judgeEntry(
  cidr: string,
  references: readonly PrefixListUse[],
  config: Config,
): { severity: Severity; reasons: string[] } | undefined {
  const reasons: string[] = [];
  const severities: Severity[] = [];
  for (const reference of references) {
    if ('unreadable' in reference) {
      severities.push('high');
      reasons.push(
        `${reference.groupId} of account ${reference.account}, whose rules driftguard cannot read (${reference.unreadable}), on any port it admits from the list`,
      );
      continue;
    }
    const rule: IngressRule = {
      ruleId: reference.ruleId,
      protocol: reference.protocol,
      ...(reference.fromPort !== undefined ? { fromPort: reference.fromPort } : {}),
      ...(reference.toPort !== undefined ? { toPort: reference.toPort } : {}),
      source: { kind: cidr.includes(':') ? 'ipv6' : 'ipv4', cidr },
    };
    const verdict = classifyIngressRule(rule, {
      groupId: reference.groupId,
      trustedCidrs: config.trustedCidrs,
      rule: config.rules['sg-open-ingress'],
    });
    if (verdict.status !== 'offending') continue;
    severities.push(verdict.severity);
    const where = reference.account ? ` of account ${reference.account}` : '';
    reasons.push(`${reference.groupId}${where} (${reference.ruleId}) ${verdict.reason}`);
  }
  return reasons.length > 0 ? { severity: maxSeverity(severities), reasons } : undefined;
}

/** "2 security group rule(s)", and how many of them are in the accounts a shared list reaches. */
function referencesWorded(references: readonly PrefixListUse[]): string {
  const elsewhere = references.filter((reference) => reference.account !== undefined).length;
  const shared = elsewhere > 0 ? ` (${elsewhere} in accounts it is shared with)` : '';
  return `${references.length} security group rule(s)${shared}`;
}

function evaluate(change: Change, config: Config, facts: LiveFacts | undefined): Verdict {
  const { prefixListId, added } = prefixListChange(change);
  if (added.length === 0) {
    return { kind: 'not-applicable', summary: 'the call added no prefix-list entry driftguard can read' };
  }
  if (!prefixListId) {
    return { kind: 'not-applicable', summary: 'the record names no prefix list (PrefixListId)' };
  }
  const resource = prefixListRef(change, prefixListId);
  if (config.rules['sg-open-ingress'].trustedPrefixLists.includes(prefixListId)) {
    return { kind: 'compliant', resource, summary: `${prefixListId} is in trustedPrefixLists` };
  }
  const outside = added.filter((cidr) => cidrOutsideTrusted(cidr, config.trustedCidrs));
  if (outside.length === 0) {
    return {
      kind: 'compliant',
      resource,
      summary: `${added.length} entry(ies) added to ${prefixListId}, all within trusted networks`,
    };
  }
  const references = facts?.prefixListReferences?.get(prefixListId);
  if (!references) {
    return {
      kind: 'not-applicable',
      summary: `needs live confirmation: whether security groups reference ${prefixListId}, which now holds ${outside.join(', ')} outside the trusted networks (no live read was made)`,
    };
  }
  if (references.length === 0) {
    return {
      kind: 'compliant',
      resource,
      summary: `${outside.join(', ')} added to ${prefixListId}, which no security group's ingress rule references (read live): it opens nothing now, and a group that references it later is judged then`,
    };
  }
  const offenses: Offense[] = outside.flatMap((cidr) => {
    const judged = judgeEntry(cidr, references, config);
    if (!judged) return [];
    return [
      {
        id: cidr,
        severity: judged.severity,
        reason: `${cidr} added to ${prefixListId} reaches ${judged.reasons.join('; ')}`,
        remediable: true,
      },
    ];
  });
  if (offenses.length === 0) {
    return {
      kind: 'compliant',
      resource,
      summary: `${outside.join(', ')} added to ${prefixListId}: every security group rule that references it is allowlisted for them`,
    };
  }
  return {
    kind: 'violation',
    severity: maxSeverity(offenses.map((offense) => offense.severity)),
    resource,
    summary: `${offenses.length} entry(ies) added to ${prefixListId} outside the trusted networks, referenced by ${referencesWorded(references)}`,
    offenses,
    remediation: [
      {
        service: 'ec2',
        operation: 'RemoveManagedPrefixListEntries',
        target: { account: change.account, region: change.region },
        input: { PrefixListId: prefixListId, Cidrs: offenses.map((offense) => offense.id) },
      },
    ],
  };
}

export const managedPrefixList: Guardrail = {
  id: 'managed-prefix-list',
  title: 'Prefix list referenced by security groups opened beyond trusted networks',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    {
      eventSource: 'ec2.amazonaws.com',
      eventNames: ['CreateManagedPrefixList', 'ModifyManagedPrefixList'],
    },
  ],
  liveFacts(change, config) {
    const { prefixListId, added } = prefixListChange(change);
    if (!prefixListId || config.rules['sg-open-ingress'].trustedPrefixLists.includes(prefixListId)) return [];
    if (!added.some((cidr) => cidrOutsideTrusted(cidr, config.trustedCidrs))) return [];
    const target = { account: change.account, region: change.region };
    return [{ kind: 'prefix-list-references', target, prefixListId }];
  },
  evaluate(change, { config, facts }) {
    return evaluate(change, config, facts);
  },
};

/** What RULES.md says of `managedPrefixList` (`npm run rules:docs`; the functions do not ship it). */
export const managedPrefixListDocs: GuardrailDocs = {
  rationale:
    'A security group rule whose source is a managed prefix list admits every CIDR in the list, and the list can change without touching any security group: one ModifyManagedPrefixList opens every group that references it. Zero trust judges the entries, not the name of the list.',
  violation:
    'An entry outside `trustedCidrs` added (CreateManagedPrefixList `Entry`, ModifyManagedPrefixList `AddEntry`) to a list that an ingress rule of a security group references — in the same account and region, or, for a list shared through AWS RAM, in an account it is shared with — judged against each referencing rule exactly as sg-open-ingress judges a CIDR source (ports, `allowedSecurityGroups`, `allowedPorts`; all protocols or an admin/database port from 0.0.0.0/0 or ::/0 is critical). The pipeline reads the referencing rules live (DescribeSecurityGroupRules) before evaluating; for a list in a RAM share (GetResourceShareAssociations), also the groups of other accounts that use it (GetManagedPrefixListAssociations) and their rules in those accounts, through the remediation role there — a group whose rules cannot be read (no role, denied, an account outside the organization) counts as admitting the entry on any port (high); without that read (replay without AWS access) the change is reported as needing live confirmation. A list no rule references is compliant: a group that references it later is judged then (sg-open-ingress reads the entries live). Lists in `rules.sg-open-ingress.trustedPrefixLists` are trusted as they are. The sweep judges every customer-managed list of each account and region the same way.',
  revert:
    'ModifyManagedPrefixList `RemoveEntries` with exactly the offending CIDRs the call added (entries that were in the list before stay), with the version just read as `CurrentVersion` so that a concurrent edit makes the call fail rather than be overwritten; the executor re-reads the list first (only entries still present and still outside the trusted networks are removed) and re-reads the entries after to verify they are gone.',
};
