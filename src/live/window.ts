/**
 * The live window: the last `minutes` minutes of a followed log, as per-client tables, one per minute of log
 * time (the lines' own timestamps, so that a replayed log is judged as it was written). A minute leaves
 * whole when the log has moved on past the window; memory grows with the clients of the window and the
 * minutes each was active in, never with lines. Judging reads one table merged from them (exact: the same
 * merge as worker threads use).
 *
 * Two things no log line may do: move the window into the future (a server with a wrong clock, a typo'd
 * year: every later line would be "late" and never judged), and grow the window without bound (one request
 * from each of a million addresses of an IPv6 /32). A line dated more than `aheadMinutes` past the wall clock
 * is set aside and counted. Past half of `maxClients`, IPv6 clients new to a minute are counted per /64; past
 * `maxClients`, a client new to a minute gets a row only from its ADMIT_AFTER-th line in that minute (a
 * flood gets in within a second, a rotating address never), its earlier lines counted as `refused`.
 */
import { ClientTable, tableClassifiers, type AggregateOptions, type TableParts } from '../table/table.js';
import { hashString, recordForwardedFor, type LogRecord } from '../logs/parse.js';
import { checkParts, TableFileError } from '../table/lwtable.js';

export interface WindowState {
  readonly newest: number;
  readonly late: number;
  readonly minutes: Array<[number, TableParts]>;
}

/** The minutes a window holds, and the tables of those that changed (LiveWindow.changes). */
export interface WindowChanges {
  readonly held: number[];
  readonly changed: Array<[number, TableParts]>;
}

/** The clients of a window's minutes in one table (merged oldest first: the same table from the same minutes). */
export function windowTable(tables: ReadonlyMap<number, ClientTable>, opts: AggregateOptions): ClientTable {
  const out = new ClientTable(opts);
  for (const m of [...tables.keys()].sort((a, b) => a - b)) out.merge(tables.get(m)!);
  return out;
}

export interface WindowLimits {
  /** Lines dated more than this many minutes past the wall clock are set aside (default 2). */
  readonly aheadMinutes?: number;
  /** Clients the window holds before it defends itself (default 200,000). */
  readonly maxClients?: number;
  /** The wall clock, in ms (tests set it). */
  readonly now?: () => number;
}

/** How hard the window defends its memory: 0 not at all, 1 IPv6 counted per /64, 2 new clients admitted late. */
export type Pressure = 0 | 1 | 2;

/** The prefix IPv6 clients are counted under once the window is half full. */
export const PRESSURE_PREFIX = 64;
/** Lines a client new to a minute shows in it before it gets a row, once the window is full. */
const ADMIT_AFTER = 8;
/** Counters of new clients' lines in a minute (a count-min of one row: collisions only admit sooner). */
const SKETCH = 1 << 20;

export class LiveWindow {
  private readonly tables = new Map<number, ClientTable>();
  /** The newest minute seen (log time), -Infinity before the first line. */
  newest = -Infinity;
  /** Lines older than the window when they came (a late log line, a clock gone back): read, not judged. */
  late = 0;
  /** Lines dated too far past the wall clock: read, not judged. */
  ahead = 0;
  /** Lines of clients new to a full window, not admitted (yet). */
  refused = 0;
  /** How hard the window defends its memory now. */
  pressure: Pressure = 0;
  /** Rows of the minutes' tables but the newest one's (a client active in two minutes counts twice). */
  private olderRows = 0;
  private current: ClientTable | null = null;
  private currentMinute = -Infinity;
  /** Minutes whose tables changed since `changes()` was last asked (the current one is looked at apart). */
  private dirty = new Set<number>();
  /** Lines the current minute had taken when `changes()` was last asked, or -1 (not asked since it became current). */
  private currentSent = -1;
  /** Lines the current minute has taken. */
  private currentLines = 0;
  private sketch: Uint8Array | null = null;

  private opts: AggregateOptions;
  private readonly aheadMinutes: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(
    opts: AggregateOptions,
    readonly minutes: number,
    limits: WindowLimits = {},
  ) {
    // One cache of path classes for all the minutes' tables.
    this.opts = { ...opts, classifiers: opts.classifiers ?? tableClassifiers() };
    this.aheadMinutes = limits.aheadMinutes ?? 2;
    this.maxClients = limits.maxClients ?? 200_000;
    this.now = limits.now ?? Date.now;
  }

  /**
   * The options lines are read with from now on (a model loaded again may bring other trusted proxies or
   * another IPv6 prefix): each minute's table is made again with them, its clients merged in as they were
   * counted, so that every line to come is read the new way.
   */
  setOptions(opts: AggregateOptions): void {
    this.opts = { ...opts, classifiers: this.opts.classifiers };
    for (const [m, old] of this.tables) {
      const fresh = new ClientTable(this.opts, 256);
      fresh.merge(old);
      this.tables.set(m, fresh);
      this.dirty.add(m);
    }
    this.current = null;
    this.currentMinute = -Infinity;
  }

  /** Rows held: an upper bound of the clients in the window. */
  get rows(): number {
    return this.olderRows + (this.current?.size ?? 0);
  }

