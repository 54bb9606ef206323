/**
 * Detection's defaults and floors, apart from detection itself: the command line needs them at start-up,
 * and detect.ts brings in the clustering libraries, which take a while to load.
 */
export interface Floors {
  /** No client with fewer requests is ever flagged. */
  readonly minRequests: number;
  /** Flood: at least this many requests in one minute. */
  readonly floodPeakPerMinute: number;
  /** Scan: at least this many 4xx responses, at least half of the client's requests, over 3+ paths... */
  readonly scanErrors: number;
  /** ...or at least this many requests to sensitive paths, at least half of its requests, over 3+ paths. */
  readonly scanSensitive: number;
  /** Brute force: at least this many POSTs, at least half of its requests, to sensitive paths or few paths. */
  readonly brutePosts: number;
}

export const DEFAULT_FLOORS: Floors = {
  minRequests: 20,
  floodPeakPerMinute: 120,
  scanErrors: 20,
  scanSensitive: 10,
  brutePosts: 20,
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
