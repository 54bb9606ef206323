/**
 * What the report shows, gathered from the detection result and the per-client aggregates. Pure.
 */
import { sampleIndices } from '../detect/cluster.js';
import type { Projection, ProjectionInput } from './projection.js';
import type { DetectionResult } from '../detect/detect.js';
import type { VerdictsDocument } from '../detect/verdicts.js';
import type { ClientStats } from '../table/table.js';

export interface ReportData {
  readonly verdicts: VerdictsDocument;
  readonly topClients: Array<{ address: string; requests: number; flagged: boolean }>;
  readonly projection: Projection;
  readonly kScores: Array<{ k: number; silhouette: number; chosen: boolean }>;
  /** Per bin of the log's span, the most requests in one minute of it, by series. */
  readonly traffic: Array<{ time: string; series: string; perMinute: number }>;
  /** The timeline's bin width, in words ("15 minutes"). */
  readonly trafficBin: string;
  readonly statusMix: Array<{ group: string; status: string; requests: number }>;
}

const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

/**
 * Clients the scatter shows besides the flagged ones: a seeded sample of a thousand shows the clusters' shapes
 * as well as more would, and each dot is an SVG element to draw and to send (2,000 drew in twice the time).
 */
export const SCATTER_SAMPLE = 1000;

/** The clients the scatter shows (a seeded sample and every flagged one) and their scaled features. */
export function projectionInput(result: DetectionResult, seed: number, maxPoints = SCATTER_SAMPLE): ProjectionInput {
  const dims = result.clusters[0]?.scaledCentroid.length ?? 0;
  const n = dims ? result.scaledTable.length / dims : 0;
  if (n < 3) return { points: [], dots: [] };
  const idx = new Set(sampleIndices(n, maxPoints, seed));
  result.clients.forEach((c, i) => c.flagged && idx.add(i));
  const chosen = [...idx].sort((a, b) => a - b);
  return {
    points: chosen.map((i) => Array.from(result.scaledTable.subarray(i * dims, (i + 1) * dims))),
    dots: chosen.map((i) => ({ cluster: `cluster ${result.clients[i]!.cluster}`, flagged: result.clients[i]!.flagged, address: result.clients[i]!.address })),
  };
}

/** Bin widths the timeline may use, in minutes: the narrowest that keeps it to MAX_BINS bins. */
const BIN_WIDTHS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];
const MAX_BINS = 300;

