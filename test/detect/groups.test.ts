import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDetect } from '../../src/commands/detect.js';
import { runGenerate } from '../../src/commands/generate.js';
import { FIRST_FAMILY_NAMES } from '../../src/logs/generate.js';
import { parseLabels } from '../../src/eval/score.js';
import { overlaps } from '../../src/core/address.js';
import { DATASETS, memoryIo, needing, ROOT, tempDir } from '../helpers/index.js';

const ATTACKS = ['flood', 'scan', 'brute-force'];

async function scenario(family: string, seed: number, extra: Record<string, unknown> = {}, lines = 20000) {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const { actors } = await runGenerate(
    { out: log, lines, clients: Math.round(lines / 65), attacks: false, seed, families: [family], familiesOnTop: true, quiet: true },
    memoryIo(),
  );
  const out = join(dir, 'out');
  const o = await runDetect({ inputs: [log], out, quiet: true, report: false, ...extra }, memoryIo());
  const blocklist = readFileSync(join(out, 'blocklist.txt'), 'utf8').split('\n').filter(Boolean);
  const verdicts = JSON.parse(readFileSync(join(out, 'verdicts.json'), 'utf8'));
  const attackers = actors.filter((a) => ATTACKS.includes(a.label)).map((a) => a.address);
  return { ...o, log, actors, attackers, blocklist, verdicts };
}

