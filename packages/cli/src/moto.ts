import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants } from 'node:os';

export const MOTO_INSTALL_HINT = 'pip install "moto[server]"';

/** How a moto server went away when its owner had not asked it to stop. */
export interface MotoExit {
  endpoint: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: Date;
  /** From the moment it answered to its exit. */
  upMs: number;
  /** The last of what it wrote on stderr: a traceback, or who signalled it when the launcher says. */
  stderrTail: string;
}

export interface MotoServer {
  endpoint: string;
  pid: number;
  /**
   * Settles only when moto exits without `stop()` having asked it to (killed by someone else,
   * crashed): whatever state it held is gone, so a run using it cannot honestly go on.
   */
  unexpectedExit: Promise<MotoExit>;
  stop(): Promise<void>;
}

/** Launchers (bench/moto-fast.ts) exit with 128 + the signal's number after reporting who sent it. */
const signalOfCode = (code: number | null) =>
  code !== null && code > 128
    ? Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0]
    : undefined;

/** One paragraph a person can act on: which moto, when, how it ended, and its last words. */
export function describeMotoExit(exit: MotoExit): string {
  const signalled = signalOfCode(exit.code);
  const how = exit.signal
    ? `killed by ${exit.signal}`
    : `exited with code ${exit.code}${signalled ? ` (128 + ${signalled})` : ''}`;
  const tail = exit.stderrTail.trim();
  return [
    `moto on ${exit.endpoint} (pid ${exit.pid}) went away at ${exit.at.toISOString()}, ${(exit.upMs / 1000).toFixed(1)} s after it answered: ${how}; nothing of this process asked it to stop.`,
    tail ? `its last stderr:\n${tail}` : 'it wrote nothing on stderr.',
  ].join('\n');
}

/** True when `python3 -m moto.server` can run here. */
export function motoAvailable(python = process.env.DRIFTGUARD_PYTHON ?? 'python3'): boolean {
  const probe = spawnSync(python, ['-c', 'import moto.server'], { stdio: 'ignore', timeout: 20_000 });
  return probe.status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Whether process `pid` holds the listening socket on 127.0.0.1:`port`; undefined where /proc
 * cannot tell (not Linux). Between freePort() and moto's bind another process may take the port;
 * the moto already there would then answer for ours while ours dies, and vanish when its owner
 * stops it.
 */
function holdsPort(pid: number, port: number): boolean | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return undefined;
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const LISTEN = '0A';
  const inodes = new Set(
    table
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1] === local && fields[3] === LISTEN)
      .map((fields) => `socket:[${fields[9]}]`),
  );
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false; // closed while listed
      }
    });
  } catch (error) {
    // Gone (it exited, e.g. on failing to bind): it holds nothing. Unreadable otherwise: cannot tell.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? false : undefined;
  }
}

class PortTakenError extends Error {
  constructor(port: number, pid: number | undefined) {
    super(`port ${port} is held by another process, not by moto (pid ${pid})`);
  }
}

async function waitUntilUp(
  endpoint: string,
  port: number,
  child: ChildProcess,
  deadlineMs: number,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let answeredForOther = false;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw answeredForOther
        ? new PortTakenError(port, child.pid)
        : new Error(`moto exited early with code ${child.exitCode ?? child.signalCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) {
        if (holdsPort(child.pid as number, port) !== false) return;
        answeredForOther = true;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw answeredForOther
    ? new PortTakenError(port, child.pid)
    : new Error(`moto did not answer on ${endpoint} within ${deadlineMs} ms`);
}

const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function launch(
  python: string,
  port: number,
  timeoutMs: number,
): Promise<{ server: MotoServer } | { portTaken: Error }> {
  const endpoint = `http://127.0.0.1:${port}`;
  // Its own process group: a signal meant for this process's group (Ctrl-C, a job killed by its
  // group id) does not reach moto; only its owner stops it, below, and on the way out.
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let stopping = false;
  const kill = () => {
    stopping = true;
    child.kill('SIGTERM');
  };
  // Out of its group, moto no longer dies with this process on a signal: stop it, then let the
  // signal do what it would have done had nothing else listened for it.
  const onSignal = (signal: NodeJS.Signals) => {
    kill();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const forget = () => {
    process.removeListener('exit', kill);
    for (const signal of ENDING_SIGNALS) process.removeListener(signal, onSignal);
  };
  process.once('exit', kill);
  for (const signal of ENDING_SIGNALS) process.once(signal, onSignal);
  // After its exit, once its stderr is read to the end.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  /** SIGTERM (moto's handler exits), SIGKILL if it has not gone within 10 s. */
  const terminate = async () => {
    kill();
    const stubborn = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await closed;
    clearTimeout(stubborn);
  };
  try {
    await waitUntilUp(endpoint, port, child, timeoutMs);
  } catch (error) {
    forget();
    await terminate();
    if (error instanceof PortTakenError) return { portTaken: error };
    if (/address already in use/i.test(stderr)) return { portTaken: new PortTakenError(port, child.pid) };
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  const upAt = Date.now();
  const unexpectedExit = new Promise<MotoExit>((resolve) => {
    child.once('close', (code, signal) => {
      forget();
      if (stopping) return;
      resolve({
        endpoint,
        pid: child.pid as number,
        code,
        signal,
        at: new Date(),
        upMs: Date.now() - upAt,
        stderrTail: stderr,
      });
    });
  });
  return {
    server: {
      endpoint,
      pid: child.pid as number,
      unexpectedExit,
      stop: async () => {
        forget();
        if (child.exitCode !== null || child.signalCode !== null) return;
        await terminate();
      },
    },
  };
}

/**
 * Starts moto's server on a free loopback port (or `port`), in its own process group. The process
 * is killed by `stop()` and, as a last resort, when this process exits or is signalled, so a
 * crashed demo leaves nothing listening. A port another process took before moto could bind it is
 * never mistaken for ours: a free port is picked again, a given one is refused.
 */
export async function startMoto(
  options: { python?: string; timeoutMs?: number; port?: number } = {},
): Promise<MotoServer> {
  const python = options.python ?? process.env.DRIFTGUARD_PYTHON ?? 'python3';
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const started = await launch(python, port, options.timeoutMs ?? 30_000);
    if ('server' in started) return started.server;
    if (options.port !== undefined || attempt === 3) throw started.portTaken;
  }
}
