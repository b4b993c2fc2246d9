/**
 * EC2's CloudTrail records are derived from XML: a set such as `ipPermissions` is
 * `{ items: [...] }` when it has several elements and `{ items: {...} }` when it has one
 * (older records use `item`). Every reader of an EC2 set goes through here.
 */
export function setItems(container: unknown): Record<string, unknown>[] {
  if (container === null || container === undefined) return [];
  if (Array.isArray(container)) return container.filter(isRecord);
  if (!isRecord(container)) return [];
  const inner = container.items ?? container.item;
  if (inner === undefined) return [];
  return asArray(inner).filter(isRecord);
}

export function asArray<T>(value: T | T[] | null | undefined): T[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** CloudTrail numbers may arrive as strings ("22"); anything else non-numeric is undefined. */
export function toInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number.parseInt(value, 10);
  return undefined;
}

export function toStr(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The first of `keys` present (neither undefined nor null): records spell a field PascalCase or camelCase. */
export function pick(record: Record<string, unknown>, ...keys: string[]): unknown {
  return keys.map((key) => record[key]).find((value) => value !== undefined && value !== null);
}

/** An EC2 set in any of its CloudTrail forms: array, single object, or `{items|item}`. */
export function setEntries(value: unknown): Record<string, unknown>[] {
  if (isRecord(value) && (value.items !== undefined || value.item !== undefined)) return setItems(value);
  return asArray(value).filter(isRecord);
}

/**
 * The newer EC2 APIs wrap their parameters (`requestParameters.<Action>Request`, PascalCase) and
 * their results (`responseElements.<Action>Response`, camelCase). Older or hand-made records are
 * flat. Returns the inner object when wrapped, else the record itself.
 */
export function unwrap(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const inner = record[key];
  return isRecord(inner) ? inner : record;
}

/**
 * A list of strings in any form a CloudTrail record gives it: a string, an array, the wrapped
 * APIs' `{ tag, content }` items (an object for one element, an array for several), or an EC2
 * `{ items | item }` set.
 */
export function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.length > 0 ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(stringList);
  if (!isRecord(value)) return [];
  if (value.content !== undefined) return stringList(value.content);
  if (value.items !== undefined || value.item !== undefined) return stringList(value.items ?? value.item);
  const principal = toStr(value.principal) ?? toStr(value.Principal);
  return principal ? [principal] : [];
}

/** `true`/`false` as booleans or strings ("false" in XML-derived records); undefined otherwise. */
export function toBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim()))
    return value.trim().toLowerCase() === 'true';
  return undefined;
}
