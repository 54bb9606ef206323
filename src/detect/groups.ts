/**
 * Groups: clients that behave alike and together. Pure; no I/O.
 *
 * A distributed flood, a scan or a credential-stuffing run spread over many addresses makes every member look
 * mild on its own; what gives it away is that many clients do the same unusual thing in the same minutes. In
 * the scaled feature space that detection clusters in, those clients sit close together. So:
 *
 * 1. Candidates are clients that stand `threshold` or more above the site's median client on a feature whose
 *    high values signal abuse (they are unusual, however mildly), with a few requests at least.
 * 2. Two candidates are neighbours when they are unusual in the same way (most of the features they stand
 *    out on in common, and both browsing like people or neither), lie within `radius` of each other in the scaled space, and were active within
 *    `gapMinutes` of each other. As in DBSCAN, a candidate with `minMembers - 1` neighbours or more is a
 *    core; cores that are neighbours are linked, and a candidate that is no core joins the first core it
 *    neighbours without linking anything more. So a flash crowd and a botnet in the same hour stay two
 *    groups: the few clients that lie between them do not chain them together.
 *    A botnet may also go slowly, a request or two per address over days, all with one user agent that
 *    hardly anyone else on the site sends: candidates unusual in the same way (and browsing or not alike)
 *    that share a rare agent (nearly every client sending it, RARE_AGENT_SHARE, is such a candidate) are
 *    linked too, at any time. An agent a crowd of people shares with a botnet marks neither.
 * 3. A group is judged as one client would be: the features its members share (the median member stands out
 *    on them), and the guard on volume applied to the members together (their combined requests per minute,
 *    exact: their minutes add up). Members who browse like people (page assets, referers) and share nothing
 *    but a high rate are a crowd, and left alone: a flash crowd is a success, not an attack.
 */
import type { ClientStats } from '../table/table.js';
import { ABUSE_KINDS as KINDS, FEATURES, featureIndex, probeErrors, type AbuseKind } from '../features/vector.js';
import { EVIDENCE, type GroupOptions, type Guards } from './defaults.js';
import { quantileOf } from './scale.js';
import { windowPeak } from '../table/minutes.js';

/** The axes of each kind. */
export const KIND_AXES: Record<AbuseKind, number[]> = {
  flood: FEATURES.flatMap((f, i) => (f.abusive === 'flood' ? [i] : [])),
  scan: FEATURES.flatMap((f, i) => (f.abusive === 'scan' ? [i] : [])),
  'brute-force': FEATURES.flatMap((f, i) => (f.abusive === 'brute-force' ? [i] : [])),
  exploit: FEATURES.flatMap((f, i) => (f.abusive === 'exploit' ? [i] : [])),
};
/** Rates: a flood needs one of these to stand out. */
export const RATE_AXES = ['peakPerMinute', 'peak10Minutes', 'peakHour', 'perActiveMinute', 'perMinuteOverSpan'].map(featureIndex);
/** What a flood does that browsing does not: cache-busting queries, server errors, a new agent per request. */
export const FLOOD_SIGNS = ['shareUniqueQuery', 'share5xx', 'agentRotation'].map(featureIndex);
const STATIC = featureIndex('shareStatic');
const REFERER = featureIndex('shareReferer');
const PROBE_ERRORS = featureIndex('shareProbeErrors');
const ODD_METHOD = featureIndex('shareOddMethod');
const SHARE_5XX = featureIndex('share5xx');

/** Browsing like a person: page assets and referers (an office, a crowd, a proxy full of visitors). */
export const BROWSING = { staticShare: 0.15, refererShare: 0.3 } as const;

export function browses(staticShare: number, refererShare: number): boolean {
  return staticShare >= BROWSING.staticShare && refererShare >= BROWSING.refererShare;
}

