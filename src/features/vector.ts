/**
 * Client features as data: how each is computed from an aggregate, how it is transformed before scaling,
 * and which direction of it signals abuse. Detection, the CSV, the explanations and the report all walk this
 * one table, so a new feature is one entry.
 */
import type { ClientStats } from '../table/table.js';

export type Transform = 'log' | 'share';

export interface FeatureDef {
  readonly name: string;
  readonly label: string;
  readonly transform: Transform;
  /** True when a high value of this feature is a sign of abuse (used to judge clusters). */
  readonly abusive: boolean;
  value(c: ClientStats): number;
}

const share = (n: number, c: ClientStats) => (c.requests > 0 ? n / c.requests : 0);

export function activeSpanSeconds(c: ClientStats): number {
  return c.requests > 0 ? Math.max(0, (c.lastTime - c.firstTime) / 1000) : 0;
}

export const FEATURES: readonly FeatureDef[] = [
  { name: 'requests', label: 'requests', transform: 'log', abusive: true, value: (c) => c.requests },
  { name: 'peakPerMinute', label: 'peak requests in one minute', transform: 'log', abusive: true, value: (c) => c.peakPerMinute },
  {
    name: 'meanPerMinute',
    label: 'mean requests per minute while active',
    transform: 'log',
    abusive: true,
    value: (c) => c.requests / Math.max(1, activeSpanSeconds(c) / 60),
  },
  { name: 'activeSpanSeconds', label: 'active span (s)', transform: 'log', abusive: false, value: activeSpanSeconds },
  { name: 'distinctPaths', label: 'distinct paths', transform: 'log', abusive: false, value: (c) => Math.min(c.paths.count(), c.requests) },
  { name: 'share4xx', label: 'share of 4xx responses', transform: 'share', abusive: true, value: (c) => share(c.status4xx, c) },
  { name: 'share404', label: 'share of 404 responses', transform: 'share', abusive: true, value: (c) => share(c.status404, c) },
  { name: 'share5xx', label: 'share of 5xx responses', transform: 'share', abusive: true, value: (c) => share(c.status5xx, c) },
  { name: 'sharePost', label: 'share of POST requests', transform: 'share', abusive: true, value: (c) => share(c.post, c) },
  {
    name: 'shareUniqueQuery',
    label: 'share of requests with a query string seen once',
    transform: 'share',
    abusive: true,
    value: (c) => Math.min(1, share(c.queries.count(), c)),
  },
  { name: 'shareStatic', label: 'share of static assets', transform: 'share', abusive: false, value: (c) => share(c.staticHits, c) },
  {
    name: 'shareSensitive',
    label: 'share of requests to sensitive paths',
    transform: 'share',
    abusive: true,
    value: (c) => share(c.sensitiveHits, c),
  },
  {
    name: 'shareOddMethod',
    label: 'share of unusual methods or junk requests',
    transform: 'share',
    abusive: true,
    value: (c) => share(c.otherMethod + c.invalidRequest, c),
  },
  { name: 'distinctAgents', label: 'distinct user agents', transform: 'log', abusive: true, value: (c) => c.agents.count() },
  { name: 'meanBytes', label: 'mean response bytes', transform: 'log', abusive: false, value: (c) => share(c.bytes, c) },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

export type FeatureRow = Record<string, number>;

/** The raw (untransformed) feature values of one client. */
export function featureValues(c: ClientStats): number[] {
  return FEATURES.map((f) => f.value(c));
}

/** A feature value as reported: integers as they are, others rounded to 4 decimals. */
export function roundFeature(v: number): number {
  return Number.isInteger(v) ? v : Math.round(v * 10000) / 10000;
}

export function transformValue(t: Transform, v: number): number {
  switch (t) {
    case 'log':
      return Math.log1p(v);
    case 'share':
      return v;
  }
}

export function untransformValue(t: Transform, v: number): number {
  switch (t) {
    case 'log':
      return Math.expm1(v);
    case 'share':
      return v;
  }
}
