/**
 * What the report shows, gathered from the detection result and the per-client aggregates. Pure.
 */
import { sampleIndices } from '../detect/cluster.js';
import type { Projection, ProjectionInput } from './projection.js';
import type { DetectionResult } from '../detect/detect.js';
import type { VerdictsDocument } from '../detect/verdicts.js';
import type { ClientStats } from '../table/table.js';
import type { Timeline } from '../features/timeline.js';

export interface ReportData {
  readonly verdicts: VerdictsDocument;
  readonly topClients: Array<{ address: string; requests: number; flagged: boolean }>;
  readonly projection: Projection;
  readonly kScores: Array<{ k: number; silhouette: number; chosen: boolean }>;
  readonly traffic: Array<{ time: string; series: string; perMinute: number }>;
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

/**
 * The busiest flagged clients' requests per minute against everyone else's, one value for every bin of the
 * log's span (zeros included: a burst shows as a spike rising from the line, not as a lone point that draws
 * nothing), with times in the log's own zone (`tzMinutes` east of UTC).
 */
function traffic(overall: Timeline, flagged: ClientStats[], tzMinutes: number): ReportData['traffic'] {
  const lines = flagged.filter((c) => c.timeline).slice(0, 5);
  const width = Math.max(overall.width, ...lines.map((c) => c.timeline!.width));
  const total = overall.rebin(width);
  if (total.size === 0) return [];
  const keys = [...total.keys()];
  const first = Math.min(...keys);
  const last = Math.max(...keys);
  const bins: number[] = [];
  for (let m = first; m <= last; m += width) bins.push(m);
  const rest = new Map(total);
  const out: ReportData['traffic'] = [];
  // Shifted into the log's zone and drawn on a UTC scale: the axis reads the log's own clock times.
  const iso = (minute: number) => new Date((minute + tzMinutes) * 60000).toISOString();
  for (const c of lines) {
    const counts = c.timeline!.rebin(width);
    for (const [m, count] of counts) rest.set(m, (rest.get(m) ?? 0) - count);
    for (const m of bins) out.push({ time: iso(m), series: c.key, perMinute: round((counts.get(m) ?? 0) / width, 2) });
  }
  for (const m of bins) out.push({ time: iso(m), series: 'everyone else', perMinute: round(Math.max(0, rest.get(m) ?? 0) / width, 2) });
  return out;
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

export function reportBasics(verdicts: VerdictsDocument, result: DetectionResult, clients: readonly ClientStats[], overall: Timeline): ReportBasics {
  const flaggedSet = new Set(result.flagged.map((f) => f.address));
  // The flagged clients only: a map of every client costs ~100 MB for a million.
  const byKey = new Map<string, ClientStats>();
  for (const c of clients) if (flaggedSet.has(c.key)) byKey.set(c.key, c);
  const top = busiest(result.clients, 25);
  return {
    verdicts,
    topClients: top.map((c) => ({ address: c.address, requests: c.requests, flagged: c.flagged })),
    kScores: result.kScores.map((s) => ({ k: s.k, silhouette: round(s.silhouette, 4), chosen: s.k === result.k })),
    traffic: traffic(overall, result.flagged.map((f) => byKey.get(f.address)!).filter(Boolean), zoneOf(verdicts.parse.timeRange?.first)),
    statusMix: statusMix(clients, flaggedSet),
  };
}