export interface GroupFinding {
  /** Indexes into the clients, sorted. */
  readonly members: number[];
  readonly kind: AbuseKind | 'crowd';
  readonly abusive: boolean;
  /** Feature indexes on which the median member stands `threshold` or more above the median client. */
  readonly shared: number[];
  /** The median member's scaled value on every feature. */
  readonly medianPoint: number[];
  /** The median member's raw value on every feature. */
  readonly medianRaw: number[];
  readonly first: number;
  readonly last: number;
  readonly requests: number;
  readonly posts: number;
  readonly probes: number;
  readonly peakPerMinute: number;
  readonly peak10Minutes: number;
  readonly reason: string;
}

export interface GroupInput {
  readonly clients: readonly ClientStats[];
  /** Scaled points, row-major, FEATURES.length a row. */
  readonly points: Float32Array;
  /** Raw feature values, row-major. */
  readonly raw: Float64Array;
  readonly threshold: number;
  readonly guards: Guards;
  readonly options: GroupOptions;
  /** The site's mean requests per minute: a flood group's load is judged against it. */
  readonly siteMeanPerMinute: number;
}

/** At most this many candidates are linked (the most unusual first): the linking is quadratic at worst. */
const MAX_CANDIDATES = 20_000;
/** An agent is a botnet's mark when at least this share of the clients sending it are unusual the same way. */
export const RARE_AGENT_SHARE = 0.8;
/** Clients linked by time and distance need this many requests: one or two requests show no behaviour. */
const MIN_LINK_REQUESTS = 3;

/**
 * Whether a client shows enough behaviour to be linked by time and distance: a few requests, or one or two that
 * are all failed logins or all failed probes (a credential-stuffing run spreads one or two tries per address).
 */
function linkableClient(c: ClientStats): boolean {
  return c.requests >= MIN_LINK_REQUESTS || (c.requests > 0 && (c.authFails === c.requests || c.sensitiveFails === c.requests));
}

/** Unusual in the same way: at least half of the features either stands out on, both stand out on. */
function alike(a: number, b: number): boolean {
  return 2 * popcount(a & b) >= popcount(a | b);
}

/** Bits set in a 32-bit number (the usual SWAR count). */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Each kind's axes as a bit mask over the features (bit d for FEATURES[d]). */
const KIND_MASKS = KINDS.map((k) => KIND_AXES[k].reduce((m, d) => m | (1 << d), 0));

/** The kinds a set of standing axes speaks for (a bit per kind in KINDS order). */
function kindsOf(axes: number): number {
  let bits = 0;
  KIND_MASKS.forEach((m, b) => {
    if (axes & m) bits |= 1 << b;
  });
  return bits;
}

/** The median of values, by selection. */
function median(values: number[]): number {
  return quantileOf(Float64Array.from(values), 0.5);
}

