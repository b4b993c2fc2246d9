/**
 * Builds a handler the way SST 4.17 deploys it (its Go builder, pkg/runtime/node/build.go): ESM,
 * esnext, keepNames, module-first main fields, its createRequire banner, and what the functions'
 * `nodejs` block sets (infra/bundling.ts: minify, splitting). With splitting SST writes into the
 * handler's folder (outdir, `.mjs` chunks) instead of one file; the bench does the same, then reads
 * esbuild's metafile to tell what the function loads at INIT (the entry and every chunk it imports
 * statically) from what waits for a dynamic `import()`.
 */
import { readFileSync, rmSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { NODEJS_BUNDLING } from '../infra/bundling';

const SST_BANNER = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  'const require = topLevelCreateRequire(import.meta.url);',
  'import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"',
  'const __filename = topLevelFileUrlToPath(import.meta.url)',
  'const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))',
].join('\n');

/**
 * The `nodejs` settings this build applies. A setting added to infra/bundling.ts is a compile error
 * here until the bench applies it too, so the bench cannot drift from what is deployed.
 */
type Applied = 'minify' | 'splitting';
const NODEJS: Pick<typeof NODEJS_BUNDLING, Applied> &
  Record<Exclude<keyof typeof NODEJS_BUNDLING, Applied>, never> = NODEJS_BUNDLING;

export interface SstBuild {
  /** The handler file Lambda imports. */
  entry: string;
  /** Files imported at INIT: the entry and the chunks it imports statically, transitively. */
  init: string[];
  /** Chunks of the modules `root`'s own code imports dynamically (the deferred executor, exporters). */
  deferred: string[];
  /** Bytes (and gzipped) of the INIT files, and of every other chunk. */
  initBytes: number;
  initGzip: number;
  lazyBytes: number;
  /** esbuild's inputs of the INIT files (package paths relative to the working directory). */
  initInputs: string[];
  /** esbuild's inputs of the whole function, INIT and every chunk. */
  allInputs: string[];
}

export async function sstBuild(entryPoint: string, outdir: string, root: string): Promise<SstBuild> {
  rmSync(outdir, { recursive: true, force: true });
  const stem = basename(entryPoint, extname(entryPoint));
  const result = await build({
    entryPoints: [entryPoint],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'esnext',
    keepNames: true,
    mainFields: ['module', 'main'],
    minify: NODEJS.minify,
    metafile: true,
    logLevel: 'error',
    banner: { js: SST_BANNER },
    ...(NODEJS.splitting
      ? { splitting: true, outdir, outExtension: { '.js': '.mjs' } }
      : { outfile: join(outdir, `${stem}.mjs`) }),
  });
  const metafile = result.metafile as Metafile;
  const outputs = metafile.outputs;
  const entryInput = relative(process.cwd(), entryPoint);
  const entryOutput = Object.keys(outputs).find((path) => outputs[path]?.entryPoint === entryInput);
  if (!entryOutput) throw new Error(`esbuild wrote no output for ${entryInput}`);
  const init = new Set([entryOutput]);
  for (const path of init)
    for (const imported of outputs[path]?.imports ?? [])
      if (imported.kind === 'import-statement' && !imported.external && imported.path in outputs)
        init.add(imported.path);
  // The modules driftguard's own code (under packages/) imports dynamically, and their chunks.
  const deferredInputs = new Set(
    Object.entries(metafile.inputs)
      .filter(([path]) => path.startsWith(relative(process.cwd(), join(root, 'packages'))))
      .flatMap(([, input]) => input.imports.filter((imported) => imported.kind === 'dynamic-import'))
      .map((imported) => imported.path),
  );
  const deferred = Object.keys(outputs).filter((path) => {
    const source = outputs[path]?.entryPoint;
    return source !== undefined && deferredInputs.has(source) && !init.has(path);
  });
  const bytesOf = (paths: string[]) => paths.map((path) => readFileSync(path));
  const initCode = bytesOf([...init]);
  const lazy = Object.keys(outputs).filter((path) => !init.has(path) && !path.endsWith('.map'));
  return {
    entry: join(process.cwd(), entryOutput),
    init: [...init].map((path) => join(process.cwd(), path)),
    deferred: deferred.map((path) => join(process.cwd(), path)),
    initBytes: initCode.reduce((sum, code) => sum + code.length, 0),
    initGzip: initCode.reduce((sum, code) => sum + gzipSync(code).length, 0),
    lazyBytes: bytesOf(lazy).reduce((sum, code) => sum + code.length, 0),
    initInputs: [...init].flatMap((path) => Object.keys(outputs[path]?.inputs ?? {})),
    allInputs: Object.keys(metafile.inputs),
  };
}