for (const seed of [1, 2]) {
  test(`a distributed flood (seed ${seed}) is flagged as one group: every member, its window and its combined rate`, async () => {
    const { attackers, blocklist, verdicts } = await scenario('distributed-flood', seed);
    assert.ok(attackers.length >= 20, `${attackers.length} bots`);
    assert.equal([...blocklist].sort(), [...attackers].sort(), 'the bots and no one else');
    const flood = verdicts.groups.filter((g: { flagged: boolean }) => g.flagged);
    assert.is(flood.length, 1, JSON.stringify(verdicts.groups.map((g: { id: string; size: number }) => [g.id, g.size])));
    const g = flood[0];
    assert.is(g.kind, 'flood');
    assert.equal([...g.members].sort(), [...attackers].sort());
    assert.match(g.window.first, /^2026-03-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    assert.ok(g.window.last > g.window.first);
    // The combined rate is far above what any one member does, and above the site's normal rate.
    const memberPeak = Math.max(...verdicts.flagged.map((f: { features: { peakPerMinute: number } }) => f.features.peakPerMinute));
    assert.ok(g.peakPerMinute > 5 * memberPeak, `group ${g.peakPerMinute}/min, busiest member ${memberPeak}/min`);
    assert.ok(g.timesSiteRate > 2, `${g.timesSiteRate}× the site's mean`);
    assert.ok(
      g.shared.some((s: { feature: string }) => s.feature === 'shareUniqueQuery'),
      `the members share cache-busting queries: ${JSON.stringify(g.shared)}`,
    );
    for (const f of verdicts.flagged) {
      assert.is(f.group, g.id, `${f.address} names its group`);
      assert.ok(
        f.reasons.some((r: string) => r.includes(`member of group ${g.id}`)),
        f.reasons.join(' | '),
      );
    }
  });
}

test("a botnet that outnumbers the site's visitors is still measured against the site's normal traffic", async () => {
  // 100 visitors, about 150 bots arriving within ninety seconds: the median client would be a bot, were the
  // baseline not weighed by time.
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const { actors } = await runGenerate(
    { out: log, lines: 20000, clients: 100, attacks: false, seed: 2, families: ['distributed-flood'], familiesOnTop: true, quiet: true },
    memoryIo(),
  );
  const bots = actors.filter((a) => a.label === 'flood').map((a) => a.address);
  assert.ok(bots.length > actors.length / 2, `${bots.length} bots of ${actors.length} clients`);
  const { result } = await runDetect({ inputs: [log], out: join(dir, 'out'), quiet: true, report: false }, memoryIo());
  assert.equal([...result.blocklist].sort(), [...bots].sort());
});

for (const onTop of [true, false]) {
  // On top of 40,000 everyday lines, or within 40,000 lines in all (the attacks then outweigh the visitors,
  // most of whom make one request: the median client is a one-request visitor).
  test(`a busy day (${onTop ? 'families on top of the everyday traffic' : 'attacks outweighing it'}): a flash crowd, a botnet and a login run in the same hours stay apart`, async () => {
    const dir = tempDir();
    const log = join(dir, 'access.log');
    const { actors } = await runGenerate(
      { out: log, lines: 40000, clients: 600, attacks: false, seed: 1, families: FIRST_FAMILY_NAMES, familiesOnTop: onTop, quiet: true },
      memoryIo(),
    );
    const { result } = await runDetect({ inputs: [log], out: join(dir, 'out'), quiet: true, report: false }, memoryIo());
    const label = new Map(actors.map((a) => [a.address, a.label]));
    const attackers = actors.filter((a) => ATTACKS.includes(a.label));
    const caught = attackers.filter((a) => result.blocklist.includes(a.address));
    assert.ok(caught.length >= 0.95 * attackers.length, `${caught.length} of ${attackers.length}`);
    assert.equal(
      result.blocklist.filter((a) => !ATTACKS.includes(label.get(a)!)),
      [],
      'no benign client blocked',
    );
    for (const g of result.groups) {
      const labels = new Set(g.members.map((m) => label.get(m)));
      // An abusive group holds one kind of attacker; a crowd left alone holds people only.
      if (g.flagged) assert.is(labels.size, 1, `${g.id} (${g.kind}) holds one kind of client: ${[...labels].join(', ')}`);
      else
        assert.not.ok(
          [...labels].some((l) => ATTACKS.includes(l!)),
          `${g.id} (${g.kind}) holds no attacker: ${[...labels].join(', ')}`,
        );
    }
    assert.ok(result.groups.some((g) => g.kind === 'flood' && g.flagged));
    assert.ok(result.groups.some((g) => g.kind === 'brute-force' && g.flagged));
  });
}

test('a flash crowd is not flagged: it is reported as a crowd, left alone, with why', async () => {
  const { actors, blocklist, verdicts } = await scenario('flash-crowd', 3);
  assert.ok(actors.filter((a) => a.label === 'crowd').length >= 40);
  assert.equal(blocklist, []);
  const crowds = verdicts.groups.filter((g: { kind: string }) => g.kind === 'crowd');
  assert.ok(crowds.length >= 1, JSON.stringify(verdicts.groups));
  assert.not.ok(crowds[0].flagged);
  assert.match(crowds[0].reason, /browse like people/);
});

test('a credential-stuffing run over many addresses is one brute-force group', async () => {
  const { attackers, blocklist, verdicts } = await scenario('credential-stuffing', 4);
  const missed = attackers.filter((a) => !blocklist.includes(a));
  assert.ok(missed.length <= attackers.length * 0.05, `missed ${missed.length} of ${attackers.length}`);
  assert.equal(
    blocklist.filter((a) => !attackers.includes(a)),
    [],
  );
  assert.ok(
    verdicts.groups.some((g: { kind: string; flagged: boolean; size: number }) => g.kind === 'brute-force' && g.flagged && g.size >= attackers.length * 0.8),
  );
});

test('--group-prefix lists a network whole when every client seen in it is in the abusive group', async () => {
  const { attackers, blocklist, result } = await scenario('distributed-flood', 1, { groups: { prefix: 24 } });
  const nets = blocklist.filter((e) => e.includes('/'));
  assert.ok(nets.length > 0, 'some /24 is listed whole');
  for (const n of nets) {
    assert.match(n, /\/24$/);
    const inside = result.clients.filter((c) => overlaps(n, c.address));
    assert.ok(inside.length >= 2);
    for (const c of inside) assert.ok(attackers.includes(c.address), `${c.address} in ${n} is a bot`);
    assert.not.ok(
      blocklist.some((a) => !a.includes('/') && overlaps(n, a)),
      `no member of ${n} listed besides it`,
    );
  }
  // Every bot is covered, by its address or its network.
  for (const a of attackers) assert.ok(blocklist.includes(a) || nets.some((n) => overlaps(n, a)), a);
});

test('slow floods, throttled payload scanners and the benign-hard kinds: caught and spared', async () => {
  for (const [family, seed] of [
    ['slow-flood', 5],
    ['slow-scan', 6],
  ] as const) {
    const { attackers, blocklist } = await scenario(family, seed);
    assert.equal([...blocklist].sort(), [...attackers].sort(), family);
  }
  for (const family of ['monitors', 'crawlers', 'touch-icons', 'office-nat', 'api-pollers', 'feed-readers', 'cdn-proxy']) {
    const { blocklist, actors } = await scenario(family, 7);
    assert.ok(
      actors.some((a) => a.family === family),
      family,
    );
    assert.equal(blocklist, [], `${family}: nobody blocked`);
  }
});

test('--trusted-proxy: lines from a CDN are judged as the clients X-Forwarded-For names', async () => {
  const plain = await scenario('cdn-proxy', 8);
  const proxies = plain.actors.filter((a) => a.label === 'proxy').map((a) => a.address);
  assert.ok(proxies.length >= 2);
  for (const p of proxies)
    assert.ok(
      plain.result.clients.some((c) => c.address === p && c.requests > 100),
      `${p} is a busy client without the option`,
    );
  const behind = await scenario('cdn-proxy', 8, { trustedProxy: ['198.51.100.0/24'] });
  const keys = new Set(behind.result.clients.map((c) => c.address));
  for (const p of proxies) assert.not.ok(keys.has(p), `${p} is no client with the option`);
  assert.ok(behind.result.clients.length > plain.result.clients.length + 50, 'the visitors behind it are');
  const forwarded = readFileSync(behind.log, 'utf8')
    .split('\n')
    .filter((l) => proxies.some((p) => l.startsWith(`${p} `)))
    .map((l) => /"([^"]+)"$/.exec(l)![1]!);
  for (const real of forwarded.slice(0, 50)) assert.ok(keys.has(real), `${real} is a client`);
  assert.equal(behind.verdicts.parameters.trustedProxies, ['198.51.100.0/24']);
  assert.is(
    behind.result.clients.reduce((s, c) => s + c.requests, 0),
    plain.result.clients.reduce((s, c) => s + c.requests, 0),
    'every line still counted once',
  );
});

