/**
 * `logwarden detect`: stream logs into per-client features, cluster, flag, explain, and write
 * blocklist.txt, verdicts.json and clients.csv into the output directory.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AddressSet, canonicalTarget, clientKey } from '../core/address.js';
import { errors } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { VERSION } from '../core/version.js';
import { writeFileAtomic, writeJsonAtomic } from '../adapters/files.js';
import { loadCrawlers } from '../adapters/crawlers.js';
import { buildClientTable } from '../features/build.js';
import { FORMAT_NAMES } from '../logs/formats.js';
import { formatFromOptions } from '../logs/layout.js';
import { jsonFieldMap, recordForwardedFor, type JsonFieldMap } from '../logs/parse.js';
import { expandInputs, readLogs, type LogInput, type ParseStats } from '../logs/read.js';
import type { LogFormat } from '../logs/formats.js';
import type { ClientStats } from '../table/table.js';
import { fromTables, ignoreRules, loadTables, trustedSet } from './aggregate.js';
import { DEFAULT_DETECT, DEFAULT_GROUPS, DEFAULT_GUARDS, type GroupOptions, type Guards } from '../detect/defaults.js';
import { judgementOf, type DetectionResult } from '../detect/detect.js';
import { modelDocument } from '../detect/model.js';
import { blocklistText, buildVerdicts, clientsCsv, type VerdictsDocument } from '../detect/verdicts.js';
import { blocklistDigest, STAGE_FILES } from '../core/stages.js';

export interface DetectCommandOptions {
  readonly inputs: readonly string[];
  readonly out: string;
  readonly format?: string;
  /** The server's own format string (nginx log_format, Apache LogFormat) or a preset's name. */
  readonly logFormat?: string;
  readonly jsonFields?: string;
  readonly ipv6Prefix?: number;
  readonly allow?: readonly string[];
  readonly allowFile?: readonly string[];
  readonly seed?: number;
  readonly kMin?: number;
  readonly kMax?: number;
  readonly clusterThreshold?: number;
  readonly guards?: Partial<Guards>;
  readonly groups?: Partial<GroupOptions>;
  /** Proxies/CDNs whose lines belong to the client X-Forwarded-For names (addresses or CIDR networks). */
  readonly trustedProxy?: readonly string[];
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly progress?: boolean;
  readonly now?: Date;
  /** Write DIR/report.html (default true). */
  readonly report?: boolean;
  /** Worker threads for reading plain files (default: one per core). */
  readonly threads?: number;
  /** Partial tables (.lwtable files or folders of them) written by `aggregate`, merged instead of reading logs. */
  readonly tables?: readonly string[];
  /** List every member of a flagged group on the console (by default a group is one line). */
  readonly verbose?: boolean;
  /** Addresses whose verdict is explained (each kind's evidence against its guard), flagged or not. */
  readonly explain?: readonly string[];
  /** The operator's own automation, left out before anything is counted: request path globs, user-agent regexes. */
  readonly ignorePath?: readonly string[];
  readonly ignoreAgent?: readonly string[];
  /** Search crawlers' published ranges (default: data/crawlers.json as shipped). */
  readonly crawlers?: string;
  /** Flag clients naming a search crawler from outside its published ranges. */
  readonly banFakeCrawlers?: boolean;
}

export interface DetectOutcome {
  readonly verdicts: VerdictsDocument;
  readonly result: DetectionResult;
  readonly stats: ParseStats;
  readonly files: { blocklist: string; verdicts: string; clients: string; model: string; report?: string };
}

/** The command-line option of each guard, for error messages. */
export const GUARD_OPTIONS: Record<keyof Guards, string> = {
  minRequests: 'min-requests',
  floodRequests: 'flood-guard',
  scanRequests: 'scan-guard',
  bruteFailures: 'brute-guard',
  exploitMin: 'exploit-min',
  payloadMin: 'payload-min',
  scanErrorShare: 'scan-error-share',
};

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw errors.badOption(name, `expected a whole number from ${min} to ${max}, got ${v}`);
  return v;
}

export function loadAllowlist(allow: readonly string[] = [], files: readonly string[] = []): AddressSet {
  const set = new AddressSet();
  for (const a of allow) for (const part of a.split(',')) if (part.trim()) set.add(part, '--allow');
  for (const f of files) set.addFile(f);
  return set;
}

function phaseTimer(io: Io): (phase: string) => void {
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    io.stderr.write(
      `timing: ${phase} ${(now - last).toFixed(0)} ms (rss ${(process.memoryUsage.rss() / 1048576).toFixed(0)} MB, heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB)\n`,
    );
    last = now;
  };
}

