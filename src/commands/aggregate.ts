/**
 * `logwarden aggregate LOGS --out part.lwtable`: read logs into the per-client table and write it
 * (table/lwtable.ts), for `detect --tables` to merge with the tables other machines wrote. One Jenkins agent
 * reads its servers' logs; the detect stage merges every agent's table and judges the site as one.
 */
import { compileIgnore, sameIgnore, type IgnoreRules } from '../logs/ignore.js';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AddressSet } from '../core/address.js';
import { errors, isLogwardenError } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { VERSION } from '../core/version.js';
import { readInto, writeFileAtomic } from '../adapters/files.js';
import { buildClientTable } from '../features/build.js';
import { FORMAT_NAMES } from '../logs/formats.js';
import { formatFromOptions } from '../logs/layout.js';
import { jsonFieldMap } from '../logs/parse.js';
import { emptyStats, expandInputs, mergeStats, type ParseStats } from '../logs/read.js';
import { decodeTable, encodeTable, inflateTable, peekTable, TableFileError } from '../table/lwtable.js';
import { ClientTable } from '../table/table.js';

export interface AggregateCommandOptions {
  readonly inputs: readonly string[];
  /** Tables (.lwtable files or folders of them) to merge into one, instead of reading logs. */
  readonly tables?: readonly string[];
  readonly out: string;
  readonly format?: string;
  /** The server's own format string (nginx log_format, Apache LogFormat) or a preset's name. */
  readonly logFormat?: string;
  readonly jsonFields?: string;
  readonly ipv6Prefix?: number;
  readonly trustedProxy?: readonly string[];
  /** The operator's own automation, left out: request path globs and user-agent regular expressions. */
  readonly ignorePath?: readonly string[];
  readonly ignoreAgent?: readonly string[];
  readonly threads?: number;
  readonly quiet?: boolean;
}

/** The ignore rules of the options, checked (compiled once here: a bad one is one line before anything is read). */
export function ignoreRules(o: { ignorePath?: readonly string[]; ignoreAgent?: readonly string[] }): IgnoreRules {
  const rules = { paths: [...(o.ignorePath ?? [])], agents: [...(o.ignoreAgent ?? [])] };
  compileIgnore(rules);
  return rules;
}

export function trustedSet(list: readonly string[] = [], where = '--trusted-proxy'): AddressSet {
  const set = new AddressSet();
  for (const a of list) for (const part of a.split(',')) if (part.trim()) set.add(part, where);
  const all = set.entries().find((e) => e.endsWith('/0'));
  if (all) throw errors.badAddress(all, `${where}: a network of every address; name the proxies`);
  return set;
}

/**
 * Whether a command (detect, aggregate) was given tables rather than logs: one or the other, never both or
 * neither. `tables` says what the tables would be, for the message when neither is given.
 */
export function fromTables(inputs: readonly string[], tables: readonly string[] | undefined, what: string): boolean {
  const given = (tables?.length ?? 0) > 0;
  if (given && inputs.length > 0) throw errors.badOption('tables', 'give logs or --tables, not both');
  if (!given && inputs.length === 0) throw errors.noInputs(`or --tables with ${what}`);
  return given;
}

export async function runAggregate(opts: AggregateCommandOptions, io: Io): Promise<{ clients: number; stats: ParseStats; bytes: number }> {
  if (fromTables(opts.inputs, opts.tables, 'the tables to merge')) return mergeInto(opts, io);
  const format = formatFromOptions(opts.format, opts.logFormat);
  const fields = jsonFieldMap(opts.jsonFields);
  if (typeof fields === 'string') throw errors.badOption('json-fields', fields);
  const ipv6Prefix = opts.ipv6Prefix ?? 128;
  if (!Number.isInteger(ipv6Prefix) || ipv6Prefix < 16 || ipv6Prefix > 128)
    throw errors.badOption('ipv6-prefix', `expected a whole number from 16 to 128, got ${ipv6Prefix}`);
  const trustedProxies = trustedSet(opts.trustedProxy);
  const ignore = ignoreRules(opts);
  const inputs = expandInputs(opts.inputs, () => io.stdin);
  const { table, stats } = await buildClientTable(inputs, {
    format,
    jsonFields: fields,
    ipv6Prefix,
    trustedProxies,
    ignore,
    threads: opts.threads,
  });
  stats.duplicates = inputs.duplicates;
  const skipped = stats.inputs.filter((i) => i.skipped);
  if (skipped.length > 0 && skipped.length === stats.inputs.length) throw errors.undetectableFormat(skipped[0]!.name, FORMAT_NAMES);
  return write(
    opts,
    io,
    table,
    stats,
    ipv6Prefix,
    trustedProxies.entries(),
    ignore,
    `read ${stats.linesRead} lines: ${stats.parsed} parsed, ${stats.malformed} malformed${table.ignoredLines ? `, ${table.ignoredLines} ignored` : ''}`,
  );
}

