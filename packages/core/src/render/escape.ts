/**
 * Untrusted text (names, tags, user agents, policy snippets, exemption reasons) is set by whoever
 * made the change. Two dangers hold in every channel:
 *
 * - Unicode bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) reorder
 *   what a reader sees ("Trojan Source"): `sg-1‮0/0.0.0.0‬` can display as another address. They are
 *   stripped from every untrusted value before any channel renders it.
 * - Markup: in Slack mrkdwn, `<…>` makes links and mentions (`<!channel>`), `*_~\`` format text and
 *   bare domains become links. Every untrusted value goes through `slackCode`: cut to length first,
 *   then one line, bidi-free, entity-escaped, inside an inline code span where formatting is inert,
 *   with backticks replaced so the span cannot be closed early.
 */

const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** The text without Unicode bidirectional control characters. */
export function stripBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/**
 * A deep copy of a JSON-like value with every string bidi-free (SNS and webhook JSON, CLI JSON).
 * Iterative: a hostile value cannot exhaust the stack.
 */
export function withoutBidi<T>(value: T): T {
  const clean = (node: unknown): unknown => (typeof node === 'string' ? stripBidi(node) : node);
  if (typeof value !== 'object' || value === null) return clean(value) as T;
  const root: unknown = Array.isArray(value) ? [] : {};
  const work: [source: object, target: Record<string, unknown> | unknown[]][] = [
    [value, root as Record<string, unknown>],
  ];
  for (let next = work.pop(); next; next = work.pop()) {
    const [source, target] = next;
    for (const [key, inner] of Object.entries(source)) {
      let copy: unknown = clean(inner);
      if (typeof inner === 'object' && inner !== null) {
        copy = Array.isArray(inner) ? [] : {};
        work.push([inner, copy as Record<string, unknown>]);
      }
      if (inner !== undefined) (target as Record<string, unknown>)[stripBidi(key)] = copy;
    }
  }
  return root as T;
}

export function slackEscape(text: string): string {
  return stripBidi(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to `max` characters with a marker, never between the two halves of a surrogate pair. */
export function truncate(text: string, max: number, marker = '… [truncated]'): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - marker.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${marker}`;
}

/** One line, without control characters or bidi controls. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return stripBidi(text).replace(/[\r\n\t\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/** An untrusted value as an inert inline code span of at most `max` characters before escaping. */
export function slackCode(text: string, max = 300): string {
  const safe = slackEscape(oneLine(truncate(stripBidi(text), max)).replace(/`/g, 'ˋ'));
  return `\`${safe.length > 0 ? safe : ' '}\``;
}

/** An untrusted value as the label of our own `<url|label>` link: inert, and unable to split the link. */
export function slackLabel(text: string, max = 100): string {
  return slackEscape(oneLine(truncate(stripBidi(text), max))).replace(/\|/g, '¦');
}

/**
 * Joins whole lines (each already escaped and spanned) up to `max` characters: a line that does not
 * fit is dropped with a count, never cut, so no code span or link is ever left open.
 */
export function slackLines(lines: readonly string[], max: number): string {
  const kept: string[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    const more = `… and ${lines.length - index} more line(s)`;
    const room = max - length - (kept.length > 0 ? 1 : 0);
    const isLast = index === lines.length - 1;
    if (line.length <= room && (isLast || line.length + 1 + more.length <= room)) {
      kept.push(line);
      length += line.length + (kept.length > 1 ? 1 : 0);
      continue;
    }
    kept.push(more);
    break;
  }
  return kept.join('\n');
}

/** A URL inside `<url|label>`: the characters that would end or split the link are percent-encoded. */
export function slackUrl(url: string): string {
  return url.replace(/[<>|\s]/g, (char) => encodeURIComponent(char)).replace(/&/g, '&amp;');
}