/** "1 minute", "15 minutes", "2 hours", "1 day", "1 week". */
export function binName(width: number): string {
  const [n, unit] =
    width % 10080 === 0 ? [width / 10080, 'week'] : width % 1440 === 0 ? [width / 1440, 'day'] : width % 60 === 0 ? [width / 60, 'hour'] : [width, 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * The busiest flagged clients against everyone else: for every bin of the log's span, the most requests any
 * one minute of the bin had (a burst keeps its height however long the log; zeros included, so that a burst
 * rises from the line), from every client's exact requests per minute, with times in the log's own zone
 * (`tzMinutes` east of UTC).
 */
function traffic(clients: readonly ClientStats[], flagged: ClientStats[], tzMinutes: number): Pick<ReportData, 'traffic' | 'trafficBin'> {
  const totals = new Map<number, number>();
  for (const c of clients) c.forEachMinute((m, n) => totals.set(m, (totals.get(m) ?? 0) + n));
  if (totals.size === 0) return { traffic: [], trafficBin: binName(1) };
  let first = Infinity;
  let last = -Infinity;
  for (const m of totals.keys()) {
    if (m < first) first = m;
    if (m > last) last = m;
  }
  const span = last - first + 1;
  const width = BIN_WIDTHS.find((w) => span / w <= MAX_BINS) ?? Math.ceil(span / MAX_BINS / 10080) * 10080;
  const binOf = (m: number) => m - (((m % width) + width) % width);
  const bins: number[] = [];
  for (let m = binOf(first); m <= last; m += width) bins.push(m);
  const peaks = (perMinute: Iterable<[number, number]>) => {
    const out = new Map<number, number>();
    for (const [m, n] of perMinute) {
      const b = binOf(m);
      if (n > (out.get(b) ?? 0)) out.set(b, n);
    }
    return out;
  };
  const rest = new Map(totals);
  const out: ReportData['traffic'] = [];
  // Shifted into the log's zone and drawn on a UTC scale: the axis reads the log's own clock times.
  const iso = (minute: number) => new Date((minute + tzMinutes) * 60000).toISOString();
  for (const c of flagged.slice(0, 5)) {
    const own: Array<[number, number]> = [];
    c.forEachMinute((m, n) => {
      own.push([m, n]);
      rest.set(m, rest.get(m)! - n);
    });
    const top = peaks(own);
    for (const b of bins) out.push({ time: iso(b), series: c.key, perMinute: top.get(b) ?? 0 });
  }
  const others = peaks(rest);
  for (const b of bins) out.push({ time: iso(b), series: 'everyone else', perMinute: others.get(b) ?? 0 });
  return { traffic: out, trafficBin: binName(width) };
}

/** The zone offset (minutes east of UTC) of a time the verdicts wrote ("...+02:00"), 0 when none. */
export function zoneOf(time: string | undefined): number {
  const m = time ? /([+-])(\d\d):(\d\d)$/.exec(time) : null;
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

function statusMix(clients: readonly ClientStats[], flagged: ReadonlySet<string>): ReportData['statusMix'] {
  const sums = { flagged: [0, 0, 0, 0, 0], others: [0, 0, 0, 0, 0] };
  for (const c of clients) {
    const s = flagged.has(c.key) ? sums.flagged : sums.others;
    const known = c.status2xx + c.status3xx + c.status4xx + c.status5xx;
    s[0]! += c.status2xx;
    s[1]! += c.status3xx;
    s[2]! += c.status4xx;
    s[3]! += c.status5xx;
    s[4]! += c.requests - known;
  }
  const names = ['2xx', '3xx', '4xx', '5xx', 'other'];
  return (['flagged', 'others'] as const).flatMap((g) =>
    names.map((status, i) => ({ group: g === 'flagged' ? 'flagged clients' : 'everyone else', status, requests: sums[g][i]! })),
  );
}

type ClientRow = DetectionResult['clients'][number];
const busier = (a: ClientRow, b: ClientRow) => b.requests - a.requests || (a.address < b.address ? -1 : 1);

/** The n busiest clients, busiest first (ties by address), without sorting them all. */
export function busiest(clients: readonly ClientRow[], n: number): ClientRow[] {
  const top: ClientRow[] = [];
  for (const c of clients) {
    if (top.length === n && busier(c, top[n - 1]!) >= 0) continue;
    let i = top.length;
    while (i > 0 && busier(c, top[i - 1]!) < 0) i--;
    top.splice(i, 0, c);
    if (top.length > n) top.pop();
  }
  return top;
}

/** Everything but the projection (projectionInput here, projectPoints in figures.ts, with ml-pca). */
export type ReportBasics = Omit<ReportData, 'projection'>;

export function reportBasics(verdicts: VerdictsDocument, result: DetectionResult, clients: readonly ClientStats[]): ReportBasics {
  const flaggedSet = new Set(result.flagged.map((f) => f.address));
  // The flagged clients only: a map of every client costs ~100 MB for a million.
  const byKey = new Map<string, ClientStats>();
  for (const c of clients) if (flaggedSet.has(c.key)) byKey.set(c.key, c);
  const top = busiest(result.clients, 25);
  return {
    verdicts,
    topClients: top.map((c) => ({ address: c.address, requests: c.requests, flagged: c.flagged })),
    kScores: result.kScores.map((s) => ({ k: s.k, silhouette: round(s.silhouette, 4), chosen: s.k === result.k })),
    ...traffic(clients, result.flagged.map((f) => byKey.get(f.address)!).filter(Boolean), zoneOf(verdicts.parse.timeRange?.first)),
    statusMix: statusMix(clients, flaggedSet),
  };
}
