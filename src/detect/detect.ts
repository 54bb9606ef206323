/**
 * Detection, pure: per-client aggregates in, verdicts out. No I/O.
 *
 * The rule (also in the README):
 * 1. Each client's features (features/vector.ts) are transformed (log for counts, raw for shares) and robustly
 *    scaled so that the median client sits at 0 and one unit is one robust standard deviation.
 * 2. k-means (k-means++, seeded) groups the clients; k is chosen from kMin..kMax by the mean silhouette.
 * 3. A client stands out on a feature whose high values signal a kind of abuse (features/vector.ts: rates
 *    for a flood, 4xx/sensitive paths/payloads for a scan, POSTs for a brute force) when it lies
 *    `clusterThreshold` units above the median client there, AND its cluster speaks for it: the centroid
 *    stands out there too, or the client lies that far above its own centroid, or far from the centroid
 *    altogether (OUTLIER_FACTOR times the cluster's root-mean-square member distance: judged by its own
 *    point). A lone brute-forcer is otherwise averaged away inside a cluster of a hundred quiet visitors;
 *    a member of a heavy-but-normal cluster is judged by that cluster.
 * 4. A kind is found when the client stands out on one of its features and clears the kind's guard on volume
 *    (DEFAULT_GUARDS): enough requests to judge, enough load to call a flood. Rate alone does not make a
 *    flood of a client that browses like a person (page assets, referers: an office, a proxy) unless it
 *    also shows a flood's signs (cache-busting queries, server errors, rotating agents).
 * 5. Groups (groups.ts): clients unusual in the same way, close in the scaled space and active in the same
 *    minutes, are judged together, so that a flood or a login run spread over many mild addresses is
 *    found, and a flash crowd is not.
 * 6. The allowlist spares anyone.
 */
import { networkOf, type AddressSet } from '../core/address.js';
import { hashString } from '../logs/parse.js';
import { rowOrder, samplesOfClients, type ClientStats } from '../table/table.js';
import {
  ABUSE_KINDS,
  describeValue,
  FEATURES,
  featureIndex,
  probeErrors,
  roundFeature,
  transformValue,
  untransformValue,
  type AbuseKind,
} from '../features/vector.js';
import { cluster, squaredDistance, type KScore } from './cluster.js';
import { checkCrawler, type Crawlers } from './crawlers.js';
import { fitScalerColumns, quantileOf, type Scaler } from './scale.js';
import { browses, BROWSING, findGroups, FLOOD_SIGNS, RATE_AXES, type GroupFinding } from './groups.js';

import { EVIDENCE, type GroupOptions, type Guards } from './defaults.js';
export { DEFAULT_DETECT, DEFAULT_GROUPS, DEFAULT_GUARDS, type GroupOptions, type Guards } from './defaults.js';
export type { AbuseKind } from '../features/vector.js';

export interface DetectOptions {
  readonly seed: number;
  readonly kMin: number;
  readonly kMax: number;
  readonly clusterThreshold: number;
  readonly guards: Guards;
  readonly groups: GroupOptions;
  readonly allowlist: AddressSet;
  /** Search crawlers' published ranges: a verified crawler is spared; a fake one recorded (flagged with banFakeCrawlers). */
  readonly crawlers: Crawlers;
  readonly banFakeCrawlers: boolean;
  readonly fitSample: number;
  readonly chooseSample: number;
  readonly scoreSample: number;
}

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
  /** The id of the group it belongs to (abusive or not), or null. */
  readonly group: string | null;
}

const DIMS = FEATURES.length;
const REQUESTS = featureIndex('requests');
const STATIC = featureIndex('shareStatic');
const UNIQUE_QUERY = featureIndex('shareUniqueQuery');
const SHARE_5XX = featureIndex('share5xx');
const REFERER = featureIndex('shareReferer');

/** Every client's result in columns (a million clients make a million results: three fields each). */
interface ResultColumns {
  readonly table: Float64Array;
  readonly cluster: Int32Array;
  /** OUTLIER | FLAGGED | ALLOWLISTED. */
  readonly bits: Uint8Array;
  /** Row → its group's id, for the clients in a group. */
  readonly group: Map<number, string>;
}
const OUTLIER = 1;
const FLAGGED = 2;
const ALLOWLISTED = 4;

/** A client's result, read from the columns; its features record is made from the feature table when asked for. */
class ClientRow implements ClientResult {
  constructor(
    private readonly columns: ResultColumns,
    private readonly row: number,
    readonly address: string,
  ) {}

  get cluster(): number {
    return this.columns.cluster[this.row]!;
  }
  get outlier(): boolean {
    return (this.columns.bits[this.row]! & OUTLIER) !== 0;
  }
  get flagged(): boolean {
    return (this.columns.bits[this.row]! & FLAGGED) !== 0;
  }
  get allowlisted(): boolean {
    return (this.columns.bits[this.row]! & ALLOWLISTED) !== 0;
  }
  get group(): string | null {
    return this.columns.group.get(this.row) ?? null;
  }

  get requests(): number {
    return this.columns.table[this.row * DIMS + REQUESTS]!;
  }

  get features(): Record<string, number> {
    return toRecord(this.columns.table.subarray(this.row * DIMS, (this.row + 1) * DIMS));
  }
}

export interface CrawlerNote {
  readonly address: string;
  readonly crawler: string;
  readonly requests: number;
  /** The day its ranges were published. */
  readonly published: string | null;
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
  /** The abusive group it was flagged with, or null when it was flagged on its own. */
  readonly group: string | null;
}