export function findGroups(input: GroupInput): GroupFinding[] {
  const { clients, points, raw, threshold, guards, options } = input;
  const dims = FEATURES.length;
  const gap = options.gapMinutes * 60_000;
  // 1. Candidates.
  let cands: Array<{ i: number; kinds: number; axes: number; score: number; browsing: boolean }> = [];
  for (let i = 0; i < clients.length; i++) {
    const c = clients[i]!;
    if (c.requests < 1) continue;
    let score = 0;
    let axes = 0;
    for (let d = 0; d < dims; d++) {
      if (!FEATURES[d]!.abusive) continue;
      const z = points[i * dims + d]!;
      score = Math.max(score, z);
      if (z >= threshold) axes |= 1 << d;
    }
    const kinds = kindsOf(axes);
    if (kinds === 0) continue;
    cands.push({ i, kinds, axes, score, browsing: browses(raw[i * dims + STATIC]!, raw[i * dims + REFERER]!) });
  }
  if (cands.length > MAX_CANDIDATES) {
    cands.sort((a, b) => b.score - a.score || a.i - b.i);
    cands = cands.slice(0, MAX_CANDIDATES);
  }
  cands.sort((a, b) => clients[a.i]!.firstTime - clients[b.i]!.firstTime || a.i - b.i);
  // 2. Neighbours, walking the candidates in time order: only those that start before one ends (plus the
  // gap) can be neighbours of it. Counted first (who is a core), then linked.
  const parent = cands.map((_, k) => k);
  const find = (k: number): number => {
    while (parent[k] !== k) k = parent[k] = parent[parent[k]!]!;
    return k;
  };
  const r2 = options.radius * options.radius;
  // What the walk reads of each candidate, read once (it compares every two candidates whose times overlap).
  const first = Float64Array.from(cands, (c) => clients[c.i]!.firstTime);
  const last = Float64Array.from(cands, (c) => clients[c.i]!.lastTime);
  const linkable = Uint8Array.from(cands, (c) => (linkableClient(clients[c.i]!) ? 1 : 0));
  const kindBits = Int32Array.from(cands, (c) => c.kinds);
  const axesOf = Int32Array.from(cands, (c) => c.axes);
  const browsingOf = Uint8Array.from(cands, (c) => (c.browsing ? 1 : 0));
  const rowOf = Int32Array.from(cands, (c) => c.i);
  const near = (a: number, b: number) => {
    let sum = 0;
    for (let d = 0, pa = a * dims, pb = b * dims; d < dims && sum <= r2; d++) {
      const diff = points[pa + d]! - points[pb + d]!;
      sum += diff * diff;
    }
    return sum <= r2;
  };
  const neighbours = (visit: (a: number, b: number) => void) => {
    for (let a = 0; a < cands.length; a++) {
      if (!linkable[a]) continue;
      const end = last[a]! + gap;
      const kinds = kindBits[a]!;
      const axes = axesOf[a]!;
      const browsing = browsingOf[a]!;
      for (let b = a + 1; b < cands.length; b++) {
        if (first[b]! > end) break;
        if ((kinds & kindBits[b]!) === 0 || !linkable[b] || browsing !== browsingOf[b]) continue;
        if (!alike(axes, axesOf[b]!)) continue;
        if (!near(rowOf[a]!, rowOf[b]!)) continue;
        visit(a, b);
      }
    }
  };
  const degree = new Int32Array(cands.length);
  neighbours((a, b) => {
    degree[a]!++;
    degree[b]!++;
  });
  const core = (k: number) => degree[k]! >= options.minMembers - 1;
  const attached = new Uint8Array(cands.length);
  neighbours((a, b) => {
    if (core(a) && core(b)) parent[find(b)] = find(a);
    else if (core(a) && !core(b) && !attached[b]) {
      attached[b] = 1;
      parent[b] = find(a);
    } else if (core(b) && !core(a) && !attached[a]) {
      attached[a] = 1;
      parent[a] = find(b);
    }
  });
  // Rare agents shared by candidates unusual in the same kind.
  const byAgent = new Map<string, number[]>();
  cands.forEach((c, k) => {
    const agent = clients[c.i]!.agentId;
    if (agent === 0) return;
    for (let b = 0; b < KINDS.length; b++) {
      if (!(c.kinds & (1 << b))) continue;
      const key = `${agent}:${b}:${c.browsing ? 1 : 0}`;
      (byAgent.get(key) ?? byAgent.set(key, []).get(key)!).push(k);
    }
  });
  // How many clients send each agent that enough candidates share (counted only when there is one).
  const shared = new Set([...byAgent].filter(([, ks]) => ks.length >= options.minMembers).map(([key]) => Number(key.slice(0, key.indexOf(':')))));
  const senders = new Map<number, number>();
  if (shared.size > 0)
    for (const c of clients) {
      const a = c.agentId;
      if (a !== 0 && shared.has(a)) senders.set(a, (senders.get(a) ?? 0) + 1);
    }
  for (const [key, ks] of byAgent) {
    const agent = Number(key.slice(0, key.indexOf(':')));
    if (ks.length < options.minMembers || ks.length < RARE_AGENT_SHARE * senders.get(agent)!) continue;
    // Within one agent, those unusual in the same way are linked (one per distinct way, then the ways alike).
    const byAxes = new Map<number, number>();
    for (const k of ks) {
      const first = byAxes.get(cands[k]!.axes);
      if (first === undefined) byAxes.set(cands[k]!.axes, k);
      else parent[find(k)] = find(first);
    }
    const ways = [...byAxes];
    for (let x = 0; x < ways.length; x++)
      for (let y = x + 1; y < ways.length; y++) if (alike(ways[x]![0], ways[y]![0])) parent[find(ways[y]![1])] = find(ways[x]![1]);
  }
  const sets = new Map<number, number[]>();
  cands.forEach((c, k) => {
    const root = find(k);
    const list = sets.get(root);
    if (list) list.push(c.i);
    else sets.set(root, [c.i]);
  });
  // 3. Judge each set large enough.
  const out: GroupFinding[] = [];
  for (const members of sets.values()) {
    if (members.length < options.minMembers) continue;
    members.sort((a, b) => a - b);
    out.push(judge(members, input, dims, threshold, guards));
  }
  out.sort((a, b) => a.first - b.first || a.members[0]! - b.members[0]!);
  return out;
}

