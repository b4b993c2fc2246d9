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
import { evaluatorRow } from './evaluator';
import { formatMs, interleaved, markdownTable, type Row, summarize } from './harness';
import { revertLatencyRow } from './revert-latency';
import { sstBuild } from './sst-build';
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
  // Many rounds: each costs ~0.1 s, and with 27 the p99 was the slowest revert of the run.
  const latency = await revertLatencyRow(Math.max(45, ROUNDS * 5));
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

// 7. Cold import of the evaluate handler bundled as SST bundles it, against the SDK clients its INIT
//    loads. With splitting (infra/bundling.ts) the deployed INIT is the entry and the chunks it
//    imports statically; what the first revert or finding imports later is measured beside it.
{
  const evaluate = await sstBuild(
    join(root, 'packages/functions/src/evaluate.ts'),
    join(out, 'evaluate'),
    root,
  );
  // A floor: the SDK client classes named by these inputs, alone (what any handler of these
  // services must load), built the same way.
  const clientsFloor = async (inputs: string[], name: string) => {
    const packages = [
      ...new Set(
        inputs
          .map((path) => path.match(/node_modules\/(@aws-sdk\/(?:client-[^/]+|lib-dynamodb))\//)?.[1])
          .filter((client): client is string => client !== undefined),
      ),
    ].sort();
    const classes = await Promise.all(
      packages.map(async (client) => {
        const exported = Object.keys(await import(client)).filter((key) =>
          /^[A-Z][A-Za-z0-9]*Client$/.test(key),
        );
        const main = exported.sort((a, b) => a.length - b.length)[0];
        if (!main) throw new Error(`${client} exports no client class`);
        return { client, main };
      }),
    );
    const entry = join(out, `${name}.ts`);
    writeFileSync(
      entry,
      `${classes.map(({ client, main }) => `import { ${main} } from '${client}';`).join('\n')}\nexport const clients = [${classes.map(({ main }) => main).join(', ')}];\n`,
    );
    return { clients: packages.length, ...(await sstBuild(entry, join(out, name), root)) };
  };
  // The row's floor is the clients INIT loads; the function's every client (what INIT loaded before
  // the executor and the Security Hub exporter were deferred) is printed beside it.
  const floor = await clientsFloor(evaluate.initInputs, 'floor');
  const allClients = await clientsFloor(evaluate.allInputs, 'floor-all');
  const env = { AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const importOf = (name: string, files: string[]) => ({
    name,
    argv: [
      node,
      '--input-type=module',
      '-e',
      files.map((file) => `await import(${JSON.stringify(file)});`).join(''),
    ],
    env,
  });
  // INIT, its floor, and INIT followed by the deferred chunks (what a container's first revert or
  // Security Hub finding adds: nobody should read the cold figure as free).
  const [ours, sdk, withDeferred, everyClient] = interleaved(
    [
      importOf('evaluate INIT', [evaluate.entry]),
      importOf('floor', [floor.entry]),
      importOf('evaluate INIT + deferred chunks', [evaluate.entry, ...evaluate.deferred]),
      importOf('every client of the function', [allClients.entry]),
    ],
    ROUNDS * 2,
  ).map(summarize) as unknown as [{ ms: number }, { ms: number }, { ms: number }, { ms: number }];
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  ratioRow(
    'evaluate cold import, bundled as SST builds it',
    1.1,
    ours,
    'the same SDK clients alone',
    sdk,
    `INIT ${kb(evaluate.initBytes)} (${kb(evaluate.initGzip)} gzip, ${evaluate.init.length} files) vs ${kb(floor.initBytes)} (${kb(floor.initGzip)} gzip) for its ${floor.clients} SDK clients; ` +
      `the first revert or Security Hub finding of a container imports ${evaluate.deferred.length} deferred chunks (of ${kb(evaluate.lazyBytes)} not loaded at INIT): +${formatMs(withDeferred.ms - ours.ms)}; ` +
      `all ${allClients.clients} clients of the function alone: ${formatMs(everyClient.ms)} (${kb(allClients.initBytes)})`,
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
