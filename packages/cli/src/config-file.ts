import { readFile } from 'node:fs/promises';
import type { Config } from '@driftguard/core';
import { UsageError } from './errors';

/** Loads and validates a JSON config file; without one, every default applies. */
export async function loadConfig(path: string | undefined): Promise<Config> {
  let raw: unknown = {};
  if (path) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`config ${path} is not JSON: ${(error as Error).message}`);
    }
  }
  // Imported here, not at the top: every command module imports this file, and `--help` must not
  // load the schema library.
  const { parseConfig } = await import('@driftguard/core');
  const parsed = parseConfig(raw);
  if (!parsed.ok) throw new UsageError(`${path ?? 'config'}: ${parsed.reason}`);
  return parsed.config;
}
