/**
 * `logwarden block` and `logwarden unblock`: make every target host's firewall match the ban ledger.
 * block records the detect stage's verdicts as offences (with expiry and doubling for repeat offenders);
 * unblock lifts bans at once. Both then converge every host: plan, print, apply.
 */
import { STAGE_DEFAULTS } from '../core/defaults.js';
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { canonicalTarget, contains } from '../core/address.js';
import { defaultLedgerPath } from '../core/state.js';
import { errors, EXIT, LogwardenError } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { parseDuration } from '../core/duration.js';
import { BLOCK_REPORT_SCHEMA_VERSION, readDetectOutputs, STAGE_FILES, type BlockReport } from '../core/stages.js';
import { writeJsonAtomic } from '../adapters/files.js';
import { localRunner } from '../adapters/runner.js';
import { defaultKnownHosts, sshConnect, SshError } from '../adapters/ssh.js';
import type { VerdictsDocument } from '../detect/verdicts.js';
import { applyToHost, describePlan, mapLimit, type HostResult, type HostRun, type KeptHosts } from '../block/apply.js';
import { BACKEND_NAMES, type BackendName } from '../block/backends.js';
import { loadHosts, type HostSpec } from '../block/hosts.js';
import { activeBans, liftBans, loadLedger, recordOffences, saveLedger, type Ledger, type Offence } from '../block/ledger.js';
import { banWeight, DEFAULT_MAX_PREFIX, liftRefusal, planSize, refusal, type BanLimits, type LiftGuard } from '../block/plan.js';
import { loadAllowlist } from './detect.js';

export interface HostsOptions {
  readonly hosts?: readonly string[];
  readonly hostsFile?: readonly string[];
  readonly backend?: string;
  readonly docker?: boolean;
  readonly sudo?: boolean;
  readonly sshKey?: string;
  readonly knownHosts?: string;
  readonly acceptNewHostKey?: boolean;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly ledger?: string;
  readonly allow?: readonly string[];
  readonly allowFile?: readonly string[];
  /** Widest networks ever banned, "16,48" (IPv4,IPv6 prefix lengths). */
  readonly maxPrefix?: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly now?: Date;
  /** Existing bans one run may lift at once without --force (expiries the ledger records excepted). */
  readonly maxLift?: number;
  /** Apply a plan that lifts bans the ledger does not know, or more than --max-lift. */
  readonly force?: boolean;
}

export interface BlockCommandOptions extends HostsOptions {
  readonly in: string;
  readonly banTime?: string;
  readonly maxBanTime?: string;
  readonly maxNewBans?: number;
  /** Refuse verdicts whose evidence ends longer ago than this (a duration: 7d), unless `replay`. */
  readonly maxEvidenceAge?: string;
  readonly replay?: boolean;
}

export interface ConvergeOutcome {
  readonly results: HostResult[];
  readonly report: BlockReport;
}

/** The hosts to run; with `keepShell`, an SSH host's commands go through one long-lived shell (watch). */
function hostRuns(opts: HostsOptions, io: Io, keepShell = false): HostRun[] {
  const backend = (opts.backend ?? 'ipset') as BackendName;
  if (!(BACKEND_NAMES as readonly string[]).includes(backend)) throw errors.badOption('backend', `expected one of ${BACKEND_NAMES.join(', ')}`);
  const specs: HostSpec[] = loadHosts(opts.hosts ?? [], opts.hostsFile ?? [], userInfo().username);
  if (specs.length === 0) throw errors.badOption('hosts', 'name at least one host (--hosts user@host:port, --hosts-file, or --hosts local)');
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return specs.map((s) => ({
    name: s.name,
    backend: s.backend ?? backend,
    docker: s.docker ?? opts.docker ?? false,
    sudo: s.sudo ?? opts.sudo ?? false,
    connect: async () => {
      if (s.local) return localRunner('local', timeoutMs);
      try {
        const session = await sshConnect(
          { user: s.user, host: s.host, port: s.port },
          {
            keyFile: s.keyFile ?? opts.sshKey,
            passphrase: io.env.LOGWARDEN_SSH_PASSPHRASE,
            knownHosts: opts.knownHosts ?? defaultKnownHosts(),
            acceptNewHostKey: opts.acceptNewHostKey ?? false,
            timeoutMs,
          },
        );
        return keepShell ? await session.shell() : session;
      } catch (err) {
        const why = err instanceof SshError ? err.message : (err as Error).message;
        throw new Error(`ssh ${s.user}@${s.host}:${s.port}: ${why}`, { cause: err });
      }
    },
  }));
}

