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
