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
  return networkOf(canonical, ipv6Prefix);
}

/** The network of `bits` a canonical address lies in, canonical: "198.18.5.0/24", "2001:db8::/64". */
export function networkOf(canonical: string, bits: number): string {
  if (canonical.includes(':')) return `${ipaddr.IPv6.networkAddressFromCIDR(`${canonical}/${bits}`).toRFC5952String()}/${bits}`;
  return `${ipaddr.IPv4.networkAddressFromCIDR(`${canonical}/${bits}`).toString()}/${bits}`;
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

/** The first and last address of a canonical target, as numbers, and its family's width. */
export function targetRange(target: string): { start: bigint; end: bigint; bits: number; width: number } {
  const slash = target.indexOf('/');
  const addr = ipaddr.parse(slash < 0 ? target : target.slice(0, slash));
  const width = addr.kind() === 'ipv6' ? 128 : 32;
  const bits = slash < 0 ? width : Number(target.slice(slash + 1));
  const start = addr.toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
  return { start, end: start + (1n << BigInt(width - bits)) - 1n, bits, width };
}

function formatTarget(start: bigint, bits: number, width: number): string {
  const bytes: number[] = [];
  for (let i = width / 8 - 1; i >= 0; i--) bytes.push(Number((start >> BigInt(i * 8)) & 255n));
  const addr = ipaddr.fromByteArray(bytes);
  const text = addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString();
  return bits === width ? text : `${text}/${bits}`;
}

/** Whether two canonical targets share any address. */
export function overlaps(a: string, b: string): boolean {
  if (addressFamily(a) !== addressFamily(b)) return false;
  const x = targetRange(a);
  const y = targetRange(b);
  return x.start <= y.end && y.start <= x.end;
}

/** Whether every address of canonical target `inner` is in `outer`. */
export function contains(outer: string, inner: string): boolean {
  if (addressFamily(outer) !== addressFamily(inner)) return false;
  const o = targetRange(outer);
  const i = targetRange(inner);
  return o.start <= i.start && i.end <= o.end;
}

/**
 * `target` without the addresses of `holes`, as the fewest aligned networks: 192.0.2.96/27 less 192.0.2.100
 * is 192.0.2.96/30, .101, .102/31, .104/29, .112/28. Empty when the holes cover it all.
 */
export function subtractTargets(target: string, holes: readonly string[]): string[] {
  const t = targetRange(target);
  const hs = holes.filter((h) => overlaps(target, h)).map(targetRange);
  const out: string[] = [];
  const walk = (start: bigint, bits: number): void => {
    const end = start + (1n << BigInt(t.width - bits)) - 1n;
    const over = hs.filter((h) => h.start <= end && h.end >= start);
    if (over.length === 0) out.push(formatTarget(start, bits, t.width));
    else if (!over.some((h) => h.start <= start && h.end >= end)) {
      walk(start, bits + 1);
      walk(start + (1n << BigInt(t.width - bits - 1)), bits + 1);
    }
  };
  walk(t.start, t.bits);
  return out;
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

  /** One set of the entries of several (each checked when it was added to its own). */
  static union(...sets: readonly AddressSet[]): AddressSet {
    const all = new AddressSet();
    for (const set of sets) for (const e of set.entries()) all.add(e, 'a checked entry');
    return all;
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

  /** The entries that share an address with `target` (a canonical address or network). */
  overlapping(target: string): string[] {
    return this.sources.filter((e) => overlaps(e, target));
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
