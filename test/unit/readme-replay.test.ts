import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { replay } from '../../packages/cli/src/replay';

const root = fileURLToPath(new URL('../../', import.meta.url));
const COMMAND = '$ npx driftguard replay packages/cli/samples/awslogs';

/** The README's replay of the checked-in AWSLogs tree: the output lines and the exit code it shows. */
function documented(): { output: string; code: number } {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const block = readme.slice(
    readme.indexOf('<!-- replay-awslogs:begin -->'),
    readme.indexOf('<!-- replay-awslogs:end -->'),
  );
  const lines = block.split('\n');
  const start = lines.indexOf(COMMAND);
  const echo = lines.indexOf('$ echo $?');
  expect(start, 'README shows the command').toBeGreaterThan(-1);
  expect(echo, 'README shows the exit code').toBeGreaterThan(start);
  return { output: lines.slice(start + 1, echo).join('\n'), code: Number(lines[echo + 1]) };
}

describe("README's replay of a real AWSLogs folder", () => {
  it('is the unedited output of the command on the checked-in tree (log, digest, Insights file)', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    err.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await replay(`${root}packages/cli/samples/awslogs`, {
      json: false,
      apply: false,
      config: defaultConfig(),
      out,
      err,
    });
    const readme = documented();
    expect(stderr).toBe('');
    expect(stdout.trimEnd()).toBe(readme.output);
    expect(code).toBe(readme.code);
  });
});