/** Runs every host (in parallel, limited), prints the per-host summary, writes block.json, sets the exit. */
/** What the hosts are made to hold: the ledger's bans, or (unblock) the same less exactly the named ones. */
interface Target {
  readonly desired: readonly string[];
  readonly limits: BanLimits;
  readonly liftOnly?: readonly string[];
  /** Checked on every host's plan before any host is changed; null: nothing lifted needs checking. */
  readonly guard: LiftGuard | null;
}

async function converge(
  runs: HostRun[],
  target: Target,
  opts: HostsOptions,
  io: Io,
  reportDir: string | null,
  ledgerChange: Pick<BlockReport, 'newBans' | 'expired'>,
  kept?: KeptHosts,
): Promise<ConvergeOutcome> {
  // On a terminal, each host says when it starts and how it ended (hosts are handled a few at a time).
  const progress = io.stderr.isTTY === true && !opts.json;
  const dryRun = opts.dryRun ?? false;
  const each = (fn: (h: HostRun) => Promise<HostResult>) => mapLimit(runs, Math.max(1, opts.concurrency ?? 4), fn);
  const apply = (h: HostRun, asDryRun: boolean) =>
    applyToHost(h, { desired: target.desired, limits: target.limits, liftOnly: target.liftOnly, dryRun: asDryRun, kept });
  const guard = opts.force ? null : target.guard;
  // Every host is planned before any is changed, so that a refused plan leaves all of them as they were.
  if (guard && !dryRun) {
    const planned = await each((h) => apply(h, true));
    refuseLifts(planned, guard);
  }
  let done = 0;
  const results = await each(async (h) => {
    if (progress) io.stderr.write(`${h.name}: connecting...\n`);
    const r = await apply(h, dryRun);
    if (progress) io.stderr.write(`${h.name}: ${r.ok ? 'done' : `failed: ${r.error}`} (${++done} of ${runs.length} hosts)\n`);
    return r;
  });
  if (guard && dryRun) refuseLifts(results, guard);
  const report: BlockReport = {
    schemaVersion: BLOCK_REPORT_SCHEMA_VERSION,
    dryRun: opts.dryRun ?? false,
    hosts: results.map((r) => ({
      host: r.host,
      ok: r.ok,
      ...(r.error ? { error: r.error } : {}),
      added: r.plan ? [...r.plan.add[4], ...r.plan.add[6]] : [],
      removed: r.plan ? [...r.plan.remove[4], ...r.plan.remove[6]] : [],
    })),
    ...ledgerChange,
  };
  if (reportDir) writeJsonAtomic(join(reportDir, STAGE_FILES.blockReport), report);
  if (opts.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const r of results) {
      io.stdout.write(`${opts.dryRun ? '[dry run] ' : ''}${describePlan(r)}\n`);
      if (opts.dryRun) for (const c of r.commands) io.stdout.write(`  ${c.replace(/\n/g, '\n  ')}\n`);
    }
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    const lines = failed.map((r) => `${r.host}: ${r.error}`).join('\n');
    if (failed.length === results.length) {
      throw new LogwardenError('EUNREACHABLE', `no host could be done:\n${lines}`, EXIT.unreachable);
    }
    throw new LogwardenError('EPARTIAL', `${failed.length} of ${results.length} hosts failed (the others were done):\n${lines}`, EXIT.partial);
  }
  return { results, report };
}

function refuseLifts(results: readonly HostResult[], guard: LiftGuard): void {
  for (const r of results) {
    const why = r.plan ? liftRefusal(r.host, r.plan, guard) : null;
    if (why) throw errors.refusedPlan(why);
  }
}

/** The ledger's view of what a block run lifts: known entries, and those whose ban expired in this run. */
function ledgerGuard(ledger: Ledger, expired: readonly string[], opts: HostsOptions, path: string): LiftGuard {
  const entries = Object.keys(ledger.entries);
  const maxLift = opts.maxLift ?? STAGE_DEFAULTS.maxLift;
  if (!Number.isInteger(maxLift) || maxLift < 0) throw errors.badOption('max-lift', `expected a whole number: ${maxLift}`);
  return {
    known: (e) => entries.some((k) => contains(k, e)),
    expected: (e) => expired.some((k) => contains(k, e)),
    maxLift,
    ledgerPath: path,
  };
}

