import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Unit tests of the pure code share one module graph (isolate: false): on these 2-core machines
 * importing the sources again for every file cost more than the tests themselves. A file that
 * changes shared state (SDK client mocks patch the client classes, stubbed or assigned environment,
 * fake timers, globals) or needs moto or the CLI runs isolated with the integration tests, where the
 * global setup starts them; the check reads each file, so a new test lands on the right side
 * without anyone listing it here.
 */
const SHARED_STATE =
  /aws-sdk-client-mock|vi\.(mock|doMock|hoisted|stubEnv|stubGlobal|useFakeTimers)|process\.env|globalThis|motoEndpoint|support\/(aws|cli)'/;
const unitDir = fileURLToPath(new URL('./test/unit/', import.meta.url));
const sharedUnitTests = readdirSync(unitDir)
  .filter((file) => file.endsWith('.test.ts'))
  .filter((file) => !SHARED_STATE.test(readFileSync(`${unitDir}${file}`, 'utf8')))
  .map((file) => `test/unit/${file}`);

export default defineConfig({
  resolve: {
    // infra/ imports Pulumi providers from SST's platform, as SST's own build resolves them
    // (test/infra/support/sst-mocks.ts loads the same Pulumi runtime from there).
    alias: {
      '@pulumi/random': fileURLToPath(
        new URL('./.sst/platform/node_modules/@pulumi/random', import.meta.url),
      ),
    },
  },
  test: {
    testTimeout: 30_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Tests act against moto only; fake credentials make an accidental real-AWS call fail fast.
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      // Handlers' EMF metric lines stay out of the test output; test/integration/evaluate-metrics.test.ts turns them on.
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: sharedUnitTests,
          isolate: false,
          // Both projects draw on one pool of three workers (vitest runs projects with different
          // worker counts one after the other, which would leave a core idle while moto waits).
          maxWorkers: 3,
        },
      },
      {
        extends: true,
        test: {
          name: 'aws',
          include: ['test/**/*.test.ts'],
          exclude: sharedUnitTests,
          globalSetup: [
            'test/support/build-cli-global-setup.ts',
            'test/support/moto-global-setup.ts',
            'test/infra/support/recordings-global-setup.ts',
          ],
          // Integration suites share one moto server; each file owns its accounts and names, so files
          // run side by side. Most of their time is spent waiting on moto and spawned CLIs, not the
          // CPU, so three workers on two cores.
          fileParallelism: true,
          maxWorkers: 3,
        },
      },
    ],
  },
});
