/**
 * Planning, pure: what a host has, what it should have, and what must never be banned on it → what to add
 * and remove. Printing a plan is the dry run; applying it is apply.ts.
 */
import ipaddr from 'ipaddr.js';
import { addressFamily } from '../core/address.js';
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
}

function covers(entry: string, address: string): boolean {
  if (entry === address) return true;
  if (!entry.includes('/')) return false;
  try {
    const addr = ipaddr.parse(address);
    const [net, bits] = ipaddr.parseCIDR(entry);
    return addr.kind() === net.kind() && addr.match(net, bits);
  } catch {
    return false;
  }
}

/** Why `entry` must not be banned here, or null. `isAllowed` is the allowlist; `protect` the host's own. */
export function refusal(entry: string, protect: readonly Protected[], isAllowed: (e: string) => boolean): string | null {
  if (isAllowed(entry)) return 'on the allowlist';
  for (const p of protect) if (covers(entry, p.address)) return `${p.address} is ${p.why}`;
  return null;
}

export function planHost(
  current: Record<Family, readonly string[]>,
  desired: readonly string[],
  protect: readonly Protected[],
  isAllowed: (e: string) => boolean,
): HostPlan {
  const add: Record<Family, string[]> = { 4: [], 6: [] };
  const remove: Record<Family, string[]> = { 4: [], 6: [] };
  const refused: HostPlan['refused'] = [];
  const want = new Set<string>();
  for (const d of desired) {
    const why = refusal(d, protect, isAllowed);
    if (why) refused.push({ address: d, why });
    else want.add(d);
  }
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
  return { add, remove, keep, refused };
}

export function planSize(p: HostPlan): { add: number; remove: number } {
  return { add: p.add[4].length + p.add[6].length, remove: p.remove[4].length + p.remove[6].length };
}