export async function runDetect(opts: DetectCommandOptions, io: Io): Promise<DetectOutcome> {
  const format = formatFromOptions(opts.format, opts.logFormat);
  if (existsSync(opts.out) && !statSync(opts.out).isDirectory()) throw errors.badOption('out', `${opts.out} is a file; name a directory for the outputs`);
  const fields = jsonFieldMap(opts.jsonFields);
  if (typeof fields === 'string') throw errors.badOption('json-fields', fields);
  let ipv6Prefix = checkInt('ipv6-prefix', opts.ipv6Prefix ?? 128, 16, 128);
  const kMin = checkInt('k-min', opts.kMin ?? DEFAULT_DETECT.kMin, 2, 20);
  const kMax = checkInt('k-max', opts.kMax ?? DEFAULT_DETECT.kMax, kMin, 20);
  const seed = checkInt('seed', opts.seed ?? DEFAULT_DETECT.seed, 0, 2 ** 31 - 1);
  const clusterThreshold = opts.clusterThreshold ?? DEFAULT_DETECT.clusterThreshold;
  if (!Number.isFinite(clusterThreshold) || clusterThreshold <= 0)
    throw errors.badOption('cluster-threshold', `expected a positive number, got ${clusterThreshold}`);
  const guards: Guards = { ...DEFAULT_GUARDS, ...opts.guards };
  for (const [name, v] of Object.entries(guards)) if (name !== 'scanErrorShare') checkInt(GUARD_OPTIONS[name as keyof Guards], v, 1, 1e9);
  if (!(guards.scanErrorShare > 0 && guards.scanErrorShare <= 1))
    throw errors.badOption('scan-error-share', `expected a share above 0 and at most 1, got ${guards.scanErrorShare}`);
  const groups: GroupOptions = { ...DEFAULT_GROUPS, ...opts.groups };
  checkInt('group-min', groups.minMembers, 2, 1e6);
  checkInt('group-gap', groups.gapMinutes, 0, 1e6);
  checkInt('group-prefix', groups.prefix, 0, 32);
  if (groups.prefix > 0 && groups.prefix < 16) throw errors.badOption('group-prefix', `expected 0 (off) or 16 to 32, got ${groups.prefix}`);
  if (!Number.isFinite(groups.radius) || groups.radius <= 0) throw errors.badOption('group-radius', `expected a positive number, got ${groups.radius}`);
  const allowlist = loadAllowlist(opts.allow, opts.allowFile);
  const crawlers = loadCrawlers(opts.crawlers);
  let ignore = ignoreRules(opts);
  let trustedProxies = trustedSet(opts.trustedProxy);
  const tablesGiven = fromTables(opts.inputs, opts.tables, 'the tables aggregate wrote');
  const inputs = tablesGiven ? Object.assign([], { duplicates: [] as string[] }) : expandInputs(opts.inputs, () => io.stdin);

  const totalBytes = inputs.every((i) => i.size !== undefined) ? inputs.reduce((s, i) => s + i.size!, 0) : undefined;
  const showProgress = opts.progress ?? (io.stderr.isTTY === true && !opts.quiet);
  let lastProgress = 0;
  let progressInput = '';
  let inputStarted = Date.now();
  let lastSeen: { bytes: number; lines: number | null } = { bytes: 0, lines: null };
  const progressLine = (now: number) => {
    const { bytes, lines } = lastSeen;
    const pct = totalBytes ? ` (${Math.min(100, Math.round((100 * bytes) / totalBytes))}% of all)` : '';
    const seconds = (now - inputStarted) / 1000;
    // A rate over less than a tenth of a second says nothing.
    const perSecond = seconds >= 0.1 ? `, ${Math.round(lines! / seconds).toLocaleString('en-US')} lines/s` : '';
    const rate = lines !== null ? `, ${lines.toLocaleString('en-US')} lines${perSecond}` : '';
    return `\r\x1b[Kreading ${progressInput}: ${(bytes / 1e6).toFixed(0)} MB${pct}${rate}`;
  };
  // LOGWARDEN_TIMING=1 prints how long each phase took, on stderr.
  const timing = io.env.LOGWARDEN_TIMING ? phaseTimer(io) : () => undefined;
  // The clustering and charting modules are initialised between the chunks that the reader reads.
  const judging = import('../detect/detect.js');
  judging.catch(() => undefined);
  const charting =
    opts.report === false ? null : judging.then(() => Promise.all([import('../report/data.js'), import('../report/figures.js'), import('../report/html.js')]));
  charting?.catch(() => undefined);
  let tableFiles: string[] = [];
  const { table, stats } = tablesGiven
    ? await (async () => {
        if (ignore.paths.length + ignore.agents.length > 0)
          throw errors.badOption('ignore-path', 'the tables were read already: give --ignore-path and --ignore-agent to aggregate');
        const t = await loadTables(opts.tables!, { ipv6Prefix: opts.ipv6Prefix, trustedProxies: trustedProxies.entries() });
        ignore = t.ignore;
        ipv6Prefix = t.ipv6Prefix;
        trustedProxies = trustedSet(t.trustedProxies);
        tableFiles = t.files;
        return t;
      })()
    : await buildClientTable(inputs, {
        format,
        jsonFields: fields,
        ipv6Prefix,
        trustedProxies,
        ignore,
        threads: opts.threads,
        onProgress: showProgress
          ? (bytes, lines, input) => {
              const now = Date.now();
              if (input !== progressInput) {
                // One line per file: the one read before stays on the screen with its final figures.
                if (progressInput) io.stderr.write(`${progressLine(now)}\n`);
                progressInput = input;
                inputStarted = now;
              }
              lastSeen = { bytes, lines };
              if (now - lastProgress < 250) return;
              lastProgress = now;
              io.stderr.write(progressLine(now));
            }
          : undefined,
      });
  if (showProgress && progressInput) io.stderr.write(`${progressLine(Date.now())}\n`);
  if (!tablesGiven) stats.duplicates = inputs.duplicates;
  const skipped = stats.inputs.filter((i) => i.skipped);
  // Nothing usable at all: the one case where an unrecognised file is an error rather than a warning.
  if (skipped.length > 0 && skipped.length === stats.inputs.length) throw errors.undetectableFormat(skipped[0]!.name, FORMAT_NAMES);

  // In address order, so that the seeded samples (and so the clusters) do not depend on the thread count.
  const clients = [...table.clients()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // A run that judged nothing must not look like a quiet night (exit 0, a model learned from no one).
  if (clients.length === 0) throw errors.nothingToJudge(nothingRead(stats, table.ignoredLines, tablesGiven ? opts.tables! : opts.inputs));
  if (!tablesGiven && trustedProxies.size === 0 && !opts.quiet) {
    const hint = await proxyHint(clients, inputs, format, fields);
    if (hint) io.stderr.write(`logwarden: warning: ${hint}\n`);
  }
  timing('read and aggregate');
  const { detect } = await judging;
  const result = detect(clients, {
    seed,
    kMin,
    kMax,
    clusterThreshold,
    guards,
    groups,
    // A trusted proxy is never listed: its own lines (or those whose X-Forwarded-For was no use) are many.
    allowlist: trustedProxies.size > 0 ? AddressSet.union(allowlist, trustedProxies) : allowlist,
    crawlers,
    banFakeCrawlers: opts.banFakeCrawlers ?? false,
    fitSample: DEFAULT_DETECT.fitSample,
    chooseSample: DEFAULT_DETECT.chooseSample,
    scoreSample: DEFAULT_DETECT.scoreSample,
  });
  const parameters = {
    inputs: tablesGiven ? tableFiles : opts.inputs,
    format: format?.name ?? 'auto',
    ipv6Prefix,
    seed,
    kMin,
    kMax,
    clusterThreshold,
    guards,
    groups,
    trustedProxies: trustedProxies.entries(),
    allowlist: allowlist.entries(),
    ignore: { paths: ignore.paths, agents: ignore.agents, lines: table.ignoredLines },
    crawlers: {
      file: opts.crawlers ?? 'shipped',
      published: crawlers.byIndex.flatMap((c) => (c ? [`${c.name} ${c.published ?? 'undated'}`] : [])),
      banFake: opts.banFakeCrawlers ?? false,
    },
  };
  const verdicts = buildVerdicts(judgementOf(result), stats, table.badAddressLines, parameters, VERSION, opts.now ?? new Date());
  const files: DetectOutcome['files'] = {
    blocklist: join(opts.out, STAGE_FILES.blocklist),
    verdicts: join(opts.out, STAGE_FILES.verdicts),
    clients: join(opts.out, STAGE_FILES.clients),
    model: join(opts.out, STAGE_FILES.model),
    ...(opts.report === false ? {} : { report: join(opts.out, STAGE_FILES.report) }),
  };
  timing('cluster and judge');
  // verdicts.json names the blocklist it goes with (block and notify refuse a pair from two runs, as a kill
  // between the renames would leave), and is written last.
  const blocklist = blocklistText(result);
  verdicts.outputs = { blocklistSha256: blocklistDigest(blocklist) };
  writeFileAtomic(files.blocklist, blocklist);
  writeFileAtomic(files.clients, clientsCsv(result));
  // What watch and serve judge live clients by (detect/model.ts).
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  writeJsonAtomic(
    files.model,
    modelDocument(
      result.model,
      { clusterThreshold, guards, groups, ipv6Prefix, trustedProxies: trustedProxies.entries() },
      { first: iso(stats.firstTime), last: iso(stats.lastTime), clients: clients.length, lines: stats.parsed },
      `logwarden ${VERSION}`,
    ),
  );
  writeJsonAtomic(files.verdicts, verdicts);
  timing('write outputs');
  if (files.report && charting) {
    const [{ reportBasics, projectionInput }, { drawFigures }, { renderReport }] = await charting;
    const basics = reportBasics(verdicts, result, clients);
    // Nothing read: a short page that says so, not empty axes.
    const figures = stats.parsed === 0 ? [] : await drawFigures({ ...basics, projection: projectionInput(result, seed) });
    writeFileAtomic(files.report, renderReport(basics, figures));
    timing('report');
  }

  if (opts.json) io.stdout.write(`${JSON.stringify(summaryJson(verdicts, files), null, 2)}\n`);
  else if (!opts.quiet) io.stdout.write(summaryText(verdicts, files, opts.verbose ?? false));
  if (opts.explain && opts.explain.length > 0) {
    const { explainClient } = await judging;
    for (const wanted of opts.explain) {
      const key = canonicalTarget(wanted);
      if (key === null) throw errors.badOption('explain', `expected an IP address, got ${JSON.stringify(wanted.slice(0, 80))}`);
      const lines = explainClient(result, clients, clientKey(key, ipv6Prefix), { clusterThreshold, guards });
      io.stdout.write(`${(lines ?? [`${wanted}: not in the input (no line from this client)`]).join('\n')}\n`);
    }
  }
  return { verdicts, result, stats, files };
}

/** The one line of a run with no client to judge: the counts, and the likeliest cause. */
function nothingRead(stats: ParseStats, ignored: number, named: readonly string[]): string {
  const names = stats.inputs.map((i) => i.name).join(', ') || named.join(', ') || 'the input';
  const counts = `read ${stats.linesRead} lines: ${stats.parsed} parsed, ${stats.malformed} malformed${ignored ? `, ${ignored} ignored (--ignore-path, --ignore-agent)` : ''}`;
  const why =
    stats.linesRead === 0 ? 'the input is empty' : stats.parsed === 0 ? 'no line is of the format read (--format, --log-format)' : 'no line is left to judge';
  return `${names}: no usable line (${counts}): ${why}; nothing was judged and nothing written`;
}

/** Share of all requests over which one address is taken for a proxy when its lines carry X-Forwarded-For. */
const PROXY_SHARE = 0.8;

/**
 * One address carrying most of the traffic while the lines carry X-Forwarded-For values is a proxy or CDN the
 * site sits behind: every client is judged as one unless --trusted-proxy names it. The first MB of each plain
 * file read is looked at again (standard input cannot be; a gzipped file is not worth it).
 */
async function proxyHint(
  clients: readonly ClientStats[],
  inputs: readonly LogInput[],
  format: LogFormat | undefined,
  fields: JsonFieldMap,
): Promise<string | null> {
  let total = 0;
  let top: ClientStats | null = null;
  for (const c of clients) {
    total += c.requests;
    if (!top || c.requests > top.requests) top = c;
  }
  if (!top || total < 20 || top.requests < PROXY_SHARE * total) return null;
  const sample = inputs.filter((i) => i.path && !/\.gz$/i.test(i.name)).map((i) => ({ ...i, end: Math.min(i.size ?? Infinity, (i.start ?? 0) + (1 << 20)) }));
  let lines = 0;
  let forwarded = 0;
  await readLogs(sample, { format, jsonFields: fields }, (rec) => {
    lines++;
    const xff = recordForwardedFor(rec).trim();
    if (xff !== '' && xff !== '-') forwarded++;
  });
  if (lines === 0 || forwarded < lines / 2) return null;
  const share = Math.round((100 * top.requests) / total);
  return `${top.key} made ${share}% of the ${total} requests, and the lines carry X-Forwarded-For: if it is a proxy or CDN in front of the site, pass --trusted-proxy ${top.key} so that each line counts for the client it names`;
}

export function summaryJson(v: VerdictsDocument, files: DetectOutcome['files']) {
  return {
    schemaVersion: v.schemaVersion,
    parse: { linesRead: v.parse.linesRead, parsed: v.parse.parsed, malformed: v.parse.malformed, timeRange: v.parse.timeRange },
    clients: v.clients.total,
    k: v.clustering.k,
    silhouette: v.clustering.silhouette,
    flagged: v.flagged.map((f) => ({ address: f.address, kinds: f.kinds, requests: f.features.requests, reasons: f.reasons })),
    files,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Clients flagged on their own that the console lists before it counts the rest. */
const CONSOLE_CLIENTS = 30;

/**
 * What detect prints: the parse, the clustering, then one line per flagged group (its members on `verbose`) and
 * one per client flagged on its own: a botnet of 300 addresses is one line a person reads, not 300 repeating it.
 */
export function summaryText(v: VerdictsDocument, files: DetectOutcome['files'], verbose = false): string {
  const p = v.parse;
  const out: string[] = [];
  const range = p.timeRange ? `, ${p.timeRange.first} .. ${p.timeRange.last}` : '';
  const ignored = (v.parameters.ignore as { lines?: number } | undefined)?.lines ?? 0;
  out.push(
    `read ${p.linesRead} lines: ${p.parsed} parsed, ${p.malformed} malformed${ignored ? `, ${ignored} ignored (--ignore-path, --ignore-agent)` : ''}${range}`,
  );
  for (const s of p.malformedSamples.slice(0, 3)) out.push(`  malformed ${s.input}:${s.line}: ${JSON.stringify(s.text.slice(0, 120))}`);
  for (const i of p.inputs) if (i.error) out.push(`  ${i.name}: stopped early: ${i.error}`);
  for (const i of p.inputs) if (i.skipped) out.push(`  ${i.name}: ${i.skipped}`);
  for (const d of p.duplicates ?? []) out.push(`  ${d}: read once (the same file as an earlier input)`);
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  out.push(
    `${plural(v.clients.total, 'client')} in ${plural(v.clustering.k, 'cluster')}` +
      (v.clustering.silhouette === null ? '' : ` (silhouette ${v.clustering.silhouette.toFixed(3)})`) +
      `; ${v.flagged.length} flagged`,
  );
  if (v.flagged.length > 0) {
    out.push('');
    out.push(`${pad('address', 40)} ${pad('kind', 18)} ${pad('requests', 9)} reason`);
    const groups = new Map(v.groups.filter((g) => g.flagged).map((g) => [g.id, g]));
    const shown = new Set<string>();
    let alone = 0;
    let unlisted = 0;
    for (const f of v.flagged) {
      const g = f.group !== null ? groups.get(f.group) : undefined;
      if (!g) {
        // The busiest first (the order of verdicts.json); past a screenful, the rest are counted.
        if (++alone > CONSOLE_CLIENTS && !verbose) {
          unlisted++;
          continue;
        }
        out.push(`${pad(f.address, 40)} ${pad(f.kinds.join(','), 18)} ${pad(String(f.features.requests), 9)} ${f.reasons[0] ?? ''}`);
        continue;
      }
      if (shown.has(g.id)) continue;
      shown.add(g.id);
      const few = g.members.slice(0, 3).join(' ');
      const more = g.members.length > 3 ? ` and ${g.members.length - 3} more${verbose ? '' : ' (--verbose lists them)'}` : '';
      out.push(
        `${pad(`group ${g.id}: ${plural(g.size, 'client')}`, 40)} ${pad(g.kind, 18)} ${pad(String(g.requests), 9)} ${g.kind} together: ${g.reason}; ${few}${more}`,
      );
      if (verbose)
        for (const m of v.flagged.filter((x) => x.group === g.id))
          out.push(`  ${pad(m.address, 38)} ${pad(m.kinds.join(','), 18)} ${pad(String(m.features.requests), 9)} ${m.reasons[0] ?? ''}`);
    }
    if (unlisted > 0) out.push(`... and ${unlisted} more flagged on their own (blocklist.txt and verdicts.json hold them all; --verbose lists them here)`);
  }
  if (v.clients.spared.length > 0) out.push(`spared by the allowlist: ${v.clients.spared.join(', ')}`);
  out.push('');
  out.push(`wrote ${Object.values(files).join(', ')}`);
  return `${out.join('\n')}\n`;
}