const almTest = needing(test, join(DATASETS, 'almhuette-raith-2019/access.log'));

almTest('shared real logs: the labelled attackers of almhuette are found, its iPhones and the webshell botnet judged right', async () => {
  const out = tempDir();
  const { result } = await runDetect({ inputs: [join(DATASETS, 'almhuette-raith-2019/access.log')], out, quiet: true, report: false }, memoryIo());
  const labels = parseLabels(readFileSync(join(ROOT, 'test/fixtures/labels/almhuette-raith-2019.csv'), 'utf8'), 'labels');
  const flagged = new Set(result.blocklist);
  for (const a of ['193.106.31.130', '52.143.180.25', '198.38.84.230']) assert.ok(flagged.has(a), `${a} flagged`);
  const kinds = new Map(result.flagged.map((f) => [f.address, f.kinds]));
  assert.ok(kinds.get('52.143.180.25')!.includes('brute-force'));
  for (const a of ['91.113.11.120', '213.225.37.84']) assert.not.ok(flagged.has(a), `${a} (an iPhone asking for touch icons) not flagged`);
  // Labelled benign: none flagged.
  for (const l of labels) if (!ATTACKS.includes(l.label)) assert.not.ok(flagged.has(l.address), `${l.address} (${l.label})`);
  // The web-shell botnet (referer http://site.ru): a scan group whose members are all labelled scanners.
  const scanLabel = new Set(labels.filter((l) => l.label === 'scan').map((l) => l.address));
  const g = result.groups.find((x) => x.kind === 'scan' && x.flagged);
  assert.ok(g && g.size >= 70, JSON.stringify(result.groups.map((x) => [x.id, x.kind, x.size])));
  for (const m of g!.members) assert.ok(scanLabel.has(m), `${m} is one of the botnet's`);
});

