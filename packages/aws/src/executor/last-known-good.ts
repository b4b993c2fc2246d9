import { type PolicyDocument, parsePolicy, policyFingerprint, type Target } from '@driftguard/core';
import type { ExecutorContext } from './index';

/** A policy once seen compliant, as the snapshot store kept it. */
export interface KnownGood {
  /** The text to put back, exactly as it was seen. */
  document: string;
  policy: PolicyDocument;
  seenAt: string;
}

/**
 * The last policy seen compliant for a resource, when the plan asks to restore it, a snapshot store
 * is wired, one is stored, and it is still compliant now (the trust zone may have changed since).
 */
export async function lastKnownGood(
  operation: { restore: string; target: Target },
  context: ExecutorContext,
  snapshot: { resourceId: string; kind: string },
  compliant: (policy: PolicyDocument) => boolean,
): Promise<KnownGood | undefined> {
  if (operation.restore !== 'last-known-good' || !context.snapshots) return undefined;
  const { account, region } = operation.target;
  const stored = await context.snapshots.get(account, region, snapshot.resourceId, snapshot.kind);
  const parsed = stored ? parsePolicy(stored.document) : undefined;
  if (!stored || !parsed?.ok || !compliant(parsed.policy)) return undefined;
  return { document: stored.document, policy: parsed.policy, seenAt: stored.seenAt };
}

/** The re-read after a whole-policy write: the policy in force is the one put (same canonical content). */
export function showsPolicy(after: PolicyDocument | undefined, put: PolicyDocument): boolean {
  return after !== undefined && policyFingerprint(after.source) === policyFingerprint(put.source);
}
