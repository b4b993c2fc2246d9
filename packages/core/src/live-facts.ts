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
  | { kind: 'security-group-rule'; target: Target; ruleId: string }
  /** A managed prefix list's owner and current entries (an SG rule's source is only its id). */
  | { kind: 'prefix-list'; target: Target; prefixListId: string }
  /** The ingress rules whose source is the list: of its account and region, and of the accounts it is shared with. */
  | { kind: 'prefix-list-references'; target: Target; prefixListId: string };

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

export interface PrefixListFact {
  prefixListId: string;
  /** The owning account, or `AWS` for an AWS-managed list (com.amazonaws.…). */
  ownerId: string;
  name?: string;
  /** The list's current version (what ModifyManagedPrefixList's CurrentVersion must name). */
  version?: number;
  /** e.g. create-complete, modify-in-progress (a change is applied asynchronously). */
  state?: string;
  /** Current entries' CIDRs (not read for AWS-managed lists: AWS's service addresses). */
  cidrs: string[];
}

/** An ingress rule that takes its sources from a prefix list. */
export interface PrefixListReference {
  groupId: string;
  ruleId: string;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  /** The group's account when it is not the list's: a list shared through AWS RAM. */
  account?: string;
}

/**
 * A group of another account that uses a list shared through AWS RAM, whose rules could not be
 * read there (driftguard's role missing or denied, an account outside the organization): which
 * ports it opens to the list is unknown.
 */
export interface UnreadablePrefixListReference {
  groupId: string;
  account: string;
  /** Why its rules could not be read (the AWS error). */
  unreadable: string;
}

export type PrefixListUse = PrefixListReference | UnreadablePrefixListReference;

/** `found`: the live value · `missing`: the resource no longer exists (nothing left to judge). */
export type Lookup<T> = { status: 'found'; value: T } | { status: 'missing' };

export interface LiveFacts {
  securityGroups: ReadonlyMap<string, Lookup<SecurityGroupFact>>;
  securityGroupRules: ReadonlyMap<string, Lookup<SecurityGroupRuleFact>>;
  /** By prefix-list id; absent when no prefix list was read. */
  prefixLists?: ReadonlyMap<string, Lookup<PrefixListFact>>;
  /**
   * By prefix-list id: the ingress rules that reference it (empty: none), in its own account and,
   * for a list shared through AWS RAM, in the accounts it is shared with.
   */
  prefixListReferences?: ReadonlyMap<string, readonly PrefixListUse[]>;
}

export function emptyLiveFacts(): LiveFacts {
  return { securityGroups: new Map(), securityGroupRules: new Map() };
}

/** An AWS-managed list (`com.amazonaws.…`, owner `AWS`): AWS's service addresses, never ours to edit. */
export function isAwsManagedPrefixList(fact: PrefixListFact): boolean {
  return fact.ownerId === 'AWS';
}

/** A stable key per query, to read each resource once per event. */
export function liveFactKey(query: LiveFactQuery): string {
  const id =
    query.kind === 'security-group'
      ? query.groupId
      : query.kind === 'security-group-rule'
        ? query.ruleId
        : query.prefixListId;
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
