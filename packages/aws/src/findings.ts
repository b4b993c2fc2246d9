import {
  type AccountPlacement,
  type Assessment,
  assessFinding,
  type Config,
  type Finding,
} from '@driftguard/core';
import { DriftguardError } from './errors';
import type { FindingMarkStore } from './store/findings';

/** A finding's assessment, and how to give its claim back when the playbook failed (so a retry acts). */
export interface GatedFinding {
  assessment: Assessment;
  release(): Promise<void>;
}

const nothingToRelease = async () => undefined;

/** Placement (for overrides by OU) and the account's name, as the pipeline loaded them. */
export interface FindingState {
  placement?: AccountPlacement;
  accountName?: string;
}

/**
 * The GuardDuty path's "acted on once": reads what was last acted on for the finding id, lets core
 * decide (new, update, duplicate, stale — `findingFreshness`), and claims the new version with a
 * conditional write. When a concurrent delivery claimed first, the finding is judged again against
 * what that delivery recorded. Without a store (replay, tests) every delivery is new.
 */
export async function gateFinding(
  finding: Finding,
  config: Config,
  marks: FindingMarkStore | undefined,
  /** The rest of the state the decision needs, read concurrently with the finding's mark. */
  state: FindingState | Promise<FindingState> = {},
): Promise<GatedFinding> {
  if (!marks) return { assessment: assessFinding(finding, config, await state), release: nothingToRelease };
  const next = { updatedAt: finding.updatedAt, count: finding.count };
  for (let attempt = 0; attempt < 3; attempt++) {
    // Decided once per delivery; again only when a concurrent delivery claimed this finding first.
    const [previous, where] = await Promise.all([marks.get(finding.id), state]);
    const assessment = assessFinding(finding, config, { ...where, ...(previous ? { previous } : {}) });
    // Archived, duplicate and stale findings are not acted on: nothing to claim.
    if (assessment.status !== 'violation') return { assessment, release: nothingToRelease };
    if (await marks.claim(finding.id, next, previous)) {
      return { assessment, release: () => marks.release(finding.id, next, previous) };
    }
  }
  throw new DriftguardError(
    `finding ${finding.id}: the dedupe mark kept changing under concurrent deliveries; the queue will retry`,
  );
}
