/**
 * Untrusted text (names, tags, user agents, policy snippets) is set by whoever made the change.
 * In Slack mrkdwn, `<…>` makes links and mentions (`<!channel>`) and `*_~\`` format text, so every
 * untrusted value goes through `slackCode`: entity-escaped, one line, inside an inline code span
 * where formatting characters are inert, with backticks replaced so the span cannot be closed early.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, max: number, marker = '… [truncated]'): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - marker.length))}${marker}`;
}

export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\r\n\t\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

export function slackCode(text: string, max = 300): string {
  const safe = slackEscape(oneLine(truncate(text, max)).replace(/`/g, 'ˋ'));
  return `\`${safe.length > 0 ? safe : ' '}\``;
}

/** A URL inside `<url|label>`: the characters that would end or split the link are percent-encoded. */
export function slackUrl(url: string): string {
  return url.replace(/[<>|\s]/g, (char) => encodeURIComponent(char)).replace(/&/g, '&amp;');
}
