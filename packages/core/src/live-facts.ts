import type { Target } from './operations';

/**
 * Some changes cannot be judged from the CloudTrail record alone: an AuthorizeSecurityGroupIngress
 * by group id does not say whether the group is a VPC's *default* group, and a
 * ModifySecurityGroupRules record does not say whether the modified rule is ingress or egress.
 *
 * A guardrail declares the reads it needs (`Guardrail.liveFacts`, pure); the pipeline performs them
 * in the member account before evaluating (packages/aws `liveFactReader`) and passes the answers in
 * `EvaluationContext.facts`. The evaluator stays pure: the same change and the same facts always
 * give the same verdict. Without a reader (replay without AWS access) `facts` is undefined and the
 * guardrail says the change needs live confirmation instead of guessing.
 */
export type LiveFactQuery =
  | { kind: 'security-group'; target: Target; groupId: string }
  | { kind: 'security-group-rule'; target: Target; ruleId: string };

export interface SecurityGroupFact {
  groupId: string;
  groupName: string;
  vpcId?: string;
}

export interface SecurityGroupRuleFact {
  ruleId: string;
  groupId: string;
  isEgress: boolean;
}

/** `found`: the live value · `missing`: the resource no longer exists (nothing left to judge). */
export type Lookup<T> = { status: 'found'; value: T } | { status: 'missing' };

export interface LiveFacts {
  securityGroups: ReadonlyMap<string, Lookup<SecurityGroupFact>>;
  securityGroupRules: ReadonlyMap<string, Lookup<SecurityGroupRuleFact>>;
}

export function emptyLiveFacts(): LiveFacts {
  return { securityGroups: new Map(), securityGroupRules: new Map() };
}

/** A stable key per query, to read each resource once per event. */
export function liveFactKey(query: LiveFactQuery): string {
  const id = query.kind === 'security-group' ? query.groupId : query.ruleId;
  return `${query.kind}/${query.target.account}/${query.target.region}/${id}`;
}

export function dedupeLiveFactQueries(queries: readonly LiveFactQuery[]): LiveFactQuery[] {
  const seen = new Set<string>();
  return queries.filter((query) => {
    const key = liveFactKey(query);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
