/**
 * Detection, pure: per-client aggregates in, verdicts out. No I/O.
 *
 * The rule (also in the README):
 * 1. Each client's features (features/vector.ts) are transformed (log for counts, raw for shares) and robustly
 *    scaled so that the median client sits at 0 and one unit is one robust standard deviation.
 * 2. k-means (k-means++, seeded) groups the clients; k is chosen from kMin..kMax by the mean silhouette.
 * 3. A cluster is abusive when its centroid lies at least `clusterThreshold` units above the median client on
 *    at least one feature whose high values signal abuse (rate, errors, sensitive paths, POSTs, ...).
 *    A centroid speaks for the members near it only: a member more than OUTLIER_FACTOR times the cluster's
 *    root-mean-square member distance from its centroid is judged as a group of one, by its own point.
 *    (A lone brute-forcer is otherwise averaged away inside a cluster of a hundred quiet visitors.)
 * 4. A client is flagged only when its group is abusive AND it clears an absolute floor of at least one
 *    kind of abuse (flood, scan, brute force), AND is not on the allowlist. The floors are what keep a quiet
 *    day quiet: clustering always finds a "heaviest" group, but a heavy normal visitor clears no floor.
 */
import type { AddressSet } from '../core/address.js';
import type { ClientStats } from '../table/table.js';
import { FEATURES, roundFeature, transformValue, untransformValue } from '../features/vector.js';
import { cluster, squaredDistance, type KScore } from './cluster.js';
import { fitScalerFlat, type Scaler } from './scale.js';

import type { Floors } from './defaults.js';
export { DEFAULT_DETECT, DEFAULT_FLOORS, type Floors } from './defaults.js';

export interface DetectOptions {
  readonly seed: number;
  readonly kMin: number;
  readonly kMax: number;
  readonly clusterThreshold: number;
  readonly floors: Floors;
  readonly allowlist: AddressSet;
  readonly fitSample: number;
  readonly chooseSample: number;
  readonly scoreSample: number;
}

export type AbuseKind = 'flood' | 'scan' | 'brute-force';

export interface Standout {
  readonly feature: string;
  readonly label: string;
  readonly value: number;
  readonly median: number;
  /** Robust standard deviations above the median client (unclipped). */
  readonly score: number;
}

export interface ClientResult {
  readonly address: string;
  readonly cluster: number;
  /** Judged by its own point because it lies far from its cluster's centroid. */
  readonly outlier: boolean;
  /** The client's features by name (rounded to 4 decimals). */
  readonly features: Record<string, number>;
  readonly requests: number;
  readonly flagged: boolean;
  readonly allowlisted: boolean;
}

const DIMS = FEATURES.length;
const REQUESTS = FEATURES.findIndex((f) => f.name === 'requests');

/** A client's result; its features record is made from the shared feature table when asked for. */
class ClientRow implements ClientResult {
  constructor(
    private readonly table: Float64Array,
    private readonly row: number,
    readonly address: string,
    readonly cluster: number,
    readonly outlier: boolean,
    readonly flagged: boolean,
    readonly allowlisted: boolean,
  ) {}

  get requests(): number {
    return this.table[this.row * DIMS + REQUESTS]!;
  }

  get features(): Record<string, number> {
    return toRecord(this.table.subarray(this.row * DIMS, (this.row + 1) * DIMS));
  }
}

export interface FlaggedClient {
  readonly address: string;
  readonly cluster: number;
  readonly outlier: boolean;
  readonly kinds: AbuseKind[];
  readonly reasons: string[];
  readonly standouts: Standout[];
  readonly features: Record<string, number>;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly samples: string[];
}

export interface ClusterSummary {
  readonly id: number;
  readonly size: number;
  readonly abusive: boolean;
  /** Features on which the centroid stands `clusterThreshold` or more above the median client. */
  readonly abusiveFeatures: string[];
  /** The centroid in the features' own units. */
  readonly centroid: Record<string, number>;
  /** The centroid in scaled units (0 = the median client). */
  readonly scaledCentroid: number[];
}

