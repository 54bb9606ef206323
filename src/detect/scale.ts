/**
 * Robust scaling: each transformed feature is centred on its median and divided by a robust spread, then
 * clipped, so that a single extreme client neither stretches the axis for everyone nor drags the clusters.
 * The median client sits at 0 on every axis, which is what "compared with the bulk of the clients" means.
 */
export interface Scaler {
  readonly center: number[];
  readonly spread: number[];
  readonly clip: number;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Moves the k-th smallest value of a[from..to) to a[k], smaller ones before it and larger after (Hoare's
 * selection, median-of-three pivots): a quantile without sorting the whole column.
 */
function select(a: Float64Array, k: number, from = 0, to = a.length): void {
  let lo = from;
  let hi = to - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three to a[mid], then partition around it.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** quantile() of the values as if sorted, found by selection (the order of `a` changes). */
export function quantileOf(a: Float64Array, q: number): number {
  if (a.length === 0) return 0;
  const pos = (a.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  select(a, lo);
  if (hi === lo) return a[lo]!;
  // The next value up is the smallest of those after lo.
  let next = a[hi]!;
  for (let i = hi + 1; i < a.length; i++) if (a[i]! < next) next = a[i]!;
  return a[lo]! + (next - a[lo]!) * (pos - lo);
}

/** fitScalerColumns over rows laid end to end in one array (row i at [i * dims, (i + 1) * dims)). */
export function fitScalerFlat(values: Float64Array, floors: readonly number[], clip = 10): Scaler {
  const dims = floors.length;
  return fitScalerColumns(
    values.length / dims,
    floors,
    (d, col) => {
      for (let i = 0; i < col.length; i++) col[i] = values[i * dims + d]!;
    },
    clip,
  );
}

/**
 * Spread: the median absolute deviation × 1.4826 (a standard deviation for normal data), never below `floor`.
 * The MAD holds while up to half of the clients are unusual (the IQR only up to a quarter): a botnet of a
 * hundred and fifty addresses on a site of four hundred visitors must not widen the scale that measures it.
 * When most clients share one value (common: most have no 404 at all) the MAD is 0 and the floor is the
 * spread: the standard deviation would be made by the very outliers we look for.
 *
 * Over n rows given a column at a time: `fill(d, col)` writes column d's n values into col.
 */
export function fitScalerColumns(n: number, floors: readonly number[], fill: (d: number, col: Float64Array) => void, clip = 10): Scaler {
  const dims = floors.length;
  const center: number[] = [];
  const spread: number[] = [];
  const col = new Float64Array(n);
  for (let d = 0; d < dims; d++) {
    fill(d, col);
    let nan = false;
    for (let i = 0; i < n; i++) nan ||= Number.isNaN(col[i]!);
    // Selection needs ordered values; a column with NaN in it is sorted (NaN last), as before.
    if (nan) col.sort();
    const q = nan ? quantile : quantileOf;
    const median = q(col, 0.5);
    // The selection reordered the column: the deviations are the same values in another order.
    for (let i = 0; i < n; i++) col[i] = Math.abs(col[i]! - median);
    if (nan) col.sort();
    const mad = q(col, 0.5);
    center.push(median);
    spread.push(Math.max(Number.isNaN(mad) ? 0 : mad * 1.4826, floors[d]!));
  }
  return { center, spread, clip };
}

export function scaleRow(s: Scaler, row: readonly number[]): number[] {
  return row.map((v, d) => {
    const z = (v - s.center[d]!) / s.spread[d]!;
    return Math.max(-s.clip, Math.min(s.clip, z));
  });
}

export function unscaleRow(s: Scaler, row: readonly number[]): number[] {
  return row.map((z, d) => z * s.spread[d]! + s.center[d]!);
}
