/**
 * The clusters chart's projection: the clients' scaled features onto their first two principal components.
 */
import { PCA } from 'ml-pca';

export interface ProjectionInput {
  /** Scaled feature rows of the clients shown. */
  readonly points: number[][];
  readonly dots: Array<{ cluster: string; flagged: boolean; address: string }>;
}

export interface Projection {
  readonly points: Array<{ pc1: number; pc2: number; cluster: string; flagged: boolean; address: string }>;
  readonly explained: [number, number];
}

const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

export function projectPoints(input: ProjectionInput): Projection {
  if (input.points.length < 3) return { points: [], explained: [0, 0] };
  // Components of the clients shown (a seeded sample of thousands): the same axes as from every client, for a chart.
  const pca = new PCA(input.points, { center: true, scale: false, method: 'covarianceMatrix' });
  const proj = pca.predict(input.points, { nComponents: 2 }).to2DArray();
  const ev = pca.getExplainedVariance();
  return {
    points: input.dots.map((d, j) => ({ pc1: round(proj[j]![0] ?? 0), pc2: round(proj[j]![1] ?? 0), ...d })),
    explained: [round(ev[0] ?? 0), round(ev[1] ?? 0)],
  };
}