export interface ClusterSummary {
  readonly id: number;
  readonly size: number;
  readonly abusive: boolean;
  /** Features on which the centroid stands `clusterThreshold` or more above the median client. */
  readonly abusiveFeatures: string[];
  /** The centroid in scaled units (robust standard deviations from the median client), by feature. */
  readonly centroid: Record<string, number>;
  /** What a person can check: the members' median, least and most of each feature, in its own units. */
  readonly members: Record<string, { median: number; min: number; max: number }>;
  /** The centroid in scaled units (0 = the median client), in FEATURES order. */
  readonly scaledCentroid: number[];
}

export interface GroupSummary {
  readonly id: string;
  readonly kind: AbuseKind | 'crowd';
  readonly flagged: boolean;
  readonly size: number;
  readonly members: string[];
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly requests: number;
  readonly peakPerMinute: number;
  readonly peak10Minutes: number;
  /** The site's mean requests per minute over the whole log, and the group's peak minute against it. */
  readonly siteMeanPerMinute: number;
  readonly timesSiteRate: number;
  /** The features its members share: the median member against the median client. */
  readonly shared: Standout[];
  readonly reason: string;
  /** Networks listed whole in the blocklist (see GroupOptions.prefix). */
  readonly networks: string[];
}

export interface DetectionResult {
  /** What the judging rested on (saved as model.json). */
  readonly model: Model;
  readonly k: number;
  readonly silhouette: number | null;
  readonly kScores: KScore[];
  readonly converged: boolean;
  readonly clusters: ClusterSummary[];
  readonly clients: ClientResult[];
  readonly flagged: FlaggedClient[];
  readonly groups: GroupSummary[];
  /** Clients that would have been flagged but are on the allowlist. */
  readonly spared: string[];
  /** Clients whose agent names a search crawler: from its published ranges (spared), or from outside them. */
  readonly crawlers: { readonly verified: CrawlerNote[]; readonly fake: CrawlerNote[] };
  readonly medians: Record<string, number>;
  /** The scaled (clipped) points, row i for clients[i] (FEATURES order), for charts. */
  readonly scaledTable: Float32Array;
  /** Every client's raw feature values (FEATURES order), row i for clients[i]. */
  readonly featureTable: Float64Array;
  /** What blocklist.txt lists: the flagged addresses, and whole networks of groups (GroupOptions.prefix). */
  readonly blocklist: string[];
}

/**
 * A judgement without its per-client arrays: what verdicts.json, a ban and a digest need (`watch` gets it
 * from its judging thread, where the clients stay).
 */
export interface Judgement extends Omit<DetectionResult, 'model' | 'clients' | 'scaledTable' | 'featureTable'> {
  /** Clients judged. */
  readonly clientCount: number;
}

export function judgementOf(result: DetectionResult): Judgement {
  const { model: _m, clients, scaledTable: _s, featureTable: _f, ...rest } = result;
  return { ...rest, clientCount: clients.length };
}

/** The least spread of a feature, so that a feature nearly everyone shares does not make tiny differences huge. */
const SPREAD_FLOOR = { log: 0.25, share: 0.1 } as const;
export const OUTLIER_FACTOR = 3;

function abusiveAxes(scaled: readonly number[], threshold: number): string[] {
  return FEATURES.filter((f, d) => f.abusive && scaled[d]! >= threshold).map((f) => f.name);
}

function toRecord(values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  FEATURES.forEach((f, i) => (out[f.name] = roundFeature(values[i]!)));
  return out;
}

const KIND_NAMES: Record<AbuseKind, string> = { flood: 'flood', scan: 'scan', 'brute-force': 'brute force', exploit: 'exploit' };

