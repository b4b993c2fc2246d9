/**
 * `npm run bench`: the evaluate Lambda's bundle size, its cold import time relative to a bundle of
 * only the same SDK clients (the floor we cannot go under), and evaluator throughput. Ratios are
 * measured in one run because these machines are noisy.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { evaluatorThroughput } from './throughput';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.bench');
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  format: 'esm' as const,
  platform: 'node' as const,
  target: 'node22',
  metafile: true,
  logLevel: 'error' as const,
  // ESM bundles of CommonJS dependencies need `require`.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
};

async function bundle(
  entry: string,
  outfile: string,
): Promise<{ bytes: number; gzip: number; metafile: Metafile }> {
  const result = await build({ ...common, entryPoints: [entry], outfile });
  if (!result.metafile) throw new Error(`esbuild returned no metafile for ${entry}`);
  const code = readFileSync(outfile);
  return { bytes: code.length, gzip: gzipSync(code).length, metafile: result.metafile };
}

/** Bytes per npm package in the bundle, largest first: where the weight comes from. */
function weightByPackage(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const name =
        match?.[1] ?? (path.startsWith('packages/') ? path.split('/').slice(0, 2).join('/') : 'other');
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

/** Median wall time of a fresh `node` process importing the bundle (what a cold start pays). */
function importTimes(files: string[], rounds: number): number[][] {
  const times: number[][] = files.map(() => []);
  for (let round = 0; round < rounds; round++) {
    // Interleaved so that machine noise hits both bundles alike.
    files.forEach((file, index) => {
      const started = process.hrtime.bigint();
      const run = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', `await import(${JSON.stringify(file)})`],
        {
          env: {
            ...process.env,
            AWS_REGION: 'us-east-1',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        },
      );
      if (run.status !== 0) throw new Error(`import of ${file} failed: ${run.stderr}`);
      times[index]?.push(Number(process.hrtime.bigint() - started) / 1e6);
    });
  }
  return times;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

const evaluate = await bundle(join(root, 'packages/functions/src/evaluate.ts'), join(out, 'evaluate.mjs'));
const clients = [
  ...new Set(
    Object.keys(evaluate.metafile.inputs)
      .map((path) => path.match(/node_modules\/(@aws-sdk\/(?:client-[^/]+|lib-dynamodb))\//)?.[1])
      .filter((name): name is string => name !== undefined),
  ),
].sort();
const floorEntry = join(out, 'floor.ts');
writeFileSync(
  floorEntry,
  `${clients.map((name, index) => `import * as c${index} from '${name}';`).join('\n')}\nexport const clients = [${clients.map((_, index) => `c${index}`).join(', ')}];\n`,
);
const floor = await bundle(floorEntry, join(out, 'floor.mjs'));
const [ours, sdk, bare] = importTimes(
  [join(out, 'evaluate.mjs'), join(out, 'floor.mjs'), join(root, 'bench/empty.mjs')],
  15,
);

console.log('evaluate Lambda bundle (esbuild, minified ESM, node22)');
console.log(`  size:            ${kb(evaluate.bytes)} raw, ${kb(evaluate.gzip)} gzip`);
console.log(`  SDK-only floor:  ${kb(floor.bytes)} raw, ${kb(floor.gzip)} gzip  (${clients.join(', ')})`);
console.log(`  ours ÷ floor:    ${(evaluate.bytes / floor.bytes).toFixed(2)}× bytes`);
console.log('  heaviest packages in the bundle:');
for (const [name, bytes] of weightByPackage(evaluate.metafile).slice(0, 10))
  console.log(`    ${kb(bytes).padStart(7)}  ${name}`);
const [oursMs, sdkMs, bareMs] = [median(ours ?? []), median(sdk ?? []), median(bare ?? [])];
console.log('cold import, whole process, median of 15 interleaved runs');
console.log(`  node alone:      ${bareMs.toFixed(0)} ms`);
console.log(`  SDK-only floor:  ${sdkMs.toFixed(0)} ms`);
console.log(`  evaluate bundle: ${oursMs.toFixed(0)} ms`);
console.log(
  `  ours ÷ floor:    ${(oursMs / sdkMs).toFixed(2)}×   (above node alone: ${((oursMs - bareMs) / (sdkMs - bareMs)).toFixed(2)}×)`,
);
const throughput = evaluatorThroughput(1500);
console.log('evaluator throughput (normalize → assess, pure core, one thread)');
console.log(
  `  ${throughput.recordsPerSecond.toFixed(0)} records/s over ${throughput.records} records (${throughput.violations} violations in the mix)`,
);
