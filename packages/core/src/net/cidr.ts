import ipaddr from 'ipaddr.js';

export type ParsedCidr = { family: 'ipv4' | 'ipv6'; address: ipaddr.IPv4 | ipaddr.IPv6; prefix: number };

/** Parses "203.0.113.0/24" or "2001:db8::/32"; a bare address is a /32 or /128. Undefined if invalid. */
export function parseCidr(text: string): ParsedCidr | undefined {
  try {
    const [address, prefix] = text.includes('/')
      ? ipaddr.parseCIDR(text)
      : (() => {
          const parsed = ipaddr.parse(text);
          return [parsed, parsed.kind() === 'ipv4' ? 32 : 128] as const;
        })();
    return { family: address.kind(), address, prefix };
  } catch {
    return undefined;
  }
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
