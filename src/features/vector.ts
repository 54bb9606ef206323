/**
 * Client features as data: how each is computed from an aggregate, how it is transformed before scaling,
 * and which direction of it signals abuse. Detection, the CSV, the explanations and the report all walk this
 * one table, so a new feature is one entry.
 */
import type { ClientStats } from '../table/table.js';

export type Transform = 'log' | 'share';
/** The kind of abuse a high value of a feature speaks for (detect/detect.ts judges by kind). */
export type AbuseKind = 'flood' | 'scan' | 'brute-force' | 'exploit';
/** The kinds, in the order verdicts list them. */
export const ABUSE_KINDS: readonly AbuseKind[] = ['flood', 'scan', 'brute-force', 'exploit'];

export interface FeatureDef {
  readonly name: string;
  readonly label: string;
  readonly transform: Transform;
  /** The kind of abuse a high value signals; null for features that only describe (used to cluster). */
  readonly abusive: AbuseKind | null;
  /** How the value is written for a person: a count, a rate, a share (as a percentage), seconds or bytes. */
  readonly unit: 'count' | 'rate' | 'share' | 'seconds' | 'bytes';
  value(c: ClientStats): number;
}

const share = (n: number, c: ClientStats) => (c.requests > 0 ? n / c.requests : 0);

export function activeSpanSeconds(c: ClientStats): number {
  return c.requests > 0 ? Math.max(0, (c.lastTime - c.firstTime) / 1000) : 0;
}

/** Errors that count as probing: 4xx answers, less those to files clients ask for on their own. */
export function probeErrors(c: ClientStats): number {
  return Math.max(0, c.status4xx - c.wellKnownMisses);
}

export const FEATURES: readonly FeatureDef[] = [
  { name: 'requests', label: 'requests', transform: 'log', abusive: null, unit: 'count', value: (c) => c.requests },
  { name: 'peakPerMinute', label: 'most requests in one minute', transform: 'log', abusive: 'flood', unit: 'count', value: (c) => c.peakPerMinute },
  { name: 'peak10Minutes', label: 'most requests in ten minutes', transform: 'log', abusive: 'flood', unit: 'count', value: (c) => c.peakOver(10) },
  { name: 'peakHour', label: 'most requests in one hour', transform: 'log', abusive: 'flood', unit: 'count', value: (c) => c.peakOver(60) },
  {
    name: 'perActiveMinute',
    label: 'requests per active minute',
    transform: 'log',
    abusive: 'flood',
    unit: 'rate',
    value: (c) => (c.activeMinutes > 0 ? c.requests / c.activeMinutes : 0),
  },
  {
    name: 'perMinuteOverSpan',
    label: 'requests per minute over its whole span (an hour at least)',
    transform: 'log',
    abusive: 'flood',
    unit: 'rate',
    // Over an hour at least: a visitor's ten requests in one minute are no sustained rate.
    value: (c) => c.requests / Math.max(60, activeSpanSeconds(c) / 60),
  },
  { name: 'activeSpanSeconds', label: 'active span', transform: 'log', abusive: null, unit: 'seconds', value: activeSpanSeconds },
  { name: 'distinctPaths', label: 'distinct paths', transform: 'log', abusive: null, unit: 'count', value: (c) => Math.min(c.paths.count(), c.requests) },
  {
    name: 'shareProbeErrors',
    label: '4xx answers (not counting favicon, touch icons, robots.txt)',
    transform: 'share',
    abusive: 'scan',
    unit: 'share',
    value: (c) => share(probeErrors(c), c),
  },
  { name: 'share5xx', label: 'server errors caused (5xx)', transform: 'share', abusive: 'flood', unit: 'share', value: (c) => share(c.status5xx, c) },
  // Posting is what apps, forms, carts and webhooks do: it describes a client, it is no sign of abuse.
  { name: 'sharePost', label: 'POST requests', transform: 'share', abusive: null, unit: 'share', value: (c) => share(c.post, c) },
  {
    name: 'shareAuthFails',
    label: 'failed logins (401, refused, a login form shown again)',
    transform: 'share',
    abusive: 'brute-force',
    unit: 'share',
    value: (c) => share(c.authFails, c),
  },
  {
    name: 'shareUniqueQuery',
    label: 'requests with a never-repeated query string',
    transform: 'share',
    abusive: 'flood',
    unit: 'share',
    value: (c) => Math.min(1, share(c.queries.count(), c)),
  },
  { name: 'shareStatic', label: 'static assets (css, js, images)', transform: 'share', abusive: null, unit: 'share', value: (c) => share(c.staticHits, c) },
  { name: 'shareReferer', label: 'requests with a referer', transform: 'share', abusive: null, unit: 'share', value: (c) => share(c.withReferer, c) },
  {
    // Probing is failure: an admin using the admin pages (answered 200) is not probing them.
    name: 'shareSensitiveFailed',
    label: 'failed requests to login, admin or secret paths',
    transform: 'share',
    abusive: 'scan',
    unit: 'share',
    value: (c) => share(c.sensitiveFails, c),
  },
  {
    name: 'sharePayload',
    label: 'requests carrying an attack payload',
    transform: 'share',
    abusive: 'scan',
    unit: 'share',
    value: (c) => share(c.payloadHits, c),
  },
  {
    name: 'shareExploit',
    label: "requests carrying an unmistakable attack or a scanner's mark",
    transform: 'share',
    abusive: 'exploit',
    unit: 'share',
    value: (c) => share(c.exploitHits + c.scannerHits, c),
  },
  {
    name: 'shareOddMethod',
    label: 'unusual methods or junk requests',
    transform: 'share',
    abusive: 'scan',
    unit: 'share',
    value: (c) => share(c.otherMethod + c.invalidRequest, c),
  },
  {
    name: 'agentRotation',
    label: 'user agent changes per request',
    transform: 'share',
    abusive: 'flood',
    unit: 'share',
    value: (c) => (c.requests > 1 ? Math.min(1, Math.max(0, c.agents.count() - 1) / (c.requests - 1)) : 0),
  },
  { name: 'meanBytes', label: 'mean response size', transform: 'log', abusive: null, unit: 'bytes', value: (c) => share(c.bytes, c) },
];

/** A feature value as a person reads it. */
export function describeValue(d: number, v: number): string {
  const f = FEATURES[d]!;
  switch (f.unit) {
    case 'share':
      return `${v > 0 && v < 0.01 ? '<1' : Math.round(v * 100)}%`;
    case 'seconds':
      return v >= 3600 ? `${(v / 3600).toFixed(1)} h` : v >= 60 ? `${Math.round(v / 60)} min` : `${Math.round(v)} s`;
    case 'bytes':
      return `${Math.round(v)} bytes`;
    case 'rate':
      return `${v >= 10 ? Math.round(v) : v.toFixed(1)}`;
    default:
      return `${Math.round(v)}`;
  }
}

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

const INDEX = new Map(FEATURES.map((f, i) => [f.name, i]));

/** The position of a feature in FEATURES (and in every feature row). */
export function featureIndex(name: string): number {
  const d = INDEX.get(name);
  if (d === undefined) throw new Error(`no feature ${name}`);
  return d;
}

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
