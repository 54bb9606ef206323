/**
 * Making one host match the ledger: connect, learn what must never be banned there, set up the backend,
 * read what it has, plan, and (unless dry run) apply. Every failure becomes a one-line reason for that host;
 * nothing here throws past the host.
 */
import { canonicalAddress } from '../core/address.js';
import { commandLine, type CommandRunner } from '../adapters/runner.js';
import { backend as makeBackend, type Backend, type BackendName, type Family, type Step } from './backends.js';
import { planHost, planLift, planSize, type BanLimits, type HostPlan, type Protected } from './plan.js';

export interface HostRun {
  readonly name: string;
  readonly backend: BackendName;
  readonly docker: boolean;
  readonly sudo: boolean;
  connect(): Promise<CommandRunner>;
}

export interface ApplyOptions {
  readonly desired: readonly string[];
  readonly limits: BanLimits;
  readonly dryRun: boolean;
  /** Addresses that must never be banned anywhere (this machine's own, when it runs the bans). */
  readonly alwaysProtect?: readonly Protected[];
  /** Connections and set-ups kept between runs (watch): a ban then costs reading the set and adding to it. */
  readonly kept?: KeptHosts;
  /** `unblock`: lift these (and what they cover) and change nothing else; `desired` is then not used. */
  readonly liftOnly?: readonly string[];
}

/** What a long-running caller keeps per host: the connection, its own addresses, whether it is set up. */
export interface KeptHosts {
  readonly runners: Map<string, CommandRunner>;
  readonly protect: Map<string, Protected[]>;
  readonly setUp: Set<string>;
  /**
   * What each host's firewall held after the last run here, and when it was read: trusted for
   * KEPT_LIST_MS, so that a ban is one command (each command over SSH costs a shell start on the host).
   */
  readonly current: Map<string, { at: number; entries: Record<Family, string[]> }>;
}

/** How long a host's banned entries, as this process left them, are trusted before they are read again. */
export const KEPT_LIST_MS = 5 * 60_000;

export function keptHosts(): KeptHosts {
  return { runners: new Map(), protect: new Map(), setUp: new Set(), current: new Map() };
}

/** Closes the kept connections. */
export async function closeKept(kept: KeptHosts): Promise<void> {
  await Promise.all([...kept.runners.values()].map((r) => r.close().catch(() => undefined)));
  kept.runners.clear();
  kept.protect.clear();
  kept.setUp.clear();
  kept.current.clear();
}

export interface HostResult {
  readonly host: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly plan?: HostPlan;
  /** Commands run (or, in a dry run, that would run), as shell-quoted lines. */
  readonly commands: string[];
}

class StepFailed extends Error {}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.slice(0, 300) ?? '';
}

