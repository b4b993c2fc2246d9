/**
 * `npm run bench`: every job people or AWS wait on, measured against its floor in the same run,
 * as ratios of medians of interleaved runs (these machines are shared and noisy). What is measured
 * is what ships: the prebuilt CLI as users start it, and the evaluate handler bundled with SST's
 * own esbuild options. `--write-readme` puts the table into README.md between its markers.
 *
 *   npm run bench [-- --write-readme] [--records 40000] [--files 60] [--rounds 9]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { NODEJS_BUNDLING } from '../infra/bundling';
import { evaluatorRow } from './evaluator';
import { formatMs, interleaved, markdownTable, type Row, summarize } from './harness';
import { revertLatencyRow } from './revert-latency';
import { trailRecords, writeTrail } from './trail';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.bench');
mkdirSync(out, { recursive: true });

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}
const ROUNDS = option('rounds', 9);
const RECORDS = option('records', 40_000);
const FILES = option('files', 60);

const node = process.execPath;
const bin = join(root, 'node_modules/.bin/driftguard');
const bare = { name: 'node -e 0', argv: [node, '-e', '0'] };
const rows: Row[] = [];

function ratioRow(
  job: string,
  goal: number,
  ours: { ms: number },
  floorName: string,
  floor: { ms: number },
  note?: string,
) {
  const row: Row = {
    job,
    ours: formatMs(ours.ms),
    floorName,
    floor: formatMs(floor.ms),
    ratio: ours.ms / floor.ms,
    goal,
    ...(note ? { note } : {}),
  };
  rows.push(row);
  console.log(
    `${job.padEnd(58)} ${row.ours.padStart(8)}  ${floorName} ${row.floor.padStart(8)}  ${row.ratio.toFixed(2)}× (goal ≤ ${goal}×)${note ? `  ${note}` : ''}`,
  );
}

// 1-2. The CLI as users start it: the npm bin (prebuilt by `npm ci`), a fresh process each time.
spawnSync(node, [join(root, 'packages/cli/scripts/build.mjs')], { stdio: 'ignore' });
{
  const oneEvent = join(root, 'test/fixtures/cases/sg-open-ingress');
  const event = join(out, 'one-event.json');
  const first = JSON.parse(
    readFileSync(
      join(oneEvent, spawnSync('ls', [oneEvent]).stdout.toString().split('\n')[0] as string),
      'utf8',
    ),
  );
  writeFileSync(event, JSON.stringify(first.event));
  const [help, replayOne, floor] = interleaved(
    [
      { name: 'driftguard --help', argv: [bin, '--help'] },
      { name: 'driftguard replay', argv: [bin, 'replay', event], okCodes: [0, 1] },
      bare,
    ],
    ROUNDS * 2,
  ).map(summarize);
  ratioRow('`driftguard --help`', 2, help as { ms: number }, '`node -e 0`', floor as { ms: number });
  ratioRow(
    '`driftguard replay` of one event',
    3,
    replayOne as { ms: number },
    '`node -e 0`',
    floor as { ms: number },
  );
}

// 3. Replay of a folder of CloudTrail log files against gunzip + JSON.parse of the same files.
{
  const dir = join(out, 'trail');
  writeTrail(dir, trailRecords(RECORDS, 0.04), FILES);
  const [ours, floor] = interleaved(
    [
      { name: 'replay --json', argv: [bin, 'replay', dir, '--json'], okCodes: [0, 1] },
      { name: 'gunzip + JSON.parse', argv: [node, join(root, 'bench/floor-parse.mjs'), dir] },
    ],
    Math.max(3, Math.ceil(ROUNDS / 2)),
  ).map(summarize);
  const memory =
    ours?.rss && floor?.rss ? `memory ${ours.rss.toFixed(0)} MiB vs ${floor.rss.toFixed(0)} MiB` : undefined;
  ratioRow(
    `\`replay --json\` of ${RECORDS.toLocaleString('en')} records in ${FILES} \`.json.gz\` files`,
    1.5,
    ours as { ms: number },
    'gunzip + JSON.parse',
    floor as { ms: number },
    memory,
  );
}

// 4-5. The evaluator alone (pure core, in process) against JSON.parse of the same records.
for (const [job, share, goal] of [
  ['evaluator, org-trail mix (96 % unwatched)', 0.04, 0.5],
  ['evaluator, every event watched', 1, 2],
] as const) {
  const { ours, floor } = evaluatorRow(trailRecords(20_000, share), ROUNDS);
  ratioRow(job, goal, { ms: ours }, 'JSON.parse', { ms: floor });
}

// 6. Time to a verified revert through the Lambda's pipeline against moto, state table on.
{
  const latency = await revertLatencyRow(Math.max(15, ROUNDS * 3));
  if (latency)
    ratioRow(
      'time to verified revert, Lambda path, moto, state table on',
      2.5,
      { ms: latency.ours },
      'Describe + Revoke + Describe',
      { ms: latency.floor },
      latency.note,
    );
  else console.log('time to verified revert: skipped (moto is not installed)');
}

// 7. Cold import of the evaluate handler bundled as SST bundles it, against the SDK clients alone.
{
  // SST's Node builder (pkg/runtime/node/build.go): ESM, esnext, keepNames, module-first main
  // fields, its createRequire banner; minify as the functions' nodejs block says (infra/bundling.ts).
  const sstOptions = {
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: 'esnext',
    keepNames: true,
    mainFields: ['module', 'main'],
    minify: NODEJS_BUNDLING.minify,
    metafile: true,
    logLevel: 'error' as const,
    banner: {
      js: [
        "import { createRequire as topLevelCreateRequire } from 'module';",
        'const require = topLevelCreateRequire(import.meta.url);',
        'import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"',
        'const __filename = topLevelFileUrlToPath(import.meta.url)',
        'const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))',
      ].join('\n'),
    },
  };
  const bundle = async (entry: string, outfile: string) => {
    const result = await build({ ...sstOptions, entryPoints: [entry], outfile });
    const code = readFileSync(outfile);
    return { bytes: code.length, gzip: gzipSync(code).length, metafile: result.metafile as Metafile };
  };
  const evaluate = await bundle(join(root, 'packages/functions/src/evaluate.ts'), join(out, 'evaluate.mjs'));
  const clients = [
    ...new Set(
      Object.keys(evaluate.metafile.inputs)
        .map((path) => path.match(/node_modules\/(@aws-sdk\/(?:client-[^/]+|lib-dynamodb))\//)?.[1])
        .filter((name): name is string => name !== undefined),
    ),
  ].sort();
  // The floor: the same client classes alone (what any handler of these services must load).
  const classes = await Promise.all(
    clients.map(async (name) => {
      const exported = Object.keys(await import(name)).filter((key) => /^[A-Z][A-Za-z0-9]*Client$/.test(key));
      const main = exported.sort((a, b) => a.length - b.length)[0];
      if (!main) throw new Error(`${name} exports no client class`);
      return { name, main };
    }),
  );
  const floorEntry = join(out, 'floor.ts');
  writeFileSync(
    floorEntry,
    `${classes.map(({ name, main }) => `import { ${main} } from '${name}';`).join('\n')}\nexport const clients = [${classes.map(({ main }) => main).join(', ')}];\n`,
  );
  const floor = await bundle(floorEntry, join(out, 'floor.mjs'));
  const importOf = (file: string) => ({
    name: file,
    argv: [node, '--input-type=module', '-e', `await import(${JSON.stringify(file)})`],
    env: { AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const [ours, sdk] = interleaved(
    [importOf(join(out, 'evaluate.mjs')), importOf(join(out, 'floor.mjs'))],
    ROUNDS * 2,
  ).map(summarize);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  ratioRow(
    'evaluate cold import, bundled as SST builds it',
    1.1,
    ours as { ms: number },
    'the same SDK clients alone',
    sdk as { ms: number },
    `bundle ${kb(evaluate.bytes)} (${kb(evaluate.gzip)} gzip) vs ${kb(floor.bytes)} (${kb(floor.gzip)} gzip)`,
  );
}

const table = markdownTable(rows);
const notes = rows.filter((row) => row.note).map((row) => `- ${row.job}: ${row.note}`);
const report = `${table}\n\n${notes.join('\n')}\n\nMedians of interleaved runs (${ROUNDS}+ rounds per row), measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` on a ${spawnSync('nproc').stdout.toString().trim()}-core machine.`;
writeFileSync(join(out, 'results.md'), `${report}\n`);
console.log(`\n${report}`);
if (process.argv.includes('--write-readme')) {
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (!text.includes(start) || !text.includes(end))
    throw new Error(`README.md has no ${start} … ${end} markers`);
  writeFileSync(readme, text.replace(new RegExp(`${start}[\\s\\S]*${end}`), `${start}\n${report}\n${end}`));
  console.log('README.md updated');
}
