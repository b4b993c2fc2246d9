import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export const MOTO_INSTALL_HINT = 'pip install "moto[server]"';

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
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

async function waitUntilUp(endpoint: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited early with code ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto did not answer on ${endpoint} within ${deadlineMs} ms`);
}

/**
 * Starts moto's server on a free loopback port. The process is killed by `stop()` and, as a last
 * resort, when this process exits, so a crashed demo leaves nothing listening.
 */
export async function startMoto(options: { python?: string; timeoutMs?: number } = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(
    options.python ?? process.env.DRIFTGUARD_PYTHON ?? 'python3',
    ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill);
  try {
    await waitUntilUp(endpoint, child, options.timeoutMs ?? 30_000);
  } catch (error) {
    kill();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        process.removeListener('exit', kill);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        kill();
      }),
  };
}
