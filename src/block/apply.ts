/**
 * Making one host match the ledger: connect, learn what must never be banned there, set up the backend,
 * read what it has, plan, and (unless dry run) apply. Every failure becomes a one-line reason for that host;
 * nothing here throws past the host.
 */
import { canonicalAddress } from '../core/address.js';
import { commandLine, type CommandRunner } from '../adapters/runner.js';
import { backend as makeBackend, type Backend, type BackendName, type Family, type Step } from './backends.js';
import { planHost, planSize, type BanLimits, type HostPlan, type Protected } from './plan.js';

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
  let runner: CommandRunner;
  try {
    runner = await h.connect();
  } catch (err) {
    return { host: h.name, ok: false, error: (err as Error).message, commands };
  }
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
    const protect = [...(opts.alwaysProtect ?? []), ...(await protectedOn(runner))];
    if (!opts.dryRun) for (const s of be.setup) await exec(s);
    const current: Record<Family, string[]> = { 4: [], 6: [] };
    for (const f of [4, 6] as Family[]) {
      const fb = be.families[f];
      const r = await runner.run([...prefix, ...fb.list]);
      if (r.code === 0) current[f] = fb.parse(r.stdout);
      else if (!opts.dryRun) throw new StepFailed(`${commandLine(fb.list)} failed (exit ${r.code}): ${firstLine(r.stderr)}`);
      // In a dry run nothing was set up yet, so a missing set simply means nothing is banned.
    }
    const plan = planHost(current, opts.desired, protect, opts.limits);
    const steps = ([4, 6] as Family[]).flatMap((f) => [...be.families[f].unbanSteps(plan.remove[f]), ...be.families[f].banSteps(plan.add[f])]);
    if (opts.dryRun) {
      commands.push(...be.setup.map(show), ...steps.map(show));
    } else {
      for (const s of steps) await exec(s);
    }
    return { host: h.name, ok: true, plan, commands };
  } catch (err) {
    return { host: h.name, ok: false, error: err instanceof StepFailed ? err.message : (err as Error).message, commands };
  } finally {
    await runner.close();
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