function banLimits(opts: HostsOptions): BanLimits {
  const text = opts.maxPrefix ?? `${DEFAULT_MAX_PREFIX[4]},${DEFAULT_MAX_PREFIX[6]}`;
  const m = /^(\d{1,2})(?:,(\d{1,3}))?$/.exec(text.trim());
  const v4 = m ? Number(m[1]) : NaN;
  const v6 = m?.[2] !== undefined ? Number(m[2]) : DEFAULT_MAX_PREFIX[6];
  if (!(v4 >= 0 && v4 <= 32 && v6 >= 0 && v6 <= 128)) throw errors.badOption('max-prefix', `expected IPv4,IPv6 prefix lengths such as 16,48: "${text}"`);
  return { allow: loadAllowlist(opts.allow, opts.allowFile), maxPrefix: { 4: v4, 6: v6 } };
}

function readVerdicts(dir: string): { blocklist: string[]; verdicts: VerdictsDocument | null } {
  const { blocklistPath: path, blocklistText, verdicts } = readDetectOutputs<VerdictsDocument>(dir);
  const blocklist: string[] = [];
  blocklistText.split('\n').forEach((line, i) => {
    const l = line.trim();
    if (!l) return;
    const t = canonicalTarget(l);
    if (!t) throw errors.badAddress(l, `${path}:${i + 1}`);
    blocklist.push(t);
  });
  return { blocklist, verdicts };
}

const ledgerPath = (opts: HostsOptions, io: Io) => opts.ledger ?? (io.env.LOGWARDEN_LEDGER || defaultLedgerPath(io.env));

/** Something to ban, with why and how recent the evidence is. */
export interface Candidate {
  readonly address: string;
  readonly reason: string;
  readonly evidenceUntil: string;
}

export type BanOptions = Omit<BlockCommandOptions, 'in'>;

/** The ban lengths asked for, checked (before anything is read or changed). */
export function banDurations(opts: BanOptions): { banSeconds: number; maxBanSeconds: number } {
  const banSeconds = parseDuration(opts.banTime ?? '24h');
  const maxBanSeconds = parseDuration(opts.maxBanTime ?? '30d');
  if (banSeconds === null) throw errors.badOption('ban-time', `not a duration (90s, 15m, 24h, 7d): "${opts.banTime}"`);
  if (maxBanSeconds === null) throw errors.badOption('max-ban-time', `not a duration: "${opts.maxBanTime}"`);
  const CENTURY = 100 * 365 * 86400;
  if (banSeconds > CENTURY) throw errors.badOption('ban-time', `longer than 100 years: "${opts.banTime}"`);
  if (maxBanSeconds > CENTURY) throw errors.badOption('max-ban-time', `longer than 100 years: "${opts.maxBanTime}"`);
  return { banSeconds, maxBanSeconds };
}

/**
 * Records offences in the ledger (expiry, doubling for repeat offenders) and converges every host to the
 * ledger's bans: the block stage's one path, for `block` and for `watch`. Addresses refused by the allowlist
 * or the widest-network cap never reach the ledger; a plan over --max-new-bans changes nothing.
 */
export async function applyOffences(
  candidates: readonly Candidate[],
  opts: BanOptions,
  io: Io,
  reportDir: string | null,
  kept?: KeptHosts,
): Promise<ConvergeOutcome & { ledger: Ledger; newBans: string[] }> {
  const now = opts.now ?? new Date();
  const { banSeconds, maxBanSeconds } = banDurations(opts);
  const maxNew = opts.maxNewBans ?? 500;
  const runs = hostRuns(opts, io, kept !== undefined);
  const limits = banLimits(opts);
  // Refused before the ledger sees them: an allowlisted address must not become a ban that a later run
  // (an unblock of someone else, without --allow) would apply.
  const offences: Offence[] = [];
  for (const c of candidates) {
    const t = canonicalTarget(c.address);
    if (!t) throw errors.badAddress(c.address, 'ban');
    const why = refusal(t, [], limits);
    // Said with the plan (stdout), or on stderr when stdout carries the JSON report.
    if (why) (opts.json ? io.stderr : io.stdout).write(`refused ${t} (${why}); not recorded in the ledger\n`);
    else offences.push({ ...c, address: t });
  }
  const path = ledgerPath(opts, io);
  const change = recordOffences(loadLedger(path), offences, now, { banSeconds, maxBanSeconds });
  const newAddresses = change.newBans.reduce((n, e) => n + banWeight(e.address), 0);
  if (newAddresses > maxNew && !opts.force) {
    throw errors.badOption(
      'max-new-bans',
      `the plan bans ${newAddresses} new addresses (${change.newBans.length} entries), over the cap of ${maxNew}; nothing was changed (re-run with --force if this is right)`,
    );
  }
  const guard = ledgerGuard(
    change.ledger,
    change.expired.map((e) => e.address),
    opts,
    path,
  );
  const outcome = await converge(
    runs,
    { desired: activeBans(change.ledger), limits, guard },
    opts,
    io,
    reportDir,
    {
      newBans: change.newBans.map((e) => ({ address: e.address, reason: e.reason, offences: e.offences, expiresAt: e.expiresAt })),
      expired: change.expired.map((e) => e.address),
    },
    kept,
  ).catch((err: unknown) => {
    // Hosts that failed converge on the next run; the ledger (the desired state) is kept all the same. A
    // refused plan changed nothing, the ledger included.
    if (!opts.dryRun && !(err instanceof LogwardenError && err.code === 'EREFUSEDPLAN')) saveLedger(path, change.ledger);
    throw err;
  });
  if (!opts.dryRun) saveLedger(path, change.ledger);
  const added = outcome.results.reduce((s, r) => s + (r.plan ? planSize(r.plan).add : 0), 0);
  if (!opts.json)
    io.stdout.write(
      `${change.newBans.length} new bans, ${change.renewed.length} renewed, ${change.expired.length} expired; ${added} firewall entries added${opts.dryRun ? ' (dry run: nothing changed)' : ''}\n`,
    );
  return { ...outcome, ledger: change.ledger, newBans: change.newBans.map((e) => e.address) };
}

