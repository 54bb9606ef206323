/**
 * model.json: what `detect` learned (detect.ts's Model) with the options it judged by, so that `watch` and
 * `serve` judge live clients as the nightly run would. Versioned; a model of another version or of another
 * feature list is refused with one line saying so (the features' meaning is fixed by their names and order).
 */
import { errors } from '../core/errors.js';
import { validateDocument } from '../core/schemas.js';
import { FEATURES } from '../features/vector.js';
import type { GroupOptions, Guards } from './defaults.js';
import type { ClusterSummary, Model } from './detect.js';

export const MODEL_SCHEMA_VERSION = 1;

/** The options a model was learned with, which judging by it keeps. */
export interface ModelOptions {
  readonly clusterThreshold: number;
  readonly guards: Guards;
  readonly groups: GroupOptions;
  readonly ipv6Prefix: number;
  readonly trustedProxies: readonly string[];
}

export interface ModelDocument {
  readonly schemaVersion: number;
  readonly kind: 'logwarden-model';
  readonly generator: string;
  readonly features: Array<{ name: string; transform: string }>;
  readonly scaler: { center: number[]; spread: number[]; clip: number };
  readonly k: number;
  readonly silhouette: number | null;
  readonly clusters: Array<{
    id: number;
    size: number;
    abusiveFeatures: string[];
    /** Scaled units, in `features` order. */
    centroid: number[];
    outlierLimit: number;
    members: ClusterSummary['members'];
  }>;
  readonly medians: Record<string, number>;
  readonly siteMeanPerMinute: number;
  readonly options: ModelOptions;
  /** The log the model was learned on. */
  readonly learnedOn: { first: string | null; last: string | null; clients: number; lines: number };
}

export function modelDocument(model: Model, options: ModelOptions, learnedOn: ModelDocument['learnedOn'], generator: string): ModelDocument {
  return {
    schemaVersion: MODEL_SCHEMA_VERSION,
    kind: 'logwarden-model',
    generator,
    features: FEATURES.map((f) => ({ name: f.name, transform: f.transform })),
    scaler: { center: [...model.scaler.center], spread: [...model.scaler.spread], clip: model.scaler.clip },
    k: model.k,
    silhouette: model.silhouette,
    clusters: model.clusters.map((c, i) => ({
      id: c.id,
      size: c.size,
      abusiveFeatures: c.abusiveFeatures,
      centroid: [...c.scaledCentroid],
      outlierLimit: model.outlierLimit[i]!,
      members: c.members,
    })),
    medians: model.medians,
    siteMeanPerMinute: model.siteMeanPerMinute,
    options,
    learnedOn,
  };
}

export interface LoadedModel {
  readonly path: string;
  readonly model: Model;
  readonly options: ModelOptions;
  readonly document: ModelDocument;
}

/** A model from its document (already parsed JSON), checked: `path` names it in errors. */
export function modelFromDocument(path: string, doc: unknown): LoadedModel {
  const version = (doc as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version !== MODEL_SCHEMA_VERSION)
    throw errors.badStageInput(
      path,
      `schemaVersion: a model of version ${version}; this logwarden reads version ${MODEL_SCHEMA_VERSION} (run detect again to learn one)`,
    );
  const d = validateDocument<ModelDocument>('model', path, doc);
  const want = FEATURES.map((f) => `${f.name}/${f.transform}`).join(',');
  const have = d.features.map((f) => `${f.name}/${f.transform}`).join(',');
  if (want !== have)
    throw errors.badStageInput(
      path,
      `features: learned on other features (${d.features.map((f) => f.name).join(', ')}) than this logwarden computes (${FEATURES.map((f) => f.name).join(', ')}): run detect again to learn a model`,
    );
  const dims = FEATURES.length;
  const fits = (a: number[], field: string) => {
    if (a.length !== dims) throw errors.badStageInput(path, `${field}: expected ${dims} numbers, got ${a.length}`);
  };
  fits(d.scaler.center, 'scaler.center');
  fits(d.scaler.spread, 'scaler.spread');
  d.clusters.forEach((c, i) => {
    fits(c.centroid, `clusters.${i}.centroid`);
    if (c.id !== i) throw errors.badStageInput(path, `clusters.${i}.id: expected ${i}, got ${c.id}`);
  });
  const threshold = d.options.clusterThreshold;
  const clusters: ClusterSummary[] = d.clusters.map((c) => {
    const centroid: Record<string, number> = {};
    FEATURES.forEach((f, k) => (centroid[f.name] = Math.round(c.centroid[k]! * 100) / 100));
    const abusiveFeatures = FEATURES.filter((f, k) => f.abusive && c.centroid[k]! >= threshold).map((f) => f.name);
    return { id: c.id, size: c.size, abusive: abusiveFeatures.length > 0, abusiveFeatures, centroid, members: c.members, scaledCentroid: c.centroid };
  });
  const model: Model = {
    scaler: d.scaler,
    k: d.clusters.length,
    silhouette: d.silhouette ?? null,
    kScores: [],
    converged: true,
    clusters,
    outlierLimit: d.clusters.map((c) => c.outlierLimit),
    medians: d.medians,
    siteMeanPerMinute: d.siteMeanPerMinute,
  };
  return { path, model, options: d.options, document: d };
}
