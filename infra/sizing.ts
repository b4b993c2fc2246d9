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
