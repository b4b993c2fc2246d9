/**
 * DEPLOY.md's Organizations delegation step, run as written: its statement and its jq filter, taken
 * from DEPLOY.md itself, applied to the management account's current delegation policy. What a
 * platform team notices: the statements other services put there (Security Hub, Config, …) are all
 * kept, and a re-run replaces driftguard's own statement instead of adding a second one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const deploy = readFileSync(new URL('../../DEPLOY.md', import.meta.url), 'utf8');
const statementText = /cat > driftguard-statement\.json <<'JSON'\n([\s\S]*?)\n\s*JSON\n/.exec(deploy)?.[1];
const filter =
  /jq --slurpfile s driftguard-statement\.json \\\n\s*'([^']+)' current\.json > merged\.json/.exec(
    deploy,
  )?.[1];

// DEPLOY.md's step runs jq, so the test does too: a machine without it fails here with what to do,
// rather than skipping the check.
function requireJq(): void {
  try {
    execFileSync('jq', ['--version'], { stdio: 'ignore' });
  } catch (cause) {
    throw new Error("jq is not installed: DEPLOY.md's delegation step uses it (apt-get install jq)", {
      cause,
    });
  }
}

/** The merged policy DEPLOY.md's commands write, from this current policy. */
function merge(current: unknown): { Statement: { Sid?: string }[] } {
  requireJq();
  const dir = mkdtempSync(join(tmpdir(), 'delegation-merge-'));
  writeFileSync(join(dir, 'driftguard-statement.json'), statementText as string);
  writeFileSync(join(dir, 'current.json'), JSON.stringify(current));
  const merged = execFileSync(
    'jq',
    ['--slurpfile', 's', 'driftguard-statement.json', filter as string, 'current.json'],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  return JSON.parse(merged);
}

const securityHub = {
  Sid: 'SecurityHubDelegation',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::222233334444:root' },
  Action: 'organizations:Describe*',
  Resource: '*',
};

describe('DEPLOY.md: the Organizations delegation step merges (jq, as documented)', () => {
  it('documents the statement and the merge filter', () => {
    expect(JSON.parse(statementText as string)).toMatchObject({ Sid: 'DriftguardReadsTheOrganization' });
    expect(filter).toContain('DriftguardReadsTheOrganization');
  });

  it('keeps every other service statement and adds driftguard once', () => {
    const merged = merge({ Version: '2012-10-17', Statement: [securityHub] });
    expect(merged.Statement.map((statement) => statement.Sid)).toEqual([
      'SecurityHubDelegation',
      'DriftguardReadsTheOrganization',
    ]);
    expect(merged.Statement[0]).toEqual(securityHub);
  });

  it('a re-run replaces driftguard’s statement instead of adding a second', () => {
    const once = merge({ Version: '2012-10-17', Statement: [securityHub] });
    const twice = merge(once);
    expect(twice).toEqual(once);
  });

  it('starts from the empty policy DEPLOY.md writes when there is none', () => {
    const merged = merge({ Version: '2012-10-17', Statement: [] });
    expect(merged.Statement.map((statement) => statement.Sid)).toEqual(['DriftguardReadsTheOrganization']);
  });
});
