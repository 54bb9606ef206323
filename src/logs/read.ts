/**
 * Streaming log readers: expands inputs (files, directories, globs, "-"), decompresses gzip by its magic
 * bytes rather than its name, splits lines without decoding them, detects each input's format from its first
 * lines, and hands every parsed record to a sink. Memory is bounded by the chunk size and the longest allowed
 * line, never by the length of the log.
 */
import { createReadStream, statSync, readdirSync, readFileSync, existsSync, realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { globSync } from 'tinyglobby';
import { canonicalAddress } from '../core/address.js';
import { errors } from '../core/errors.js';
import { FORMATS, FORMAT_NAMES, framed, type ClfFormat, type LogFormat } from './formats.js';
import { newRecord, parserFor, recordIp, scanClfLine, type JsonFieldMap, type LineParser, type LogRecord } from './parse.js';

export interface LogInput {
  /** What the user named: a path, or "-" for standard input. */
  readonly name: string;
  readonly size: number | undefined;
  /** Device and inode of a file, so that one file reached under two names is read once. */
  readonly fileId?: string;
  open(): AsyncIterable<Buffer>;
  /** A plain file to read directly (bytes [start, end) of it when given), with `open` kept for gzip. */
  readonly path?: string;
  readonly start?: number;
  readonly end?: number;
}

const CHUNK = 1 << 20;
const GLOB_CHARS = /[*?[\]{}]/;
const DETECT_LINES = 64;

function fileInput(path: string): LogInput {
  let size: number | undefined;
  let regular = false;
  let fileId: string | undefined;
  try {
    const st = statSync(path);
    size = st.size;
    regular = st.isFile();
    fileId = `${st.dev}:${st.ino}`;
  } catch {
    size = undefined;
  }
  return { name: path, size, fileId, path: regular ? path : undefined, open: () => createReadStream(path, { highWaterMark: CHUNK }) };
}

/**
 * Files of a directory, or the files a fetch manifest in it lists. A manifest names files relative to its
 * folder: an absolute path, a `..` or a link that leads out of the folder is refused (a manifest could
 * otherwise point detect at any file on the machine, and its lines would end up in the outputs).
 */
function directoryInputs(dir: string): LogInput[] {
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    let m: { files?: Array<{ path?: unknown }> } | null = null;
    try {
      m = JSON.parse(readFileSync(manifest, 'utf8')) as { files?: Array<{ path?: unknown }> };
    } catch {
      // Not a logwarden manifest: fall back to reading the directory.
    }
    if (m && Array.isArray(m.files)) {
      const root = realpathSync(dir);
      return m.files.map((f, i) => {
        const p = f?.path;
        const field = `${manifest}: files[${i}].path`;
        if (typeof p !== 'string' || p === '' || isAbsolute(p) || p.split(/[\\/]/).includes('..')) {
          throw errors.badStageInput(field, `must name a file inside ${dir} by a relative path: ${JSON.stringify(p)}`);
        }
        const full = resolve(dir, p);
        let real: string;
        try {
          real = realpathSync(full);
        } catch {
          throw errors.inputNotFound(full);
        }
        if (!real.startsWith(root + sep)) throw errors.badStageInput(field, `${p} leads out of ${dir} through a link`);
        return fileInput(full);
      });
    }
  }
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name !== 'manifest.json')
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort()
    .map(fileInput);
}

/**
 * The inputs named, in order, each file once: a file named twice, or reached again through a link or another
 * folder, is read once (reading it twice would double every count); `duplicates` says which were dropped.
 */
export function expandInputs(names: readonly string[], stdin: () => AsyncIterable<Buffer> = () => process.stdin): LogInput[] & { duplicates: string[] } {
  const all = expandNames(names, stdin);
  const seen = new Set<string>();
  const inputs = [] as unknown as LogInput[] & { duplicates: string[] };
  inputs.duplicates = [];
  for (const input of all) {
    const id = input.fileId;
    if (id !== undefined && seen.has(id)) {
      inputs.duplicates.push(input.name);
      continue;
    }
    if (id !== undefined) seen.add(id);
    inputs.push(input);
  }
  return inputs;
}

function expandNames(names: readonly string[], stdin: () => AsyncIterable<Buffer>): LogInput[] {
  if (names.length === 0) throw errors.noInputs();
  const inputs: LogInput[] = [];
  for (const name of names) {
    if (name === '-') {
      inputs.push({ name: '-', size: undefined, open: stdin });
      continue;
    }
    let st;
    try {
      st = statSync(name);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) inputs.push(...directoryInputs(name));
    else if (st) inputs.push(fileInput(name));
    else if (GLOB_CHARS.test(name)) {
      const matches = globSync(name, { onlyFiles: true, absolute: isAbsolute(name), expandDirectories: false }).sort();
      if (matches.length === 0) throw errors.inputNotFound(name);
      inputs.push(...matches.map(fileInput));
    } else throw errors.inputNotFound(name);
  }
  return inputs;
}

