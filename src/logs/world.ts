/**
 * The world a synthetic log is drawn in (see generate.ts): the site, its address pool, the seeded randomness,
 * the actors and their request streams, and the helpers scenario families build their actors with.
 */
import { seededRandom } from '../core/random.js';

/** What an actor is: an attack kind (as detect names them) or a kind of benign traffic. */
export type ActorLabel =
  | 'normal'
  | 'crawler'
  | 'office'
  | 'flood'
  | 'scan'
  | 'brute-force'
  | 'crowd'
  | 'monitor'
  | 'poller'
  | 'feed'
  | 'icons'
  | 'proxy'
  // The families of families.ts: an exploit attempt, and kinds of benign traffic.
  | 'exploit'
  | 'spa'
  | 'webhook'
  | 'admin'
  | 'self'
  | 'sync'
  | 'shopper'
  | 'preview'
  | 'app'
  | 'ci';

export interface Actor {
  readonly address: string;
  readonly label: ActorLabel;
  /** The scenario family that made it (absent for the everyday traffic). */
  readonly family?: string;
}

export interface Request {
  time: number;
  method: string;
  target: string;
  status: number;
  bytes: number;
  referer: string;
  agent: string;
  /** X-Forwarded-For, written as a trailing quoted field (a CDN or proxy in front of the site). */
  forwardedFor?: string;
}

export type Stream = Iterator<Request>;

export const DAY = 86_400_000;
export const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
];
export const CRAWLERS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
];
export const ASSETS = ['/static/css/site.css', '/static/js/app.js', '/static/js/vendor.js', '/favicon.ico', '/static/fonts/inter.woff2'];
export const WORDS = ['alpine', 'hut', 'booking', 'summer', 'winter', 'ski', 'hike', 'menu', 'rooms', 'price'];
export const MOBILE = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
];

type Label = ActorLabel;

/** IPv4 addresses of the documentation (3 × 254) and benchmark (2 × 65,536 less 2) ranges. */
const V4_POOL = 3 * 254 + 131_070;