/** What one kind of abuse rests on for a client: found or not, and the evidence against its guard either way. */
export interface KindAssessment {
  readonly kind: AbuseKind;
  readonly found: boolean;
  readonly why: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const pct = (v: number) => `${v > 0 && v < 0.01 ? '<1' : Math.round(v * 100)}%`;

/**
 * Every kind of abuse judged for one client, by the evidence each needs (the rule is in the README, "Judging"):
 * - exploit: requests carrying an unmistakable attack in any field (EXPLOIT_SIGNATURES), `exploitMin` of them
 *   whatever the client's count; or attack payloads (SQL injection, script, traversal) `payloadMin` times.
 * - scan: a scanner's own mark; or failed requests to login, admin or secret paths (probing is failure: an admin
 *   answered 200 is using the site); or 4xx answers over many paths making up most of its requests.
 * - brute force: failed logins (401, refused, a login form shown again), at least half its authentication
 *   requests. Posting to an API, a webhook or a cart is no login.
 * - flood: a rate that stands out from the site's clients (the clusters speak for it) and a load over the guard;
 *   a client that browses like a person needs a flood's signs too (cache-busting, rotating agents, server errors).
 * `standing(d)`: the client stands out on feature d and its cluster speaks for it.
 */
export function assessClient(c: ClientStats, standing: (d: number) => boolean, raw: ArrayLike<number>, at: number, guards: Guards): KindAssessment[] {
  const out: KindAssessment[] = [];
  const stands = (axes: readonly number[]) => axes.filter(standing);
  const why = (axes: readonly number[]) => axes.map((d) => `${FEATURES[d]!.label} ${describeValue(d, raw[at + d]!)}`).join(', ');
  // Flood.
  const rates = stands(RATE_AXES);
  const signs = stands(FLOOD_SIGNS);
  const tenMinutes = c.peakOver(10);
  const browsing = browses(raw[at + STATIC]!, raw[at + REFERER]!);
  const erring = c.status5xx >= EVIDENCE.flood5xx * c.requests;
  // Speed is no harm by itself: a flood shows a sign of evasion (cache-busting, rotating agents) or of harm (the
  // server failing); pages loaded like a person's need twice the load as well.
  const extreme = tenMinutes >= EVIDENCE.floodExtreme * guards.floodRequests;
  // Fresh queries alone are what dashboards and pollers send too (a timestamp each): only at a flood's pace.
  const bustingOnly = signs.length === 1 && signs[0] === UNIQUE_QUERY;
  // Server errors alone, for a client that browses like people (an office in an outage), need its load too.
  const errorsOnly = signs.length === 1 && signs[0] === SHARE_5XX;
  // ...unless the client also changes its agent among several, as no dashboard or poller does (an evasion).
  const agentPool = !browsing && Math.min(c.agents.count(), c.requests) >= EVIDENCE.floodAgentPool;
  const signed =
    signs.length > 0 &&
    (!bustingOnly || agentPool || tenMinutes >= EVIDENCE.bustingOnlyFactor * guards.floodRequests) &&
    (!errorsOnly || !browsing || tenMinutes >= EVIDENCE.browsingErrorFactor * guards.floodRequests);
  // Server errors everyone gets in an outage: a browsing client (an office) needs a load no office makes.
  const evidence = signed || extreme || (erring && tenMinutes >= (browsing ? EVIDENCE.browsingErrorFactor : 1) * guards.floodRequests);
  if (c.requests >= guards.minRequests && rates.length > 0 && tenMinutes >= guards.floodRequests && evidence) {
    const harm =
      signs.length > 0
        ? ''
        : erring
          ? `; the site failed it: ${pct(c.status5xx / c.requests)} 5xx${browsing ? ', pages loaded at a rate no person keeps' : ''}`
          : `; ${EVIDENCE.floodExtreme}× the guard in ten minutes, a load no app or person makes`;
    out.push({
      kind: 'flood',
      found: true,
      why: `flood: ${tenMinutes} requests in ten minutes (guard ${guards.floodRequests}), ${c.peakPerMinute} in one minute, ${c.requests} in all; stands out on ${why([...rates, ...signs])}${harm}`,
    });
  } else {
    const because =
      c.requests < guards.minRequests
        ? `${plural(c.requests, 'request')} (needs ${guards.minRequests} to judge)`
        : rates.length === 0
          ? `its rates do not stand out from the site's clients (peak ${c.peakPerMinute} a minute, ${tenMinutes} in ten minutes)`
          : tenMinutes < guards.floodRequests
            ? `${tenMinutes} requests in ten minutes (needs ${guards.floodRequests})`
            : browsing
              ? `spared: browses like a person (${describeValue(STATIC, raw[at + STATIC]!)} static assets, ${describeValue(REFERER, raw[at + REFERER]!)} with a referer) with no flood sign (cache-busting, rotating agents, server errors)`
              : `spared: fast (${tenMinutes} requests in ten minutes) but no sign of evasion or harm: no cache-busting, rotating agents or server errors (an app, a NAT, an integration)`;
    out.push({ kind: 'flood', found: false, why: `not a flood: ${because}` });
  }
  // Scan.
  const errors = probeErrors(c);
  const breadth = Math.min(Math.max(c.paths.count(), c.queries.count()), c.requests);
  if (c.scannerHits >= guards.exploitMin) {
    out.push({ kind: 'scan', found: true, why: `scan: a scanner that names itself (${plural(c.scannerHits, 'request')} marked; guard ${guards.exploitMin})` });
  } else if (
    c.sensitiveFails >= guards.scanRequests &&
    c.sensitiveFails >= EVIDENCE.probeRequestShare * c.requests &&
    // Several places probed; or one or two hammered by a client that mostly fails or comes with no referer (a
    // worm repeating its probes), never a reader whose pages load, with referers, while one script fails on each.
    (c.probePaths >= EVIDENCE.probeBreadth || errors >= guards.scanErrorShare * c.requests || c.withReferer < BROWSING.refererShare * c.requests)
  ) {
    out.push({
      kind: 'scan',
      found: true,
      why:
        c.probePaths >= EVIDENCE.probeBreadth
          ? `scan: ${c.sensitiveFails} failed requests to login, admin or secret paths (guard ${guards.scanRequests}) at about ${c.probePaths} of them`
          : `scan: ${c.sensitiveFails} failed requests to login, admin or secret paths (guard ${guards.scanRequests}) at ${plural(c.probePaths, 'place')}, again and again (${pct(errors / c.requests)} of its requests answered 4xx, ${pct(c.withReferer / c.requests)} with a referer)`,
    });
  } else if (errors >= guards.scanRequests && breadth >= EVIDENCE.scanBreadth && errors >= guards.scanErrorShare * c.requests) {
    out.push({
      kind: 'scan',
      found: true,
      why: `scan: ${errors} requests answered 4xx (guard ${guards.scanRequests}), ${pct(errors / c.requests)} of its requests, over ${plural(breadth, 'path')}`,
    });
  } else {
    out.push({
      kind: 'scan',
      found: false,
      why:
        `not a scan: ${c.sensitiveFails} failed requests to login, admin, secret or script paths at ${plural(c.probePaths, 'place')} (needs ${guards.scanRequests} making ${pct(EVIDENCE.probeRequestShare)} of its requests, at ${EVIDENCE.probeBreadth} places or more, or at fewer from a client mostly failing or without referers; ${c.sensitiveHits - c.sensitiveFails} answered there as to a user), ` +
        `${errors} 4xx answers over ${plural(breadth, 'path')} (needs ${guards.scanRequests} over ${EVIDENCE.scanBreadth} paths, ${pct(guards.scanErrorShare)} of its requests)`,
    });
  }
  // Brute force.
  if (
    c.authFails >= guards.bruteFailures &&
    c.authFails >= EVIDENCE.bruteFailShare * c.authRequests &&
    c.authFails >= EVIDENCE.bruteRequestShare * c.requests
  ) {
    out.push({
      kind: 'brute-force',
      found: true,
      why: `brute force: ${c.authFails} failed logins (guard ${guards.bruteFailures}) of ${c.authRequests} login attempts; ${c.post} POST requests to ${plural(Math.min(c.paths.count(), c.requests), 'path')}`,
    });
  } else if (c.formLoginPosts >= EVIDENCE.loginRepeatFactor * guards.bruteFailures && c.formLoginPosts >= EVIDENCE.loginRepeatShare * c.requests) {
    out.push({
      kind: 'brute-force',
      found: true,
      why: `brute force: ${c.formLoginPosts} POSTs to a login form (${EVIDENCE.loginRepeatFactor}× the guard), ${pct(c.formLoginPosts / c.requests)} of its requests: logging in again and again, whatever the answer`,
    });
  } else {
    out.push({
      kind: 'brute-force',
      found: false,
      why: `not a brute force: ${c.authFails} failed logins of ${plural(c.authRequests, 'login attempt')} (needs ${guards.bruteFailures}, ${pct(EVIDENCE.bruteFailShare)} of its attempts failing, and ${pct(EVIDENCE.bruteRequestShare)} of its requests)`,
    });
  }
  // Exploit.
  if (c.exploitHits >= guards.exploitMin) {
    out.push({
      kind: 'exploit',
      found: true,
      why: `exploit: ${plural(c.exploitHits, 'request')} carrying an unmistakable attack (guard ${guards.exploitMin}; see the samples)`,
    });
  } else if (c.payloadHits >= guards.payloadMin) {
    out.push({
      kind: 'exploit',
      found: true,
      why: `exploit: ${c.payloadHits} requests carrying attack payloads (SQL injection, script, traversal; guard ${guards.payloadMin})`,
    });
  } else {
    out.push({
      kind: 'exploit',
      found: false,
      why: `not an exploit: no unmistakable attack (needs ${guards.exploitMin}), ${plural(c.payloadHits, 'request')} with an attack payload (needs ${guards.payloadMin})`,
    });
  }
  return out;
}

/** Which kinds of abuse a client's own evidence clears the guards of, with a sentence for each. */
/** Whether a client carries evidence judged without comparing it to others (exploits, scanners, failures). */
function hasOwnEvidence(c: ClientStats, guards: Guards): boolean {
  return (
    c.exploitHits >= guards.exploitMin ||
    c.scannerHits >= guards.exploitMin ||
    c.payloadHits >= guards.payloadMin ||
    c.sensitiveFails >= guards.scanRequests ||
    c.authFails >= guards.bruteFailures ||
    probeErrors(c) >= guards.scanRequests
  );
}

function kindVerdicts(c: ClientStats, standing: (d: number) => boolean, raw: Float64Array, at: number, guards: Guards): Array<[AbuseKind, string]> {
  return assessClient(c, standing, raw, at, guards)
    .filter((a) => a.found)
    .map((a) => [a.kind, a.why]);
}

function standoutsOf(values: ArrayLike<number>, scores: ArrayLike<number>, medians: Record<string, number>, limit: number): Standout[] {
  return FEATURES.map((f, d) => ({
    feature: f.name,
    label: f.label,
    value: roundFeature(values[d]!),
    median: medians[f.name]!,
    score: Math.round(scores[d]! * 10) / 10,
  }))
    .filter((s, d) => FEATURES[d]!.abusive && s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}

/** Each cluster's members' median, least and most value of every feature (raw units), by selection. */
function clusterMembers(raw: Float64Array, assignment: Int32Array, k: number, sizes: readonly number[]): ClusterSummary['members'][] {
  // The members of each cluster, in one array (a counting sort by cluster).
  const starts = new Int32Array(k + 1);
  for (let c = 0; c < k; c++) starts[c + 1] = starts[c]! + sizes[c]!;
  const next = starts.slice(0, k);
  const order = new Int32Array(assignment.length);
  for (let i = 0; i < assignment.length; i++) order[next[assignment[i]!]!++] = i;
  const out: ClusterSummary['members'][] = [];
  const col = new Float64Array(Math.max(0, ...sizes));
  for (let c = 0; c < k; c++) {
    const stats: ClusterSummary['members'] = {};
    const m = sizes[c]!;
    FEATURES.forEach((f, d) => {
      let min = Infinity;
      let max = -Infinity;
      for (let j = 0; j < m; j++) {
        const v = raw[order[starts[c]! + j]! * DIMS + d]!;
        col[j] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      stats[f.name] =
        m === 0 ? { median: 0, min: 0, max: 0 } : { median: roundFeature(quantileOf(col.subarray(0, m), 0.5)), min: roundFeature(min), max: roundFeature(max) };
    });
    out.push(stats);
  }
  return out;
}

/** Clients are counted into slots of this many minutes by their first request, for the baseline. */
const BASELINE_SLOT_MINUTES = 10;

/**
 * The rows the site's normal is measured on. Every client counts, except that no ten minutes may weigh much
 * more than a typical ten minutes: when a burst of new clients (a botnet arriving at once) outnumbers the
 * rest, the median client would be one of them and nothing would stand out. A slot keeps at most
 * max(10, 3 × the median slot's count) of the clients that arrived in it, chosen by a hash of their address
 * (the same whatever the order of the input).
 */
export function baselineRows(clients: readonly ClientStats[]): Int32Array | null {
  const n = clients.length;
  const slots = new Float64Array(n);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = clients[i]!;
    const slot = (slots[i] = c.requests > 0 ? Math.floor(c.firstTime / (BASELINE_SLOT_MINUTES * 60_000)) : NaN);
    if (!Number.isNaN(slot)) counts.set(slot, (counts.get(slot) ?? 0) + 1);
  }
  const sizes = [...counts.values()].sort((a, b) => a - b);
  if (sizes.length === 0) return null;
  const cap = Math.max(10, 3 * sizes[sizes.length >> 1]!);
  if (sizes[sizes.length - 1]! <= cap) return null;
  // In the crowded slots, keep the `cap` clients with the smallest address hashes.
  const crowded = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const slot = slots[i]!;
    if ((counts.get(slot) ?? 0) > cap) (crowded.get(slot) ?? crowded.set(slot, []).get(slot)!).push(i);
  }
  const keep = new Uint8Array(n).fill(1);
  for (const members of crowded.values()) {
    const ranked = members.map((i) => [hashString(clients[i]!.key), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [, i] of ranked.slice(cap)) keep[i] = 0;
  }
  let kept = 0;
  for (let i = 0; i < n; i++) kept += keep[i]!;
  const out = new Int32Array(kept);
  for (let i = 0, k = 0; i < n; i++) if (keep[i]) out[k++] = i;
  return out;
}

/** IPv4 networks of `bits` in which every client seen is a member: listed whole instead of the members. */
function wholeNetworks(members: readonly string[], allClients: ReadonlyMap<string, number>, bits: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (bits <= 0) return out;
  const byNet = new Map<string, string[]>();
  for (const a of members) {
    const net = ipv4Network(a, bits);
    if (net === null) continue;
    const list = byNet.get(net);
    if (list) list.push(a);
    else byNet.set(net, [a]);
  }
  for (const [net, list] of byNet) if (list.length >= 2 && allClients.get(net) === list.length) out.set(net, list);
  return out;
}

/** The IPv4 network of `bits` a client lies in, or null for IPv6 clients and networks. */
function ipv4Network(key: string, bits: number): string | null {
  return key.includes(':') || key.includes('/') ? null : networkOf(key, bits);
}

/** Clients are scaled by the site's normal: measured on the baseline rows' transformed features. */
function fitBaseline(clients: readonly ClientStats[], raw: Float64Array): Scaler {
  const rows = baselineRows(clients);
  const transforms = FEATURES.map((f) => f.transform);
  return fitScalerColumns(
    rows ? rows.length : clients.length,
    FEATURES.map((f) => SPREAD_FLOOR[f.transform]),
    (d, col) => {
      for (let k = 0; k < col.length; k++) col[k] = transformValue(transforms[d]!, raw[(rows ? rows[k]! : k) * DIMS + d]!);
    },
  );
}

/** Every client's raw features in one flat table (a row per client, FEATURES order). */
function featureRows(clients: readonly ClientStats[], order = rowOrder(clients)): Float64Array {
  // 20,000 clients make no 20,000 little arrays.
  const n = clients.length;
  const raw = new Float64Array(n * DIMS);
  const values = FEATURES.map((f) => f.value);
  for (const i of order) {
    const c = clients[i]!;
    for (let d = 0; d < DIMS; d++) raw[i * DIMS + d] = values[d]!(c);
  }
  return raw;
}

/**
 * The scaled, clipped points, transformed from the raw features: Float32 (a point's coordinates are z-scores
 * clipped to ±10, read against thresholds of a tenth; half the memory of a million clients' Float64 points).
 */
function scaledPoints(raw: Float64Array, scaler: Scaler): Float32Array {
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = scaledValue(raw, i, scaler);
  return out;
}

/** The scaled, clipped value raw[at] in full precision (feature at % DIMS). */
function scaledValue(raw: Float64Array, at: number, scaler: Scaler): number {
  const d = at % DIMS;
  const z = (transformValue(FEATURES[d]!.transform, raw[at]!) - scaler.center[d]!) / scaler.spread[d]!;
  return Math.max(-scaler.clip, Math.min(scaler.clip, z));
}

/** Client i's scaled point in full precision: what k-means fits on and centroids are averaged from. */
function exactPoint(raw: Float64Array, i: number, scaler: Scaler, p: number[] | Float64Array = new Array<number>(DIMS)): number[] | Float64Array {
  for (let d = 0; d < DIMS; d++) p[d] = scaledValue(raw, i * DIMS + d, scaler);
  return p;
}

/**
 * What detection learns from a log, and all that judging needs: how the site's clients spread (the scaler),
 * the clusters (centroids in scaled units, which of them stand out and on what, how far a member may lie
 * from its centroid before it is judged by its own point), the median client and the site's mean rate.
 * `detect` learns it and judges the same clients; `judgeWith` judges other clients (a live window, a
 * prediction request) by a model learned earlier (detect/model.ts saves and loads it).
 */
export interface Model {
  readonly scaler: Scaler;
  readonly k: number;
  readonly silhouette: number | null;
  readonly kScores: KScore[];
  readonly converged: boolean;
  readonly clusters: ClusterSummary[];
  /** Per cluster, the squared distance from the centroid beyond which a member is an outlier. */
  readonly outlierLimit: number[];
  readonly medians: Record<string, number>;
  readonly siteMeanPerMinute: number;
}

/** The site's mean requests per minute, from its first to its last minute. */
function siteMeanOf(clients: readonly ClientStats[], order = rowOrder(clients)): number {
  let requests = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const i of order) {
    const c = clients[i]!;
    if (c.requests === 0) continue;
    requests += c.requests;
    first = Math.min(first, c.firstTime);
    last = Math.max(last, c.lastTime);
  }
  const minutes = requests > 0 ? Math.max(1, Math.floor(last / 60000) - Math.floor(first / 60000) + 1) : 1;
  return requests / minutes;
}

/** Learns a model from `clients` and judges them by it. */
export function detect(clients: readonly ClientStats[], opts: DetectOptions): DetectionResult {
  const n = clients.length;
  const T = opts.clusterThreshold;
  // Clients come in address order; their rows are read in table order (see rowOrder).
  const order = rowOrder(clients);
  const raw = featureRows(clients, order);
  const scaler = fitBaseline(clients, raw);
  const flat = scaledPoints(raw, scaler);
  const clustering = cluster(
    flat,
    {
      seed: opts.seed,
      kMin: opts.kMin,
      kMax: opts.kMax,
      fitSample: opts.fitSample,
      chooseSample: opts.chooseSample,
      scoreSample: opts.scoreSample,
    },
    DIMS,
    (i) => exactPoint(raw, i, scaler) as number[],
  );

  const sizes = new Array<number>(clustering.k).fill(0);
  for (const a of clustering.assignment) sizes[a]!++;
  // Centroids are recomputed over every assigned client (the fit may have seen a sample only).
  const sums = Array.from({ length: clustering.k }, () => new Array<number>(FEATURES.length).fill(0));
  // One client's full-precision point at a time, for the centroids and the distances to them.
  const scratch = new Float64Array(DIMS);
  for (let i = 0; i < n; i++) {
    const s = sums[clustering.assignment[i]!]!;
    const p = exactPoint(raw, i, scaler, scratch);
    for (let d = 0; d < DIMS; d++) s[d]! += p[d]!;
  }
  const memberStats = clusterMembers(raw, clustering.assignment, clustering.k, sizes);
  const clusters: ClusterSummary[] = sums.map((s, id) => {
    const scaled = s.map((v) => (sizes[id]! > 0 ? v / sizes[id]! : 0));
    const abusiveFeatures = abusiveAxes(scaled, T);
    const centroid: Record<string, number> = {};
    FEATURES.forEach((f, d) => (centroid[f.name] = Math.round(scaled[d]! * 100) / 100));
    return { id, size: sizes[id]!, abusive: abusiveFeatures.length > 0, abusiveFeatures, centroid, members: memberStats[id]!, scaledCentroid: scaled };
  });

  const sqDist = new Float64Array(n);
  for (let i = 0; i < n; i++) sqDist[i] = squaredDistance(exactPoint(raw, i, scaler, scratch), clusters[clustering.assignment[i]!]!.scaledCentroid);
  const meanSq = new Array<number>(clustering.k).fill(0);
  sqDist.forEach((d, i) => (meanSq[clustering.assignment[i]!]! += d));
  const model: Model = {
    scaler,
    k: clustering.k,
    silhouette: clustering.silhouette,
    kScores: clustering.scores,
    converged: clustering.converged,
    clusters,
    outlierLimit: meanSq.map((s, c) => Math.max(OUTLIER_FACTOR ** 2 * (sizes[c]! ? s / sizes[c]! : 0), T ** 2)),
    medians: toRecord(scaler.center.map((c, d) => untransformValue(FEATURES[d]!.transform, c))),
    siteMeanPerMinute: siteMeanOf(clients, order),
  };
  return judge(clients, raw, flat, clustering.assignment, sqDist, model, opts);
}

/**
 * Judges clients by a model learned before: each is scaled by the model's scaler and belongs to its nearest
 * centroid. The verdicts, reasons and groups are made as `detect` makes them.
 */
export function judgeWith(
  clients: readonly ClientStats[],
  model: Model,
  opts: Omit<DetectOptions, 'seed' | 'kMin' | 'kMax' | 'fitSample' | 'chooseSample' | 'scoreSample'>,
): DetectionResult {
  const n = clients.length;
  const raw = featureRows(clients);
  const flat = scaledPoints(raw, model.scaler);
  const assignment = new Int32Array(n);
  const sqDist = new Float64Array(n);
  const scratch = new Float64Array(DIMS);
  for (let i = 0; i < n; i++) {
    const p = exactPoint(raw, i, model.scaler, scratch);
    let best = 0;
    let bestD = Infinity;
    model.clusters.forEach((c, id) => {
      const d = squaredDistance(p, c.scaledCentroid);
      if (d < bestD) {
        bestD = d;
        best = id;
      }
    });
    assignment[i] = best;
    sqDist[i] = bestD;
  }
  return judge(clients, raw, flat, assignment, sqDist, model, { ...opts, seed: 0, kMin: 0, kMax: 0, fitSample: 0, chooseSample: 0, scoreSample: 0 });
}

/**
 * Step 3's test for one client: it stands `T` above the median client on feature d and its cluster speaks for it
 * (the centroid stands out there too, or the client lies that far above it), or it is judged by its own point.
 */
function standsOut(p: ArrayLike<number>, centroid: readonly number[], ownPoint: boolean, T: number): (d: number) => boolean {
  return (d) => p[d]! >= T && (ownPoint || centroid[d]! >= T || p[d]! - centroid[d]! >= T);
}

/**
 * Why a client was or was not flagged: each kind's evidence against its guard, its group's verdict, and the
 * allowlist. For any client of a result, flagged or not (`detect --explain ADDRESS`). Null for an unknown address.
 */
export function explainClient(
  result: DetectionResult,
  clients: readonly ClientStats[],
  address: string,
  opts: Pick<DetectOptions, 'clusterThreshold' | 'guards'>,
): string[] | null {
  const i = clients.findIndex((c) => c.key === address);
  if (i < 0) return null;
  const r = result.clients[i]!;
  const T = opts.clusterThreshold;
  const centroid = result.model.clusters[r.cluster]!.scaledCentroid;
  const p = result.scaledTable.subarray(i * DIMS, (i + 1) * DIMS);
  const k = result.model.k;
  const standing = standsOut(p, centroid, r.outlier || k === 1, T);
  const raw = result.featureTable;
  const lines: string[] = [];
  const flagged = result.flagged.find((f) => f.address === address);
  lines.push(
    `${address}: ${plural(r.requests, 'request')}, cluster ${r.cluster}${r.outlier ? ' (judged by its own point: far from its centroid)' : ''}; ` +
      (flagged ? `flagged (${flagged.kinds.join(', ')})` : r.allowlisted ? 'allowlisted: spared whatever its evidence' : 'not flagged'),
  );
  for (const a of assessClient(clients[i]!, standing, raw, i * DIMS, opts.guards)) lines.push(`  ${a.found ? 'yes' : 'no '} ${a.why}`);
  const g = r.group ? result.groups.find((x) => x.id === r.group) : undefined;
  if (g) lines.push(`  group ${g.id} (${g.size} clients, ${g.kind}): ${g.flagged ? 'flagged' : 'left alone'}: ${g.reason}`);
  else lines.push('  in no group: no group of clients unusual in the same way at the same time');
  if (flagged && flagged.reasons.length > 0) lines.push(`  decided: ${flagged.reasons.join('; ')}`);
  else if (!flagged && !r.allowlisted) lines.push('  decided: spared: no kind of abuse has the evidence it needs');
  return lines;
}

function judge(
  clients: readonly ClientStats[],
  raw: Float64Array,
  flat: Float32Array,
  assignment: Int32Array,
  sqDist: Float64Array,
  model: Model,
  opts: DetectOptions,
): DetectionResult {
  const n = clients.length;
  const T = opts.clusterThreshold;
  const { scaler, clusters, outlierLimit, medians } = model;
  const clustering = { k: model.k, assignment };
  const point = (i: number) => flat.subarray(i * DIMS, (i + 1) * DIMS);
  const transforms = FEATURES.map((f) => f.transform);
  // Unclipped, for explanations (from the raw value: the transformed table now holds the clipped points).
  const score = (i: number, d: number) => (transformValue(transforms[d]!, raw[i * DIMS + d]!) - scaler.center[d]!) / scaler.spread[d]!;

  // Each client on its own.
  const outliers = new Uint8Array(n);
  const own: Array<Array<[AbuseKind, string]>> = new Array(n);
  const none: Array<[AbuseKind, string]> = [];
  const abusiveDims = FEATURES.flatMap((f, d) => (f.abusive ? [d] : []));
  for (let i = 0; i < n; i++) {
    const clusterId = clustering.assignment[i]!;
    const outlier = clustering.k > 1 && sqDist[i]! > outlierLimit[clusterId]!;
    outliers[i] = outlier ? 1 : 0;
    own[i] = none;
    // Most clients stand out on nothing and carry no evidence that needs no comparison: nothing more to judge.
    let most = -Infinity;
    for (const d of abusiveDims) most = Math.max(most, flat[i * DIMS + d]!);
    const c = clients[i]!;
    if (most < T && !hasOwnEvidence(c, opts.guards)) continue;
    const centroid = clusters[clusterId]!.scaledCentroid;
    const p = point(i);
    const standing = standsOut(p, centroid, outlier || clustering.k === 1, T);
    own[i] = kindVerdicts(c, standing, raw, i * DIMS, opts.guards);
  }

  // Groups, and what they add.
  const siteMeanPerMinute = model.siteMeanPerMinute;
  const found = findGroups({ clients, points: flat, raw, threshold: T, guards: opts.guards, options: opts.groups, siteMeanPerMinute: model.siteMeanPerMinute });
  const groupOf = new Map<number, { id: string; finding: GroupFinding }>();
  const networkCount = new Map<string, number>();
  if (opts.groups.prefix > 0)
    for (const c of clients) {
      const net = ipv4Network(c.key, opts.groups.prefix);
      if (net) networkCount.set(net, (networkCount.get(net) ?? 0) + 1);
    }
  const groups: GroupSummary[] = [];
  const networked = new Set<string>();
  found
    .filter((g) => g.abusive || g.kind === 'crowd')
    .forEach((g, k) => {
      const id = `g${k + 1}`;
      for (const i of g.members) groupOf.set(i, { id, finding: g });
      const members = g.members.map((i) => clients[i]!.key);
      const spareable = members.filter((a) => !(opts.allowlist.size > 0 && opts.allowlist.has(a)));
      const nets = g.abusive ? wholeNetworks(spareable, networkCount, opts.groups.prefix) : new Map<string, string[]>();
      for (const list of nets.values()) for (const a of list) networked.add(a);
      const sharedScores = g.medianPoint;
      const rawMedians = g.medianRaw;
      groups.push({
        id,
        kind: g.kind,
        flagged: g.abusive,
        size: members.length,
        members,
        firstSeen: g.first,
        lastSeen: g.last,
        requests: g.requests,
        peakPerMinute: g.peakPerMinute,
        peak10Minutes: g.peak10Minutes,
        siteMeanPerMinute: Math.round(siteMeanPerMinute * 100) / 100,
        timesSiteRate: Math.round((g.peakPerMinute / Math.max(siteMeanPerMinute, 1e-9)) * 10) / 10,
        shared: standoutsOf(rawMedians, sharedScores, medians, 6).filter((s) => g.shared.includes(featureIndex(s.feature))),
        reason: g.reason,
        networks: [...nets.keys()],
      });
    });

  const groupById = new Map(groups.map((g) => [g.id, g]));
  const results: ClientResult[] = new Array(n);
  const columns: ResultColumns = { table: raw, cluster: clustering.assignment, bits: new Uint8Array(n), group: new Map() };
  const flagged: FlaggedClient[] = [];
  // Their sample lines are read after the loop, all at once (a table's chunks of lines each read once).
  const flaggedClients: ClientStats[] = [];
  const spared: string[] = [];
  const verified: CrawlerNote[] = [];
  const fake: CrawlerNote[] = [];
  for (let i = 0; i < n; i++) {
    const c = clients[i]!;
    const clusterId = clustering.assignment[i]!;
    const inGroup = groupOf.size > 0 ? groupOf.get(i) : undefined;
    const kinds = own[i]!.length > 0 || inGroup ? [...own[i]!] : own[i]!;
    if (inGroup?.finding.abusive) {
      const g = groupById.get(inGroup.id)!;
      const kind = g.kind as AbuseKind;
      const sentence =
        `member of group ${g.id}: ${g.size} clients alike, ${KIND_NAMES[kind]} together (${g.reason}), ` +
        `${g.requests} requests, peak ${g.peakPerMinute} a minute (${g.timesSiteRate}× the site's mean)`;
      const at = kinds.findIndex(([k]) => k === kind);
      if (at >= 0) kinds[at] = [kind, `${kinds[at]![1]}; ${sentence}`];
      else kinds.push([kind, sentence]);
    }
    if (kinds.length > 1) kinds.sort((a, b) => ABUSE_KINDS.indexOf(a[0]) - ABUSE_KINDS.indexOf(b[0]));
    const allowlisted = opts.allowlist.size > 0 && opts.allowlist.has(c.key);
    // A client that mostly names a search crawler: verified by its published ranges, or a fake.
    const named = c.crawlerClaims > 0 && 2 * c.crawlerClaims >= c.requests ? checkCrawler(opts.crawlers, c.crawler, c.key) : null;
    if (named) {
      const note = { address: c.key, crawler: named.crawler.name, requests: c.requests, published: named.crawler.published };
      (named.kind === 'verified' ? verified : fake).push(note);
      if (named.kind === 'fake' && opts.banFakeCrawlers)
        kinds.push([
          'scan',
          `fake crawler: names ${named.crawler.name} from outside its published ranges (${named.crawler.published ?? 'undated'}; --ban-fake-crawlers)`,
        ]);
    }
    const verifiedCrawler = named?.kind === 'verified';
    if (kinds.length > 0 && allowlisted) spared.push(c.key);
    const isFlagged = kinds.length > 0 && !allowlisted && !verifiedCrawler;
    columns.bits[i] = (outliers[i] === 1 ? OUTLIER : 0) | (isFlagged ? FLAGGED : 0) | (allowlisted ? ALLOWLISTED : 0);
    if (inGroup) columns.group.set(i, inGroup.id);
    results[i] = new ClientRow(columns, i, c.key);
    if (!isFlagged) continue;
    const features = toRecord(raw.subarray(i * DIMS, (i + 1) * DIMS));
    const scores = FEATURES.map((_, d) => score(i, d));
    flagged.push({
      address: c.key,
      cluster: clusterId,
      outlier: outliers[i] === 1,
      kinds: kinds.map(([k]) => k),
      reasons: kinds.map(([, why]) => why),
      standouts: standoutsOf(raw.subarray(i * DIMS, (i + 1) * DIMS), scores, medians, 4),
      features,
      firstSeen: c.firstTime,
      lastSeen: c.lastTime,
      samples: [],
      group: inGroup?.finding.abusive ? inGroup.id : null,
    });
    flaggedClients.push(c);
  }
  samplesOfClients(flaggedClients).forEach((lines, j) => flagged[j]!.samples.push(...lines));
  flagged.sort((a, b) => b.features.requests! - a.features.requests! || (a.address < b.address ? -1 : 1));
  const listed = flagged.filter((f) => !networked.has(f.address)).map((f) => f.address);
  for (const g of groups) listed.push(...g.networks);
  return {
    k: model.k,
    silhouette: model.silhouette,
    kScores: model.kScores,
    converged: model.converged,
    model,
    clusters,
    clients: results,
    flagged,
    groups,
    spared,
    crawlers: { verified, fake },
    medians,
    scaledTable: flat,
    featureTable: raw,
    blocklist: listed,
  };
}
