/** Durations as people write them: "90m", "8h", "1h30m", "2d". */
const PART = /(\d+)\s*([smhd])/g;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export type DurationResult = { ok: true; ms: number } | { ok: false; reason: string };

export function parseDuration(text: string): DurationResult {
  const known = durations.get(text);
  if (known) return known;
  if (durations.size >= MAX_DURATIONS) durations.clear();
  const result = Object.freeze(readDuration(text));
  durations.set(text, result);
  return result;
}

/**
 * The decision reads the circuit breaker's durations from config for every verdict: the same few
 * texts, so each is read once (bounded, since requests carry durations of their own too).
 */
const durations = new Map<string, DurationResult>();
const MAX_DURATIONS = 256;

function readDuration(text: string): DurationResult {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+\s*[smhd]\s*)+$/.test(trimmed)) {
    return { ok: false, reason: `"${text}" is not a duration: use e.g. 30m, 2h, 1h30m or 1d` };
  }
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) {
    ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  if (ms <= 0) return { ok: false, reason: `"${text}" is not a positive duration` };
  return { ok: true, ms };
}

/** 5400000 → "1h30m"; the inverse of parseDuration for whole minutes. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  let minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  return `${days ? `${days}d` : ''}${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}` || '0m';
}
