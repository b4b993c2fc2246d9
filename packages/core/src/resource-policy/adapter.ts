import type { Change } from '../events/change';
import type { PolicyStatementRef, Target, ZoneSnapshot } from '../operations';
import type { PolicyDocument, Statement } from '../policy/document';
import type { ResourcePolicyOperation, ResourcePolicyService } from '../resource-policy-operations';
import type { ResourceRef } from '../verdict';

/** What every revert of a resource policy carries, whatever the service. */
export interface RevertCommon {
  target: Target;
  remove: PolicyStatementRef[];
  zone: ZoneSnapshot;
}

/** A plan, or why the policy must not be written (the violation is alerted instead). */
export type PlannedRevert = { ok: true; operation: ResourcePolicyOperation } | { ok: false; reason: string };

/** The policy one call set on one resource, read from the form CloudTrail records for that service. */
export interface PolicyChange {
  resource: ResourceRef;
  /** The account that owns the resource (from its ARN or URL): where the revert acts. */
  owner: string;
  region: string;
  /** The new policy as recorded (JSON text in every service's records). */
  policy: unknown;
  /**
   * The revert that writes `kept` back (the policy without the offending statements), or clears the
   * policy the way the service allows when `kept` is undefined (no statement remains).
   */
  revert(kept: Record<string, unknown> | undefined, common: RevertCommon): PlannedRevert;
}

/**
 * One service whose resources carry a resource policy: the calls that set it, how CloudTrail records
 * them, and how the revert writes a policy back. Adding a service is one adapter file and one line
 * in ./index.ts.
 */
export interface ResourcePolicyAdapter {
  service: ResourcePolicyService;
  /** e.g. "SQS queue": how alerts and RULES.md name the resource. */
  noun: string;
  eventSource: string;
  eventNames: readonly string[];
  /** One RULES.md line: which calls and record forms are read, and how the revert writes back. */
  doc: string;
  /** The change, or why the call set no policy (another attribute, a cleared policy…). */
  read(change: Change): PolicyChange | { notApplicable: string };
  /**
   * Why a statement must stay even though it offends (KMS: it lets the key's own account administer
   * the key); the violation is alerted with that reason instead of removed.
   */
  mustKeep?(statement: Statement, owner: string): string | undefined;
  /** Why the policy left after removal cannot be written (KMS: the owner would be locked out). */
  refuseKept?(kept: PolicyDocument | undefined, owner: string): string | undefined;
}

/** The account of a 12-digit id, else undefined. */
export function accountOf(value: string | undefined): string | undefined {
  return value && /^\d{12}$/.test(value) ? value : undefined;
}
