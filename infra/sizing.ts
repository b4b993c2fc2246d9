/**
 * Memory and timeout of `evaluate`, chosen from `npm run bench` (bench/run.ts). Rerun it when the
 * handler or its dependencies change and revisit these numbers. What it reported when they were
 * set: a 1.9 MB bundle (481 KB gzip) whose cold import takes ~400 ms on these machines, 1.07× the
 * floor of its SDK clients alone, and an evaluator doing ~13,600 records/s on one thread.
 *
 * - Memory: the evaluator's CPU is negligible; memory buys CPU for the cold start, which is the
 *   SDK's import. 1024 MB (~0.6 vCPU) keeps it well under a second; 512 MB would double it.
 * - Timeout: a batch is I/O: per event about eight AWS calls (assume role, re-read, revoke,
 *   re-read, publish, state writes), each retried adaptively up to five times. Records of a batch
 *   run concurrently, so 60 s leaves room for a throttled account without cutting off a revert
 *   between its act and its verify.
 */
export const EVALUATE_MEMORY = '1024 MB' as const;
export const EVALUATE_TIMEOUT_SECONDS = 60;

/**
 * The events queue in front of `evaluate` (infra/queue.ts); `npm run load` (bench/load.ts) runs its
 * queue with the same two numbers. AWS guidance for SQS event sources: visibility timeout at least
 * six times the function timeout.
 */
export const QUEUE_VISIBILITY_TIMEOUT_SECONDS = 6 * EVALUATE_TIMEOUT_SECONDS;
/** Receives before SQS moves a message that keeps failing to the DLQ. */
export const MAX_RECEIVE_COUNT = 5;

/**
 * The sweep's fan-out (infra/scheduled.ts), sized from the simulation (`npm run bench:sweep`, README
 * "The sweep at organization scale"): one unit is one describer in one account and region.
 *
 * - Worker timeout: a unit is a few paged reads plus, for each violation, one pipeline pass (about
 *   eight calls). Five minutes covers an account with thousands of security groups; a unit that
 *   needs longer fails and is retried on its own, then counted failed.
 * - Concurrency: how many units run at once, org-wide. Each unit reads one account and region, so
 *   per-account API rates stay low while 20 workers finish 300 accounts × 17 regions in minutes.
 * - Receives: a unit is tried three times (throttling, a role not yet deployed), then counted
 *   failed; a message that crashed the worker every time is in the sweep DLQ (alarmed).
 */
export const SWEEP_WORKER_TIMEOUT_SECONDS = 300;
export const DEFAULT_SWEEP_CONCURRENCY = 20;
export const SWEEP_MAX_RECEIVE_COUNT = 3;
/** AWS guidance for SQS event sources: visibility timeout at least six times the function timeout. */
export const SWEEP_VISIBILITY_TIMEOUT_SECONDS = 6 * SWEEP_WORKER_TIMEOUT_SECONDS;
/** The planner pages Organizations and sends ~2,100 SendMessageBatch calls for 21,000 units. */
export const SWEEP_PLANNER_TIMEOUT = '5 minutes' as const;

/** Scheduled functions reserve one each (one run at a time): the sweep planner and the exemption re-check. */
export const SCHEDULED_RESERVED_CONCURRENCY = 2;

/**
 * The Lambda concurrency the central stack reserves: `evaluate`, the sweep worker and the scheduled
 * functions. `driftguard preflight` checks the account can give it (Lambda keeps 100 unreserved);
 * the stack test checks it equals what the functions actually reserve.
 */
export function stackReservedConcurrency(settings: {
  reservedConcurrency: number;
  sweepConcurrency?: number;
}) {
  return (
    settings.reservedConcurrency +
    (settings.sweepConcurrency ?? DEFAULT_SWEEP_CONCURRENCY) +
    SCHEDULED_RESERVED_CONCURRENCY
  );
}