export interface DetectionResult {
  readonly k: number;
  readonly silhouette: number | null;
  readonly kScores: KScore[];
  readonly converged: boolean;
  readonly clusters: ClusterSummary[];
  readonly clients: ClientResult[];
  readonly flagged: FlaggedClient[];
  /** Clients that would have been flagged but are on the allowlist. */
  readonly spared: string[];
  readonly medians: Record<string, number>;
  /** The scaled points, in the order of `clients`, for charts. */
  readonly points: number[][];
  /** Every client's raw feature values (FEATURES order), row i for clients[i]. */
  readonly featureTable: Float64Array;
}

const SPREAD_FLOOR = { log: 0.25, share: 0.05 } as const;
export const OUTLIER_FACTOR = 3;

function abusiveAxes(scaled: readonly number[], threshold: number): string[] {
  return FEATURES.filter((f, d) => f.abusive && scaled[d]! >= threshold).map((f) => f.name);
}

function toRecord(values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  FEATURES.forEach((f, i) => (out[f.name] = roundFeature(values[i]!)));
  return out;
}

/** Which kinds of abuse a client's own numbers clear, with a sentence for each. */
export function abuseKinds(c: ClientStats, floors: Floors): Array<[AbuseKind, string]> {
  const out: Array<[AbuseKind, string]> = [];
  if (c.requests < floors.minRequests) return out;
  const pct = (n: number) => `${Math.round((100 * n) / c.requests)}%`;
  if (c.peakPerMinute >= floors.floodPeakPerMinute) {
    out.push(['flood', `flood: ${c.peakPerMinute} requests in one minute (floor ${floors.floodPeakPerMinute}), ${c.requests} in all`]);
  }
  const paths = Math.min(c.paths.count(), c.requests);
  if (c.status4xx >= floors.scanErrors && c.status4xx * 2 >= c.requests && paths >= 3) {
    out.push(['scan', `scan: ${c.status4xx} error responses (${pct(c.status4xx)} 4xx, ${c.status404} of them 404) over ${paths} paths`]);
  } else if (c.sensitiveHits >= floors.scanSensitive && c.sensitiveHits * 2 >= c.requests && paths >= 3) {
    out.push(['scan', `scan: ${c.sensitiveHits} requests to sensitive paths (${pct(c.sensitiveHits)}) over ${paths} paths`]);
  }
  if (c.post >= floors.brutePosts && c.post * 2 >= c.requests && (c.sensitiveHits * 2 >= c.requests || paths <= 3)) {
    out.push(['brute-force', `brute force: ${c.post} POST requests (${pct(c.post)}), ${pct(c.sensitiveHits)} to login/admin paths`]);
  }
  return out;
}

