import type { BuildResult } from 'esbuild';

/** Builds packages/cli/dist (see build.mjs). */
export function buildCli(options?: { quiet?: boolean }): Promise<BuildResult>;