/**
 * `aggregate --tables`: tables merged into one table file, as exact as one pass over all their logs (a day
 * from hourly tables, a group of servers merged on its agent before the detect stage merges the groups).
 */
async function mergeInto(opts: AggregateCommandOptions, io: Io): Promise<{ clients: number; stats: ParseStats; bytes: number }> {
  if (opts.format !== undefined && opts.format !== 'auto') throw errors.badOption('format', 'the tables were read already: --format goes with logs');
  if (opts.logFormat !== undefined) throw errors.badOption('log-format', 'the tables were read already: --log-format goes with logs');
  if (opts.jsonFields !== undefined) throw errors.badOption('json-fields', 'the tables were read already: --json-fields goes with logs');
  if ((opts.ignorePath?.length ?? 0) + (opts.ignoreAgent?.length ?? 0) > 0)
    throw errors.badOption('ignore-path', 'the tables were read already: --ignore-path and --ignore-agent go with logs');
  const { table, stats, ipv6Prefix, trustedProxies, ignore, files } = await loadTables(opts.tables!, {
    ipv6Prefix: opts.ipv6Prefix,
    trustedProxies: trustedSet(opts.trustedProxy).entries(),
  });
  // Written over one of its own tables, the merge would count that table twice the next time.
  if (files.some((f) => resolve(f) === resolve(opts.out)))
    throw errors.badOption('out', `${opts.out} is one of the tables merged: write the merged table elsewhere`);
  return write(opts, io, table, stats, ipv6Prefix, trustedProxies, ignore, `merged ${files.length} tables (${stats.linesRead} lines)`);
}

function write(
  opts: AggregateCommandOptions,
  io: Io,
  table: ClientTable,
  stats: ParseStats,
  ipv6Prefix: number,
  trustedProxies: readonly string[],
  ignore: IgnoreRules,
  what: string,
): { clients: number; stats: ParseStats; bytes: number } {
  const clients = table.size;
  const bytes = encodeTable(table.parts(), { generator: `logwarden ${VERSION}`, ipv6Prefix, trustedProxies, ignore, stats });
  writeFileAtomic(opts.out, bytes);
  if (!opts.quiet) io.stdout.write(`${what}; ${clients} clients; wrote ${opts.out} (${bytes.length} bytes)\n`);
  return { clients, stats, bytes: bytes.length };
}

/**
 * The .lwtable files named: files, or every *.lwtable in a directory, in name order; each file once, by its
 * real path (a table named twice, in its folder and by a link, would count its clients twice).
 */
function tableFiles(names: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    let real: string;
    try {
      real = realpathSync(f);
    } catch {
      throw errors.inputNotFound(f);
    }
    if (seen.has(real)) return;
    seen.add(real);
    out.push(f);
  };
  for (const n of names) {
    let st;
    try {
      st = statSync(n);
    } catch {
      throw errors.inputNotFound(n);
    }
    if (st.isDirectory()) {
      const found = readdirSync(n)
        .filter((f) => f.endsWith('.lwtable'))
        .sort()
        .map((f) => join(n, f));
      if (found.length === 0) throw errors.badStageInput(n, 'no .lwtable file in it (logwarden aggregate writes them)');
      found.forEach(add);
    } else add(n);
  }
  return out;
}

/** A table's bytes as they are, or inflated (bounded by its header) when the file is gzipped. */
async function tableBytes(f: string, buf: Buffer, size: number): Promise<Buffer> {
  const bytes = readInto(f, buf, 0, size);
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? inflateTable(bytes) : bytes;
}

