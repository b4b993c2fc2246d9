import ipaddr from 'ipaddr.js';

export type ParsedCidr = { family: 'ipv4' | 'ipv6'; address: ipaddr.IPv4 | ipaddr.IPv6; prefix: number };

/** A CIDR read strictly, or why it was refused and (when one exists) the canonical spelling(s). */
export type CidrReading = { ok: true; cidr: ParsedCidr } | { ok: false; reason: string; canonical: string[] };

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const DOTTED_DECIMAL = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const PREFIX = /^(?:0|[1-9]\d*)$/;

/**
 * Reads "203.0.113.0/24" or "2001:db8::/32"; a bare address is a /32 or /128.
 *
 * Only canonical spellings are accepted: IPv4 in dotted decimal with four octets and no leading
 * zeros, IPv6 in its RFC 5952 form (any letter case), a decimal prefix without leading zeros.
 * Parsers disagree on the rest — ipaddr.js (like inet_aton) reads `012.0.0.0/8` as octal
 * 10.0.0.0/8, others read it as decimal 12.0.0.0/8, and `10/8`, `0xa.0.0.0/8` or zone ids
 * (`fe80::1%eth0`) have readings of their own — so a trust decision must never rest on one reading.
 */
export function readCidr(text: string): CidrReading {
  const known = readings.get(text);
  if (known) return known;
  // Bounded: a hostile record can carry any number of distinct spellings.
  if (readings.size >= MAX_READINGS) readings.clear();
  const reading = Object.freeze(readFresh(text));
  if (reading.ok) Object.freeze(reading.cidr);
  readings.set(text, reading);
  return reading;
}

/**
 * Readings by text. The same few CIDRs (the configured `trustedCidrs`, RFC 1918, 0.0.0.0/0) are
 * read for every rule of every event, and ipaddr.js throws and catches exceptions while it tries
 * each family: a reading is a pure function of the text, so it is read once and shared (frozen).
 */
const readings = new Map<string, CidrReading>();
const MAX_READINGS = 4096;

function readFresh(text: string): CidrReading {
  const parts = text.split('/');
  if (parts.length > 2) return refused(text, 'has more than one "/"');
  const [address = '', prefixText] = parts;
  const ipv6 = address.includes(':');
  const bits = ipv6 ? 128 : 32;
  let loose: ParsedCidr | undefined;
  try {
    const parsed = ipaddr.parse(address);
    const prefix = prefixText === undefined ? bits : Number.parseInt(prefixText, 10);
    if (prefixText !== undefined && !/^\d+$/.test(prefixText)) throw new Error('prefix');
    if (parsed.kind() === (ipv6 ? 'ipv6' : 'ipv4') && prefix >= 0 && prefix <= bits)
      loose = { family: parsed.kind(), address: parsed, prefix };
  } catch {
    loose = undefined;
  }
  if (!loose) return refused(text, 'is not an IPv4 or IPv6 address or CIDR');
  const canonical = canonicalText(loose, prefixText !== undefined);
  const canonicalPrefix = prefixText === undefined || PREFIX.test(prefixText);
  if (ipv6) {
    if (address.includes('%')) return refused(text, 'carries a zone id (%…)', [canonical]);
    if (address.toLowerCase() !== (loose.address as ipaddr.IPv6).toRFC5952String() || !canonicalPrefix)
      return refused(text, 'is not in canonical IPv6 form (RFC 5952)', [canonical]);
    return { ok: true, cidr: loose };
  }
  if (DOTTED_DECIMAL.test(address)) {
    if (canonicalPrefix) return { ok: true, cidr: loose };
    return refused(text, 'has a prefix length with a leading zero', [canonical]);
  }
  const octets = address.split('.');
  if (octets.length === 4 && octets.every((octet) => /^\d+$/.test(octet) && Number(octet) <= 255)) {
    const decimal = `${octets.map(Number).join('.')}${prefixText === undefined ? '' : `/${Number(prefixText)}`}`;
    if (decimal !== canonical)
      return refused(
        text,
        `is not canonical dotted decimal: a leading zero reads as octal (${canonical}) to some parsers and as decimal (${decimal}) to others`,
        [decimal, canonical],
      );
  }
  return refused(text, 'is not canonical dotted decimal (four decimal octets, no leading zeros)', [
    canonical,
  ]);
}

function canonicalText(cidr: ParsedCidr, withPrefix: boolean): string {
  const address =
    cidr.family === 'ipv6' ? (cidr.address as ipaddr.IPv6).toRFC5952String() : cidr.address.toString();
  return withPrefix ? `${address}/${cidr.prefix}` : address;
}

function refused(text: string, why: string, canonical: string[] = []): CidrReading {
  return { ok: false, reason: `${JSON.stringify(text)} ${why}`, canonical };
}

/** The CIDR when it is canonical (see readCidr), undefined otherwise: never a guess. */
export function parseCidr(text: string): ParsedCidr | undefined {
  const reading = readCidr(text);
  return reading.ok ? reading.cidr : undefined;
}

/** True when every address of `inner` is inside `outer` (same family, narrower or equal prefix). */
export function cidrWithin(inner: ParsedCidr, outer: ParsedCidr): boolean {
  if (inner.family !== outer.family || inner.prefix < outer.prefix) return false;
  // ipaddr's match compares the first `outer.prefix` bits; the family check above keeps types aligned.
  return (inner.address as ipaddr.IPv4).match(outer.address as ipaddr.IPv4, outer.prefix);
}

/** 0.0.0.0/0 or ::/0: the whole internet. */
export function isAnyAddress(cidr: ParsedCidr): boolean {
  return cidr.prefix === 0;
}

/** The first of `trustedCidrs` that holds `cidr` (unparseable entries hold nothing). */
export function trustedCidrHolding(cidr: ParsedCidr, trustedCidrs: readonly string[]): string | undefined {
  return trustedCidrs.find((text) => {
    const outer = parseCidr(text);
    return outer !== undefined && cidrWithin(cidr, outer);
  });
}

/** Outside `trustedCidrs`, or unreadable (never a guess: see classifyIngressRule). */
export function cidrOutsideTrusted(cidr: string, trustedCidrs: readonly string[]): boolean {
  const reading = readCidr(cidr);
  if (!reading.ok) return true;
  return trustedCidrHolding(reading.cidr, trustedCidrs) === undefined;
}
