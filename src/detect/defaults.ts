/**
 * Detection's options and their defaults, in one place (the command line, the verdicts' parameters and the
 * explanations all read them from here). Apart from detection itself: the command line needs them at
 * start-up, and detect.ts brings in the clustering libraries, which take a while to load.
 *
 * The clusters and the distances decide; these guards only keep a verdict from resting on too little: too
 * few requests to judge, or a rate that stands out on a quiet site but loads no server.
 */
export interface Guards {
  /** No client with fewer requests is flagged on its own (a group's members may have fewer). */
  readonly minRequests: number;
  /** Flood: at least this many requests in ten minutes, by the client or by its group together. */
  readonly floodRequests: number;
  /** Scan: at least this many probing requests (4xx, sensitive paths, payloads, junk), alone or together. */
  readonly scanRequests: number;
  /** Brute force: at least this many failed logins (401, refused, a login form shown again), alone or together. */
  readonly bruteFailures: number;
  /** Exploit: this many requests carrying an unmistakable attack (or a scanner's own mark) flag a client, whatever its count. */
  readonly exploitMin: number;
  /** Exploit: this many requests carrying attack payloads (SQL injection, script, traversal) in path or query. */
  readonly payloadMin: number;
  /**
   * Scan on errors alone (no sensitive path, payload or junk standing out): at least this share of the
   * requests are probing errors. A crawler following stale links collects 404s too, but not mostly 404s.
   */
  readonly scanErrorShare: number;
}

export const DEFAULT_GUARDS: Guards = {
  minRequests: 10,
  floodRequests: 200,
  scanRequests: 10,
  bruteFailures: 10,
  exploitMin: 1,
  payloadMin: 3,
  scanErrorShare: 0.7,
};

/**
 * The fixed proportions evidence is judged by (detect.ts assessClient, groups.ts), in one place.
 */
export const EVIDENCE = {
  /** A brute force fails at least this share of its login attempts (an app refreshing its tokens mostly succeeds). */
  bruteFailShare: 0.8,
  /** A login run's member (a handful of tries each, some taken) fails twice at least, and this share of its attempts (a shopper mistypes once). */
  groupBruteFailShare: 0.5,
  /**
   * ...and its failed logins are at least this share of all its requests: a person who logs in to a dashboard ten
   * times a day does much else; a brute force does little else (a form fetched before each try is half).
   */
  bruteRequestShare: 0.2,
  /**
   * Logins again and again, whatever the answer (a failure answered 302 or 422 looks like any login): this many
   * times the brute-force guard in POSTs to a login form, making this share of the client's requests.
   */
  loginRepeatFactor: 5,
  loginRepeatShare: 0.5,
  /** A flood without signs: this many times the flood guard in ten minutes is harm by itself (no app or person's pace). */
  floodExtreme: 10,
  /** A flood shown by fresh queries alone makes this many times the guard in ten minutes (a dashboard polls with a timestamp). */
  bustingOnlyFactor: 5,
  /** ...or uses at least this many agents without browsing like people (a pool of agents rotated). */
  floodAgentPool: 3,
  /** A client that browses like people (an office) and meets server errors makes this many times the guard. */
  browsingErrorFactor: 3,
  /** Failed probes of login, admin, secret or script places make up this share of a scan's requests. */
  probeRequestShare: 0.3,
  /**
   * ...over at least this many distinct places: a sweep probes several; a tracker script missing from every
   * page, or one bookmarked admin page refused, is one place failing again and again.
   */
  probeBreadth: 3,
  /**
   * A flood's harm in the log: at least this share of its requests answered 5xx (the server failing under it).
   * Without it, or cache-busting or rotating agents standing out, speed alone is no flood: an app, a NAT, an
   * integration can be fast.
   */
  flood5xx: 0.05,
  /** A scan seen in 4xx answers alone (no failed sensitive path, no scanner's mark) spreads over this many paths. */
  scanBreadth: 10,
  /** A group's kind needs at least this share of its members to show the kind's evidence themselves. */
  groupMemberShare: 0.5,
  /** A flood group's peak minute carries at least this many times the site's mean rate (a fleet of monitors does not). */
  groupFloodSiteFactor: 2,
} as const;

/** How groups are found (see detect/groups.ts). */
export interface GroupOptions {
  /** The fewest members of a group. */
  readonly minMembers: number;
  /** Members lie within this distance of another member, in robust standard deviations. */
  readonly radius: number;
  /** Members are active within this many minutes of another member. */
  readonly gapMinutes: number;
  /** Block a whole IPv4 network of this prefix length when every client seen in it is in an abusive group (0: never). */
  readonly prefix: number;
}

export const DEFAULT_GROUPS: GroupOptions = {
  minMembers: 5,
  radius: 4,
  gapMinutes: 10,
  prefix: 0,
};

export const DEFAULT_DETECT = {
  seed: 42,
  kMin: 2,
  kMax: 8,
  clusterThreshold: 2,
  fitSample: 4_000,
  chooseSample: 1_000,
  scoreSample: 500,
} as const;