/** Chunks of an input, gunzipped when they start with the gzip magic bytes. */
async function* decodedChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value as Buffer;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const rest = Readable.from(
      (async function* () {
        yield head;
        for (;;) {
          const n = await it.next();
          if (n.done) return;
          yield n.value as Buffer;
        }
      })(),
    );
    const gunzip = createGunzip({ chunkSize: CHUNK });
    rest.on('error', (e) => gunzip.destroy(e));
    yield* rest.pipe(gunzip) as AsyncIterable<Buffer>;
  } else {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value as Buffer;
    }
  }
}

/**
 * Blocks of an input's bytes. `next(keepFrom)` returns the next block, which starts with the bytes of the
 * previous block from `keepFrom` on (an unfinished line) followed by new ones, or null at the end; `fresh` is
 * how many bytes are new. A plain file is read into one reused buffer (no garbage per block); anything else
 * (gzip, standard input) comes from a stream.
 */
interface BlockSource {
  next(keepFrom: number): Promise<Buffer | null>;
  fresh: number;
  close(): Promise<void>;
}

function streamSource(chunks: AsyncIterable<Buffer>): BlockSource {
  const it = decodedChunks(chunks)[Symbol.asyncIterator]();
  let last: Buffer | null = null;
  const src: BlockSource = {
    fresh: 0,
    async next(keepFrom) {
      const n = await it.next();
      if (n.done) return null;
      const chunk = n.value as Buffer;
      src.fresh = chunk.length;
      last = last && keepFrom < last.length ? Buffer.concat([last.subarray(keepFrom), chunk]) : chunk;
      return last;
    },
    async close() {
      await it.return?.(undefined);
    },
  };
  return src;
}

/**
 * A plain file's blocks. The next chunk is read (in libuv's thread pool) while this thread scans the current
 * block, so the scan does not wait for the disk or the page cache: two chunk buffers take turns, and each
 * block is the unfinished line of the last one followed by a chunk, in one reused work buffer.
 */
async function openSource(input: LogInput): Promise<BlockSource> {
  if (!input.path) return streamSource(input.open());
  const fh = await open(input.path, 'r');
  const end = input.end ?? Infinity;
  let at = input.start ?? 0;
  const chunks = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let turn = 0;
  const readChunk = async (): Promise<Buffer> => {
    const into = chunks[turn]!;
    turn ^= 1;
    const want = Math.min(CHUNK, end - at);
    if (want <= 0) return into.subarray(0, 0);
    const pos = at;
    at += want;
    const { bytesRead } = await fh.read(into, 0, want, pos);
    if (bytesRead < want) at = pos + bytesRead;
    return into.subarray(0, bytesRead);
  };
  let ahead: Promise<Buffer> = readChunk();
  const first = await ahead;
  if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
    await fh.close();
    return streamSource(input.open());
  }
  ahead = Promise.resolve(first);
  let buf = Buffer.allocUnsafe(2 * CHUNK);
  let len = 0;
  let done = false;
  const src: BlockSource = {
    fresh: 0,
    async next(keepFrom) {
      if (done) return null;
      const chunk = await ahead;
      if (chunk.length === 0) {
        done = true;
        return null;
      }
      // Read the next one while the caller scans this one (at most one read is in flight: a chunk buffer
      // is reused only after its data has been copied into the work buffer below).
      const keep = len - keepFrom;
      if (keep + chunk.length > buf.length) {
        const bigger = Buffer.allocUnsafe(keep + CHUNK * 2);
        buf.copy(bigger, 0, keepFrom, len);
        buf = bigger;
      } else if (keep > 0) buf.copyWithin(0, keepFrom, len);
      chunk.copy(buf, keep);
      ahead = readChunk();
      src.fresh = chunk.length;
      len = keep + chunk.length;
      return buf.subarray(0, len);
    },
    async close() {
      await ahead.catch(() => undefined);
      await fh.close();
    },
  };
  return src;
}

class UnrecognisedInput extends Error {}

export interface MalformedSample {
  readonly input: string;
  readonly line: number;
  readonly text: string;
}