  /** Adds a parsed line; false when its client field is not an address. */
  add(rec: LogRecord, buf: Buffer, start: number, end: number): boolean {
    const m = Math.floor(rec.time / 60_000);
    if (m <= this.newest - this.minutes) {
      this.late++;
      return true;
    }
    if (m > this.newest) {
      if (m > Math.floor(this.now() / 60_000) + this.aheadMinutes) {
        this.ahead++;
        return true;
      }
      this.newest = m;
      for (const old of this.tables.keys()) if (old <= m - this.minutes) this.tables.delete(old);
      this.sketch?.fill(0);
    }
    let t = m === this.currentMinute ? this.current! : this.tableOf(m);
    this.currentLines++;
    const rows = this.rows;
    if ((this.pressure === 0 && rows >= this.maxClients / 2) || (this.pressure === 1 && rows >= this.maxClients)) this.pressureChanged(t);
    if (this.pressure < 2) return t.add(rec, buf, start, end);
    // Full: a client new to this minute is admitted from its ADMIT_AFTER-th line in it.
    const sketch = (this.sketch ??= new Uint8Array(SKETCH));
    const slot =
      (rec.isIp4 ? Math.imul(rec.ip4, 0x9e3779b1) : rec.ipHash ^ (rec.xffEnd > rec.xffStart ? hashString(recordForwardedFor(rec)) : 0)) & (SKETCH - 1);
    if (sketch[slot]! < ADMIT_AFTER) sketch[slot]!++;
    t = this.current!;
    t.admitting = sketch[slot]! >= ADMIT_AFTER;
    const before = t.refused;
    const ok = t.add(rec, buf, start, end);
    this.refused += t.refused - before;
    return ok;
  }

  /** The table of minute `m`, made if new; it becomes the current one. */
  private tableOf(m: number): ClientTable {
    let t = this.tables.get(m);
    if (!t) this.tables.set(m, (t = new ClientTable(this.opts, 256)));
    this.olderRows = 0;
    for (const [k, other] of this.tables) if (k !== m) this.olderRows += other.size;
    if (this.current && this.currentLines !== this.currentSent) this.dirty.add(this.currentMinute);
    this.current = t;
    this.currentMinute = m;
    this.currentLines = 0;
    this.currentSent = -1;
    this.pressureChanged(t);
    return t;
  }

  /** The pressure for the rows held now, applied to the current table. */
  private pressureChanged(t: ClientTable): void {
    const rows = this.rows;
    const was = this.pressure;
    this.pressure = rows >= this.maxClients ? 2 : rows >= this.maxClients / 2 ? 1 : 0;
    if (this.pressure >= 1) t.coarsen(Math.min(PRESSURE_PREFIX, this.opts.ipv6Prefix));
    if (this.pressure < 2) t.admitting = true;
    if (this.pressure === 2 && was < 2) this.sketch?.fill(0);
  }

  /** Checks the pressure (the window fills line by line; it empties as minutes leave). */
  refreshPressure(): Pressure {
    if (this.current) this.pressureChanged(this.current);
    return this.pressure;
  }

  /** The window's clients in one table. */
  table(): ClientTable {
    return windowTable(this.tables, this.opts);
  }

  /**
   * What changed since the last call, for a judge in another thread that keeps the minutes it was given:
   * the minutes held now, and the tables of those that changed since (all of them with `all`), as parts.
   * A closed minute that took no late line is not sent again.
   */
  changes(all = false): WindowChanges {
    const changed: Array<[number, TableParts]> = [];
    if (this.current && this.currentLines !== this.currentSent) this.dirty.add(this.currentMinute);
    this.currentSent = this.currentLines;
    for (const [m, t] of this.tables) if (all || this.dirty.has(m)) changed.push([m, t.parts()]);
    this.dirty.clear();
    return { held: [...this.tables.keys()], changed };
  }

  /** Clients in the window's newest table, for a quick count without merging. */
  get minuteCount(): number {
    return this.tables.size;
  }

  save(): WindowState {
    return { newest: this.newest, late: this.late, minutes: [...this.tables].map(([m, t]) => [m, t.parts()]) };
  }

  /**
   * The window as saved, its minutes checked by `check` (a state file is as untrusted as a table). Minutes
   * past the wall clock (saved by a watch that a future-dated line had misled) are dropped.
   */
  static restore(state: WindowState, opts: AggregateOptions, minutes: number, limits: WindowLimits = {}): LiveWindow {
    checkState(state, opts.ipv6Prefix);
    const w = new LiveWindow(opts, minutes, limits);
    const latest = Math.floor(w.now() / 60_000) + w.aheadMinutes;
    const kept = state.minutes.filter(([m]) => m <= latest);
    w.newest = state.newest <= latest ? state.newest : kept.reduce((a, [m]) => Math.max(a, m), -Infinity);
    w.late = state.late;
    for (const [m, parts] of kept) if (m > w.newest - minutes) w.tables.set(m, ClientTable.fromParts(parts, w.opts));
    for (const t of w.tables.values()) w.olderRows += t.size;
    return w;
  }
}

/** A saved window, checked as a table file is (TableFileError says what is wrong). */
function checkState(state: unknown, ipv6Prefix: number): asserts state is WindowState {
  const s = state as Partial<WindowState> | null;
  if (typeof s !== 'object' || s === null) throw new TableFileError('window: not an object');
  if (typeof s.newest !== 'number' || !(Number.isInteger(s.newest) || s.newest === -Infinity)) throw new TableFileError('window.newest: not a minute');
  if (!Number.isSafeInteger(s.late) || s.late! < 0) throw new TableFileError('window.late: not a count');
  if (!Array.isArray(s.minutes) || s.minutes.length > 100_000) throw new TableFileError('window.minutes: not a list');
  const seen = new Set<number>();
  s.minutes.forEach((entry, i) => {
    const [m, parts] = Array.isArray(entry) ? (entry as [unknown, unknown]) : [undefined, undefined];
    if (!Number.isSafeInteger(m) || seen.has(m as number)) throw new TableFileError(`window.minutes[${i}]: not a minute of its own`);
    seen.add(m as number);
    try {
      checkParts(parts, [ipv6Prefix, Math.min(PRESSURE_PREFIX, ipv6Prefix)]);
    } catch (err) {
      throw new TableFileError(`window.minutes[${i}]: ${(err as Error).message}`);
    }
  });
}
