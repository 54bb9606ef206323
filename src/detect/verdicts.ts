/** The detect stage's outputs: the versioned verdicts document, the blocklist and the per-client CSV. */
import { formatTime } from '../core/time.js';
import { FEATURES, roundFeature } from '../features/vector.js';
import type { ParseStats } from '../logs/read.js';
import type { DetectionResult, FlaggedClient, GroupSummary, Judgement } from './detect.js';

export const VERDICTS_SCHEMA_VERSION = 2;

export interface VerdictsDocument {
  schemaVersion: number;
  tool: { name: 'logwarden'; version: string };
  generatedAt: string;
  parameters: Record<string, unknown>;
  parse: {
    linesRead: number;
    parsed: number;
    malformed: number;
    blank: number;
    tooLong: number;
    badAddress: number;
    bytesRead: number;
    timeRange: { first: string; last: string } | null;
    inputs: ParseStats['inputs'];
    duplicates?: string[];
    malformedSamples: ParseStats['malformedSamples'];
  };
  clustering: {
    k: number;
    silhouette: number | null;
    kScores: DetectionResult['kScores'];
    converged: boolean;
    medians: Record<string, number>;
    clusters: Array<Omit<DetectionResult['clusters'][number], 'scaledCentroid'>>;
  };
  clients: { total: number; flagged: number; spared: string[]; crawlers: DetectionResult['crawlers'] };
  /** Clients judged together (abusive groups, and crowds left alone), with the time window they share. */
  groups: Array<Omit<GroupSummary, 'firstSeen' | 'lastSeen'> & { window: { first: string; last: string } }>;
  flagged: Array<Omit<FlaggedClient, 'firstSeen' | 'lastSeen'> & { firstSeen: string; lastSeen: string }>;
  /** What the other outputs of the run hold, so that a reader can tell a set written by two runs. */
  outputs?: { blocklistSha256: string };
}

export function buildVerdicts(
  result: Judgement,
  stats: ParseStats,
  badAddress: number,
  parameters: Record<string, unknown>,
  version: string,
  now: Date,
): VerdictsDocument {
  const tz = stats.tzOffset ?? 0;
  return {
    schemaVersion: VERDICTS_SCHEMA_VERSION,
    tool: { name: 'logwarden', version },
    generatedAt: now.toISOString(),
    parameters,
    parse: {
      linesRead: stats.linesRead,
      parsed: stats.parsed,
      malformed: stats.malformed,
      blank: stats.blank,
      tooLong: stats.tooLong,
      badAddress,
      bytesRead: stats.bytesRead,
      timeRange: stats.firstTime === null || stats.lastTime === null ? null : { first: formatTime(stats.firstTime, tz), last: formatTime(stats.lastTime, tz) },
      inputs: stats.inputs,
      duplicates: stats.duplicates,
      malformedSamples: stats.malformedSamples,
    },
    clustering: {
      k: result.k,
      silhouette: result.silhouette === null ? null : Math.round(result.silhouette * 10000) / 10000,
      kScores: result.kScores.map((s) => ({ k: s.k, silhouette: Math.round(s.silhouette * 10000) / 10000 })),
      converged: result.converged,
      medians: result.medians,
      clusters: result.clusters.map(({ scaledCentroid: _s, ...c }) => c),
    },
    clients: { total: result.clientCount, flagged: result.flagged.length, spared: result.spared, crawlers: result.crawlers },
    groups: result.groups.map(({ firstSeen, lastSeen, ...g }) => ({ ...g, window: { first: formatTime(firstSeen, tz), last: formatTime(lastSeen, tz) } })),
    flagged: result.flagged.map((f) => ({ ...f, firstSeen: formatTime(f.firstSeen, tz), lastSeen: formatTime(f.lastSeen, tz) })),
  };
}