export interface InputStats {
  name: string;
  format: string | null;
  lines: number;
  parsed: number;
  malformed: number;
  error?: string;
  /** Set when the input was left out whole (not a log of a known format). */
  skipped?: string;
}

export interface ParseStats {
  linesRead: number;
  parsed: number;
  malformed: number;
  blank: number;
  /** Lines longer than the limit: skipped whole and counted as malformed too. */
  tooLong: number;
  bytesRead: number;
  firstTime: number | null;
  lastTime: number | null;
  /** The zone offset (minutes) of the first parsed line, used to show times as the server wrote them. */
  tzOffset: number | null;
  malformedSamples: MalformedSample[];
  inputs: InputStats[];
  /** Inputs left out because they are a file already read in this run (named twice, or through a link). */
  duplicates: string[];
}

export interface ReadOptions {
  /** Forces a format; otherwise each input's format is detected from its first lines. */
  readonly format?: LogFormat;
  readonly jsonFields?: JsonFieldMap;
  readonly maxLineBytes?: number;
  readonly maxMalformedSamples?: number;
  /** Told after each block: bytes and lines read so far, and how many of the lines were malformed. */
  readonly onProgress?: (bytesRead: number, linesRead: number, malformed: number) => void;
  /**
   * A live input (a followed log): its format is detected from the lines of its first block, however few,
   * rather than waiting for more that may come only minutes later.
   */
  readonly live?: boolean;
}

/** Takes a parsed line; returning false rejects it (counted as malformed, e.g. a client field that is no address). */
export type RecordSink = (rec: LogRecord, buf: Buffer, start: number, end: number) => boolean | void;

export function emptyStats(): ParseStats {
  return {
    linesRead: 0,
    parsed: 0,
    malformed: 0,
    blank: 0,
    tooLong: 0,
    bytesRead: 0,
    firstTime: null,
    lastTime: null,
    tzOffset: null,
    malformedSamples: [],
    inputs: [],
    duplicates: [],
  };
}

/** The line and byte counts of `s`, added to `into`. */
function addCounts(into: ParseStats, s: ParseStats): void {
  into.linesRead += s.linesRead;
  into.parsed += s.parsed;
  into.malformed += s.malformed;
  into.blank += s.blank;
  into.tooLong += s.tooLong;
  into.bytesRead += s.bytesRead;
}

/**
 * Adds the stats of a later stretch of an input (or another input) to `into`: its malformed samples' line
 * numbers move by `lineOffset`, its per-input counts go to `fileStats`.
 */
export function addStats(into: ParseStats, s: ParseStats, lineOffset: number, fileStats: InputStats, maxSamples: number): void {
  addCounts(into, s);
  if (s.firstTime !== null && (into.firstTime === null || s.firstTime < into.firstTime)) into.firstTime = s.firstTime;
  if (s.lastTime !== null && (into.lastTime === null || s.lastTime > into.lastTime)) into.lastTime = s.lastTime;
  if (into.tzOffset === null) into.tzOffset = s.tzOffset;
  for (const m of s.malformedSamples) if (into.malformedSamples.length < maxSamples) into.malformedSamples.push({ ...m, line: m.line + lineOffset });
  for (const i of s.inputs) {
    fileStats.lines += i.lines;
    fileStats.parsed += i.parsed;
    fileStats.malformed += i.malformed;
    if (i.error) fileStats.error = i.error;
    if (i.skipped) fileStats.skipped = i.skipped;
  }
}

/**
 * Adds the statistics of another table's reading (a partial table, `detect --tables`): counts add, each input
 * is kept under its name, the malformed samples are the first by input and line. The time zone shown is that
 * of the earliest line, so that the result does not depend on the order the tables come in.
 */
export function mergeStats(into: ParseStats, s: ParseStats, maxSamples: number): void {
  addCounts(into, s);
  if (s.firstTime !== null && (into.firstTime === null || s.firstTime < into.firstTime)) {
    into.firstTime = s.firstTime;
    into.tzOffset = s.tzOffset;
  }
  if (s.lastTime !== null && (into.lastTime === null || s.lastTime > into.lastTime)) into.lastTime = s.lastTime;
  into.malformedSamples.push(...s.malformedSamples);
  into.malformedSamples.sort((a, b) => (a.input < b.input ? -1 : a.input > b.input ? 1 : a.line - b.line));
  into.malformedSamples.length = Math.min(into.malformedSamples.length, maxSamples);
  into.inputs.push(...s.inputs);
  into.duplicates.push(...s.duplicates);
}

