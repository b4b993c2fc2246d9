#!/usr/bin/env node
// Builds the `driftguard` CLI once (npm ci runs it through `prepare`; the test setup runs it too),
// so the command starts as plain JavaScript: no TypeScript compiler at run time.
//
// driftguard's own packages (TypeScript sources) are bundled, and so are the small pure-JavaScript
// libraries the core imports at start (zod, ipaddr.js): zod as published is ~95 ES modules, and
// Node opening, reading and linking each of them was a third of `driftguard replay`'s start
// (measured: one-event replay 1.74 s → 1.14 s against `node -e 0` at 0.52 s, loaded machine).
// The AWS SDK and commander stay external and load from node_modules as they are. Code splitting
// keeps each command's dynamic import a chunk of its own, so `--help`, `rules` and `lint-policy`
// never load the AWS SDK.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist`;

/** Bare imports bundled into the CLI: driftguard's packages and the core's pure-JS dependencies. */
const BUNDLED = /^(@driftguard\/|zod(\/|$)|ipaddr\.js$)/;

/** Other bare imports (npm packages) stay imports; relative paths are bundled. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED.test(args.path) ? undefined : { path: args.path, external: true },
    );
  },
};

export async function buildCli({ quiet = false } = {}) {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { driftguard: `${root}src/main.ts` },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: quiet ? 'error' : 'warning',
    metafile: true,
    plugins: [externalNpmPackages],
  });
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildCli();
  process.stdout.write(`[driftguard] CLI built into ${outdir}\n`);
}
