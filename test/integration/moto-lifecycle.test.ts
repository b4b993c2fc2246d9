import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fastMotoPython } from '../../bench/moto-fast';
import { describeMotoExit, type MotoServer, startMoto } from '../../packages/cli/src/moto';
import { motoEndpoint } from '../support/aws';

const portOf = (server: MotoServer) => Number(new URL(server.endpoint).port);
const answers = (server: MotoServer) =>
  fetch(`${server.endpoint}/moto-api/data.json`).then(
    (response) => response.ok,
    () => false,
  );
/** Whether a promise has settled once everything already queued has run. */
const settledYet = (promise: Promise<unknown>) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setImmediate(() => resolve(false))),
  ]);

/**
 * The lifecycle the benches and the demo rely on, with real moto processes: a moto that goes away
 * without its owner asking is reported (which, how, its last stderr), one its owner stops is not,
 * a port another moto holds is never taken for ours, and a signal to the owner's process group
 * does not reach it.
 */
describe.skipIf(!motoEndpoint)('moto servers started by driftguard', () => {
  const started: MotoServer[] = [];
  const start = async (options?: Parameters<typeof startMoto>[0]) => {
    const server = await startMoto(options);
    started.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.stop()));
  });

  it('reports a moto killed by someone else: which one, how, and what it last wrote', async () => {
    const server = await start();
    process.kill(server.pid, 'SIGKILL');

    const exit = await server.unexpectedExit;
    expect(exit).toMatchObject({ endpoint: server.endpoint, pid: server.pid, code: null, signal: 'SIGKILL' });
    // moto's own startup line, from its stderr.
    expect(exit.stderrTail).toContain(`Running on ${server.endpoint}`);
    const report = describeMotoExit(exit);
    expect(report).toContain(`moto on ${server.endpoint} (pid ${server.pid}) went away at `);
    expect(report).toContain('killed by SIGKILL; nothing of this process asked it to stop');
    expect(report).toContain(`Running on ${server.endpoint}`);
  });

  it('does not report a moto its owner stopped, and nothing answers on its port afterwards', async () => {
    const server = await start();
    expect(await answers(server)).toBe(true);

    await server.stop();

    expect(await answers(server)).toBe(false);
    expect(await settledYet(server.unexpectedExit)).toBe(false);
  });

  it('refuses a port another moto already serves instead of taking that moto for its own', async () => {
    const first = await start();

    await expect(start({ port: portOf(first) })).rejects.toThrow(
      `port ${portOf(first)} is held by another process, not by moto`,
    );
    // The moto that held the port is untouched.
    expect(await answers(first)).toBe(true);
    expect(await settledYet(first.unexpectedExit)).toBe(false);
  });

  it("runs moto in its own process group, out of reach of a signal to its owner's group", async () => {
    const server = await start();
    const groupOf = (pid: number) =>
      Number(spawnSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim());

    expect(groupOf(server.pid)).toBe(server.pid);
    expect(groupOf(process.pid)).not.toBe(server.pid);
  });

  it("the bench's moto names the sender of a stopping signal before it exits", async () => {
    const server = await start({ python: fastMotoPython() });
    process.kill(server.pid, 'SIGTERM');

    const exit = await server.unexpectedExit;
    expect(exit.code).toBe(128 + 15);
    expect(exit.stderrTail).toContain(`moto (pid ${server.pid}): SIGTERM from pid ${process.pid} (`);
    expect(describeMotoExit(exit)).toContain(`exited with code 143 (128 + SIGTERM)`);
  });
});
