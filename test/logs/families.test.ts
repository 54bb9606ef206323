import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { ATTACK_LABELS } from '../../src/eval/score.js';
import { MORE_FAMILIES } from '../../src/logs/families.js';
import { FAMILY_NAMES, generateLog, generateRequests, type Actor } from '../../src/logs/generate.js';
import { DAY, type Request } from '../../src/logs/world.js';

/** The kinds each family's actors are labelled with. */
const KINDS: Record<string, readonly string[]> = {
  'spa-api': ['spa'],
  webhooks: ['webhook'],
  'monitoring-fleet': ['monitor'],
  'wp-admins': ['admin', 'self'],
  'joomla-admin': ['admin'],
  'nextcloud-users': ['sync'],
  'shoppers-login': ['shopper'],
  'mobile-app': ['app'],
  'ci-artifacts': ['ci'],
  'link-previews': ['preview'],
  'own-infra': ['self'],
  'header-exploits': ['exploit'],
  'single-shot': ['exploit'],
  worm: ['exploit'],
  'lone-scanner': ['scan'],
  'browser-flood': ['flood'],
  'hidden-exploits': ['exploit'],
  'xmlrpc-brute': ['brute-force'],
  'token-stuffing': ['brute-force'],
};

const START = Date.UTC(2026, 2, 1) - 60 * 60000;
const opts = (family: string, seed: number) => ({ lines: 2000, clients: 30, attacks: false, seed, families: [family], familiesOnTop: true });

/** One generated day: every request with its actor, and the actors labelled. */
function day(family: string, seed: number): { requests: Array<[Actor, Request]>; actors: Actor[] } {
  const actors: Actor[] = [];
  return { requests: [...generateRequests(opts(family, seed), actors)], actors };
}

function digest(family: string, seed: number): string {
  const actors: Actor[] = [];
  const h = createHash('sha256');
  for (const line of generateLog(opts(family, seed), actors)) h.update(line).update('\n');
  return h.update(JSON.stringify(actors)).digest('hex');
}

/** Requests per address of the family's actors. */
function byAddress(requests: Array<[Actor, Request]>, family: string): Map<string, Request[]> {
  const m = new Map<string, Request[]>();
  for (const [a, r] of requests) if (a.family === family) m.set(a.address, [...(m.get(a.address) ?? []), r]);
  return m;
}

test('the new families are registered, each with a one-line description and the kinds it labels', () => {
  assert.equal(MORE_FAMILIES.map((f) => f.name).sort(), Object.keys(KINDS).sort());
  for (const f of MORE_FAMILIES) {
    assert.ok(FAMILY_NAMES.includes(f.name), f.name);
    assert.not.match(f.description, /\n/);
    assert.ok(f.description.length > 20, f.name);
    assert.is(
      f.attack,
      KINDS[f.name]!.every((k) => ATTACK_LABELS.has(k)),
      `${f.name}: attack families label attackers, benign ones none`,
    );
  }
  assert.is(
    MORE_FAMILIES.filter((f) => f.alone)
      .map((f) => f.name)
      .join(),
    'lone-scanner',
  );
});

for (const f of MORE_FAMILIES) {
  test(`${f.name}: generates, labels its actors as intended, in time order within the day`, () => {
    const { requests, actors } = day(f.name, 7);
    const mine = actors.filter((a) => a.family === f.name);
    assert.ok(mine.length > 0, 'no actors');
    for (const a of mine) assert.ok(KINDS[f.name]!.includes(a.label), `${a.address} labelled ${a.label}`);
    const seen = byAddress(requests, f.name);
    for (const a of mine) assert.ok(seen.has(a.address), `${a.address} (${a.label}) labelled but sends nothing`);
    let last = 0;
    for (const [a, r] of requests) {
      assert.ok(r.time >= last, `${a.family ?? a.label} ${r.target}: requests out of time order`);
      last = r.time;
      if (a.family !== f.name) continue;
      assert.ok(r.time >= START && r.time < START + DAY, `${new Date(r.time).toISOString()} outside the day`);
      assert.ok(!/\s/.test(r.target), `a space in the target ${r.target}`);
    }
    // Unique addresses: one label per address in the labels file.
    assert.is(new Set(actors.map((a) => a.address)).size, actors.length);
  });

  test(`${f.name}: deterministic for a seed, another seed another day`, () => {
    assert.is(digest(f.name, 11), digest(f.name, 11));
    assert.is.not(digest(f.name, 11), digest(f.name, 12));
  });
}