function judge(members: number[], input: GroupInput, dims: number, threshold: number, guards: Guards): GroupFinding {
  const { clients, points, raw } = input;
  const medianPoint: number[] = [];
  const medianRaw: number[] = [];
  for (let d = 0; d < dims; d++) {
    medianPoint.push(median(members.map((i) => points[i * dims + d]!)));
    medianRaw.push(median(members.map((i) => raw[i * dims + d]!)));
  }
  const shared = FEATURES.flatMap((f, d) => (f.abusive && medianPoint[d]! >= threshold ? [d] : []));
  // The members' requests per minute, added up exactly.
  const perMinute = new Map<number, number>();
  let requests = 0;
  let posts = 0;
  let probes = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const i of members) {
    const c = clients[i]!;
    requests += c.requests;
    posts += c.post;
    probes += Math.max(probeErrors(c), c.sensitiveFails, c.payloadHits, c.exploitHits + c.scannerHits);
    first = Math.min(first, c.firstTime);
    last = Math.max(last, c.lastTime);
    c.forEachMinute((m, n) => perMinute.set(m, (perMinute.get(m) ?? 0) + n));
  }
  const minutes = [...perMinute.keys()].sort((a, b) => a - b);
  const peak = (window: number) =>
    windowPeak(
      minutes.length,
      (k) => minutes[k]!,
      (k) => perMinute.get(minutes[k]!)!,
      window,
    );
  const peakPerMinute = peak(1);
  const peak10Minutes = peak(10);
  const has = (axes: readonly number[]) => axes.some((d) => shared.includes(d));
  const browsing = browses(medianRaw[STATIC]!, medianRaw[REFERER]!);
  const base = { members, shared, medianPoint, medianRaw, first, last, requests, posts, probes, peakPerMinute, peak10Minutes };
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  // Judged per member, never by a total that grows with the group: how many members show the kind themselves.
  const showing = (test: (c: ClientStats, i: number) => boolean) => members.filter((i) => test(clients[i]!, i)).length;
  const enough = (n: number) => n >= EVIDENCE.groupMemberShare * members.length;
  const of = (n: number) => `${n} of ${members.length} members`;
  const notes: string[] = [];
  if (has(KIND_AXES.exploit)) {
    const n = showing((c) => c.exploitHits >= 1 || c.scannerHits >= 1 || c.payloadHits >= 1);
    if (enough(n)) return { ...base, kind: 'exploit', abusive: true, reason: `${of(n)} sent attacks themselves` };
    notes.push(`only ${of(n)} sent attacks themselves`);
  }
  if (has(KIND_AXES['brute-force'])) {
    let fails = 0;
    const n = showing((c) => {
      fails += c.authFails;
      return c.authFails >= 2 && c.authFails >= EVIDENCE.groupBruteFailShare * c.authRequests;
    });
    if (enough(n) && fails >= guards.bruteFailures)
      return {
        ...base,
        kind: 'brute-force',
        abusive: true,
        reason: `together ${fails} failed logins (guard ${guards.bruteFailures}); ${of(n)} failed two logins or more, half their attempts`,
      };
    notes.push(`${of(n)} failed two logins or more, half their attempts, ${fails} failed logins in all (needs half the members and ${guards.bruteFailures})`);
  }
  // Many clients sending odd methods alone are Windows' WebDAV client or CORS preflights, not a scan; errors
  // alone must make up most of the members' requests.
  const scanShared = KIND_AXES.scan.filter((d) => shared.includes(d) && d !== ODD_METHOD);
  if (scanShared.length > 0) {
    const n = showing((c) => {
      const errors = probeErrors(c);
      // A failed probe of a login, admin, secret or script place, failing being most of what it does (readers of a
      // broken link fail on ordinary pages; a shopper who mistypes a password once mostly succeeds).
      return c.scannerHits >= 1 || c.exploitHits >= 1 || (c.sensitiveFails >= 1 && errors >= guards.scanErrorShare * c.requests);
    });
    const errorsOnly = scanShared.every((d) => d === PROBE_ERRORS);
    if (enough(n) && probes >= guards.scanRequests && (!errorsOnly || medianRaw[PROBE_ERRORS]! >= guards.scanErrorShare))
      return {
        ...base,
        kind: 'scan',
        abusive: true,
        reason: `together ${probes} probing requests (guard ${guards.scanRequests}); ${of(n)} probed and failed themselves`,
      };
    notes.push(`${of(n)} probed and failed themselves (needs half)`);
  }
  if (has(KIND_AXES.flood)) {
    const signs = has(FLOOD_SIGNS) || medianRaw[SHARE_5XX]! >= EVIDENCE.flood5xx;
    const times = peakPerMinute / Math.max(input.siteMeanPerMinute, 1e-9);
    const n = showing((_, i) => RATE_AXES.some((d) => points[i * dims + d]! >= threshold));
    if (browsing && !signs) {
      return {
        ...base,
        kind: 'crowd',
        abusive: false,
        reason: `a crowd, left alone: its members browse like people (median ${pct(medianRaw[STATIC]!)} static assets, ${pct(medianRaw[REFERER]!)} with a referer) and share nothing else unusual`,
      };
    }
    if (!signs) {
      return {
        ...base,
        kind: 'flood',
        abusive: false,
        reason: `not a flood: fast together (${peak10Minutes} requests in ten minutes), but no sign of evasion or harm: no cache-busting, rotating agents or server errors`,
      };
    }
    if (peak10Minutes >= guards.floodRequests && times >= EVIDENCE.groupFloodSiteFactor && enough(n)) {
      return {
        ...base,
        kind: 'flood',
        abusive: true,
        reason: `together ${peak10Minutes} requests in ten minutes (guard ${guards.floodRequests}), ${Math.round(times * 10) / 10}× the site's mean rate at their peak; ${of(n)} fast themselves`,
      };
    }
    return {
      ...base,
      kind: 'flood',
      abusive: false,
      reason:
        `not a flood: together ${peak10Minutes} requests in ten minutes (needs ${guards.floodRequests}), ${Math.round(times * 10) / 10}× the site's mean rate at their peak ` +
        `(needs ${EVIDENCE.groupFloodSiteFactor}×), ${of(n)} fast themselves${notes.length ? `; ${notes.join('; ')}` : ''}`,
    };
  }
  const kind = KINDS.find((k) => has(KIND_AXES[k])) ?? 'flood';
  return { ...base, kind, abusive: false, reason: `left alone: ${notes.join('; ') || 'together under the guard on volume'}` };
}
