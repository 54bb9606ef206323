/**
 * A client as `serve` takes it over HTTP: the counts the table keeps of a client (table.ts's COUNTERS, the
 * distinct paths, queries and agents, and requests per minute), from which the features are computed by the
 * same code as for a log. Judging wants these rather than finished feature values: the guards look at counts
 * (requests in ten minutes, POSTs, probing requests), not at scaled numbers.
 */
import { windowPeak } from '../table/minutes.js';
import { COUNTERS, type ClientStats, type Counter, type Countable } from '../table/table.js';

export interface ClientSummary {
  readonly address: string;
  readonly requests: number;
  readonly post?: number;
  readonly head?: number;
  readonly otherMethod?: number;
  readonly invalidRequest?: number;
  readonly status2xx?: number;
  readonly status3xx?: number;
  readonly status4xx?: number;
  readonly status404?: number;
  readonly status5xx?: number;
  readonly staticHits?: number;
  readonly sensitiveHits?: number;
  readonly payloadHits?: number;
  readonly wellKnownMisses?: number;
  readonly exploitHits?: number;
  readonly scannerHits?: number;
  readonly sensitiveFails?: number;
  readonly authRequests?: number;
  readonly authFails?: number;
  readonly formLoginPosts?: number;
  readonly crawlerClaims?: number;
  readonly withQuery?: number;
  readonly withReferer?: number;
  readonly bytes?: number;
  /** Distinct login, admin, secret or script paths that failed it (default: one for each such failure). */
  readonly probePaths?: number;
  readonly distinctPaths?: number;
  readonly distinctQueries?: number;
  readonly distinctAgents?: number;
  /** Requests per minute: [minute since the epoch, count], one pair per active minute. */
  readonly minutes: ReadonlyArray<readonly [number, number]>;
}

/** Every counter of the table but the request count and times, and the distinct counts. */
const OPTIONAL_COUNTS = [
  ...COUNTERS.filter(
    (c): c is Exclude<Counter, 'requests' | 'firstTime' | 'lastTime' | 'agentMin' | 'crawlerMin' | 'probeMask'> =>
      !['requests', 'firstTime', 'lastTime', 'agentMin', 'crawlerMin', 'probeMask'].includes(c),
  ),
  'probePaths',
  'distinctPaths',
  'distinctQueries',
  'distinctAgents',
] as const;

const count = { type: 'integer', minimum: 0, maximum: 1e15 } as const;

/** The JSON schema of a summary (for the HTTP service's body schema). */
export const CLIENT_SUMMARY_SCHEMA = {
  type: 'object',
  required: ['address', 'requests', 'minutes'],
  additionalProperties: false,
  properties: {
    address: { type: 'string', minLength: 1, maxLength: 100 },
    requests: { type: 'integer', minimum: 1, maximum: 1e15 },
    ...Object.fromEntries(OPTIONAL_COUNTS.map((k) => [k, count])),
    minutes: {
      type: 'array',
      minItems: 1,
      maxItems: 100_000,
      items: { type: 'array', minItems: 2, maxItems: 2, items: [count, { type: 'integer', minimum: 1, maximum: 1e15 }] },
    },
  },
} as const;

class Fixed implements Countable {
  constructor(private readonly n: number) {}
  count(): number {
    return this.n;
  }
}

/** A summary read as detection reads a table's row. `key` is the canonical client key. */
export function summaryClient(s: ClientSummary, key: string): ClientStats {
  const minutes = [...s.minutes].sort((a, b) => a[0] - b[0]);
  const n = (k: (typeof OPTIONAL_COUNTS)[number]) => s[k] ?? 0;
  const first = minutes[0]![0];
  const last = minutes[minutes.length - 1]![0];
  return {
    key,
    requests: s.requests,
    post: n('post'),
    head: n('head'),
    otherMethod: n('otherMethod'),
    invalidRequest: n('invalidRequest'),
    status2xx: n('status2xx'),
    status3xx: n('status3xx'),
    status4xx: n('status4xx'),
    status404: n('status404'),
    status5xx: n('status5xx'),
    staticHits: n('staticHits'),
    sensitiveHits: n('sensitiveHits'),
    payloadHits: n('payloadHits'),
    wellKnownMisses: n('wellKnownMisses'),
    exploitHits: n('exploitHits'),
    scannerHits: n('scannerHits'),
    sensitiveFails: n('sensitiveFails'),
    authRequests: n('authRequests'),
    authFails: n('authFails'),
    formLoginPosts: n('formLoginPosts'),
    crawlerClaims: n('crawlerClaims'),
    withQuery: n('withQuery'),
    withReferer: n('withReferer'),
    bytes: n('bytes'),
    firstTime: first * 60_000,
    lastTime: last * 60_000 + 59_999,
    agentId: 0,
    crawler: -1,
    probePaths: Math.min(s.probePaths ?? n('sensitiveFails'), n('sensitiveFails')),
    peakPerMinute: Math.max(...minutes.map((m) => m[1])),
    activeMinutes: minutes.length,
    peakOver: (w) =>
      windowPeak(
        minutes.length,
        (i) => minutes[i]![0],
        (i) => minutes[i]![1],
        Math.max(1, w),
      ),
    forEachMinute: (fn) => minutes.forEach(([m, c]) => fn(m, c)),
    paths: new Fixed(s.distinctPaths ?? 1),
    queries: new Fixed(s.distinctQueries ?? 0),
    agents: new Fixed(s.distinctAgents ?? 1),
    timeline: null,
    samples: [],
  };
}
