/**
 * Client addresses: every address that reaches a verdict, a blocklist or a firewall command passes through
 * here first. Uses ipaddr.js so that "1.2.3.4", "::ffff:1.2.3.4" and "01.2.3.4" are judged the same way
 * everywhere.
 */
import ipaddr from 'ipaddr.js';
import { forEachListEntry } from './listfile.js';
import { errors } from './errors.js';

export type Family = 4 | 6;

/** A canonical address string, or null when `raw` is not a strict IPv4/IPv6 address. */
export function canonicalAddress(raw: string): string | null {
  if (raw.length === 0 || raw.length > 45) return null;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // isValidFourPartDecimal refuses the octal/hex/short forms inet_aton accepts ("010.1", "0x7f.1").
    if (raw.includes(':')) addr = ipaddr.IPv6.parse(raw);
    else if (ipaddr.IPv4.isValidFourPartDecimal(raw)) addr = ipaddr.IPv4.parse(raw);
    else return null;
  } catch {
    return null;
  }
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.zoneId) return null;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    return v6.toRFC5952String();
  }
  return addr.toString();
}

export function addressFamily(canonical: string): Family {
  return canonical.includes(':') ? 6 : 4;
}

/**
 * The key a client is counted under: the address itself, or for IPv6 with a prefix length below 128 the
 * network (`2001:db8:1:2::/64`), because one IPv6 host commonly owns a whole /64.
 */
export function clientKey(canonical: string, ipv6Prefix: number): string {
  if (ipv6Prefix >= 128 || !canonical.includes(':')) return canonical;
  const net = ipaddr.IPv6.networkAddressFromCIDR(`${canonical}/${ipv6Prefix}`);
  return `${net.toRFC5952String()}/${ipv6Prefix}`;
}

/** A validated address or CIDR, canonical: "1.2.3.4", "10.0.0.0/8", "2001:db8::/64". */
export function canonicalTarget(raw: string): string | null {
  const slash = raw.indexOf('/');
  if (slash < 0) return canonicalAddress(raw);
  const base = canonicalAddress(raw.slice(0, slash));
  const bitsText = raw.slice(slash + 1);
  if (base === null || !/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  const max = base.includes(':') ? 128 : 32;
  if (bits > max) return null;
  if (bits === max) return base;
  const net = base.includes(':')
    ? ipaddr.IPv6.networkAddressFromCIDR(`${base}/${bits}`).toRFC5952String()
    : ipaddr.IPv4.networkAddressFromCIDR(`${base}/${bits}`).toString();
  return `${net}/${bits}`;
}

/** Address set with CIDR matching. Entries are validated when added. */
export class AddressSet {
  private readonly exact = new Set<string>();
  private readonly ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  private readonly sources: string[] = [];

  add(raw: string, where: string): void {
    const target = canonicalTarget(raw.trim());
    if (target === null) throw errors.badAddress(raw, where);
    this.sources.push(target);
    const slash = target.indexOf('/');
    if (slash < 0) this.exact.add(target);
    else this.ranges.push(ipaddr.parseCIDR(target));
  }

  /** Reads one entry per line; '#' starts a comment. */
  addFile(path: string): void {
    forEachListEntry(path, (entry, where) => this.add(entry, where));
  }

  get size(): number {
    return this.sources.length;
  }

  entries(): readonly string[] {
    return this.sources;
  }

  /** True when a client key (an address, or an IPv6 network like "2001:db8::/64") falls in the set. */
  has(key: string): boolean {
    if (this.exact.has(key)) return true;
    if (this.ranges.length === 0) return false;
    const slash = key.indexOf('/');
    const addr = ipaddr.parse(slash < 0 ? key : key.slice(0, slash));
    const keyBits = slash < 0 ? (addr.kind() === 'ipv6' ? 128 : 32) : Number(key.slice(slash + 1));
    for (const [net, bits] of this.ranges) {
      // A client network counts as allowed only when the whole of it lies inside the allowed range.
      if (net.kind() === addr.kind() && keyBits >= bits && addr.match(net, bits)) return true;
    }
    return false;
  }
}
