#!/usr/bin/env node
// The prebuilt CLI (packages/cli/dist, built by `npm ci` through `prepare`, or `npm run build:cli`).
// Plain JavaScript at run time: no TypeScript compiler is loaded, so the command starts fast.

// These machines run Node 20; Lambda runs nodejs22.x. The SDK's notice is about the former only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let cli;
try {
  cli = await import('../dist/driftguard.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/driftguard.js'))
    throw error;
  process.stderr.write(
    'driftguard: the CLI is not built yet. Run `npm ci` (it builds it) or `npm run build:cli` in the repository.\n',
  );
  process.exit(2);
}
await cli.main(process.argv);
