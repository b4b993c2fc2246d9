#!/usr/bin/env node
/**
 * Makes sure `.sst/platform` (SST's platform types and its Pulumi runtime, ~300 MB, ignored by
 * git) exists for the installed `sst` version, running `sst install` offline when it does not
 * (DESIGN.md §6: only the npm registry is needed). Used by `npm run typecheck:infra` and by the
 * infra tests; a lock keeps concurrent callers from installing twice.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const platform = join(root, '.sst', 'platform');
const lock = join(root, '.sst', 'install.lock');

function wantedVersion() {
  return JSON.parse(readFileSync(join(root, 'node_modules', 'sst', 'package.json'), 'utf8')).version;
}

export function platformReady() {
  const versionFile = join(platform, 'version');
  return (
    existsSync(join(platform, 'config.d.ts')) &&
    existsSync(join(platform, 'node_modules', '@pulumi', 'pulumi', 'package.json')) &&
    existsSync(join(platform, 'node_modules', '@pulumi', 'aws', 'package.json')) &&
    existsSync(versionFile) &&
    readFileSync(versionFile, 'utf8').trim() === wantedVersion()
  );
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pid in the lock, 0 while its holder has not written it yet (never writes into the lock). */
function holderOf() {
  try {
    return Number(readFileSync(join(lock, 'pid'), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

function lockAgeMs() {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Frees the lock: renamed away first (atomic), then removed, so a waiter never sees a half-removed
 * lock, and a waiter reading the pid meanwhile cannot make the removal fail.
 */
function release() {
  const released = `${lock}.${process.pid}.${Date.now()}`;
  try {
    renameSync(lock, released);
  } catch {
    return; // already released by someone else
  }
  rmSync(released, { recursive: true, force: true });
}

function acquire(deadline) {
  mkdirSync(join(root, '.sst'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return;
    } catch {
      const holder = holderOf();
      // A holder writes its pid right after taking the lock: a lock still without one a minute
      // later was left by a process that died in between.
      if (holder ? !alive(holder) : lockAgeMs() > 60_000) release();
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${lock}; remove it if no install is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
}

export function ensurePlatform({ quiet = false } = {}) {
  if (platformReady()) return;
  acquire(Date.now() + 10 * 60_000);
  try {
    if (platformReady()) return;
    if (!quiet)
      console.error('[driftguard] installing SST platform types into .sst/platform (offline, ~1 min)…');
    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'sst', 'bin', 'sst.mjs'), 'install'],
      {
        cwd: root,
        stdio: quiet ? 'pipe' : 'inherit',
        encoding: 'utf8',
        env: {
          ...process.env,
          SST_TELEMETRY_DISABLED: '1',
          SST_SKIP_DEPENDENCY_CHECK: 'true',
          SST_NO_BUN: 'true',
          SST_STAGE: process.env.SST_STAGE ?? 'ci',
          // `sst install` evaluates app() only to learn the providers: a stage without its
          // stages/<stage>.json (CI, a fresh clone) then gets a protected stand-in (infra/stages.ts).
          DRIFTGUARD_SST_INSTALL_ONLY: '1',
        },
      },
    );
    if (result.status !== 0 || !platformReady()) {
      throw new Error(
        `sst install failed (exit ${result.status}):\n${result.stdout ?? ''}${result.stderr ?? ''}`,
      );
    }
  } finally {
    release();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensurePlatform();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
