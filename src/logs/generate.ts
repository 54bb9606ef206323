/**
 * A generator of labelled synthetic access logs in combined format, of any size, deterministic for a seed.
 * Every actor (visitor, crawler, attacker) is a stream of timed requests; a heap merges them in time order,
 * so memory grows with the number of actors, not lines.
 *
 * Actors: normal visitors (browsing sessions with page assets, pauses, the odd 404 or login), crawlers (a
 * steady pace over the whole day), one very heavy but normal client (an office behind NAT), and unless
 * disabled: HULK-style floods (random query strings and agents), admin-path scanners and a login brute force.
 */
import { seededRandom } from '../detect/cluster.js';

export type ActorLabel = 'normal' | 'crawler' | 'heavy' | 'flood' | 'scanner' | 'bruteforce';

export interface GenerateOptions {
  readonly lines: number;
  readonly clients: number;
  readonly attacks: boolean;
  readonly seed: number;
  /** Start of the day the log covers (ms since the epoch). */
  readonly start?: number;
  /** Zone offset written in timestamps, minutes east of UTC. */
  readonly tzOffset?: number;
}

export interface Actor {
  readonly address: string;
  readonly label: ActorLabel;
}

interface Request {
  time: number;
  method: string;
  target: string;
  status: number;
  bytes: number;
  referer: string;
  agent: string;
}

type Stream = Iterator<Request>;

const DAY = 86_400_000;
const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
];
const CRAWLERS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
];
const ASSETS = ['/static/css/site.css', '/static/js/app.js', '/static/js/vendor.js', '/favicon.ico', '/static/fonts/inter.woff2'];
const WORDS = ['alpine', 'hut', 'booking', 'summer', 'winter', 'ski', 'hike', 'menu', 'rooms', 'price'];
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

