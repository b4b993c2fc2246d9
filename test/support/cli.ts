import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../packages/cli/bin/driftguard.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the `driftguard` command. Commands that never call AWS (replay without --apply, lint-policy,
 * config validate) run in this process through the CLI's own entry function (`main`, the
 * sources under test): a fresh process costs more CPU than most of these tests. Everything else runs
 * as a user runs it, the prebuilt command in a separate process (`runBuiltCli`).
 */
export function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return offline(args) ? runCliInProcess(args, options) : runBuiltCli(args, options);
}

function offline(args: readonly string[]): boolean {
  const [command, sub] = args;
  if (command === 'replay') return !args.includes('--apply');
  if (command === 'config') return sub === 'validate';
  return command === 'lint-policy';
}

let running = false;

/**
 * `main(argv)` with the process's output streams, stdin, exit code and the given environment
 * swapped for the call, then put back. One call at a time (a test file runs its tests in order).
 */
export async function runCliInProcess(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  if (running) throw new Error('runCliInProcess: one command at a time');
  running = true;
  const { main } = await import('../../packages/cli/src/main');
  const saved = {
    stdout: process.stdout.write,
    stderr: process.stderr.write,
    exitCode: process.exitCode,
    stdin: Object.getOwnPropertyDescriptor(process, 'stdin'),
  };
  const env = { NO_COLOR: '1', ...options.env };
  const previousEnv = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const out: string[] = [];
  const err: string[] = [];
  const capture =
    (into: string[]) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const done = rest.find((item) => typeof item === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
  try {
    process.stdout.write = capture(out) as typeof process.stdout.write;
    process.stderr.write = capture(err) as typeof process.stderr.write;
    process.exitCode = undefined;
    for (const [key, value] of Object.entries(env)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    const input = Readable.from([Buffer.from(options.input ?? '')]);
    Object.defineProperty(process, 'stdin', { value: input, configurable: true, writable: true });
    await main([process.execPath, CLI, ...args]);
    const code = process.exitCode;
    return {
      code: typeof code === 'number' ? code : Number(code ?? 0),
      stdout: out.join(''),
      stderr: err.join(''),
    };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    process.exitCode = saved.exitCode;
    if (saved.stdin) Object.defineProperty(process, 'stdin', saved.stdin);
    for (const [key, value] of Object.entries(previousEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    running = false;
  }
}

/** Runs the prebuilt `driftguard` command as a user would: a separate process, real argv, real exit code. */
export function runBuiltCli(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
