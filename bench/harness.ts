/**
 * Whole-process timings for `npm run bench`: each measured command runs interleaved with its floor
 * (the same rounds, alternating), so the noise of a shared machine hits both alike; rows report
 * medians and their ratio, never an absolute goal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Sample {
  ms: number;
  /** Peak resident memory of the process, when GNU time is available. */
  maxRssMiB?: number;
}

export interface Command {
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** Exit codes that count as a successful run (replay exits 1 when it finds violations). */
  okCodes?: number[];
}

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME);

export function runOnce(command: Command): Sample {
  const [file, ...args] = command.argv as [string, ...string[]];
  const wrapped = hasGnuTime ? [GNU_TIME, '-f', '__rss_kib=%M', file, ...args] : command.argv;
  const started = process.hrtime.bigint();
  const run = spawnSync(wrapped[0] as string, wrapped.slice(1), {
    env: { ...process.env, NO_COLOR: '1', ...command.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const stderr = run.stderr?.toString() ?? '';
  if (!(command.okCodes ?? [0]).includes(run.status ?? -1))
    throw new Error(`${command.name} exited ${run.status}: ${stderr.slice(-500)}`);
  const rss = stderr.match(/__rss_kib=(\d+)/)?.[1];
  return { ms, ...(rss ? { maxRssMiB: Number(rss) / 1024 } : {}) };
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Runs every command once per round, in turn, for `rounds` rounds (after one warm-up round). */
export function interleaved(commands: Command[], rounds: number): Sample[][] {
  for (const command of commands) runOnce(command);
  const samples: Sample[][] = commands.map(() => []);
  for (let round = 0; round < rounds; round++)
    for (const [index, command] of commands.entries()) samples[index]?.push(runOnce(command));
  return samples;
}

export interface Row {
  job: string;
  ours: string;
  floorName: string;
  floor: string;
  ratio: number;
  goal: number;
  note?: string;
}

export function summarize(samples: Sample[]) {
  const ms = median(samples.map((sample) => sample.ms));
  const rss = samples.every((sample) => sample.maxRssMiB !== undefined)
    ? median(samples.map((sample) => sample.maxRssMiB as number))
    : undefined;
  return { ms, rss };
}

export const formatMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** The README table: one line per row, ratio against its floor and the goal. */
export function markdownTable(rows: Row[]): string {
  const lines = [
    '| job | driftguard | floor | ratio | goal |',
    '|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.job} | ${row.ours} | ${row.floorName}: ${row.floor} | ${row.ratio.toFixed(2)}× | ≤ ${row.goal}×${row.ratio <= row.goal ? '' : ' (not met)'} |`,
    ),
  ];
  return lines.join('\n');
}
