import { buildCli } from '../../packages/cli/scripts/build.mjs';

/**
 * The CLI tests run the prebuilt command as users do (packages/cli/bin → dist). Building it here,
 * once per test run, keeps those tests on the sources being tested rather than a stale build.
 */
export async function setup(): Promise<void> {
  await buildCli({ quiet: true });
}
