import { PolicyError } from '../errors';

/**
 * IAM policy documents as written by people: a JSON string or an object, `Statement` as one
 * object or a list, `Principal` as "*" or a map of types to one value or a list, condition values
 * as strings, numbers, booleans or lists of them. `parsePolicy` turns any of these into one typed
 * shape, or says what is wrong and where. It never throws, whatever the input.
 */

export type Effect = 'Allow' | 'Deny';

export const PRINCIPAL_TYPES = ['AWS', 'Service', 'Federated', 'CanonicalUser'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

export interface PrincipalEntry {
  type: PrincipalType;
  value: string;
}

/** `"Principal": "*"` is its own form; `{"AWS": "*"}` is an entry of type AWS with value "*". */
export type PrincipalElement = { kind: 'wildcard' } | { kind: 'entries'; entries: PrincipalEntry[] };

export type SetQualifier = 'ForAnyValue' | 'ForAllValues';

export interface ConditionEntry {
  /** As written, e.g. "ForAnyValue:StringEqualsIfExists". */
  operator: string;
  /** The operator without qualifier and IfExists, e.g. "StringEquals". */
  base: string;
  qualifier?: SetQualifier;
  ifExists: boolean;
  /** StringNotEquals, ArnNotLike, NotIpAddress, …: match everything except the values. */
  negated: boolean;
  /** The condition key as written (keys are case-insensitive: compare `keyLower`). */
  key: string;
  keyLower: string;
  values: string[];
}

export interface Statement {
  /** Position in the document (0-based), stable for messages and reverts. */
  index: number;
  sid?: string;
  effect: Effect;
  principal?: PrincipalElement;
  notPrincipal?: PrincipalElement;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  conditions: ConditionEntry[];
  /** The statement exactly as written, so a revert can rebuild the document without others. */
  source: Record<string, unknown>;
}

export interface PolicyDocument {
  version?: string;
  id?: string;
  statements: Statement[];
  /** The document as written (top-level elements other than Statement are kept by reverts). */
  source: Record<string, unknown>;
}

export type ParsedPolicy = { ok: true; policy: PolicyDocument } | { ok: false; reason: string };

const NEGATED_OPERATORS = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'NumericNotEquals',
  'DateNotEquals',
  'NotIpAddress',
  'ArnNotEquals',
  'ArnNotLike',
]);

/** Elements a statement may have only one of. */
const EXCLUSIVE_ELEMENTS: readonly (readonly [string, string])[] = [
  ['Principal', 'NotPrincipal'],
  ['Action', 'NotAction'],
  ['Resource', 'NotResource'],
];

const KNOWN_STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `a ${typeof value}`;
}

function stringList(value: unknown, where: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) {
    return value as string[];
  }
  throw new PolicyError(`${where} must be a string or a non-empty list of strings, got ${describe(value)}`);
}

function parsePrincipal(value: unknown, where: string): PrincipalElement {
  if (value === '*') return { kind: 'wildcard' };
  if (!isObject(value)) {
    throw new PolicyError(`${where} must be "*" or an object such as {"AWS": […]}, got ${describe(value)}`);
  }
  const entries: PrincipalEntry[] = [];
  for (const [type, values] of Object.entries(value)) {
    if (!(PRINCIPAL_TYPES as readonly string[]).includes(type)) {
      throw new PolicyError(
        `${where} has unknown principal type "${type}" (expected ${PRINCIPAL_TYPES.join(', ')})`,
      );
    }
    for (const item of stringList(values, `${where}.${type}`)) {
      entries.push({ type: type as PrincipalType, value: item.trim() });
    }
  }
  // `"Principal": {}` is valid JSON that names nobody: judged (it grants nothing), not refused.
  return { kind: 'entries', entries };
}

/** "ForAnyValue:StringEqualsIfExists" → qualifier, base operator, IfExists, negation. */
export function parseOperator(operator: string): Omit<ConditionEntry, 'key' | 'keyLower' | 'values'> {
  let rest = operator;
  let qualifier: SetQualifier | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon);
    if (prefix.toLowerCase() === 'foranyvalue') qualifier = 'ForAnyValue';
    else if (prefix.toLowerCase() === 'forallvalues') qualifier = 'ForAllValues';
    if (qualifier) rest = rest.slice(colon + 1);
  }
  const ifExists = rest.endsWith('IfExists') && rest.length > 'IfExists'.length;
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  const negated = NEGATED_OPERATORS.has(base);
  // Built whole: spreading the optional qualifier into a literal takes V8's slow path on Node 20.
  return qualifier ? { operator, base, qualifier, ifExists, negated } : { operator, base, ifExists, negated };
}

