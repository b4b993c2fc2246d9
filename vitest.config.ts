import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * How the suite is split (README, "Development"). Importing the sources and the AWS SDK again for
 * every file cost more on these 2-core machines than most tests themselves, so every file that
 * leaves nothing behind for the next file in its worker shares one module graph per worker
 * (isolate: false). A file is isolated when it, or a test/support module it imports, changes state
 * the next file would inherit: SDK client mocks (they patch the client classes), mocked modules,
 * spies, stubbed or assigned environment (a Lambda handler keeps the runtime it built from its
 * environment on first call, as a container does), fake timers, globals. The check reads the files,
 * so a new test lands on the right side without anyone listing it here.
 */
const CHANGES_SHARED_STATE =
  /aws-sdk-client-mock|vi\.(mock|doMock|hoisted|stubEnv|stubGlobal|useFakeTimers|spyOn)|process\.env|globalThis/;
/** Needs what the AWS projects' global setup starts: moto, the prebuilt CLI, the infra recordings. */
const NEEDS_GLOBAL_SETUP = /motoEndpoint|inject\(|support\/(aws|cli)'/;
/**
 * Support modules that change process-wide state for the length of one call and put it back in a
 * `finally` (runCliInProcess swaps the output streams, console, stdin, exit code and environment).
 */
const RESTORES_WHAT_IT_CHANGES = new Set(['test/support/cli.ts']);

const root = fileURLToPath(new URL('./', import.meta.url));
const RELATIVE_IMPORT = /(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g;

/** A test file and the modules under test/ it imports, followed through their relative imports. */
function testModules(file: string, seen = new Map<string, string>()): Map<string, string> {
  if (seen.has(file)) return seen;
  const text = readFileSync(join(root, file), 'utf8');
  seen.set(file, text);
  for (const [, specifier = ''] of text.matchAll(RELATIVE_IMPORT)) {
    const target = relative(root, resolve(root, dirname(file), specifier));
    const candidates = [target, `${target}.ts`].filter((path) => path.startsWith('test/'));
    const found = candidates.find((path) => path.endsWith('.ts') && existsSync(join(root, path)));
    if (found) testModules(found, seen);
  }
  return seen;
}

const testFiles = (folder: string) =>
  readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => `${folder}/${file}`);

const classified = ['test/unit', 'test/integration', 'test/infra'].flatMap(testFiles).map((file) => {
  const modules = [...testModules(file)];
  return {
    file,
    isolated: modules.some(
      ([path, text]) => !RESTORES_WHAT_IT_CHANGES.has(path) && CHANGES_SHARED_STATE.test(text),
    ),
    needsSetup: !file.startsWith('test/unit/') || modules.some(([, text]) => NEEDS_GLOBAL_SETUP.test(text)),
  };
});
const sharedUnit = classified.filter((test) => !test.isolated && !test.needsSetup).map((test) => test.file);
const sharedAws = classified.filter((test) => !test.isolated && test.needsSetup).map((test) => test.file);
const isolated = classified.filter((test) => test.isolated).map((test) => test.file);

/**
 * Each project with these loads them on its own: so the two AWS projects run one moto each (on a
 * free port; every file owns its accounts and names), and the CLI is built once per run.
 */
const AWS_GLOBAL_SETUP = [
  'test/support/build-cli-global-setup.ts',
  'test/support/moto-global-setup.ts',
  'test/infra/support/recordings-global-setup.ts',
];

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
          include: sharedUnit,
          isolate: false,
          // All projects draw on one pool of three workers (vitest runs projects with different
          // worker counts one after the other, which would leave a core idle while moto waits).
          maxWorkers: 3,
        },
      },
      {
        extends: true,
        test: {
          name: 'aws-shared',
          include: sharedAws,
          isolate: false,
          globalSetup: AWS_GLOBAL_SETUP,
          // Files talking to moto or running the CLI spend most of their time waiting on moto and
          // on spawned commands, not the CPU: three workers on two cores.
          maxWorkers: 3,
        },
      },
      {
        extends: true,
        test: {
          name: 'aws',
          include: isolated,
          globalSetup: AWS_GLOBAL_SETUP,
          maxWorkers: 3,
        },
      },
    ],
  },
});