export async function runBlock(opts: BlockCommandOptions, io: Io): Promise<ConvergeOutcome & { ledger: Ledger }> {
  // Wrong options are said before the inputs are read.
  banDurations(opts);
  hostRuns(opts, io);
  banLimits(opts);
  const maxAge = parseDuration(opts.maxEvidenceAge ?? STAGE_DEFAULTS.maxEvidenceAge);
  if (maxAge === null) throw errors.badOption('max-evidence-age', `not a duration (12h, 7d): "${opts.maxEvidenceAge}"`);
  const { blocklist, verdicts } = readVerdicts(opts.in);
  const last = verdicts?.parse.timeRange?.last;
  const ageSeconds = last ? ((opts.now ?? new Date()).getTime() - Date.parse(last)) / 1000 : 0;
  if (ageSeconds > maxAge && !opts.replay) {
    const age = ageSeconds >= 2 * 86400 ? `${Math.floor(ageSeconds / 86400)} days` : `${Math.floor(ageSeconds / 3600)} hours`;
    throw errors.staleEvidence(
      `${join(opts.in, STAGE_FILES.verdicts)}: the evidence ends ${last} (${age} ago), older than --max-evidence-age ${opts.maxEvidenceAge ?? STAGE_DEFAULTS.maxEvidenceAge}; nothing was banned (an old log replayed? --replay bans on it all the same)`,
    );
  }
  const byAddress = new Map((verdicts?.flagged ?? []).map((f) => [f.address, f]));
  // Without verdicts, the evidence is as new as the blocklist file: re-running on it is not a new offence.
  const evidenceDefault = verdicts?.parse.timeRange?.last ?? statSync(join(opts.in, STAGE_FILES.blocklist)).mtime.toISOString();
  const candidates: Candidate[] = blocklist.map((a) => {
    const f = byAddress.get(a);
    return { address: a, reason: f ? f.kinds.join(',') : 'blocklist', evidenceUntil: f?.lastSeen ?? evidenceDefault };
  });
  return applyOffences(candidates, opts, io, opts.in);
}

export interface UnblockCommandOptions extends HostsOptions {
  readonly addresses: readonly string[];
}

export async function runUnblock(opts: UnblockCommandOptions, io: Io): Promise<ConvergeOutcome & { ledger: Ledger }> {
  const now = opts.now ?? new Date();
  const addresses = opts.addresses.map((a) => {
    const t = canonicalTarget(a);
    if (!t) throw errors.badAddress(a, 'unblock');
    return t;
  });
  if (addresses.length === 0) throw errors.badOption('addresses', 'name at least one address to unblock');
  const runs = hostRuns(opts, io);
  const path = ledgerPath(opts, io);
  const { ledger, lifted } = liftBans(loadLedger(path), addresses, now);
  if (!opts.dryRun) saveLedger(path, ledger);
  // Exactly the named bans are lifted: the rest of the ledger is not applied again (it may have been
  // written with another allowlist, which a re-application without it would undo).
  const outcome = await converge(runs, { desired: [], limits: banLimits(opts), liftOnly: addresses, guard: null }, opts, io, null, {
    newBans: [],
    expired: [],
  });
  if (!opts.json)
    io.stdout.write(
      `unblocked ${addresses.join(', ')}${lifted.length < addresses.length ? ` (${addresses.length - lifted.length} had no active ban in the ledger)` : ''}\n`,
    );
  return { ...outcome, ledger };
}