export function* generateRequests(opts: GenerateOptions, actors: Actor[]): Generator<[Actor, Request]> {
  const rand = seededRandom(opts.seed);
  const start = opts.start ?? Date.UTC(2026, 2, 1) - (opts.tzOffset ?? 60) * 60000;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const used = new Set<string>();
  const address = (v6: boolean): string => {
    for (;;) {
      const a = v6
        ? `2001:db8:${int(1, 0xffff).toString(16)}:${int(0, 0xffff).toString(16)}::${int(1, 0xffff).toString(16)}`
        : `${int(11, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
      if (!a.startsWith('127.') && !used.has(a)) {
        used.add(a);
        return a;
      }
    }
  };
  const page = (): string => {
    const r = rand();
    if (r < 0.15) return '/';
    if (r < 0.55) return `/blog/post-${int(1, 400)}`;
    if (r < 0.8) return `/products/${int(1, 250)}`;
    if (r < 0.9) return `/search?q=${pick(WORDS)}`;
    return pick(['/about', '/contact', '/rooms', '/prices']);
  };
  const site = 'https://www.example.org';

  // A browsing visitor: sessions of pages, each followed by its assets within a second or two.
  function* visitor(budget: number, agent: string, t0: number, span: number, pace: number): Generator<Request> {
    let t = t0;
    let left = budget;
    while (left > 0 && t < t0 + span) {
      const pages = int(1, 12);
      for (let p = 0; p < pages && left > 0; p++) {
        const target = page();
        const missing = rand() < 0.02;
        const r = rand();
        if (r < 0.01) {
          yield { time: t, method: 'GET', target: '/login', status: 200, bytes: 3100, referer: site + '/', agent };
          t += int(5, 20) * 1000;
          yield { time: t, method: 'POST', target: '/login', status: 302, bytes: 0, referer: site + '/login', agent };
          left -= 2;
          continue;
        }
        yield { time: t, method: 'GET', target, status: missing ? 404 : 200, bytes: missing ? 512 : int(4000, 60000), referer: site + '/', agent };
        left--;
        if (!missing && rand() < 0.7) {
          for (const asset of ASSETS.slice(0, int(1, ASSETS.length))) {
            if (left <= 0) break;
            t += int(0, 1) * 1000;
            yield { time: t, method: 'GET', target: asset, status: rand() < 0.3 ? 304 : 200, bytes: int(500, 90000), referer: site + target, agent };
            left--;
          }
        }
        t += int(5, 120) * 1000 * pace;
      }
      t += int(10, 180) * 60000 * pace;
    }
  }

  function* crawler(count: number, agent: string, t0: number): Generator<Request> {
    let t = t0;
    const step = (DAY - (t0 - start)) / count;
    for (let i = 0; i < count; i++) {
      const missing = rand() < 0.05;
      yield {
        time: t,
        method: 'GET',
        target: rand() < 0.05 ? '/robots.txt' : page(),
        status: missing ? 404 : 200,
        bytes: int(3000, 50000),
        referer: '-',
        agent,
      };
      t += Math.max(1000, Math.round(step * (0.5 + rand())));
    }
  }

  function* flood(count: number, t0: number): Generator<Request> {
    // HULK: the same page with a random query string and a random agent, as fast as the server answers.
    let t = t0;
    for (let i = 0; i < count; i++) {
      const q = Math.floor(rand() * 1e9).toString(36);
      yield {
        time: Math.round(t),
        method: 'GET',
        target: `/?${q}=${Math.floor(rand() * 1e6)}`,
        status: rand() < 0.1 ? 503 : 200,
        bytes: int(0, 6000),
        referer: `http://www.google.com/?q=${q}`,
        agent: pick(BROWSERS) + ` r${int(1, 999)}`,
      };
      t += 60000 / int(400, 900);
    }
  }

  function* scanner(count: number, t0: number): Generator<Request> {
    let t = t0;
    const agent = pick(['Mozilla/5.0 zgrab/0.x', 'python-requests/2.31.0', 'Mozilla/5.0 (compatible; Nmap Scripting Engine)']);
    for (let i = 0; i < count; i++) {
      const base = SCAN_PATHS[i % SCAN_PATHS.length]!;
      const target = i < SCAN_PATHS.length ? base : `${base}${i}`;
      yield { time: t, method: 'GET', target, status: rand() < 0.9 ? 404 : 403, bytes: 196, referer: '-', agent };
      t += int(100, 2000);
    }
  }

  function* bruteForce(count: number, t0: number): Generator<Request> {
    let t = t0;
    for (let i = 0; i < count; i++) {
      if (i % 25 === 0) yield { time: t, method: 'GET', target: '/wp-login.php', status: 200, bytes: 4800, referer: '-', agent: BROWSERS[0]! };
      yield { time: t, method: 'POST', target: '/wp-login.php', status: 200, bytes: 4950, referer: `${site}/wp-login.php`, agent: BROWSERS[0]! };
      t += int(5, 30) * 1000;
    }
  }

  const streams: Array<[Actor, Stream]> = [];
  const add = (label: ActorLabel, v6: boolean, s: Generator<Request>) => {
    const actor = { address: address(v6), label };
    actors.push(actor);
    streams.push([actor, s]);
  };
  const scale = Math.max(0.05, Math.min(1, opts.lines / 20000));
  let reserved = 0;
  if (opts.attacks) {
    for (let i = 0; i < 2; i++) {
      const n = Math.round(int(1500, 3000) * scale);
      reserved += n;
      add('flood', i === 1, flood(n, start + int(2, 20) * 3_600_000));
    }
    for (let i = 0; i < 2; i++) {
      const n = Math.max(40, Math.round(int(150, 300) * scale));
      reserved += n;
      add('scanner', false, scanner(n, start + int(1, 22) * 3_600_000));
    }
    const n = Math.max(40, Math.round(400 * scale));
    reserved += n;
    add('bruteforce', false, bruteForce(n, start + int(1, 18) * 3_600_000));
  }
  for (const agent of CRAWLERS) {
    const n = Math.round(int(300, 800) * scale);
    reserved += n;
    add('crawler', false, crawler(n, agent, start + int(0, 3_600_000)));
  }
  // An office behind NAT: many people, many assets, all day, but no one minute looks like a flood.
  const heavy = Math.round(4000 * scale);
  reserved += heavy;
  add('heavy', false, visitor(heavy, BROWSERS[2]!, start + 7 * 3_600_000, 11 * 3_600_000, 0.1));
  const perVisitor = Math.max(1, (opts.lines - reserved) / Math.max(1, opts.clients));
  for (let i = 0; i < opts.clients; i++) {
    const budget = Math.max(1, Math.round(perVisitor * (0.3 + 1.4 * rand())));
    add('normal', rand() < 0.1, visitor(budget, pick(BROWSERS), start + Math.floor(rand() * DAY * 0.9), DAY, 1));
  }

  // Merge the streams in time order with a binary heap keyed by each stream's next request time.
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
    yield `${actor.address} - - [${stamp}] "${r.method} ${r.target} HTTP/1.1" ${r.status} ${r.bytes} "${r.referer}" "${r.agent}"`;
  }
}
