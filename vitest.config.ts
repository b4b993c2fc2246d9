import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

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
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build-cli-global-setup.ts', 'test/support/moto-global-setup.ts'],
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
    // Integration suites share one moto server; each file owns its accounts and names, so files
    // run side by side. Vitest's default is one worker per core less one: a single worker on these
    // 2-core machines, although most files wait on moto and spawned CLIs rather than the CPU.
    fileParallelism: true,
    maxWorkers: 3,
  },
});