/** Addresses and networks sorted by family, then numerically (so 9.x comes before 10.x). */
export function sortAddresses(list: readonly string[]): string[] {
  const key = (a: string): string => {
    const [addr = '', bits = ''] = a.split('/');
    if (!addr.includes(':')) {
      return `4${addr
        .split('.')
        .map((o) => o.padStart(3, '0'))
        .join('.')}/${bits.padStart(3, '0')}`;
    }
    // Expand "::" so that groups compare in place.
    const [head = '', tail = ''] = addr.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = addr.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return `6${groups.map((g) => g.padStart(4, '0')).join(':')}/${bits.padStart(3, '0')}`;
  };
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function blocklistText(result: Pick<DetectionResult, 'blocklist'>): string {
  const list = sortAddresses(result.blocklist);
  return list.length ? `${list.join('\n')}\n` : '';
}

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Text written straight into a growing buffer: clients.csv is hundreds of thousands of numbers. */
export class CsvWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  text(s: string): void {
    this.room(s.length * 3);
    // Short ASCII text (addresses, flags) byte by byte: cheaper than a Buffer.write call each.
    const buf = this.buf;
    let at = this.len;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) {
        this.len += buf.write(s, this.len);
        return;
      }
      buf[at++] = c;
    }
    this.len = at;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }

  /** A whole number 0 <= n < 2^53 in decimal, padded with leading zeros to `width`. */
  digits(n: number, width = 1): void {
    this.room(20);
    let count = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) count++;
    count = Math.max(count, width);
    for (let k = this.len + count - 1; k >= this.len; k--) {
      this.buf[k] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    this.len += count;
  }

  /** A feature value exactly as String(roundFeature(v)) writes it, without making the string. */
  feature(v: number): void {
    v = roundFeature(v);
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 53) return this.digits(v);
    const n = Math.round(v * 10000);
    // Only values that are a whole number of ten-thousandths below 1e9 print as "whole.frac" with at most 4
    // decimals; anything else (negative, huge, NaN) is String's.
    if (!(v > 0 && v < 1e9) || n / 10000 !== v) return this.text(String(v));
    const whole = Math.floor(n / 10000);
    let frac = n - whole * 10000;
    let width = 4;
    while (frac % 10 === 0) {
      frac /= 10;
      width--;
    }
    this.digits(whole);
    this.byte(0x2e);
    this.digits(frac, width);
  }

  take(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  get length(): number {
    return this.len;
  }

  /** Starts again, empty (what `take` returned is written over). */
  reset(): void {
    this.len = 0;
  }
}

/**
 * Every client, busiest first (then by address): its cluster, verdict and features, a row each. In pieces of
 * about 1 MiB (each valid until the next is asked for): a million clients make ~150 MB of text.
 */
export function* clientsCsv(result: DetectionResult): Generator<Uint8Array> {
  const out = new CsvWriter();
  out.text(['address', 'cluster', 'flagged', 'allowlisted', 'group', ...FEATURES.map((f) => f.name)].join(','));
  const clients = result.clients;
  const table = result.featureTable;
  const dims = FEATURES.length;
  const requests = Float64Array.from(clients, (c) => c.requests);
  // Clients come in address order: then a stable sort by requests alone gives the order (ties by address).
  const inAddressOrder = clients.every((c, i) => i === 0 || clients[i - 1]!.address < c.address);
  const order = Array.from(clients.keys()).sort(
    inAddressOrder ? (a, b) => requests[b]! - requests[a]! : (a, b) => requests[b]! - requests[a]! || (clients[a]!.address < clients[b]!.address ? -1 : 1),
  );
  for (const i of order) {
    if (out.length > 1 << 20) {
      yield out.take();
      out.reset();
    }
    const c = clients[i]!;
    out.byte(0x0a);
    out.text(`${csvCell(c.address)},${c.cluster},${c.flagged},${c.allowlisted},${c.group ?? ''}`);
    for (let d = i * dims; d < (i + 1) * dims; d++) {
      out.byte(0x2c);
      out.feature(table[d]!);
    }
  }
  out.byte(0x0a);
  yield out.take();
}
