/**
 * Events are read by recursive code (schema validation, key conversion, policy parsing): input
 * nested deeper than anything AWS sends would exhaust the stack with a RangeError, which the
 * handler cannot tell from a transient failure. Real CloudTrail records and GuardDuty findings nest
 * about a dozen levels (a policy document inside request parameters included), so 64 leaves room
 * and refuses the rest up front, as bad input with a reason.
 */
export const MAX_EVENT_DEPTH = 64;

/** How much of the path to the too-deep value a reason shows. */
const PATH_SHOWN = 8;

/** Undefined when `input` nests at most `maxDepth` levels; otherwise why it is refused. Iterative. */
export function tooDeep(input: unknown, maxDepth = MAX_EVENT_DEPTH): string | undefined {
  const work: { value: unknown; depth: number; path: string[] }[] = [{ value: input, depth: 0, path: [] }];
  for (let next = work.pop(); next; next = work.pop()) {
    const { value, depth, path } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) {
      const shown = path.slice(0, PATH_SHOWN).join('.');
      const more = path.length > PATH_SHOWN ? '.…' : '';
      return `input nested deeper than ${maxDepth} levels (at $.${shown}${more}): refused as bad input`;
    }
    for (const [key, inner] of Object.entries(value)) {
      if (typeof inner === 'object' && inner !== null)
        work.push({
          value: inner,
          depth: depth + 1,
          path: path.length < PATH_SHOWN + 1 ? [...path, key] : path,
        });
    }
  }
  return undefined;
}