test('a slow botnet with one rare agent is one group over days; visitors sharing a common agent are not', async () => {
  const dir = tempDir();
  const lines: string[] = [];
  const stamp = (day: number, minute: number) =>
    `${String(10 + day).padStart(2, '0')}/Oct/2026:${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00 +0000`;
  const chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
  // 300 visitors with one common agent over three days; 40 of them also hit a missing page once.
  for (let v = 0; v < 300; v++) {
    const ip = `198.51.${Math.floor(v / 250)}.${(v % 250) + 1}`;
    const t = (v * 13) % (3 * 1440);
    for (let k = 0; k < 6; k++)
      lines.push(
        `${ip} - - [${stamp(Math.floor(t / 1440), (t % 1440) + k)}] "GET /page/${(v + k) % 40} HTTP/1.1" 200 5000 "https://www.example.org/" "${chrome}"`,
      );
    if (v % 7 === 0) lines.push(`${ip} - - [${stamp(Math.floor(t / 1440), (t % 1440) + 7)}] "GET /old-page HTTP/1.1" 404 200 "-" "${chrome}"`);
  }
  // 40 bots, one or two web-shell probes each, hours apart, all with one old agent nobody else sends.
  const bots: string[] = [];
  for (let b = 0; b < 40; b++) {
    const ip = `203.0.113.${b + 1}`;
    bots.push(ip);
    const t = (b * 97) % (3 * 1440);
    for (let k = 0; k <= b % 2; k++)
      lines.push(
        `${ip} - - [${stamp(Math.floor(t / 1440), (t % 1440) + k)}] "GET /wp-shell-${b}.php HTTP/1.1" 404 210 "http://bad.example" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"`,
      );
  }
  writeFileSync(join(dir, 'access.log'), `${lines.join('\n')}\n`);
  const { result } = await runDetect({ inputs: [join(dir, 'access.log')], out: join(dir, 'out'), quiet: true, report: false }, memoryIo());
  assert.equal([...result.blocklist].sort(), [...bots].sort());
  assert.is(result.groups.length, 1);
  assert.is(result.groups[0]!.kind, 'scan');
  assert.is(result.groups[0]!.size, 40);
});

test('shared real logs: honeynet flooders found; elastic-apache flags at most five and never Googlebot', async () => {
  const hn = await runDetect({ inputs: [join(DATASETS, 'honeynet-2004/access_log.combined')], out: tempDir(), quiet: true, report: false }, memoryIo());
  const labels = parseLabels(readFileSync(join(ROOT, 'test/fixtures/labels/honeynet-2004.csv'), 'utf8'), 'labels');
  assert.is(labels.length, 10);
  for (const l of labels) assert.ok(hn.result.blocklist.includes(l.address), `${l.address} flagged`);
  const el = await runDetect({ inputs: [join(DATASETS, 'elastic-apache/apache_logs.log')], out: tempDir(), quiet: true, report: false }, memoryIo());
  assert.ok(el.result.blocklist.length <= 5, el.result.blocklist.join(' '));
  const google = parseLabels(readFileSync(join(ROOT, 'test/fixtures/labels/elastic-apache.csv'), 'utf8'), 'labels');
  assert.ok(google.some((l) => l.address === '66.249.73.135'));
  for (const l of google) assert.not.ok(el.result.blocklist.includes(l.address), l.address);
});

test('groups and verdicts are the same whatever the thread count, file split, compression or order', async () => {
  const { log, result } = await scenario('distributed-flood', 9);
  const { gzipSync } = await import('node:zlib');
  const { writeFileSync: write, readFileSync: read } = await import('node:fs');
  const dir = tempDir();
  const lines = read(log, 'utf8').trimEnd().split('\n');
  // The log cut in three, in reverse order, one part gzipped, read with two threads.
  const third = Math.ceil(lines.length / 3);
  const parts = [0, 1, 2].map((k) => `${lines.slice(k * third, (k + 1) * third).join('\n')}\n`);
  write(join(dir, 'c.log'), parts[0]!);
  write(join(dir, 'b.log.gz'), gzipSync(parts[1]!));
  write(join(dir, 'a.log'), parts[2]!);
  const other = await runDetect(
    { inputs: [join(dir, 'a.log'), join(dir, 'b.log.gz'), join(dir, 'c.log')], out: join(dir, 'out'), quiet: true, report: false, threads: 2 },
    memoryIo(),
  );
  assert.equal(other.result.blocklist, result.blocklist);
  assert.equal(
    other.result.groups.map((g) => ({ ...g })),
    result.groups.map((g) => ({ ...g })),
  );
  assert.equal(
    other.result.flagged.map((f) => [f.address, f.kinds, f.reasons, f.group]),
    result.flagged.map((f) => [f.address, f.kinds, f.reasons, f.group]),
  );
});

test.run();
