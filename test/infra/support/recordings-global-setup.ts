import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder of this test run where infra test files share a stack run under Pulumi mocks. */
    infraRecordings: string;
  }
}

let folder: string | undefined;

/** One folder per test run (test/infra/support/sst-mocks.ts `recordedProdStack`). */
export function setup(project: TestProject): void {
  folder = mkdtempSync(join(tmpdir(), 'driftguard-infra-'));
  project.provide('infraRecordings', folder);
}

export function teardown(): void {
  if (folder) rmSync(folder, { recursive: true, force: true });
}
