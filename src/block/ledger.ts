/**
 * The ban ledger: every address logwarden has banned, with its first and last offence, the number of
 * offences, the reason and the expiry. It is the desired state; hosts are made to match it. Written
 * atomically; a missing file is an empty ledger.
 */
import { existsSync, readFileSync } from 'node:fs';
import { canonicalTarget } from '../core/address.js';
import { errors } from '../core/errors.js';
import { writeJsonAtomic } from '../adapters/files.js';
import { makeStateFolder } from '../core/state.js';

export const LEDGER_SCHEMA_VERSION = 1;

export interface LedgerEntry {
  address: string;
  reason: string;
  offences: number;
  firstOffence: string;
  lastOffence: string;
  /** The last log time of the evidence, so that replaying the same log is not a new offence. */
  evidenceUntil: string;
  bannedAt: string;
  expiresAt: string;
  active: boolean;
  /** Set when a person lifted the ban with `logwarden unblock`. */
  unblockedAt?: string;
}

export interface Ledger {
  schemaVersion: number;
  updatedAt: string;
  entries: Record<string, LedgerEntry>;
}

export interface BanPolicy {
  /** First ban length in seconds; each repeat offence doubles it... */
  readonly banSeconds: number;
  /** ...up to this. */
  readonly maxBanSeconds: number;
}

export interface Offence {
  readonly address: string;
  readonly reason: string;
  /** Log time of the last line that counted against it (ISO 8601). */
  readonly evidenceUntil: string;
}

export interface LedgerChange {
  readonly ledger: Ledger;
  /** Addresses banned now that were not banned before. */
  readonly newBans: LedgerEntry[];
  /** Active bans extended by a new offence. */
  readonly renewed: LedgerEntry[];
  /** Bans whose time ran out now. */
  readonly expired: LedgerEntry[];
}

export function emptyLedger(): Ledger {
  return { schemaVersion: LEDGER_SCHEMA_VERSION, updatedAt: new Date(0).toISOString(), entries: {} };
}

export function loadLedger(path: string): Ledger {
  if (!existsSync(path)) return emptyLedger();
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw errors.badStageInput(path, `ledger is not valid JSON (${(err as Error).message})`);
  }
  checkLedger(path, doc);
  return doc;
}

/** The ledger's one validator: a tampered or broken entry is named, and nothing of it reaches a firewall. */
function checkLedger(path: string, doc: unknown): asserts doc is Ledger {
  const bad = (field: string, why: string) => errors.badStageInput(path, `${field}: ${why}`);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('(document)', 'not a logwarden ledger (expected an object)');
  const d = doc as Record<string, unknown>;
  if (d.schemaVersion !== LEDGER_SCHEMA_VERSION)
    throw bad('schemaVersion', `expected ${LEDGER_SCHEMA_VERSION}, found ${JSON.stringify(d.schemaVersion) ?? 'none'}`);
  if (typeof d.entries !== 'object' || d.entries === null || Array.isArray(d.entries)) throw bad('entries', 'expected an object of entries by address');
  for (const [key, e] of Object.entries(d.entries as Record<string, unknown>)) {
    const at = `entries[${JSON.stringify(key)}]`;
    if (typeof e !== 'object' || e === null) throw bad(at, 'expected an object');
    const x = e as Record<string, unknown>;
    if (typeof x.address !== 'string' || canonicalTarget(x.address) !== x.address || x.address !== key) {
      throw bad(`${at}.address`, 'not a canonical address or network equal to its key');
    }
    if (typeof x.active !== 'boolean') throw bad(`${at}.active`, 'expected true or false');
    if (typeof x.offences !== 'number' || !Number.isInteger(x.offences) || x.offences < 0) throw bad(`${at}.offences`, 'expected a whole number');
    for (const f of ['expiresAt', 'evidenceUntil', 'bannedAt', 'firstOffence', 'lastOffence']) {
      if (typeof x[f] !== 'string' || Number.isNaN(Date.parse(x[f] as string))) throw bad(`${at}.${f}`, 'expected an ISO 8601 time');
    }
    if (typeof x.reason !== 'string') throw bad(`${at}.reason`, 'expected text');
  }
}

export function saveLedger(path: string, ledger: Ledger): void {
  makeStateFolder(path);
  writeJsonAtomic(path, ledger);
}

export function banSecondsFor(offences: number, p: BanPolicy): number {
  return Math.min(p.banSeconds * 2 ** Math.max(0, offences - 1), p.maxBanSeconds);
}

/** Records offences and expiries. Pure: returns a new ledger. */
export function recordOffences(prev: Ledger, offences: readonly Offence[], now: Date, policy: BanPolicy): LedgerChange {
  const ledger: Ledger = { ...prev, updatedAt: now.toISOString(), entries: structuredClone(prev.entries) };
  const nowIso = now.toISOString();
  const newBans: LedgerEntry[] = [];
  const renewed: LedgerEntry[] = [];
  const expired: LedgerEntry[] = [];
  const until = (s: number) => new Date(now.getTime() + s * 1000).toISOString();

  for (const e of Object.values(ledger.entries)) {
    if (e.active && Date.parse(e.expiresAt) <= now.getTime()) {
      e.active = false;
      expired.push(e);
    }
  }
  for (const o of offences) {
    const e = ledger.entries[o.address];
    if (!e) {
      const entry: LedgerEntry = {
        address: o.address,
        reason: o.reason,
        offences: 1,
        firstOffence: nowIso,
        lastOffence: nowIso,
        evidenceUntil: o.evidenceUntil,
        bannedAt: nowIso,
        expiresAt: until(policy.banSeconds),
        active: true,
      };
      ledger.entries[o.address] = entry;
      newBans.push(entry);
      continue;
    }
    // The same evidence again (a re-run, a replayed log) is not a new offence.
    if (Date.parse(o.evidenceUntil) <= Date.parse(e.evidenceUntil)) continue;
    e.offences++;
    e.lastOffence = nowIso;
    e.evidenceUntil = o.evidenceUntil;
    e.reason = o.reason;
    e.expiresAt = until(banSecondsFor(e.offences, policy));
    delete e.unblockedAt;
    if (e.active) renewed.push(e);
    else {
      e.active = true;
      e.bannedAt = nowIso;
      const i = expired.indexOf(e);
      if (i >= 0) expired.splice(i, 1);
      newBans.push(e);
    }
  }
  return { ledger, newBans, renewed, expired };
}

/** Lifts bans at once. Returns the addresses that were active. */
export function liftBans(prev: Ledger, addresses: readonly string[], now: Date): { ledger: Ledger; lifted: string[] } {
  const ledger: Ledger = { ...prev, updatedAt: now.toISOString(), entries: structuredClone(prev.entries) };
  const lifted: string[] = [];
  for (const a of addresses) {
    const e = ledger.entries[a];
    if (!e) continue;
    if (e.active) lifted.push(a);
    e.active = false;
    e.expiresAt = now.toISOString();
    e.unblockedAt = now.toISOString();
  }
  return { ledger, lifted };
}

export function activeBans(ledger: Ledger): string[] {
  return Object.values(ledger.entries)
    .filter((e) => e.active)
    .map((e) => e.address);
}
