import type { Operation, OperationResult } from '@driftguard/core';

/*
 * The three answers of verify → act → verify, so that each handler states only what it checked.
 */

/** Nothing to do: the live state read before acting no longer violates (or the resource is gone). */
export function alreadyCompliant(operation: Operation, detail: string): OperationResult {
  return { operation, status: 'already-compliant', verified: true, detail };
}

/** Not done, or not proved by the re-read after acting: `detail` says which and why. */
export function failed(operation: Operation, detail: string): OperationResult {
  return { operation, status: 'failed', verified: false, detail };
}

/** Changed, and the re-read after acting proves it; `changed` lists what was changed. */
export function applied(operation: Operation, detail: string, changed: string[]): OperationResult {
  return { operation, status: 'applied', verified: true, detail, changed };
}