/**
 * Picks the format that parses most of the sample lines (among `only` when given); null when none parses any.
 * Lines behind a syslog or journald prefix, or in quotes, are looked at as framed lines when the formats as
 * they are read fewer of them.
 */
export function detectFormat(lines: readonly Buffer[], jsonFields?: JsonFieldMap, only?: LogFormat): LogFormat | null {
  const rec = newRecord();
  let best: LogFormat | null = null;
  let bestCount = 0;
  const candidates = only ? [only] : FORMATS;
  const tryFormat = (fmt: LogFormat) => {
    const parse = parserFor(fmt, jsonFields);
    let count = 0;
    // A line counts only when its client field is an address: "- - [" parses as vhost_combined otherwise.
    for (const l of lines) if (parse(l, 0, l.length, rec) && canonicalAddress(recordIp(rec)) !== null) count++;
    if (count > bestCount) {
      best = fmt;
      bestCount = count;
    }
  };
  candidates.forEach(tryFormat);
  if (bestCount < lines.length) for (const fmt of candidates) if (fmt.kind !== 'framed') tryFormat(framed(fmt));
  return best;
}

/**
 * Reads every input in order and calls `sink` for each parsed line. Malformed lines are counted and sampled,
 * never fatal; an input that fails half-way (a truncated gzip) keeps the lines read before the failure.
 */
