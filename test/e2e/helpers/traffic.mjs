// Traffic generators for the end-to-end test, run inside a lab namespace:
//   node traffic.mjs visitor http://host/ [A]  a person: pages, their assets, pauses (from local address A)
//   node traffic.mjs flood   http://host/ [N [R]]  HULK: the front page with random query strings and agents, 10 at
//                                          a time, N requests (600), at most R a second (no limit)
//   node traffic.mjs scan    http://host/   an admin-path scanner
//   node traffic.mjs get     http://host/   one request; prints the status or the error, exits 0 on 200
//   node traffic.mjs botnet  http://host/ A,B,...  a distributed flood: from each local address A, B... 60 requests
//                                          with random queries, none a flood alone
//   node traffic.mjs getfrom http://host/ A        one request from local address A, as get
// Every loop is bounded in count and time.
import http from 'node:http';

const [mode, base] = process.argv.slice(2);
const deadline = Date.now() + 30_000;
const agents = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh) Safari/605.1.15',
];

function get(path, agent, timeout = 3000, localAddress = undefined, referer = undefined) {
  return new Promise((resolve) => {
    const headers = { 'User-Agent': agent, ...(referer ? { Referer: referer } : {}) };
    const req = http.get(new URL(path, base), { headers, timeout, agent: false, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(e.message));
  });
}
// The botnet's one agent (none of the visitors' agents).
const BOT_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (mode === 'get') {
  const s = await get('/', agents[0], 2000);
  console.log(s);
  process.exit(s === 200 ? 0 : 1);
} else if (mode === 'getfrom') {
  const s = await get('/', agents[0], 2000, process.argv[4]);
  console.log(s);
  process.exit(s === 200 ? 0 : 1);
} else if (mode === 'botnet') {
  const bots = process.argv[4].split(',');
  await Promise.all(
    bots.map(async (from, b) => {
      for (let i = 0; i < 60 && Date.now() < deadline; i++) {
        await get(`/?${Math.random().toString(36).slice(2, 8)}=${b * 1000 + i}`, BOT_AGENT, 3000, from);
        await sleep(100);
      }
    }),
  );
} else if (mode === 'visitor') {
  const agent = agents[Math.floor(Math.random() * agents.length)];
  const from = process.argv[4];
  let last;
  for (const page of ['/', '/about.html', '/blog/1.html', '/', '/contact.html', '/blog/2.html']) {
    if (Date.now() > deadline) break;
    // As a browser does: the assets with the page as referer, the next page with the last one.
    await get(page, agent, 3000, from, last);
    for (const asset of ['/style.css', '/app.js', '/logo.png']) await get(asset, agent, 3000, from, new URL(page, base).href);
    last = new URL(page, base).href;
    await sleep(200 + Math.random() * 500);
  }
} else if (mode === 'flood') {
  let sent = 0;
  const total = Number(process.argv[4] ?? 600);
  const perSecond = Number(process.argv[5] ?? 0);
  const began = Date.now();
  const worker = async () => {
    while (sent < total && Date.now() < deadline) {
      if (perSecond > 0 && sent >= ((Date.now() - began) / 1000) * perSecond) {
        await sleep(5);
        continue;
      }
      sent++;
      const q = Math.random().toString(36).slice(2, 10);
      await get(`/?${q}=${Math.floor(Math.random() * 1e6)}`, `${agents[sent % agents.length]} ${Math.random().toString(36).slice(2, 6)}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
} else if (mode === 'scan') {
  const paths = [
    '/.env',
    '/.git/config',
    '/wp-login.php',
    '/wp-admin/',
    '/administrator/',
    '/phpmyadmin/',
    '/admin/',
    '/config.php',
    '/backup.sql',
    '/server-status',
    '/.aws/credentials',
    '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  ];
  for (let i = 0; i < 60 && Date.now() < deadline; i++) await get(`${paths[i % paths.length]}${i >= paths.length ? `?v=${i}` : ''}`, 'python-requests/2.31.0');
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
