/**
 * The live window: the last `minutes` minutes of a followed log, as per-client tables, one per minute of log
 * time (the lines' own timestamps, so that a replayed log is judged as it was written). A minute leaves
 * whole when the log has moved on past the window; memory grows with the clients of the window and the
 * minutes each was active in, never with lines. Judging reads one table merged from them (exact: the same
 * merge as worker threads use).
 */
import { ClientTable, tableClassifiers, type AggregateOptions, type TableParts } from '../table/table.js';
import type { LogRecord } from '../logs/parse.js';

export interface WindowState {
  readonly newest: number;
  readonly late: number;
  readonly minutes: Array<[number, TableParts]>;
}

export class LiveWindow {
  private readonly tables = new Map<number, ClientTable>();
  /** The newest minute seen (log time), -Infinity before the first line. */
  newest = -Infinity;
  /** Lines older than the window when they came (a late log line, a clock gone back): read, not judged. */
  late = 0;

  private readonly opts: AggregateOptions;

  constructor(
    opts: AggregateOptions,
    readonly minutes: number,
  ) {
    // One cache of path classes for all the minutes' tables.
    this.opts = { ...opts, classifiers: opts.classifiers ?? tableClassifiers() };
  }

  /** Adds a parsed line; false when its client field is not an address. */
  add(rec: LogRecord, buf: Buffer, start: number, end: number): boolean {
    const m = Math.floor(rec.time / 60_000);
    if (m <= this.newest - this.minutes) {
      this.late++;
      return true;
    }
    if (m > this.newest) {
      this.newest = m;
      for (const old of this.tables.keys()) if (old <= m - this.minutes) this.tables.delete(old);
    }
    let t = this.tables.get(m);
    if (!t) this.tables.set(m, (t = new ClientTable(this.opts, 256)));
    return t.add(rec, buf, start, end);
  }

  /** The window's clients in one table. */
  table(): ClientTable {
    const out = new ClientTable(this.opts);
    for (const m of [...this.tables.keys()].sort((a, b) => a - b)) out.merge(this.tables.get(m)!);
    return out;
  }

  /** Clients in the window's newest table, for a quick count without merging. */
  get minuteCount(): number {
    return this.tables.size;
  }

  save(): WindowState {
    return { newest: this.newest, late: this.late, minutes: [...this.tables].map(([m, t]) => [m, t.parts()]) };
  }

  static restore(state: WindowState, opts: AggregateOptions, minutes: number): LiveWindow {
    const w = new LiveWindow(opts, minutes);
    w.newest = state.newest;
    w.late = state.late;
    for (const [m, parts] of state.minutes) if (m > w.newest - minutes) w.tables.set(m, ClientTable.fromParts(parts, w.opts));
    return w;
  }
}