/**
 * Merges partial tables into one (exact: counts add, the same minute on two servers adds up, distinct sets and
 * sketches merge, samples are chosen as one reader would). Every table must have been read with the same
 * options; `want` are the ones detect was given, if any. Every table's header is checked before the first is
 * merged: a damaged one is refused (one line naming it) before it sizes anything.
 */
export async function loadTables(
  names: readonly string[],
  want: { ipv6Prefix?: number; trustedProxies?: readonly string[] },
): Promise<{ table: ClientTable; stats: ParseStats; ipv6Prefix: number; trustedProxies: readonly string[]; ignore: IgnoreRules; files: string[] }> {
  const files = tableFiles(names);
  const stats = emptyStats();
  const refused = (f: string, err: unknown) => errors.badStageInput(f, err instanceof TableFileError ? err.message : (err as Error).message);
  // The merged table starts with room for every table's rows and blocks (from their headers): it never
  // grows by copying, and room no client uses costs nothing.
  let rows = 0;
  let distinctInts = 0;
  let minuteInts = 0;
  const head = Buffer.allocUnsafe(1 << 16);
  for (const f of files) {
    let h;
    try {
      const size = statSync(f).size;
      const first = readInto(f, head);
      // A header longer than the first bytes (many inputs named) is read whole, once its length is checked.
      h = peekTable(first, size);
      if (!h && first.length < size && first[0] !== 0x1f) h = peekTable(readInto(f, Buffer.allocUnsafe(16 + first.readUInt32LE(12))), size);
    } catch (err) {
      throw refused(f, err);
    }
    rows += h?.rows ?? 0;
    distinctInts += h?.lengths.get('distinct.ints') ?? 0;
    minuteInts += h?.lengths.get('minutes.ints') ?? 0;
  }
  let table: ClientTable | null = null;
  let options: { ipv6Prefix: number; trustedProxies: readonly string[]; ignore: IgnoreRules; from: string } | null = null;
  // One buffer for every file in turn: the merge copies what it keeps, and memory first written costs time.
  let buf = Buffer.alloc(0);
  for (const f of files) {
    let decoded;
    try {
      const size = statSync(f).size;
      if (size > buf.length) buf = Buffer.allocUnsafeSlow(size);
      decoded = decodeTable(await tableBytes(f, buf, size));
    } catch (err) {
      throw refused(f, err);
    }
    const { parts, meta } = decoded;
    const proxies = [...meta.trustedProxies].sort().join(',');
    if (!options) options = { ipv6Prefix: meta.ipv6Prefix, trustedProxies: meta.trustedProxies, ignore: meta.ignore, from: f };
    else if (!sameIgnore(options.ignore, meta.ignore))
      throw errors.badStageInput(f, `read with other --ignore-path/--ignore-agent rules than ${options.from}: aggregate them alike`);
    else if (options.ipv6Prefix !== meta.ipv6Prefix || [...options.trustedProxies].sort().join(',') !== proxies)
      throw errors.badStageInput(
        f,
        `read with other options (ipv6Prefix ${meta.ipv6Prefix}, trusted proxies [${proxies}]) than ${options.from}: aggregate them alike`,
      );
    table ??= new ClientTable({ ipv6Prefix: meta.ipv6Prefix }, Math.max(1024, rows), { distinctInts, minuteInts });
    try {
      table.merge(ClientTable.fromParts(parts, { ipv6Prefix: meta.ipv6Prefix }));
    } catch (err) {
      if (isLogwardenError(err)) throw errors.badStageInput(f, err.message);
      throw err;
    }
    mergeStats(stats, meta.stats, 10);
  }
  if (want.ipv6Prefix !== undefined && want.ipv6Prefix !== options!.ipv6Prefix)
    throw errors.badOption('ipv6-prefix', `the tables were aggregated with --ipv6-prefix ${options!.ipv6Prefix}, not ${want.ipv6Prefix}`);
  if (want.trustedProxies && want.trustedProxies.length > 0 && [...want.trustedProxies].sort().join(',') !== [...options!.trustedProxies].sort().join(','))
    throw errors.badOption('trusted-proxy', `the tables were aggregated with --trusted-proxy ${options!.trustedProxies.join(',') || '(none)'}`);
  stats.inputs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { table: table!, stats, ipv6Prefix: options!.ipv6Prefix, trustedProxies: options!.trustedProxies, ignore: options!.ignore, files };
}