function conditionValue(item: unknown, where: string): string {
  if (typeof item === 'string') return item;
  if (typeof item === 'number' || typeof item === 'boolean') return String(item);
  throw new PolicyError(`${where} values must be strings, numbers or booleans, got ${describe(item)}`);
}

function conditionValues(value: unknown, where: string): string[] {
  if (Array.isArray(value)) return value.map((item) => conditionValue(item, where));
  return [conditionValue(value, where)];
}

function parseConditions(value: unknown, where: string): ConditionEntry[] {
  if (value === undefined) return [];
  if (!isObject(value))
    throw new PolicyError(`${where} must be an object of operators, got ${describe(value)}`);
  const entries: ConditionEntry[] = [];
  for (const [operator, block] of Object.entries(value)) {
    if (!isObject(block)) {
      throw new PolicyError(
        `${where}.${operator} must be an object of condition keys, got ${describe(block)}`,
      );
    }
    const { base, qualifier, ifExists, negated } = parseOperator(operator);
    for (const [key, values] of Object.entries(block)) {
      const keyLower = key.toLowerCase();
      const list = conditionValues(values, `${where}.${operator}.${key}`);
      // Field by field, keys in parseOperator's order: copying its result with a spread and adding
      // keys takes V8's slow path (microseconds per entry on Node 20).
      entries.push(
        qualifier
          ? { operator, base, qualifier, ifExists, negated, key, keyLower, values: list }
          : { operator, base, ifExists, negated, key, keyLower, values: list },
      );
    }
  }
  return entries;
}

/** An optional statement element, parsed when present (`where` names the statement in messages). */
function optionalElement<T>(
  statement: Record<string, unknown>,
  key: string,
  where: string,
  parse: (value: unknown, where: string) => T,
): T | undefined {
  return statement[key] === undefined ? undefined : parse(statement[key], `${where}.${key}`);
}

function parseStatement(value: unknown, index: number): Statement {
  const where = `Statement[${index}]`;
  if (!isObject(value)) throw new PolicyError(`${where} must be an object, got ${describe(value)}`);
  const effect = value.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new PolicyError(`${where}.Effect must be "Allow" or "Deny", got ${describe(effect)}`);
  }
  // Every statement of every policy is checked: the list of unknown elements is made only for the
  // message, when there is one.
  if (Object.keys(value).some((key) => !KNOWN_STATEMENT_KEYS.has(key))) {
    const unknown = Object.keys(value).filter((key) => !KNOWN_STATEMENT_KEYS.has(key));
    throw new PolicyError(`${where} has unknown element(s) ${unknown.join(', ')}`);
  }
  for (const [a, b] of EXCLUSIVE_ELEMENTS) {
    if (value[a] !== undefined && value[b] !== undefined) {
      throw new PolicyError(`${where} has both ${a} and ${b}; a statement may have only one of them`);
    }
  }
  const sid = value.Sid;
  if (sid !== undefined && typeof sid !== 'string') {
    throw new PolicyError(`${where}.Sid must be a string, got ${describe(sid)}`);
  }
  const statement: Statement = {
    index,
    effect,
    conditions: parseConditions(value.Condition, `${where}.Condition`),
    source: value,
  };
  if (sid !== undefined && sid.length > 0) statement.sid = sid;
  const principal = optionalElement(value, 'Principal', where, parsePrincipal);
  if (principal) statement.principal = principal;
  const notPrincipal = optionalElement(value, 'NotPrincipal', where, parsePrincipal);
  if (notPrincipal) statement.notPrincipal = notPrincipal;
  const actions = optionalElement(value, 'Action', where, stringList);
  if (actions) statement.actions = actions;
  const notActions = optionalElement(value, 'NotAction', where, stringList);
  if (notActions) statement.notActions = notActions;
  const resources = optionalElement(value, 'Resource', where, stringList);
  if (resources) statement.resources = resources;
  const notResources = optionalElement(value, 'NotResource', where, stringList);
  if (notResources) statement.notResources = notResources;
  return statement;
}

/**
 * Parses a policy document given as JSON text or as an already-parsed value. Structural problems
 * (not JSON, no Statement, an Effect other than Allow/Deny, malformed Principal or Condition) are
 * returned as a reason; nothing here throws.
 */
