/**
 * `logwarden watch SOURCES --model model.json --hosts ...`: live protection. Follows access logs as they grow
 * (local files, and ssh:// files over one SSH connection per server), keeps the last minutes of each client in
 * a window (live/window.ts), judges the window every few seconds by the model the nightly run learned (the
 * same rule, reasons and groups as detect), and bans through the block stage (ledger, allowlist, caps).
 *
 * What it did goes to --events as JSON lines; one digest email per --notify-every lists the bans (the notify
 * stage, fed a stage directory). SIGTERM/SIGINT save the followers' positions and the window to --state, so
 * that a restart neither loses nor re-reads a line. SIGHUP or a changed model file loads the model again.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { AddressSet } from '../core/address.js';
import { parseDuration } from '../core/duration.js';
import { errors } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { BLOCK_REPORT_SCHEMA_VERSION, blocklistDigest, STAGE_FILES, type BlockReport, type HostOutcome, type NewBan } from '../core/stages.js';
import { writeFileAtomic, writeJsonAtomic } from '../adapters/files.js';
import { defaultKnownHosts, describeTarget, sshConnect, type SshSession, type SshTarget } from '../adapters/ssh.js';
import type { FlaggedClient, GroupSummary, Judgement } from '../detect/detect.js';
import type { LoadedModel } from '../detect/model.js';
import { blocklistText, buildVerdicts } from '../detect/verdicts.js';
import { formatFromOptions } from '../logs/layout.js';
import { jsonFieldMap } from '../logs/parse.js';
import { emptyStats, readLogs } from '../logs/read.js';
import { Follower, localFiles, sftpFiles, type FileAccess, type FollowPosition } from '../live/follow.js';
import { JudgeThread } from '../live/judge-thread.js';
import { LiveMetrics } from '../live/metrics.js';
import { buildService } from '../live/service.js';
import { LiveWindow, type WindowLimits, type WindowState } from '../live/window.js';
import { TableFileError } from '../table/lwtable.js';
import { VERSION } from '../core/version.js';
import { makeStateFolder, stateDir } from '../core/state.js';
import { applyOffences, banDurations, type BanOptions } from './block.js';
import { closeKept, keptHosts } from '../block/apply.js';
import { loadAllowlist } from './detect.js';
import { bearerToken, ModelHolder, parseListen, stopSignal, type ListenAddress, type Signals } from './serve.js';

export interface WatchCommandOptions extends BanOptions {
  readonly sources: readonly string[];
  readonly model: string;
  /** The window judged, a duration (default 10m). */
  readonly window?: string;
  /** How often the window is judged, a duration (default 2s). */
  readonly judgeEvery?: string;
  /** How often a followed file is looked at when it did not grow, in ms. */
  readonly pollMs?: number;
  /** Positions and window saved on shutdown (default: watch.state in the state directory, core/state.ts). */
  readonly state?: string;
  /** Clients the window holds before it defends its memory (default 200,000; live/window.ts). */
  readonly maxClients?: number;
  readonly events?: string;
  /** Read what the files hold already (default: start at their end, as tail -F does). */
  readonly fromStart?: boolean;
  readonly format?: string;
  /** The server's own format string (nginx log_format, Apache LogFormat) or a preset's name. */
  readonly logFormat?: string;
  readonly jsonFields?: string;
  readonly notifyEvery?: string;
  readonly notifyTo?: readonly string[];
  readonly config?: string;
  readonly listen?: string;
  readonly token?: string;
  readonly signals?: Signals;
  /** Told when every source is being followed (tests wait for it). */
  readonly onReady?: () => void;
  /** Told the address once --listen listens (tests use port 0). */
  readonly onListening?: (address: ListenAddress) => void;
  /** The window's bounds (tests make them small; see live/window.ts). */
  readonly limits?: WindowLimits;
}

/** 2: rows carry a probe mask (table version 5). */
const STATE_VERSION = 2;

interface SavedState {
  readonly version: number;
  readonly positions: Record<string, FollowPosition>;
  readonly window: WindowState;
}

type WatchSource = { name: string; kind: 'local'; path: string } | { name: string; kind: 'ssh'; target: SshTarget; path: string };

