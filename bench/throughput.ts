import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assess, defaultConfig, normalizeCloudTrail } from '@driftguard/core';

const CASES = fileURLToPath(new URL('../test/fixtures/cases/', import.meta.url));

/** Every fixture event plus the unrelated calls that make up most of a real CloudTrail log. */
function recordMix(): unknown[] {
  const fixtures = readdirSync(CASES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(join(CASES, dir.name)).map((file) => {
        const event = (
          JSON.parse(readFileSync(join(CASES, dir.name, file), 'utf8')) as { event: Record<string, unknown> }
        ).event;
        return event.detail ?? event;
      }),
    );
  const unrelated = fixtures.slice(0, 4).map((record, index) => ({
    ...(record as object),
    eventName: ['DescribeInstances', 'RunInstances', 'CreateTags', 'GetObject'][index],
  }));
  return [...fixtures, ...unrelated, ...unrelated, ...unrelated];
}

export function evaluatorThroughput(durationMs: number) {
  const config = defaultConfig();
  const mix = recordMix();
  let records = 0;
  let violations = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    for (const record of mix) {
      const normalized = normalizeCloudTrail(record);
      if (normalized.ok && assess(normalized.change, config).status === 'violation') violations += 1;
      records += 1;
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  return { records, violations, recordsPerSecond: records / elapsed };
}
