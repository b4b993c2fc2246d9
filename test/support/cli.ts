import { spawn } from 'node:child_process';
import { Console } from 'node:console';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../packages/cli/bin/driftguard.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a `driftguard` command in this process through the CLI's own entry function (`main`, the
 * sources under test), against the same AWS endpoints (moto) with real SDK clients over HTTP: a
 * fresh Node process per case cost more CPU than most of these tests. What only a separate process
 * shows (the prebuilt bundle loads, argv and exit code reach the shell, nothing keeps the process
 * alive) is covered by a few end-to-end runs of the prebuilt command (`runBuiltCli`): the demo, a
 * sweep, an exemption request signed with SigV4, a replay.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCliInProcess(args, options);
}

let running = false;

/**
 * `main(argv)` with the process's output streams (console included), stdin, exit code and
 * environment swapped for the call, then put back, whatever the command changed. One call at a
 * time (a test file runs its tests in order). An error `main` lets escape ends the command as Node
 * would end the process: its stack on stderr, exit code 1.
 */
export async function runCliInProcess(args: string[], options: CliOptions = {}): Promise<CliResult> {
  if (running) throw new Error('runCliInProcess: one command at a time');
  running = true;
  const savedEnv = { ...process.env };
  const saved = {
    stdout: process.stdout.write,
    stderr: process.stderr.write,
    console: globalThis.console,
    exitCode: process.exitCode,
    stdin: Object.getOwnPropertyDescriptor(process, 'stdin'),
    stdoutTTY: Object.getOwnPropertyDescriptor(process.stdout, 'isTTY'),
    stderrTTY: Object.getOwnPropertyDescriptor(process.stderr, 'isTTY'),
  };
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
    // As in a spawned command: output to pipes (no colours, no TTY progress), the caller's environment.
    for (const [key, value] of Object.entries({ NO_COLOR: '1', ...options.env })) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    for (const stream of [process.stdout, process.stderr])
      Object.defineProperty(stream, 'isTTY', { value: false, configurable: true, writable: true });
    process.stdout.write = capture(out) as typeof process.stdout.write;
    process.stderr.write = capture(err) as typeof process.stderr.write;
    // vitest's console reports to the runner, not through process.stdout: the command's console.log
    // must land in the captured output as it would in a terminal.
    globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });
    process.exitCode = undefined;
    const input = Readable.from([Buffer.from(options.input ?? '')]);
    Object.defineProperty(process, 'stdin', { value: input, configurable: true, writable: true });
    const { main } = await import('../../packages/cli/src/main');
    try {
      await main([process.execPath, CLI, ...args]);
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    }
    const code = process.exitCode;
    return {
      code: typeof code === 'number' ? code : Number(code ?? 0),
      stdout: out.join(''),
      stderr: err.join(''),
    };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    globalThis.console = saved.console;
    process.exitCode = saved.exitCode;
    if (saved.stdin) Object.defineProperty(process, 'stdin', saved.stdin);
    restoreProperty(process.stdout, 'isTTY', saved.stdoutTTY);
    restoreProperty(process.stderr, 'isTTY', saved.stderrTTY);
    // The command may have changed the environment itself (the demo points it at its own moto).
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    running = false;
  }
}

function restoreProperty(target: object, key: string, descriptor: PropertyDescriptor | undefined): void {
  if (descriptor) Object.defineProperty(target, key, descriptor);
  else Reflect.deleteProperty(target, key);
}

/** Runs the prebuilt `driftguard` command as a user would: a separate process, real argv, real exit code. */
export function runBuiltCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
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
