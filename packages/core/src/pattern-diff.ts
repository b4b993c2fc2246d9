/**
 * Comparing an EventBridge pattern found on a live rule with the one the template wrote.
 *
 * EventBridge reads a pattern's arrays as sets of alternatives and its objects as sets of fields,
 * so two patterns that differ only in key order, array order or whitespace match exactly the same
 * events: they are equal here. Anything else is a difference, named by its path, so an alert can
 * say what changed (an event name dropped, a filter added) rather than "the pattern differs".
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The pattern with object keys sorted and arrays sorted by their canonical text. */
export function canonicalPattern(value: unknown): string {
  return JSON.stringify(canonical(value as Json));
}

function canonical(value: Json): Json {
  if (Array.isArray(value))
    return value
      .map(canonical)
      .map((item) => [JSON.stringify(item), item] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, item]) => item);
  if (isObject(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical(value[key] as Json)]),
    );
  return value;
}

export const samePattern = (a: unknown, b: unknown): boolean => canonicalPattern(a) === canonicalPattern(b);

const MAX_LISTED = 5;
const MAX_DIFFERENCES = 4;

const list = (values: string[]) =>
  values.length > MAX_LISTED
    ? `${values.slice(0, MAX_LISTED).join(', ')} and ${values.length - MAX_LISTED} more`
    : values.join(', ');

/** A value as an alert shows it: live patterns are written by whoever changed the rule, so kept short. */
const show = (value: Json) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
};

/**
 * What differs between the template's pattern and the live one, one phrase per path, at most a few
 * (the rest counted): `detail.eventName lost DeleteRule, PutRule`, `detail.userIdentity added`.
 * Empty when the two are the same pattern.
 */
export function patternDifferences(expected: unknown, found: unknown): string[] {
  const differences: string[] = [];
  walk(expected as Json, found as Json, '', differences);
  if (differences.length <= MAX_DIFFERENCES) return differences;
  return [
    ...differences.slice(0, MAX_DIFFERENCES),
    `and ${differences.length - MAX_DIFFERENCES} more difference(s)`,
  ];
}

function walk(expected: Json, found: Json, path: string, out: string[]): void {
  const where = path || 'the pattern';
  if (isObject(expected) && isObject(found)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(found)])].sort();
    for (const key of keys) {
      const next = path ? `${path}.${key}` : key;
      if (!(key in found)) out.push(`${next} removed`);
      else if (!(key in expected)) out.push(`${next} added`);
      else walk(expected[key] as Json, found[key] as Json, next, out);
    }
    return;
  }
  if (Array.isArray(expected) && Array.isArray(found)) {
    const wanted = new Set(expected.map((item) => canonicalPattern(item)));
    const live = new Set(found.map((item) => canonicalPattern(item)));
    const lost = expected.filter((item) => !live.has(canonicalPattern(item))).map(show);
    const gained = found.filter((item) => !wanted.has(canonicalPattern(item))).map(show);
    if (lost.length === 0 && gained.length === 0) return;
    const parts = [
      ...(lost.length > 0 ? [`lost ${list(lost)}`] : []),
      ...(gained.length > 0 ? [`gained ${list(gained)}`] : []),
    ];
    out.push(`${where} ${parts.join(' and ')}`);
    return;
  }
  if (canonicalPattern(expected) !== canonicalPattern(found))
    out.push(`${where} is ${show(found)}, not ${show(expected)}`);
}