function parseWatchSource(text: string): WatchSource {
  if (text.startsWith('ssh://')) {
    const m = /^ssh:\/\/(?:([^@/]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d+))?(\/[^*?[\]{}]*)$/.exec(text);
    if (!m || m[4]!.endsWith('/') || m[4]!.split('/').includes('..'))
      throw errors.badOption('sources', `not a followable ssh:// file (ssh://user@host:port/path/to/access.log, no glob): "${text}"`);
    const target = { user: m[1] ?? 'root', host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22 };
    return { name: `${describeTarget(target)}${m[4]}`, kind: 'ssh', target, path: m[4]! };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw errors.badOption('sources', `watch follows local files and ssh:// files: "${text}"`);
  if (/[*?[\]{}]/.test(text)) throw errors.badOption('sources', `name the file to follow, not a glob: "${text}"`);
  return { name: text, kind: 'local', path: text };
}

function durationMs(text: string, option: string, minMs: number): number {
  const s = parseDuration(text);
  if (s === null || s * 1000 < minMs) throw errors.badOption(option, `expected a duration of at least ${minMs / 1000}s (2s, 10m, 1h), got "${text}"`);
  return s * 1000;
}

function loadState(path: string): SavedState | null {
  if (!existsSync(path)) return null;
  let state: SavedState;
  try {
    state = deserialize(readFileSync(path)) as SavedState;
  } catch (err) {
    throw errors.badStageInput(path, `not a watch state (${(err as Error).message}); remove it to start afresh`);
  }
  if (state?.version !== STATE_VERSION)
    throw errors.badStageInput(path, `version: expected ${STATE_VERSION}, got ${String(state?.version)}; remove it to start afresh`);
  const positions: unknown = state.positions;
  if (typeof positions !== 'object' || positions === null) throw errors.badStageInput(path, 'positions: not an object; remove it to start afresh');
  for (const [name, p] of Object.entries(positions as Record<string, Partial<FollowPosition>>)) {
    const ok =
      typeof p === 'object' &&
      p !== null &&
      typeof p.path === 'string' &&
      (p.id === null || typeof p.id === 'string') &&
      typeof p.fingerprint === 'string' &&
      p.fingerprint.length <= 128 &&
      Number.isSafeInteger(p.offset) &&
      p.offset! >= 0;
    if (!ok) throw errors.badStageInput(path, `positions.${name}: not a position in a file; remove it to start afresh`);
  }
  return state;
}

/** The window saved in a state file, checked as a table is. */
function restoreWindow(path: string, state: SavedState, opts: { ipv6Prefix: number; trustedProxies: AddressSet }, minutes: number, limits?: WindowLimits) {
  try {
    return LiveWindow.restore(state.window, opts, minutes, limits);
  } catch (err) {
    if (err instanceof TableFileError) throw errors.badStageInput(path, `${err.message}; remove it to start afresh`);
    throw err;
  }
}

export async function runWatch(opts: WatchCommandOptions, io: Io): Promise<void> {
  if (opts.sources.length === 0) throw errors.badOption('sources', 'name at least one log to follow (a path or ssh://user@host/path)');
  const sources = opts.sources.map(parseWatchSource);
  if (new Set(sources.map((s) => s.name)).size !== sources.length) throw errors.badOption('sources', 'a log is named twice');
  const windowMs = durationMs(opts.window ?? '10m', 'window', 60_000);
  const judgeMs = durationMs(opts.judgeEvery ?? '2s', 'judge-every', 1000);
  const notifyMs = opts.notifyEvery ? durationMs(opts.notifyEvery, 'notify-every', 1000) : 0;
  const pollMs = opts.pollMs ?? 250;
  if (!Number.isInteger(pollMs) || pollMs < 10) throw errors.badOption('poll', `expected a whole number of ms, at least 10, got ${pollMs}`);
  const format = formatFromOptions(opts.format, opts.logFormat);
  const fields = jsonFieldMap(opts.jsonFields);
  if (typeof fields === 'string') throw errors.badOption('json-fields', fields);
  const noHosts = (opts.hosts ?? []).length + (opts.hostsFile ?? []).length === 0;
  if (!opts.dryRun && noHosts)
    throw errors.badOption('hosts', 'name the hosts to ban on (--hosts user@host:port, --hosts-file, --hosts local), or pass --dry-run');
  banDurations(opts);
  // In the state directory, as the ledger: a watch started from another folder resumes where it stopped.
  const statePath = opts.state ?? join(stateDir(io.env), 'watch.state');
  const maxClients = opts.maxClients ?? opts.limits?.maxClients ?? 200_000;
  if (!Number.isInteger(maxClients) || maxClients < 1000) throw errors.badOption('max-clients', `expected a whole number, at least 1000, got ${maxClients}`);
  const limits: WindowLimits = { ...opts.limits, maxClients };
  const token = opts.listen ? bearerToken(opts.token, io.env) : undefined;
  const signals = opts.signals ?? process;
  const allowlist = loadAllowlist(opts.allow, opts.allowFile);

  const events = opts.events;
  if (events) mkdirSync(dirname(events), { recursive: true });
  const emit = (event: string, fields: Record<string, unknown>) => {
    const line = JSON.stringify({ time: new Date().toISOString(), event, ...fields });
    if (events) appendFileSync(events, `${line}\n`);
    if (event !== 'judged')
      // A dry run bans nothing: its console line says what would have been done.
      io.stderr.write(
        `logwarden watch: ${event === 'ban' && fields.dryRun === true ? 'would ban' : event}${fields.address ? ` ${String(fields.address)}` : ''}${fields.message ? `: ${String(fields.message)}` : ''}\n`,
      );
  };

  /** How lines are read into the window: the model's options (read again with the model). */
  const readingOptions = (m: LoadedModel) => {
    const trustedProxies = new AddressSet();
    for (const p of m.options.trustedProxies) trustedProxies.add(p, `${opts.model}: options.trustedProxies`);
    return { ipv6Prefix: m.options.ipv6Prefix, trustedProxies };
  };
  let window: LiveWindow | null = null;
  let judge: JudgeThread | null = null;
  let reading: ReturnType<typeof readingOptions> | null = null;
  const holder = new ModelHolder(opts.model, signals, (m, error) => {
    if (!m) return emit('error', { message: `model not reloaded, keeping the old one: ${error}` });
    // Minutes to come are read with the new model's options (its trusted proxies, its IPv6 prefix).
    reading = readingOptions(m);
    window?.setOptions(reading);
    judge?.setModel(m);
    emit('model', { message: `loaded again from ${opts.model}`, clusters: m.model.k });
  });
  reading = readingOptions(holder.current);
  const saved = loadState(statePath);
  const windowMinutes = Math.round(windowMs / 60_000);
  window = saved ? restoreWindow(statePath, saved, reading, windowMinutes, limits) : new LiveWindow(reading, windowMinutes, limits);
  const live = window;
  // Judging happens in a thread of its own: reading, /healthz and bans never wait for it.
  judge = new JudgeThread(holder.current, allowlist);
  const judgeThread = judge;
  const metrics = new LiveMetrics();

  let stopping = false;
  const followers = new Map<string, Follower>();
  const positions = new Map<string, FollowPosition>(Object.entries(saved?.positions ?? {}));
  const state: Record<string, string> = {};
  const opened = new Set<string>();
  /** Lines read per source, over this run, and how many of them were malformed. */
  const linesRead: Record<string, number> = {};
  const linesMalformed: Record<string, number> = {};
  /**
   * What the window set aside since it was last looked at (lines dated in the future, lines of clients a full
   * window did not admit), and how hard it defends its memory: counted, and said once in a while.
   */
  const seen = { ahead: 0, refused: 0, pressure: 0, aheadSaid: 0 };
  const noteWindow = () => {
    if (live.ahead > seen.ahead) {
      metrics.ahead.inc(live.ahead - seen.ahead);
      // Said at the first such line, then at most once a minute.
      if (Date.now() - seen.aheadSaid > 60_000) {
        seen.aheadSaid = Date.now();
        emit('error', {
          message: `${live.ahead} lines dated more than minutes past this machine's clock so far: not judged (a server's clock or zone is wrong)`,
        });
      }
      seen.ahead = live.ahead;
    }
    if (live.refused > seen.refused) {
      metrics.refused.inc(live.refused - seen.refused);
      seen.refused = live.refused;
    }
    const pressure = live.refreshPressure();
    if (pressure !== seen.pressure) {
      metrics.pressure.set(pressure);
      emit('pressure', {
        message:
          pressure === 0
            ? 'the window has room again: clients counted as the model says'
            : pressure === 1
              ? `the window holds ${live.rows} clients: IPv6 clients new to a minute are counted per /64`
              : `the window is full (${live.rows} clients): a client new to a minute is counted from its 8th line in it`,
        pressure,
        rows: live.rows,
      });
      seen.pressure = pressure;
    }
  };

  /**
   * One SSH connection (and one SFTP channel) per server, shared by the logs followed there. A connection that
   * closed is dropped, and the next follower to need it makes a new one; an error of one file keeps it.
   */
  type Connection = { session: SshSession; access: FileAccess; closed: boolean };
  const connections = new Map<string, Promise<Connection>>();
  const connectTo = (target: SshTarget): Promise<Connection> => {
    const key = describeTarget(target);
    let c = connections.get(key);
    if (!c) {
      c = (async () => {
        const session = await sshConnect(target, {
          keyFile: opts.sshKey,
          passphrase: io.env.LOGWARDEN_SSH_PASSPHRASE,
          knownHosts: opts.knownHosts ?? defaultKnownHosts(),
          acceptNewHostKey: opts.acceptNewHostKey ?? false,
          timeoutMs: opts.timeoutMs ?? 20_000,
        });
        try {
          const conn: Connection = { session, access: sftpFiles(await session.sftp(), key), closed: false };
          session.client.on('close', () => (conn.closed = true));
          return conn;
        } catch (err) {
          await session.close();
          throw err;
        }
      })();
      const made = c;
      connections.set(key, made);
      made.catch(() => connections.get(key) === made && connections.delete(key));
    }
    return c;
  };
  const dropIfClosed = async (target: SshTarget, conn: Connection) => {
    const key = describeTarget(target);
    // On stopping, the connections are closed once every follower has finished (a sibling may be mid-read).
    if (!conn.closed || stopping) return;
    if ((await connections.get(key)?.catch(() => null)) === conn) connections.delete(key);
    await conn.session.close();
  };

  /** Follows one source until stopped, reconnecting with backoff when its SSH connection fails. */
  const follow = async (s: WatchSource): Promise<void> => {
    let backoff = 1000;
    while (!stopping) {
      let access: FileAccess = localFiles;
      let conn: Connection | null = null;
      if (s.kind === 'ssh') {
        try {
          conn = await connectTo(s.target);
          access = conn.access;
        } catch (err) {
          state[s.name] = `reconnecting: ${(err as Error).message}`;
          emit('error', { source: s.name, message: `${(err as Error).message}; again in ${backoff / 1000}s` });
          await sleepUnlessStopped(backoff);
          backoff = Math.min(backoff * 2, 60_000);
          continue;
        }
      }
      const f = new Follower(access, s.path, {
        pollMs,
        resume: positions.get(s.name) ?? null,
        fromStart: opts.fromStart,
        onEvent: (what) => emit('source', { source: s.name, message: what }),
        onOpen: (offset) => {
          opened.add(s.name);
          emit('source', { source: s.name, message: `following from byte ${offset}` });
          if (opened.size === sources.length) {
            emit('ready', { message: `following ${sources.length} log${sources.length === 1 ? '' : 's'}` });
            opts.onReady?.();
          }
        },
      });
      followers.set(s.name, f);
      state[s.name] = 'following';
      let lastLines = 0;
      let lastMalformed = 0;
      const counted = (lines: number, malformed: number) => {
        metrics.linesRead.inc(lines - lastLines);
        metrics.malformed.inc(malformed - lastMalformed);
        linesRead[s.name] = (linesRead[s.name] ?? 0) + lines - lastLines;
        linesMalformed[s.name] = (linesMalformed[s.name] ?? 0) + malformed - lastMalformed;
        lastLines = lines;
        lastMalformed = malformed;
        noteWindow();
      };
      const stats = await readLogs(
        [{ name: s.name, size: undefined, open: () => f }],
        { format, jsonFields: fields, live: true, onProgress: (_bytes, lines, malformed) => counted(lines, malformed) },
        (rec, buf, start, end) => live.add(rec, buf, start, end),
      );
      const got = stats.inputs[0]!;
      counted(stats.linesRead, stats.malformed);
      positions.set(s.name, f.position());
      followers.delete(s.name);
      if (s.kind === 'ssh' && conn) await dropIfClosed(s.target, conn);
      if (stopping) return;
      if (got.skipped) {
        emit('error', { source: s.name, message: got.skipped });
        state[s.name] = got.skipped;
        return;
      }
      emit('error', { source: s.name, message: `${got.error ?? 'ended'}; again in ${backoff / 1000}s` });
      state[s.name] = `reconnecting: ${got.error ?? 'ended'}`;
      await sleepUnlessStopped(backoff);
      backoff = Math.min(backoff * 2, 60_000);
    }
  };
  let wakeAll: Array<() => void> = [];
  const sleepUnlessStopped = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakeAll = wakeAll.filter((w) => w !== done);
        resolve();
      }
      wakeAll.push(done);
    });

  // The block and notify stages print for a person at a terminal; watch says what they did in its events.
  const silent = { write: () => true } as unknown as Io['stdout'];
  const quiet: Io = { ...io, stdout: silent, stderr: silent };

  // Judging, banning, the digest. Connections to the hosts are kept between bans (set up once).
  const kept = keptHosts();
  const banned = new Set<string>();
  let pendingConverge = false;
  const digest: {
    flagged: FlaggedClient[];
    groups: Map<string, GroupSummary>;
    newBans: NewBan[];
    hosts: Map<string, HostOutcome>;
    since: number;
    last: Judgement | null;
  } = {
    flagged: [],
    groups: new Map(),
    newBans: [],
    hosts: new Map(),
    since: Date.now(),
    last: null,
  };
  let judging = false;
  const judgeOnce = async () => {
    if (judging) return;
    judging = true;
    try {
      const started = performance.now();
      const result = await judgeThread.judgeWindow(live, reading!);
      metrics.judgeSeconds.observe((performance.now() - started) / 1000);
      metrics.clientsTracked.set(result.clientCount);
      digest.last = result;
      const byAddress = new Map(result.flagged.map((f) => [f.address, f]));
      const fresh = result.blocklist.filter((a) => !banned.has(a));
      metrics.verdicts.inc({ verdict: 'abusive' }, result.flagged.length);
      metrics.verdicts.inc({ verdict: 'normal' }, result.clientCount - result.flagged.length);
      if (fresh.length === 0 && !pendingConverge) return;
      const candidates = fresh.map((a) => {
        const f = byAddress.get(a);
        return { address: a, reason: f ? f.kinds.join(',') : 'group', evidenceUntil: new Date(f?.lastSeen ?? Date.now()).toISOString() };
      });
      try {
        // --dry-run without hosts: verdicts only.
        const banStarted = performance.now();
        const judgedIn = Math.round(banStarted - started);
        const outcome = noHosts ? { results: [], newBans: fresh, report: null } : await applyOffences(candidates, { ...opts, json: false }, quiet, null, kept);
        pendingConverge = false;
        if (outcome.report) {
          digest.newBans.push(...outcome.report.newBans);
          for (const h of outcome.report.hosts) {
            const before = digest.hosts.get(h.host);
            digest.hosts.set(h.host, { ...h, added: [...(before?.added ?? []), ...h.added], removed: [...(before?.removed ?? []), ...h.removed] });
          }
        }
        for (const a of fresh) {
          banned.add(a);
          const f = byAddress.get(a);
          const g = f?.group ? result.groups.find((x) => x.id === f.group) : result.groups.find((x) => x.networks.includes(a));
          if (f) digest.flagged.push(f);
          if (g) digest.groups.set(`${g.kind}:${g.members.join(',')}`, g);
          metrics.bans.inc();
          emit('ban', {
            address: a,
            kinds: f?.kinds ?? [g?.kind],
            reasons: f?.reasons ?? [g?.reason],
            group: g ? { kind: g.kind, size: g.size, members: g.members } : null,
            newBan: outcome.newBans.includes(a),
            hosts: outcome.results.map((r) => ({ host: r.host, ok: r.ok })),
            dryRun: opts.dryRun ?? false,
            judgeMs: judgedIn,
            banMs: Math.round(performance.now() - banStarted),
          });
        }
      } catch (err) {
        // A host that failed is tried again at the next judgement; the ledger keeps the bans meanwhile.
        pendingConverge = true;
        for (const a of fresh) banned.add(a);
        metrics.errors.inc({ kind: 'ban' });
        const what = fresh.length > 0 ? `banning ${fresh.join(', ')}` : 'converging the hosts';
        emit('error', { message: `${what}: ${(err as Error).message.split('\n').join('; ')}` });
      }
    } catch (err) {
      metrics.errors.inc({ kind: 'judge' });
      emit('error', { message: `judging: ${(err as Error).message}` });
    } finally {
      judging = false;
    }
  };

  const sendDigest = async () => {
    if (digest.flagged.length === 0 || !digest.last) return;
    const dir = join(dirname(statePath), 'digest');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const result: Judgement = {
      ...digest.last,
      flagged: digest.flagged,
      groups: [...digest.groups.values()],
      blocklist: digest.flagged.map((f) => f.address),
    };
    const stats = emptyStats();
    const first = digest.flagged.reduce((m, f) => Math.min(m, f.firstSeen), Infinity);
    const last = digest.flagged.reduce((m, f) => Math.max(m, f.lastSeen), -Infinity);
    stats.firstTime = first;
    stats.lastTime = last;
    const verdicts = buildVerdicts(result, stats, 0, { watch: sources.map((s) => s.name), model: opts.model }, VERSION, new Date());
    const text = blocklistText(result);
    verdicts.outputs = { blocklistSha256: blocklistDigest(text) };
    writeFileAtomic(join(dir, STAGE_FILES.blocklist), text);
    writeJsonAtomic(join(dir, STAGE_FILES.verdicts), verdicts);
    if (digest.hosts.size > 0) {
      const report: BlockReport = {
        schemaVersion: BLOCK_REPORT_SCHEMA_VERSION,
        dryRun: opts.dryRun ?? false,
        hosts: [...digest.hosts.values()],
        newBans: digest.newBans,
        expired: [],
      };
      writeJsonAtomic(join(dir, STAGE_FILES.blockReport), report);
    }
    const count = digest.flagged.length;
    digest.newBans = [];
    digest.hosts.clear();
    digest.flagged = [];
    digest.groups.clear();
    digest.since = Date.now();
    try {
      const { runNotify } = await import('./notify.js');
      const sent = await runNotify({ in: dir, to: opts.notifyTo, config: opts.config, when: 'always' }, { ...io, stdout: quiet.stdout });
      emit('digest', { message: `${count} bans ${sent.sent ? `emailed to ${sent.recipients.join(', ')}` : `written to ${sent.emlPath}`}`, bans: count });
    } catch (err) {
      metrics.errors.inc({ kind: 'notify' });
      emit('error', { message: `digest: ${(err as Error).message}` });
    }
  };

  const service = opts.listen
    ? buildService({
        model: () => holder.current,
        judge: judgeThread,
        metrics,
        token,
        bodyLimit: 10 << 20,
        maxItems: 100_000,
        health: () => ({ sources: state }),
      })
    : null;
  if (service) {
    const l = parseListen(opts.listen!);
    await service.listen({ host: l.host, port: l.port });
    const addr = service.server.address();
    opts.onListening?.(typeof addr === 'object' && addr ? { host: addr.address, port: addr.port } : l);
  }

  // Hosts set up and brought to the ledger's bans before the first line (a restart re-applies them).
  if (!noHosts) {
    await applyOffences([], { ...opts, json: false }, quiet, null, kept).catch((err: Error) => {
      pendingConverge = true;
      emit('error', { message: `setting up the hosts: ${err.message.split('\n').join('; ')}` });
    });
  }
  emit('start', {
    message: `following ${sources.map((s) => s.name).join(', ')}; judging every ${judgeMs / 1000}s over ${windowMinutes} min`,
    resumed: saved !== null,
  });
  const running = sources.map((s) => follow(s));
  // The next judgement comes judgeMs after the last one started, and never before the reading had as much
  // time as the judging took: a judgement that takes long (a big window, a loaded machine) cannot starve the
  // reading that feeds it, as a fixed interval firing again at once would.
  let judgeTimer: NodeJS.Timeout | undefined;
  const judgeLoop = () => {
    const started = performance.now();
    void judgeOnce().finally(() => {
      if (stopping) return;
      const took = performance.now() - started;
      judgeTimer = setTimeout(judgeLoop, Math.max(judgeMs - took, Math.min(took, 10_000), 10));
    });
  };
  judgeTimer = setTimeout(judgeLoop, judgeMs);
  const digestTimer = notifyMs > 0 ? setInterval(() => void sendDigest(), notifyMs) : null;

  await stopSignal(signals);
  stopping = true;
  clearTimeout(judgeTimer);
  if (digestTimer) clearInterval(digestTimer);
  for (const f of followers.values()) f.stop();
  for (const w of wakeAll) w();
  await Promise.all(running);
  for (const c of connections.values()) await c.then((conn) => conn.session.close()).catch(() => undefined);
  while (judging) await new Promise((r) => setTimeout(r, 20));
  holder.close();
  await judgeThread.close();
  await closeKept(kept);
  await service?.close();
  const toSave: SavedState = { version: STATE_VERSION, positions: Object.fromEntries(positions), window: live.save() };
  makeStateFolder(statePath);
  // The window holds sample lines of the logs (paths, agents, user names): for watch's own user only.
  writeFileAtomic(statePath, serialize(toSave), 0o600);
  emit('stop', { message: `saved positions and window to ${statePath}`, linesRead, linesMalformed, linesAhead: live.ahead, bans: banned.size });
}
