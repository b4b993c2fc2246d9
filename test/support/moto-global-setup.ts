import type { TestProject } from 'vitest/node';
import { MOTO_INSTALL_HINT, type MotoServer, motoAvailable, startMoto } from '../../packages/cli/src/moto';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string | undefined;
  }
}

let server: MotoServer | undefined;

/**
 * One moto server for the whole run, on a random free port. In CI a missing moto fails the run:
 * skipping there would hide every AWS behaviour test. Elsewhere the integration suites skip with
 * one line saying why.
 */
export async function setup(project: TestProject): Promise<void> {
  if (!motoAvailable()) {
    const message = `moto is not installed: integration tests need it (${MOTO_INSTALL_HINT})`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`[driftguard] skipping integration tests: ${message}`);
    project.provide('motoEndpoint', undefined);
    return;
  }
  server = await startMoto();
  process.env.DRIFTGUARD_MOTO_ENDPOINT = server.endpoint;
  project.provide('motoEndpoint', server.endpoint);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
