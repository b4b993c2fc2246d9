import type { Finding, FindingClaim } from '@driftguard/core';
import type { FindingMarkStore } from './store/findings';

/** A delivery's claim on its finding version, and how to give it back (so the queue's retry acts). */
export interface ClaimedFinding {
  claim: FindingClaim;
  /** Puts the previous mark back (a failed playbook or audit write); a no-op for a lost claim. */
  release(): Promise<void>;
}

const nothingToRelease = async () => undefined;

/**
 * The GuardDuty path's "decided once": one conditional write claims this version before the
 * decision. The winner decides and may act; a loser is told what it lost to and never decides
 * again (core `claimedFreshness`: duplicate or stale). Without a store (replay, tests) every
 * delivery is new.
 */
export async function claimFinding(
  marks: FindingMarkStore | undefined,
  finding: Finding,
): Promise<ClaimedFinding> {
  if (!marks) return { claim: { advanced: true }, release: nothingToRelease };
  const next = { updatedAt: finding.updatedAt, count: finding.count };
  const claim = await marks.advance(finding.id, next);
  if (!claim.advanced) return { claim, release: nothingToRelease };
  return { claim, release: () => marks.release(finding.id, next, claim.previous) };
}