export async function readLogs(inputs: readonly LogInput[], opts: ReadOptions, sink: RecordSink): Promise<ParseStats> {
  const stats = emptyStats();
  const maxLine = opts.maxLineBytes ?? 1 << 20;
  const maxSamples = opts.maxMalformedSamples ?? 10;
  const rec = newRecord();

  for (const input of inputs) {
    const inStats: InputStats = { name: input.name, format: opts.format?.name ?? null, lines: 0, parsed: 0, malformed: 0 };
    stats.inputs.push(inStats);
    // Even a format given is looked for in the first lines: they may stand behind a syslog prefix or in quotes.
    let parse: LineParser | null = null;
    // Set once the format is known to be of the Apache/nginx family: its lines take the fast loop.
    let clf: ClfFormat | null = null;
    // Lines held back until the format is known; overlong ones keep only their head, for the sample.
    const pending: Array<{ line: Buffer; tooLong: boolean; no: number }> = [];
    let lineNo = 0; // of the line at hand, counting every line of the input

    const malformedLine = (buf: Buffer, start: number, end: number) => {
      stats.malformed++;
      inStats.malformed++;
      if (stats.malformedSamples.length < maxSamples) {
        const text = buf.toString('utf8', start, Math.min(end, start + 300));
        stats.malformedSamples.push({ input: input.name, line: lineNo, text });
      }
    };
    /** Counts a line that `rec` holds when `parsed`, and gives it to the sink. */
    const take = (parsed: boolean, buf: Buffer, start: number, end: number) => {
      stats.linesRead++;
      inStats.lines++;
      if (parsed && sink(rec, buf, start, end) !== false) {
        stats.parsed++;
        inStats.parsed++;
        if (stats.firstTime === null || rec.time < stats.firstTime) stats.firstTime = rec.time;
        if (stats.lastTime === null || rec.time > stats.lastTime) stats.lastTime = rec.time;
        if (stats.tzOffset === null) stats.tzOffset = rec.tzOffset;
      } else malformedLine(buf, start, end);
    };
    const handle = (buf: Buffer, start: number, end: number) => take(parse!(buf, start, end, rec), buf, start, end);
    const tooLong = (buf: Buffer, start: number, end: number) => {
      stats.linesRead++;
      inStats.lines++;
      stats.tooLong++;
      malformedLine(buf, start, end);
    };
    const flushPending = () => {
      if (!parse) {
        const fmt =
          detectFormat(
            pending.filter((p) => !p.tooLong).map((p) => p.line),
            opts.jsonFields,
            opts.format,
          ) ?? opts.format;
        if (!fmt && opts.live) {
          // A followed log is never given up on: a cut line or some junk at the start is counted as
          // malformed, and the format is looked for again in the next block.
          const resume = lineNo;
          for (const p of pending) {
            lineNo = p.no;
            if (p.tooLong) tooLong(p.line, 0, p.line.length);
            else take(false, p.line, 0, p.line.length);
          }
          lineNo = resume;
          pending.length = 0;
          return;
        }
        if (!fmt) throw new UnrecognisedInput();
        inStats.format = fmt.name;
        parse = parserFor(fmt, opts.jsonFields);
        if (fmt.kind === 'clf') clf = fmt;
      }
      const resume = lineNo;
      for (const p of pending) {
        lineNo = p.no;
        (p.tooLong ? tooLong : handle)(p.line, 0, p.line.length);
      }
      lineNo = resume;
      pending.length = 0;
    };
    const onLine = (buf: Buffer, start: number, end: number) => {
      lineNo++;
      if (end > start && buf[end - 1] === 0x0d) end--;
      if (end === start) {
        stats.blank++;
        return;
      }
      const long = end - start > maxLine;
      if (parse) (long ? tooLong : handle)(buf, start, end);
      else {
        pending.push({ line: Buffer.from(buf.subarray(start, long ? start + 300 : end)), tooLong: long, no: lineNo });
        if (pending.length >= DETECT_LINES) flushPending();
      }
    };
    /**
     * The hot loop for the Apache/nginx family: the lines of buf from `pos` up to the newline at `last`, each
     * scanned in one pass that also finds its end (see scanClfLine). Returns the position after `last`.
     */
    const scanLines = (buf: Buffer, pos: number, last: number, fmt: ClfFormat): number => {
      const lead = fmt.leadingFields;
      const agent = fmt.requiresAgent;
      while (pos <= last) {
        const nl = scanClfLine(buf, pos, lead, agent, rec);
        if (nl < 0) {
          const end = buf.indexOf(10, pos);
          onLine(buf, pos, end);
          pos = end + 1;
          continue;
        }
        lineNo++;
        const end = buf[nl - 1] === 0x0d ? nl - 1 : nl;
        if (end - pos > maxLine) tooLong(buf, pos, end);
        else take(true, buf, pos, end);
        pos = nl + 1;
      }
      return pos;
    };

    let skipping = false; // inside a line longer than maxLine
    let tail: Buffer | null = null; // the last block's unfinished line
    let source: BlockSource | null = null;
    let firstBlock = (input.start ?? 0) === 0;
    let crOnly = false; // old Mac line ends: a lone CR ends each line
    try {
      source = await openSource(input);
      let keepFrom = 0;
      for (;;) {
        const buf = await source.next(keepFrom);
        if (!buf) break;
        tail = null;
        stats.bytesRead += source.fresh;
        let pos = 0;
        if (firstBlock) {
          firstBlock = false;
          // A UTF-8 byte-order mark is no part of the first line.
          if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
          crOnly = buf.indexOf(10) < 0 && buf.indexOf(13) >= 0;
        }
        if (crOnly) for (let i = buf.length - source.fresh; i < buf.length; i++) if (buf[i] === 13) buf[i] = 10;
        if (skipping) {
          const nl = buf.indexOf(10);
          if (nl < 0) {
            keepFrom = buf.length;
            continue;
          }
          skipping = false;
          pos = nl + 1;
        }
        const last = buf.lastIndexOf(10);
        while (pos <= last) {
          if (clf) {
            pos = scanLines(buf, pos, last, clf);
            break;
          }
          const nl = buf.indexOf(10, pos);
          onLine(buf, pos, nl);
          pos = nl + 1;
        }
        keepFrom = pos;
        if (pos < buf.length) {
          if (buf.length - pos > maxLine) {
            // Count the overlong line once and drop its bytes up to the next newline.
            onLine(buf, pos, buf.length);
            skipping = true;
            keepFrom = buf.length;
          } else tail = buf.subarray(pos);
        }
        if (opts.live && pending.length > 0) flushPending();
        opts.onProgress?.(stats.bytesRead, stats.linesRead, stats.malformed);
      }
      if (tail && tail.length > 0) onLine(tail, 0, tail.length);
      if (pending.length > 0) flushPending();
    } catch (err) {
      if (err instanceof UnrecognisedInput) {
        // One odd file (an error log, a binary) in a folder of logs is left out, and the run says so.
        stats.linesRead -= inStats.lines;
        stats.parsed -= inStats.parsed;
        stats.malformed -= inStats.malformed;
        inStats.lines = inStats.parsed = inStats.malformed = 0;
        inStats.skipped = `not a log of a known format (${FORMAT_NAMES.join(', ')}): skipped`;
        pending.length = 0;
      } else {
        inStats.error = (err as Error).message;
        // What was read before the failure counts; an unfinished last line does too.
        try {
          if (tail && tail.length > 0) onLine(tail, 0, tail.length);
          if (pending.length > 0) flushPending();
        } catch (e) {
          if (!(e instanceof UnrecognisedInput)) throw e;
          inStats.skipped = `not a log of a known format (${FORMAT_NAMES.join(', ')}): skipped`;
        }
      }
    } finally {
      await source?.close().catch(() => undefined);
    }
  }
  return stats;
}
