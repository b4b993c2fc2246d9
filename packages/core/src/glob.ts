/**
 * A `*` / `?` wildcard pattern (the shape of IAM names and GuardDuty finding types) as an anchored,
 * case-sensitive RegExp: `*` any run of characters, `?` one; everything else literal.
 */
export function globRegExp(pattern: string): RegExp {
  const source = pattern
    .split('')
    .map((char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, 's');
}