export function detect(clients: readonly ClientStats[], opts: DetectOptions): DetectionResult {
  // Features in flat tables (a row per client): 20,000 clients make no 40,000 little arrays.
  const n = clients.length;
  const raw = new Float64Array(n * DIMS);
  const transformed = new Float64Array(n * DIMS);
  const values = FEATURES.map((f) => f.value);
  const transforms = FEATURES.map((f) => f.transform);
  for (let i = 0; i < n; i++) {
    const c = clients[i]!;
    for (let d = 0; d < DIMS; d++) {
      const v = values[d]!(c);
      raw[i * DIMS + d] = v;
      transformed[i * DIMS + d] = transformValue(transforms[d]!, v);
    }
  }
  const scaler: Scaler = fitScalerFlat(
    transformed,
    FEATURES.map((f) => SPREAD_FLOOR[f.transform]),
  );
  const points = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    const p = new Array<number>(DIMS);
    for (let d = 0; d < DIMS; d++) {
      const z = (transformed[i * DIMS + d]! - scaler.center[d]!) / scaler.spread[d]!;
      p[d] = Math.max(-scaler.clip, Math.min(scaler.clip, z));
    }
    points[i] = p;
  }
  const clustering = cluster(points, {
    seed: opts.seed,
    kMin: opts.kMin,
    kMax: opts.kMax,
    fitSample: opts.fitSample,
    chooseSample: opts.chooseSample,
    scoreSample: opts.scoreSample,
  });

  const sizes = new Array<number>(clustering.k).fill(0);
  for (const a of clustering.assignment) sizes[a]!++;
  // Centroids are recomputed over every assigned client (the fit may have seen a sample only).
  const sums = Array.from({ length: clustering.k }, () => new Array<number>(FEATURES.length).fill(0));
  points.forEach((p, i) => {
    const s = sums[clustering.assignment[i]!]!;
    for (let d = 0; d < p.length; d++) s[d]! += p[d]!;
  });
  const clusters: ClusterSummary[] = sums.map((s, id) => {
    const scaled = s.map((v) => (sizes[id]! > 0 ? v / sizes[id]! : 0));
    const abusiveFeatures = abusiveAxes(scaled, opts.clusterThreshold);
    const centroid = toRecord(scaled.map((z, d) => untransformValue(FEATURES[d]!.transform, z * scaler.spread[d]! + scaler.center[d]!)));
    // With a single cluster there is no bulk to compare with inside the clustering: the floors decide.
    const abusive = clustering.k === 1 || abusiveFeatures.length > 0;
    return { id, size: sizes[id]!, abusive, abusiveFeatures, centroid, scaledCentroid: scaled };
  });

  const sqDist = points.map((p, i) => squaredDistance(p, clusters[clustering.assignment[i]!]!.scaledCentroid));
  const meanSq = new Array<number>(clustering.k).fill(0);
  sqDist.forEach((d, i) => (meanSq[clustering.assignment[i]!]! += d));
  const outlierLimit = meanSq.map((s, c) => Math.max(OUTLIER_FACTOR ** 2 * (sizes[c]! ? s / sizes[c]! : 0), opts.clusterThreshold ** 2));

  const medians = toRecord(scaler.center.map((c, d) => untransformValue(FEATURES[d]!.transform, c)));
  const results: ClientResult[] = [];
  const flagged: FlaggedClient[] = [];
  const spared: string[] = [];
  clients.forEach((c, i) => {
    const clusterId = clustering.assignment[i]!;
    const outlier = clustering.k > 1 && sqDist[i]! > outlierLimit[clusterId]!;
    const groupAbusive = outlier ? abusiveAxes(points[i]!, opts.clusterThreshold).length > 0 : clusters[clusterId]!.abusive;
    const kinds = groupAbusive ? abuseKinds(c, opts.floors) : [];
    const allowlisted = opts.allowlist.size > 0 && opts.allowlist.has(c.key);
    if (kinds.length > 0 && allowlisted) spared.push(c.key);
    const isFlagged = kinds.length > 0 && !allowlisted;
    results.push(new ClientRow(raw, i, c.key, clusterId, outlier, isFlagged, allowlisted));
    if (!isFlagged) return;
    const features = toRecord(raw.subarray(i * DIMS, (i + 1) * DIMS));
    const standouts: Standout[] = FEATURES.map((f, d) => ({
      feature: f.name,
      label: f.label,
      value: features[f.name]!,
      median: medians[f.name]!,
      score: Math.round(((transformed[i * DIMS + d]! - scaler.center[d]!) / scaler.spread[d]!) * 10) / 10,
    }))
      .filter((s, d) => FEATURES[d]!.abusive && s.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, 4);
    flagged.push({
      address: c.key,
      cluster: clusterId,
      outlier,
      kinds: kinds.map(([k]) => k),
      reasons: kinds.map(([, why]) => why),
      standouts,
      features,
      firstSeen: c.firstTime,
      lastSeen: c.lastTime,
      samples: [...c.samples],
    });
  });
  flagged.sort((a, b) => b.features.requests! - a.features.requests! || (a.address < b.address ? -1 : 1));
  return {
    k: clustering.k,
    silhouette: clustering.silhouette,
    kScores: clustering.scores,
    converged: clustering.converged,
    clusters,
    clients: results,
    flagged,
    spared,
    medians,
    points,
    featureTable: raw,
  };
}