test('lone-scanner: the scanner is the only client, thousands of requests, mostly 404 (sqlmap: one page, answered)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const { requests, actors } = day('lone-scanner', seed);
    assert.is(actors.length, 1);
    assert.is(actors[0]!.label, 'scan');
    assert.ok(requests.length >= 2000, `${requests.length} requests`);
    const sqlmap = new Set(requests.slice(3).map(([, r]) => r.target.split('?')[0])).size === 1;
    assert.ok(sqlmap || requests.filter(([, r]) => r.status === 404).length > requests.length / 2);
  }
});

test('attack families: exploit senders send few requests, worms repeat, hidden exploits browse', () => {
  for (const seed of [1, 2]) {
    for (const list of byAddress(day('header-exploits', seed).requests, 'header-exploits').values()) {
      assert.ok(list.length >= 1 && list.length <= 4);
      assert.ok(list.some((r) => /jndi|\$\{|\(\) \{|SLEEP|sleep|<\?|script|\{\{/.test(r.agent + r.referer + decodeURIComponent(r.target))));
    }
    for (const list of byAddress(day('single-shot', seed).requests, 'single-shot').values()) assert.ok(list.length <= 2);
    for (const list of byAddress(day('worm', seed).requests, 'worm').values()) {
      assert.ok(list.length >= 5 && list.length <= 40, `${list.length}`);
      assert.ok(new Set(list.map((r) => r.target)).size === 1 || list[0]!.target.includes('root.exe'));
    }
    for (const list of byAddress(day('hidden-exploits', seed).requests, 'hidden-exploits').values()) {
      const probes = list.filter((r) => /[?&]\w+(\[\$ne\])?=.*(%27|'|%3C|\.\.|%7B|%24|%0d|evil|%60|%3B|\$ne)/i.test(r.target));
      assert.ok(probes.length >= 3 && probes.length <= 10, `${probes.length} probes`);
      assert.ok(list.length > probes.length * 2, 'browses in between');
    }
  }
});

test('browser-flood: each member loads pages with assets at 60 a minute and more, the site failing with 5xx', () => {
  const members = byAddress(day('browser-flood', 5).requests, 'browser-flood');
  assert.ok(members.size >= 10);
  let failed = 0;
  for (const list of members.values()) {
    const minutes = new Map<number, number>();
    for (const r of list) minutes.set(Math.floor(r.time / 60000), (minutes.get(Math.floor(r.time / 60000)) ?? 0) + 1);
    assert.ok(Math.max(...minutes.values()) >= 50);
    assert.ok(list.some((r) => r.target.startsWith('/static/')));
    failed += list.filter((r) => r.status >= 502).length;
  }
  assert.ok(failed > 0);
});

test('benign families: webhooks post to one path, a monitoring fleet shares one agent from many regions', () => {
  for (const list of byAddress(day('webhooks', 4).requests, 'webhooks').values()) {
    assert.ok(list.every((r) => r.method === 'POST'));
    assert.is(new Set(list.map((r) => r.target)).size, 1);
  }
  const fleet = byAddress(day('monitoring-fleet', 4).requests, 'monitoring-fleet');
  assert.ok(fleet.size >= 10 && fleet.size <= 25);
  assert.is(new Set([...fleet.values()].flatMap((l) => l.map((r) => r.agent))).size, 1);
  const wp = day('wp-admins', 4);
  const admin = [...byAddress(wp.requests, 'wp-admins').entries()].find(([a]) => wp.actors.find((x) => x.address === a)?.label === 'admin')![1];
  assert.ok(admin.filter((r) => r.method === 'POST' && r.target === '/wp-admin/admin-ajax.php').length > 20, 'the Heartbeat');
});

test.run();
