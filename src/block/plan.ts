/**
 * Planning, pure: what a host has, what it should have, and what must never be banned on it → what to add
 * and remove. Printing a plan is the dry run; applying it is apply.ts.
 */
import { addressFamily, canonicalTarget, contains, overlaps, subtractTargets, targetRange, type AddressSet } from '../core/address.js';
import type { Family } from './backends.js';

export interface Protected {
  readonly address: string;
  readonly why: string;
}

export interface HostPlan {
  readonly add: Record<Family, string[]>;
  readonly remove: Record<Family, string[]>;
  readonly keep: number;
  readonly refused: Array<{ address: string; why: string }>;
  /** Networks banned in pieces around the allowlisted addresses they hold. */
  readonly split: Array<{ address: string; spared: string[]; into: string[] }>;
}

/** What may be banned: the allowlist, and the widest networks a plan may hold. */
export interface BanLimits {
  /** Allowed addresses and networks: never banned; a banned network that holds some is split around them. */
  readonly allow: AddressSet;
  /** The widest network that may be banned, per family (a prefix length: 16 refuses a /15). */
  readonly maxPrefix: Record<Family, number>;
}

export const DEFAULT_MAX_PREFIX: Record<Family, number> = { 4: 16, 6: 48 };

/** Why `entry` must not be banned here, or null. `protect` are the host's own addresses. */
export function refusal(entry: string, protect: readonly Protected[], limits: BanLimits): string | null {
  if (canonicalTarget(entry) !== entry) return 'not an address or network';
  const { bits } = targetRange(entry);
  const family = addressFamily(entry);
  if (bits < limits.maxPrefix[family]) return `wider than /${limits.maxPrefix[family]} (--max-prefix)`;
  if (limits.allow.has(entry)) return 'on the allowlist';
  for (const p of protect) if (overlaps(entry, p.address)) return `${p.address} is ${p.why}`;
  return null;
}

/**
 * The entries to ban for `desired`: each refused, kept, or (a network holding allowlisted addresses) split
 * into the networks around them.
 */
export function permittedEntries(
  desired: readonly string[],
  protect: readonly Protected[],
  limits: BanLimits,
): { entries: string[]; refused: HostPlan['refused']; split: HostPlan['split'] } {
  const entries: string[] = [];
  const refused: HostPlan['refused'] = [];
  const split: HostPlan['split'] = [];
  for (const d of desired) {
    const why = refusal(d, protect, limits);
    if (why) {
      refused.push({ address: d, why });
      continue;
    }
    const holes = limits.allow.overlapping(d);
    if (holes.length === 0) {
      entries.push(d);
      continue;
    }
    const pieces = subtractTargets(d, holes);
    split.push({ address: d, spared: holes, into: pieces });
    entries.push(...pieces);
  }
  return { entries, refused, split };
}

export function planHost(current: Record<Family, readonly string[]>, desired: readonly string[], protect: readonly Protected[], limits: BanLimits): HostPlan {
  const add: Record<Family, string[]> = { 4: [], 6: [] };
  const remove: Record<Family, string[]> = { 4: [], 6: [] };
  const { entries, refused, split } = permittedEntries(desired, protect, limits);
  const want = new Set(entries);
  let keep = 0;
  for (const f of [4, 6] as Family[]) {
    const have = new Set(current[f]);
    for (const h of have) {
      if (want.has(h)) keep++;
      else remove[f].push(h);
    }
    for (const w of want) if (addressFamily(w) === f && !have.has(w)) add[f].push(w);
    add[f].sort();
    remove[f].sort();
  }
  return { add, remove, keep, refused, split };
}

export function planSize(p: HostPlan): { add: number; remove: number } {
  return { add: p.add[4].length + p.add[6].length, remove: p.remove[4].length + p.remove[6].length };
}

/**
 * How many addresses a ban covers, for the --max-new-bans cap: an IPv4 network counts every address, an IPv6
 * one every /64 in it (one host commonly owns a whole /64).
 */
export function banWeight(entry: string): number {
  const { bits, width } = targetRange(entry);
  return width === 32 ? 2 ** (32 - bits) : 2 ** Math.max(0, 64 - bits);
}

/**
 * `unblock`: lift exactly the entries `names` cover (a split network's pieces with it) and nothing else; an
 * address inside a wider ban is named, not lifted (that would take lifting or splitting the wider one).
 */
export function planLift(current: Record<Family, readonly string[]>, names: readonly string[]): HostPlan {
  const remove: Record<Family, string[]> = { 4: [], 6: [] };
  const refused: HostPlan['refused'] = [];
  let keep = 0;
  for (const f of [4, 6] as Family[]) {
    for (const h of current[f]) {
      if (names.some((n) => contains(n, h))) remove[f].push(h);
      else keep++;
    }
    remove[f].sort();
  }
  for (const n of names) {
    const wider = [...current[4], ...current[6]].find((h) => h !== n && contains(h, n));
    if (wider) refused.push({ address: n, why: `inside the ban ${wider}: unblock ${wider} to lift it` });
  }
  return { add: { 4: [], 6: [] }, remove, keep, refused, split: [] };
}

/** What the ledger says about the bans a plan lifts. */
export interface LiftGuard {
  /** Whether the ledger holds an entry (active or not) covering this firewall entry. */
  readonly known: (entry: string) => boolean;
  /** Whether lifting it is what the ledger asked for now (its ban expired in this run). */
  readonly expected: (entry: string) => boolean;
  /** Existing bans one run may lift at once, expected ones excepted. */
  readonly maxLift: number;
  /** Named in messages. */
  readonly ledgerPath: string;
}

/**
 * Why a host's plan must not be applied without --force, or null: it lifts bans the ledger does not know (a
 * ledger other than the one that banned them), or more known ones at once than --max-lift.
 */
export function liftRefusal(host: string, p: HostPlan, guard: LiftGuard): string | null {
  const removed = [...p.remove[4], ...p.remove[6]];
  const sample = (xs: string[]) => `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? `, and ${xs.length - 3} more` : ''}`;
  const unknown = removed.filter((e) => !guard.known(e));
  if (unknown.length > 0) {
    return `${host}: the plan would lift ${unknown.length} bans that the ledger ${guard.ledgerPath} does not know (${sample(unknown)}); is it the ledger that banned them? Nothing was changed (--force lifts them)`;
  }
  const lifted = removed.filter((e) => !guard.expected(e));
  if (lifted.length > guard.maxLift) {
    return `${host}: the plan would lift ${lifted.length} existing bans at once (${sample(lifted)}), over --max-lift ${guard.maxLift}; nothing was changed (--force lifts them)`;
  }
  return null;
}