export function parsePolicy(input: unknown): ParsedPolicy {
  let value = input;
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.length === 0) return { ok: false, reason: 'the policy is empty' };
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: `not JSON (${error instanceof Error ? error.message : String(error)})` };
    }
  }
  if (!isObject(value)) {
    return {
      ok: false,
      reason: `not a policy: expected a JSON object with a Statement, got ${describe(value)}`,
    };
  }
  if (value.Statement === undefined)
    return { ok: false, reason: 'not a policy: it has no Statement element' };
  const version = value.Version;
  if (version !== undefined && typeof version !== 'string') {
    return { ok: false, reason: `Version must be a string such as "2012-10-17", got ${describe(version)}` };
  }
  const raw = Array.isArray(value.Statement) ? value.Statement : [value.Statement];
  try {
    const statements = raw.map((statement, index) => parseStatement(statement, index));
    const id = typeof value.Id === 'string' ? value.Id : undefined;
    // Keys assigned in order: spreading optional keys into a literal takes V8's slow path.
    const policy: Partial<PolicyDocument> = {};
    if (version !== undefined) policy.version = version;
    if (id !== undefined) policy.id = id;
    policy.statements = statements;
    policy.source = value;
    return { ok: true, policy: policy as PolicyDocument };
  } catch (error) {
    if (error instanceof PolicyError) return { ok: false, reason: error.message };
    return {
      ok: false,
      reason: `unreadable policy (${error instanceof Error ? error.message : String(error)})`,
    };
  }
}

/** The document with only the given statements (as written, in their order); other elements kept. */
export function policyWithStatements(
  policy: PolicyDocument,
  keep: readonly Statement[],
): Record<string, unknown> {
  return { ...policy.source, Statement: keep.map((statement) => statement.source) };
}

/** Elements used by a statement that reviewers should know about even when they change no verdict. */
export function statementShape(statement: Statement): string[] {
  const notes: string[] = [];
  if (statement.notActions)
    notes.push(`NotAction: grants every action except ${statement.notActions.join(', ')}`);
  if (statement.notResources)
    notes.push(`NotResource: applies to every resource except ${statement.notResources.join(', ')}`);
  return notes;
}

const LIST_ELEMENTS = new Set(['Action', 'NotAction', 'Resource', 'NotResource']);

/**
 * An object without a prototype, so that a key named `__proto__` (JSON.parse makes it an own key)
 * is copied as a key: assigned to a plain object it would set the copy's prototype instead and
 * vanish from the fingerprint, giving two different statements one fingerprint.
 */
const bare = (): Record<string, unknown> => Object.create(null);

/** Objects with sorted keys, arrays in order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  const out = bare();
  for (const key of Object.keys(value).sort()) out[key] = canonical(value[key]);
  return out;
}

/** A scalar or a list, as a sorted list (by the items' JSON text; the sort is stable). */
function sortedList(value: unknown): unknown[] {
  const items = (Array.isArray(value) ? value : [value]).map(canonical);
  if (items.length < 2) return items;
  // Each item's text computed once, not twice per comparison.
  const keyed = items.map((item) => ({ item, text: JSON.stringify(item) }));
  keyed.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return keyed.map(({ item }) => item);
}

function canonicalPrincipal(value: unknown): unknown {
  if (!isObject(value)) return value;
  const out = bare();
  for (const type of Object.keys(value).sort()) {
    const values = (Array.isArray(value[type]) ? (value[type] as unknown[]) : [value[type]]).map((item) =>
      // S3 stores an account id as its root ARN.
      type === 'AWS' && typeof item === 'string' && /^\d{12}$/.test(item)
        ? `arn:aws:iam::${item}:root`
        : item,
    );
    out[type] = sortedList(values);
  }
  return out;
}

function canonicalCondition(value: unknown): unknown {
  if (!isObject(value)) return value;
  const out = bare();
  for (const operator of Object.keys(value).sort()) {
    const block = value[operator];
    if (!isObject(block)) {
      out[operator] = canonical(block);
      continue;
    }
    const keys = bare();
    for (const key of Object.keys(block).sort()) keys[key] = sortedList(block[key]);
    out[operator] = keys;
  }
  return out;
}

function canonicalStatement(value: unknown): unknown {
  if (!isObject(value)) return canonical(value);
  const out = bare();
  for (const key of Object.keys(value).sort()) {
    const item = value[key];
    if (LIST_ELEMENTS.has(key)) out[key] = sortedList(item);
    else if (key === 'Principal' || key === 'NotPrincipal') out[key] = canonicalPrincipal(item);
    else if (key === 'Condition') out[key] = canonicalCondition(item);
    else out[key] = canonical(item);
  }
  return out;
}

/**
 * A statement's identity for finding it again in a live policy: canonical JSON (sorted keys and
 * lists, scalars as one-element lists, account ids as root ARNs), so the formatting S3 applies
 * when it stores a policy does not hide a statement.
 */
export function statementFingerprint(source: unknown): string {
  return JSON.stringify(canonicalStatement(source));
}

/** The same canonical JSON for a whole document (statements keep their order). */
export function policyFingerprint(source: Record<string, unknown>): string {
  const { Statement, ...rest } = source;
  const statements = Array.isArray(Statement) ? Statement : [Statement];
  return JSON.stringify({
    ...(canonical(rest) as Record<string, unknown>),
    Statement: statements.map(canonicalStatement),
  });
}
