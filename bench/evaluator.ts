import { assess, assessFinding, defaultConfig, normalizeEvent, unwatchedCall } from '@driftguard/core';
import { median } from './harness';

/**
 * The evaluator as replay runs it on each record (calls no guardrail watches recognised before any
 * schema, the rest normalized and assessed), against JSON.parse of the same records: the work any
 * reader of a trail must do anyway. Pure core, one thread, rounds interleaved.
 */
export function evaluatorRow(
  records: Record<string, unknown>[],
  rounds: number,
): { ours: number; floor: number } {
  const config = defaultConfig();
  const own = [config.remediationRoleName];
  const texts = records.map((record) => JSON.stringify(record));
  const parsed = texts.map((text) => JSON.parse(text) as unknown);
  let sink = 0;
  const evaluateAll = () => {
    for (const record of parsed) {
      if (unwatchedCall(record, own)) {
        sink += 1;
        continue;
      }
      const normalized = normalizeEvent(record);
      if (!normalized.ok) continue;
      const assessment =
        normalized.kind === 'finding'
          ? assessFinding(normalized.finding, config)
          : assess(normalized.change, config);
      if (assessment.status === 'violation') sink += 1;
    }
  };
  const parseAll = () => {
    for (const text of texts) sink += (JSON.parse(text) as unknown) ? 1 : 0;
  };
  const time = (work: () => void) => {
    const started = process.hrtime.bigint();
    work();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  time(evaluateAll);
  time(parseAll);
  const ours: number[] = [];
  const floor: number[] = [];
  // The order alternates: whichever runs second pays for collecting the garbage of the first
  // (JSON.parse leaves every record it built), which biased a fixed order against the evaluator.
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      floor.push(time(parseAll));
      ours.push(time(evaluateAll));
    } else {
      ours.push(time(evaluateAll));
      floor.push(time(parseAll));
    }
  }
  if (sink === 0) throw new Error('the evaluator did nothing: the bench is broken');
  return { ours: median(ours), floor: median(floor) };
}