/** Addresses the host owns and the address its SSH session comes from. */
async function protectedOn(runner: CommandRunner): Promise<Protected[]> {
  const out: Protected[] = [];
  const conn = await runner.run(['printenv', 'SSH_CONNECTION']);
  const client = canonicalAddress(conn.stdout.trim().split(/\s+/)[0] ?? '');
  if (conn.code === 0 && client) out.push({ address: client, why: 'the address logwarden connects from' });
  // A non-root account's PATH often lacks /usr/sbin: try the usual places before giving up.
  let addrs = await runner.run(['ip', '-o', 'addr', 'show']);
  for (const ip of ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']) {
    if (addrs.code === 0) break;
    addrs = await runner.run([ip, '-o', 'addr', 'show']);
  }
  const own = [...addrs.stdout.matchAll(/\binet6? ([0-9a-fA-F:.]+)\//g)].map((m) => canonicalAddress(m[1]!)).filter((a): a is string => a !== null);
  // Without them a plan could ban the host itself (or, with a wide network, everyone): refuse to plan.
  if (addrs.code !== 0 || own.length === 0) {
    throw new StepFailed(`cannot read the host's own addresses (ip -o addr show: ${firstLine(addrs.stderr) || `exit ${addrs.code}`}); nothing was planned`);
  }
  for (const a of own) out.push({ address: a, why: "one of the host's own addresses" });
  return out;
}

export async function applyToHost(h: HostRun, opts: ApplyOptions): Promise<HostResult> {
  const commands: string[] = [];
  const kept = opts.kept;
  let runner: CommandRunner;
  try {
    runner = kept?.runners.get(h.name) ?? (await h.connect());
  } catch (err) {
    return { host: h.name, ok: false, error: (err as Error).message, commands };
  }
  kept?.runners.set(h.name, runner);
  let ok = false;
  const prefix = h.sudo ? ['sudo', '-n'] : [];
  const show = (s: Step) => {
    const line = commandLine([...prefix, ...s.run]);
    return s.stdin ? `${line} <<'EOF'\n${s.stdin}EOF` : line;
  };
  const exec = async (s: Step): Promise<void> => {
    if (s.unless) {
      const check = await runner.run([...prefix, ...s.unless]);
      if (check.code === 0) return;
    }
    commands.push(show(s));
    const r = await runner.run([...prefix, ...s.run], s.stdin);
    if (r.code !== 0 && !(s.okCodes ?? []).includes(r.code)) {
      throw new StepFailed(`${commandLine(s.run)} failed (exit ${r.code}): ${firstLine(r.stderr || r.stdout)}`);
    }
  };
  try {
    const be: Backend = makeBackend(h.backend, { docker: h.docker });
    const own = kept?.protect.get(h.name) ?? (await protectedOn(runner));
    kept?.protect.set(h.name, own);
    const protect = [...(opts.alwaysProtect ?? []), ...own];
    if (!opts.dryRun && !kept?.setUp.has(h.name)) {
      for (const s of be.setup) await exec(s);
      kept?.setUp.add(h.name);
    }
    const cached = kept?.current.get(h.name);
    const fresh = cached && Date.now() - cached.at < KEPT_LIST_MS ? cached.entries : null;
    const current: Record<Family, string[]> = fresh ? { 4: [...fresh[4]], 6: [...fresh[6]] } : { 4: [], 6: [] };
    for (const f of fresh ? [] : ([4, 6] as Family[])) {
      const fb = be.families[f];
      const r = await runner.run([...prefix, ...fb.list]);
      if (r.code === 0) current[f] = fb.parse(r.stdout);
      else if (!opts.dryRun) throw new StepFailed(`${commandLine(fb.list)} failed (exit ${r.code}): ${firstLine(r.stderr)}`);
      // In a dry run nothing was set up yet, so a missing set simply means nothing is banned.
    }
    const plan = opts.liftOnly ? planLift(current, opts.liftOnly) : planHost(current, opts.desired, protect, opts.limits);
    const steps = ([4, 6] as Family[]).flatMap((f) => [...be.families[f].unbanSteps(plan.remove[f]), ...be.families[f].banSteps(plan.add[f])]);
    if (opts.dryRun) {
      commands.push(...be.setup.map(show), ...steps.map(show));
    } else {
      for (const s of steps) await exec(s);
      if (kept) {
        const after = (f: Family) => [...current[f].filter((a) => !plan.remove[f].includes(a)), ...plan.add[f]];
        kept.current.set(h.name, { at: fresh ? cached!.at : Date.now(), entries: { 4: after(4), 6: after(6) } });
      }
    }
    ok = true;
    return { host: h.name, ok: true, plan, commands };
  } catch (err) {
    return { host: h.name, ok: false, error: err instanceof StepFailed ? err.message : (err as Error).message, commands };
  } finally {
    // A kept connection stays open while it works; one that failed is closed and made again next time.
    if (!kept || !ok) {
      await runner.close();
      kept?.runners.delete(h.name);
      kept?.protect.delete(h.name);
      kept?.setUp.delete(h.name);
      kept?.current.delete(h.name);
    }
  }
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function describePlan(r: HostResult): string {
  if (!r.ok) return `${r.host}: FAILED: ${r.error}`;
  const p = r.plan!;
  const { add, remove } = planSize(p);
  let s = `${r.host}: +${add} -${remove} (${p.keep} kept)`;
  if (p.refused.length) s += `; refused ${p.refused.map((x) => `${x.address} (${x.why})`).join(', ')}`;
  if (p.split.length)
    s += `; split ${p.split.map((x) => `${x.address} into ${x.into.length} networks to spare allowlisted ${x.spared.join(', ')}`).join('; ')}`;
  return s;
}
