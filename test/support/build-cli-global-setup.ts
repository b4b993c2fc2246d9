import { buildCli } from '../../packages/cli/scripts/build.mjs';

const BUILT = Symbol.for('driftguard.test.cli-built');

/**
 * The CLI tests run the prebuilt command as users do (packages/cli/bin → dist). Building it here,
 * once per test run, keeps those tests on the sources being tested rather than a stale build. Both
 * AWS projects list this setup and vitest loads each project's copy separately, in its own main
 * process: the first build is kept on the process so the second project waits for it instead of
 * writing the same files again.
 */
export async function setup(): Promise<void> {
  const run = globalThis as { [BUILT]?: Promise<unknown> };
  run[BUILT] ??= buildCli({ quiet: true });
  await run[BUILT];
}
