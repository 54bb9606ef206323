/**
 * k-means (ml-kmeans, k-means++ initialisation, seeded) with k chosen by the mean silhouette over a seeded
 * sample. Many clients stay cheap: each candidate k is fitted on a small sample and scored on a smaller one,
 * the chosen k is fitted on a larger sample, then every client is assigned to its nearest centroid.
 */
import { kmeans } from 'ml-kmeans';
import { seededRandom } from '../core/random.js';

export interface ClusterOptions {
  readonly seed: number;
  readonly kMin: number;
  readonly kMax: number;
  /** Points used to fit the centroids of the chosen k. */
  readonly fitSample: number;
  /** Points (of the fit sample) used to fit each candidate k: k-means on thousands of points, seven times over, was most of the time. */
  readonly chooseSample?: number;
  /** Points used to score each k (the silhouette is quadratic in this). */
  readonly scoreSample: number;
}

export interface KScore {
  readonly k: number;
  readonly silhouette: number;
}

export interface Clustering {
  readonly k: number;
  readonly silhouette: number | null;
  readonly scores: KScore[];
  readonly centroids: number[][];
  /** Cluster index of every input point. */
  readonly assignment: Int32Array;
  readonly converged: boolean;
  readonly iterations: number;
}

export { seededRandom } from '../core/random.js';

/** Indices of a seeded sample of size min(n, size), in ascending order. */
export function sampleIndices(n: number, size: number, seed: number): number[] {
  if (n <= size) return Array.from({ length: n }, (_, i) => i);
  const rand = seededRandom(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, size).sort((a, b) => a - b);
}

export function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

export function nearestCentroid(p: ArrayLike<number>, centroids: readonly number[][]): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < centroids.length; c++) {
    const d = squaredDistance(p, centroids[c]!);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** Euclidean distances between every two points, row by row (n × n). */
export function distanceMatrix(points: readonly number[][]): Float64Array {
  const n = points.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) d[i * n + j] = d[j * n + i] = Math.sqrt(squaredDistance(points[i]!, points[j]!));
  }
  return d;
}

/**
 * Mean silhouette of a labelled point set (Euclidean); points in singleton clusters score 0. `distances`
 * (distanceMatrix of the points) saves recomputing them when several labellings of one set are scored.
 */
export function silhouette(points: readonly number[][], labels: ArrayLike<number>, k: number, distances = distanceMatrix(points)): number {
  const n = points.length;
  if (n < 2 || k < 2) return 0;
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const row = i * n;
    for (let j = 0; j < n; j++) if (j !== i) sums[labels[j]!]! += distances[row + j]!;
    const own = labels[i]!;
    if (sizes[own]! <= 1) continue;
    const a = sums[own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, sums[c]! / sizes[c]!);
    if (b === Infinity) continue;
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / n;
}

function distinctCount(points: readonly number[][], cap: number): number {
  const seen = new Set<string>();
  for (const p of points) {
    seen.add(p.join(','));
    if (seen.size >= cap) break;
  }
  return seen.size;
}

export interface Fit {
  readonly centroids: number[][];
  readonly converged: boolean;
  readonly iterations: number;
}

export function fit(points: number[][], k: number, seed: number): Fit {
  return kmeans(points, k, { seed, initialization: 'kmeans++', maxIterations: 100 });
}

/**
 * k-means over points given as rows of a flat array (`dims` numbers a row): only the seeded samples become
 * arrays for ml-kmeans; a million clients cost no million little arrays.
 */
export function cluster(
  flat: Float32Array | Float64Array | readonly number[][],
  opts: ClusterOptions,
  dims = 0,
  /** A point in full precision when `flat` holds them rounded (Float32): the sampled points k-means fits. */
  exactRow?: (i: number) => number[],
): Clustering {
  const rows = Array.isArray(flat) ? (flat as readonly number[][]) : null;
  const table = rows ? null : (flat as Float32Array | Float64Array);
  const n = rows ? rows.length : table!.length / dims;
  const row = (i: number): number[] => (rows ? rows[i]! : exactRow ? exactRow(i) : Array.from(table!.subarray(i * dims, (i + 1) * dims)));
  const fitIdx = sampleIndices(n, opts.fitSample, opts.seed);
  const fitPoints = fitIdx.map(row);
  const kMax = Math.min(opts.kMax, distinctCount(fitPoints, opts.kMax + 1), Math.max(1, n - 1));
  if (kMax < Math.max(2, opts.kMin)) {
    const centroid = fitPoints.length ? fitPoints[0]!.map((_, d) => fitPoints.reduce((s, p) => s + p[d]!, 0) / fitPoints.length) : [];
    return { k: 1, silhouette: null, scores: [], centroids: [centroid], assignment: new Int32Array(n), converged: true, iterations: 0 };
  }
  const scoreIdx = sampleIndices(fitPoints.length, opts.scoreSample, opts.seed + 1);
  const scorePoints = scoreIdx.map((i) => fitPoints[i]!);
  const chooseIdx = sampleIndices(fitPoints.length, opts.chooseSample ?? fitPoints.length, opts.seed + 2);
  const choosePoints = chooseIdx.length < fitPoints.length ? chooseIdx.map((i) => fitPoints[i]!) : fitPoints;
  const scores: KScore[] = [];
  let best: { k: number; score: number; result: Fit } | null = null;
  const distances = distanceMatrix(scorePoints);
  for (let k = Math.max(2, opts.kMin); k <= kMax; k++) {
    const result = fit(choosePoints, k, opts.seed);
    const labels = scorePoints.map((p) => nearestCentroid(p, result.centroids));
    const score = silhouette(scorePoints, labels, k, distances);
    scores.push({ k, silhouette: score });
    // Ties go to the smaller k: fewer, larger groups are easier to explain.
    if (!best || score > best.score + 1e-9) best = { k, score, result };
  }
  // The chosen k, fitted on the whole fit sample.
  const chosen = choosePoints === fitPoints ? best! : { ...best!, result: fit(fitPoints, best!.k, opts.seed) };
  const assignment = new Int32Array(n);
  for (let i = 0; i < n; i++) assignment[i] = nearestCentroid(row(i), chosen.result.centroids);
  return {
    k: chosen.k,
    silhouette: chosen.score,
    scores,
    centroids: chosen.result.centroids,
    assignment,
    converged: chosen.result.converged,
    iterations: chosen.result.iterations,
  };
}