/** The i-th address of the pool: TEST-NET-1, -2 and -3 (hosts 1-254), then 198.18.0.1 onwards. */
function v4FromPool(i: number): string {
  if (i < 3 * 254) return `${['192.0.2', '198.51.100', '203.0.113'][Math.floor(i / 254)]}.${(i % 254) + 1}`;
  const n = (198 << 24) + (18 << 16) + (i - 3 * 254) + 1;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The everyday site and the actors that visit it: one seeded world per log. */
export class World {
  readonly rand: () => number;
  readonly start: number;
  readonly streams: Array<[Actor, Stream]> = [];
  private readonly used = new Set<string>();
  private used4 = 0;
  readonly site = 'https://www.example.org';

  constructor(
    seed: number,
    start: number,
    private readonly actors: Actor[],
  ) {
    this.rand = seededRandom(seed);
    this.start = start;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  /**
   * A fresh address, from the ranges set aside for documentation and benchmarks only (RFC 5737 TEST-NETs,
   * RFC 2544's 198.18.0.0/15, and 2001:db8::/32): a generated log names nobody's real address. `net` gives
   * the first three octets (a botnet's /24, see `net()`). When the IPv4 ranges run short (131 k addresses),
   * the rest are IPv6.
   */
  address(v6: boolean, net?: string): string {
    for (let tries = 0; ; tries++) {
      const four = !v6 && (net !== undefined || this.used4 < 0.9 * V4_POOL);
      const a = !four
        ? `2001:db8:${this.int(1, 0xffff).toString(16)}:${this.int(0, 0xffff).toString(16)}::${this.int(1, 0xffff).toString(16)}`
        : net
          ? `${net}.${this.int(1, 254)}`
          : v4FromPool(this.int(0, V4_POOL - 1));
      if (!this.used.has(a)) {
        this.used.add(a);
        if (four) this.used4++;
        return a;
      }
      if (net !== undefined && tries > 1000) return this.address(v6);
    }
  }

  /** A /24 of the benchmark range, as its first three octets. */
  net(): string {
    return `198.${this.int(18, 19)}.${this.int(0, 255)}`;
  }

  page(): string {
    const r = this.rand();
    if (r < 0.15) return '/';
    if (r < 0.55) return `/blog/post-${this.int(1, 400)}`;
    if (r < 0.8) return `/products/${this.int(1, 250)}`;
    if (r < 0.9) return `/search?q=${this.pick(WORDS)}`;
    return this.pick(['/about', '/contact', '/rooms', '/prices']);
  }

  browser(): string {
    return this.rand() < 0.3 ? this.pick(MOBILE) : this.pick(BROWSERS);
  }

  add(label: Label, s: Generator<Request>, opts: { v6?: boolean; net?: string; family?: string; address?: string } = {}): Actor {
    const actor: Actor = { address: opts.address ?? this.address(opts.v6 ?? false, opts.net), label, ...(opts.family ? { family: opts.family } : {}) };
    this.actors.push(actor);
    this.streams.push([actor, s]);
    return actor;
  }

  /** One page view: the page, then (usually) its assets within a second or two, referred by the page. */
  *view(t: number, agent: string, target: string, referer: string, missing = false): Generator<Request> {
    yield { time: t, method: 'GET', target, status: missing ? 404 : 200, bytes: missing ? 512 : this.int(4000, 60000), referer, agent };
    if (missing || this.rand() >= 0.7) return;
    for (const asset of ASSETS.slice(0, this.int(1, ASSETS.length))) {
      t += this.int(0, 1) * 1000;
      yield { time: t, method: 'GET', target: asset, status: this.rand() < 0.3 ? 304 : 200, bytes: this.int(500, 90000), referer: this.site + target, agent };
    }
  }

  /** A browsing visitor: sessions of pages with their assets, pauses between pages and between sessions. */
  *visitor(budget: number, agent: string | (() => string), t0: number, span: number, pace: number, extra?: () => Request | null): Generator<Request> {
    let t = t0;
    let left = budget;
    const who = typeof agent === 'string' ? () => agent : agent;
    while (left > 0 && t < t0 + span) {
      const pages = this.int(1, 12);
      const a = who();
      for (let p = 0; p < pages && left > 0; p++) {
        if (this.rand() < 0.01 && left >= 2) {
          yield { time: t, method: 'GET', target: '/login', status: 200, bytes: 3100, referer: this.site + '/', agent: a };
          t += this.int(5, 20) * 1000;
          yield { time: t, method: 'POST', target: '/login', status: 302, bytes: 0, referer: this.site + '/login', agent: a };
          left -= 2;
          continue;
        }
        for (const r of this.view(t, a, this.page(), this.site + '/', this.rand() < 0.02)) {
          if (left <= 0) break;
          t = r.time;
          yield r;
          left--;
        }
        const more = extra?.();
        if (more && left > 0) {
          more.time = t + 500;
          more.agent = a;
          yield more;
          left--;
        }
        t += this.int(5, 120) * 1000 * pace;
      }
      t += this.int(10, 180) * 60000 * pace;
    }
  }

  *crawler(count: number, agent: string, t0: number): Generator<Request> {
    let t = t0;
    const step = (DAY - (t0 - this.start)) / count;
    for (let i = 0; i < count; i++) {
      const missing = this.rand() < 0.05;
      yield {
        time: t,
        method: 'GET',
        target: this.rand() < 0.05 ? '/robots.txt' : this.page(),
        status: missing ? 404 : 200,
        bytes: this.int(3000, 50000),
        referer: '-',
        agent,
      };
      t += Math.max(1000, Math.round(step * (0.5 + this.rand())));
    }
  }

  /** The same endpoint at a steady period all day (monitors, pollers, feed readers). */
  *periodic(t0: number, periodMs: number, jitterMs: number, make: (i: number) => Omit<Request, 'time'>): Generator<Request> {
    let i = 0;
    for (let t = t0; t < this.start + DAY; t += periodMs + this.int(0, jitterMs)) yield { time: t, ...make(i++) };
  }

  /** Requests at `perMinute` (each minute drawn around it) from t0 for `minutes`. */
  *paced(t0: number, minutes: number, perMinute: () => number, make: (t: number) => Request): Generator<Request> {
    for (let m = 0; m < minutes; m++) {
      const n = Math.max(1, Math.round(perMinute()));
      for (let k = 0; k < n; k++) yield make(t0 + m * 60000 + Math.floor(((k + this.rand() * 0.9) * 60000) / n));
    }
  }

  /** Cache-busting: a random query string on the same page. */
  buster(path: string): string {
    return `${path}?${Math.floor(this.rand() * 1e9).toString(36)}=${Math.floor(this.rand() * 1e6)}`;
  }
}

/** The scenario families: what each adds to the day. `size` scales the number of actors (1 = typical). */
export interface Family {
  readonly name: string;
  readonly attack: boolean;
  readonly description: string;
  /** The family makes the whole log: a day of only its actors, without the everyday traffic (see GenerateOptions.alone). */
  readonly alone?: boolean;
  add(w: World, size: number): void;
}

export const hour = 3_600_000;
