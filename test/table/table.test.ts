import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientTable } from '../../src/table/table.js';
import { DistinctSets } from '../../src/table/distinct.js';
import { FEATURES, featureValues } from '../../src/features/vector.js';
import { findFormat, type ClfFormat } from '../../src/logs/formats.js';
import { newRecord, parseClfLine, hashString } from '../../src/logs/parse.js';
import { canonicalAddress, clientKey } from '../../src/core/address.js';
import { seededRandom } from '../../src/core/random.js';

const combined = findFormat('combined') as ClfFormat;

function table(lines: string[], ipv6Prefix = 128) {
  const t = new ClientTable({ ipv6Prefix });
  const rec = newRecord();
  for (const l of lines) {
    const b = Buffer.from(l);
    assert.ok(parseClfLine(b, 0, b.length, combined, rec), l);
    t.add(rec, b, 0, b.length);
  }
  return t;
}

const at = (ip: string, hh: number, mm: number, ss: number, req = 'GET / HTTP/1.1', status = 200, ua = 'ua') =>
  `${ip} - - [10/Oct/2020:${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')} +0000] "${req}" ${status} 100 "-" "${ua}"`;

function features(t: ClientTable, key: string): Record<string, number> {
  const c = t.get(key);
  assert.ok(c, `client ${key} exists`);
  const v = featureValues(c!);
  return Object.fromEntries(FEATURES.map((f, i) => [f.name, v[i]!]));
}

test('aggregate: peak per minute, span and rate, tolerant of lines out of order', () => {
  const lines: string[] = [];
  for (let s = 0; s < 50; s++) lines.push(at('1.1.1.1', 10, 0, s));
  lines.push(at('1.1.1.1', 9, 59, 59)); // a straggler from the minute before
  for (let s = 0; s < 10; s++) lines.push(at('1.1.1.1', 10, 1, s));
  lines.push(at('1.1.1.1', 10, 0, 59)); // late line for the busy minute
  lines.push(at('1.1.1.1', 10, 9, 59));
  const f = features(table(lines), '1.1.1.1');
  assert.is(f.requests, 63);
  assert.is(f.peakPerMinute, 51);
  assert.is(f.activeSpanSeconds, 600);
  // 51 + 11 + 1 in the three minutes with requests, 62 of them in the first ten minutes.
  assert.is(f.perActiveMinute, 63 / 4);
  assert.is(f.peak10Minutes, 62);
  assert.is(f.peakHour, 63);
});

test('aggregate: the most requests in ten minutes and an hour slide over the minutes, exact across a split', () => {
  const lines: string[] = [];
  // 5 a minute from 10:00 to 10:29, then 40 in 10:45: the busiest ten minutes hold 50 (any ten of the first
  // thirty; 10:36-10:45 holds 40), the busiest hour holds all 190.
  for (let m = 0; m < 30; m++) for (let k = 0; k < 5; k++) lines.push(at('4.4.4.4', 10, m, k));
  for (let k = 0; k < 40; k++) lines.push(at('4.4.4.4', 10, 45, k));
  const whole = features(table(lines), '4.4.4.4');
  assert.is(whole.peak10Minutes, 50);
  assert.is(whole.peakHour, 190);
  const a = table(lines.filter((_, i) => i % 2 === 0));
  a.merge(table(lines.filter((_, i) => i % 2 === 1)));
  assert.equal(features(a, '4.4.4.4'), whole);
});

test('aggregate: shares of errors, POSTs, static assets, sensitive paths and unique queries', () => {
  const ip = '2.2.2.2';
  const lines = [
    at(ip, 1, 0, 0, 'GET /wp-login.php HTTP/1.1', 404),
    at(ip, 1, 0, 1, 'POST /wp-login.php HTTP/1.1', 200),
    at(ip, 1, 0, 2, 'GET /style.css HTTP/1.1', 200),
    at(ip, 1, 0, 3, 'GET /?a=1 HTTP/1.1', 503),
    at(ip, 1, 0, 4, 'GET /?a=2 HTTP/1.1', 200, 'other agent'),
    at(ip, 1, 0, 5, 'GET /.env HTTP/1.1', 403),
    at(ip, 1, 0, 6, 'PROPFIND / HTTP/1.1', 405),
    at(ip, 1, 0, 7, 'GET / HTTP/1.1', 200),
  ];
  const f = features(table(lines), ip);
  assert.is(f.requests, 8);
  assert.is(f.shareProbeErrors, 3 / 8);
  assert.is(f.share5xx, 1 / 8);
  assert.is(f.sharePost, 1 / 8);
  assert.is(f.shareStatic, 1 / 8);
  // Probing is failure: the login page answered 200 is no probe; its 404 and the refused .env are.
  assert.is(f.shareSensitiveFailed, 2 / 8);
  // The login form's POST answered 200 is the form shown again: a failed login; the refused .env an attempt refused.
  assert.is(f.shareAuthFails, 2 / 8);
  assert.is(f.shareUniqueQuery, 2 / 8);
  assert.is(f.shareOddMethod, 1 / 8);
  assert.is(f.agentRotation, 1 / 7);
  assert.is(f.shareReferer, 0);
  assert.is(f.distinctPaths, 4);
  assert.is(f.meanBytes, 100);
});

test('aggregate: sample lines prefer the ones that show intent, at most five', () => {
  const ip = '3.3.3.3';
  const lines = Array.from({ length: 20 }, (_, i) => at(ip, 2, 0, i, `GET /page${i} HTTP/1.1`));
  lines.push(at(ip, 2, 1, 0, 'GET /.git/config HTTP/1.1', 404));
  const c = table(lines).get(ip)!;
  assert.is(c.samples.length, 5);
  assert.match(c.samples[0]!, /\.git\/config/);
});

test('aggregate: IPv6 clients grouped by /64 on request; the same address in other spellings is one client', () => {
  const lines = [
    at('2001:db8:1:2::1', 1, 0, 0),
    at('2001:db8:1:2:0:0:0:2', 1, 0, 1),
    at('2001:0db8:0001:0002::1', 1, 0, 2),
    at('2001:db8:1:3::1', 1, 0, 3),
    at('::ffff:192.0.2.1', 1, 0, 4),
    at('192.0.2.1', 1, 0, 5),
  ];
  const per128 = table(lines);
  assert.equal(
    [...per128.clients()].map((c) => [c.key, c.requests]),
    [
      ['2001:db8:1:2::1', 2],
      ['2001:db8:1:2::2', 1],
      ['2001:db8:1:3::1', 1],
      ['192.0.2.1', 2],
    ],
  );
  const per64 = table(lines, 64);
  assert.equal(
    [...per64.clients()].map((c) => [c.key, c.requests]),
    [
      ['2001:db8:1:2::/64', 3],
      ['2001:db8:1:3::/64', 1],
      ['192.0.2.1', 2],
    ],
  );
});

test('aggregate: IPv6 read without strings counts each client as the general path would, whatever the spelling', () => {
  const random = seededRandom(21);
  const hex = (n: number) => n.toString(16);
  const spellings: string[] = [
    '::',
    '::1',
    '1::',
    'fe80::1%eth0',
    '::ffff:1.2.3.4',
    '::ffff:102:304',
    '1:2:3:4:5:6:7::8',
    ':1::2',
    '1::2:',
    '1:::2',
    '12345::1',
    'g::1',
  ];
  for (let i = 0; i < 3000; i++) {
    // Groups drawn so that runs of zeros, leading zeros and upper case all occur.
    const groups = Array.from({ length: 8 }, () => (random() < 0.35 ? 0 : Math.floor(random() * (random() < 0.5 ? 16 : 65536))));
    let text = groups.map((g) => (random() < 0.2 ? hex(g).padStart(4, '0') : hex(g))).join(':');
    if (random() < 0.6) {
      const from = Math.floor(random() * 8);
      const to = from + 1 + Math.floor(random() * (8 - from));
      const head = groups.slice(0, from).map(hex).join(':');
      const tail = groups.slice(to).map(hex).join(':');
      if (groups.slice(from, to).every((g) => g === 0) && to - from < 8) text = `${head}::${tail}`;
    }
    spellings.push(random() < 0.2 ? text.toUpperCase() : text);
  }
  for (const prefix of [128, 64, 48]) {
    const t = new ClientTable({ ipv6Prefix: prefix });
    const rec = newRecord();
    const want = new Map<string, number>();
    let bad = 0;
    for (const ip of spellings) {
      const canonical = canonicalAddress(ip);
      if (canonical === null) bad++;
      else {
        const key = clientKey(canonical, prefix);
        want.set(key, (want.get(key) ?? 0) + 1);
      }
      const b = Buffer.from(at(ip, 1, 0, 0));
      assert.ok(parseClfLine(b, 0, b.length, combined, rec), ip);
      t.add(rec, b, 0, b.length);
    }
    assert.equal(new Map(t.clients().map((c) => [c.key, c.requests])), want, `/${prefix}`);
    assert.is(t.badAddressLines, bad, `/${prefix}: lines with no address`);
  }
});

test('merge: a client with more requests than a count holds is refused, not wrapped round', () => {
  const big = table([at('192.0.2.7', 1, 0, 0)]).parts();
  big.counts[0] = 0xffffffff - 2;
  const merged = ClientTable.fromParts(big, { ipv6Prefix: 128 });
  merged.merge(table([at('192.0.2.7', 1, 0, 1), at('192.0.2.7', 1, 0, 2)]));
  assert.is(merged.get('192.0.2.7')!.requests, 0xffffffff);
  assert.throws(() => merged.merge(table([at('192.0.2.7', 1, 0, 3)])), /client 192\.0\.2\.7: over 4,294,967,295 requests/);
});

test('keys: 100,000 clients over several tables are each found on their own row; keys not seen are not found', () => {
  // IPv4 and IPv6 clients spread over three tables that share some of them, merged into a fourth.
  const addressOf = (i: number) =>
    i % 2 === 0 ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
  const parts = [0, 1, 2].map((p) => {
    const lines: string[] = [];
    for (let i = p * 30_000; i < p * 30_000 + 40_000; i++) lines.push(at(addressOf(i), 10, 0, 0));
    return table(lines);
  });
  const merged = new ClientTable({ ipv6Prefix: 128 });
  for (const t of parts) merged.merge(ClientTable.fromParts(t.parts(), { ipv6Prefix: 128 }));
  const expected = new Set<string>();
  for (let i = 0; i < 100_000; i++) expected.add(canonicalAddress(addressOf(i))!);
  assert.is(merged.size, expected.size);
  for (const [row, key] of merged.keys.entries()) {
    assert.ok(expected.has(key), key);
    if (merged.rowOf(key) !== row) assert.unreachable(`${key} found on row ${merged.rowOf(key)}, not ${row}`);
  }
  // Clients in two tables add up; the others do not.
  assert.is(merged.get(canonicalAddress(addressOf(35_000))!)!.requests, 2);
  assert.is(merged.get(canonicalAddress(addressOf(3))!)!.requests, 1);
  for (const absent of ['10.200.0.1', '2001:db8::ffff:ffff', '', '10.0.0.2 ']) assert.is(merged.rowOf(absent), -1, absent);
  // A table made from parts finds its keys too (its index is made when first asked).
  const loaded = ClientTable.fromParts(merged.parts(), { ipv6Prefix: 128 });
  for (const [row, key] of loaded.keys.entries()) if (loaded.rowOf(key) !== row) assert.unreachable(key);
});

test('aggregate: a client field that is not an address is rejected, not counted', () => {
  const t = new ClientTable({ ipv6Prefix: 128 });
  const rec = newRecord();
  const b = Buffer.from(at('host.example.com', 1, 0, 0));
  assert.ok(parseClfLine(b, 0, b.length, combined, rec));
  assert.is(t.add(rec, b, 0, b.length), false);
  assert.is(t.size, 0);
  assert.is(t.badAddressLines, 1);
});

test('distinct: exact for small sets, within 15% for large ones, and merges', () => {
  const sets = new DistinctSets(4);
  const [a, big, small] = [0, 1, 2];
  for (let i = 0; i < 50; i++) sets.add(a, hashString(`/p${i % 40}`));
  assert.is(sets.count(a), 40);
  const others = new DistinctSets(4);
  for (let i = 0; i < 20000; i++) {
    if (i % 2) sets.add(big, hashString(`/path/${i}`));
    else others.add(0, hashString(`/path/${i}`));
  }
  sets.mergeFrom(big, others, 0);
  const n = sets.count(big);
  assert.ok(Math.abs(n - 20000) / 20000 < 0.15, `estimated ${n}`);
  for (let i = 0; i < 10; i++) sets.add(small, hashString(`/path/${i}`));
  sets.mergeFrom(small, sets, a);
  assert.is(sets.count(small), 50);
  // Moved to another thread and back, the sets count the same.
  const back = DistinctSets.fromParts(sets.parts(3));
  assert.equal(
    [0, 1, 2].map((s) => back.count(s)),
    [0, 1, 2].map((s) => sets.count(s)),
  );
  // Moved sets are packed (values end to end): they grow again as tables, to a sketch past the exact limit.
  for (let i = 0; i < 10; i++) back.add(small, hashString(`/p${i}`));
  assert.is(back.count(small), 50, 'values already in the packed set are not counted again');
  for (let i = 50; i < 60; i++) back.add(small, hashString(`/p${i}`));
  assert.is(back.count(small), 60);
  for (let i = 60; i < 200; i++) back.add(small, hashString(`/p${i}`));
  assert.ok(Math.abs(back.count(small) - 190) / 190 < 0.15, `estimated ${back.count(small)}`);
  const into = new DistinctSets(4);
  into.mergeFrom(0, back, a);
  into.mergeFrom(1, back, a);
  into.add(1, hashString('/other'));
  into.mergeFrom(1, back, a);
  assert.equal([into.count(0), into.count(1)], [40, 41]);
  // A set as a version 2 table file wrote it (its open-addressing table of slots, not packed) is read as one.
  const v2 = new Int32Array(8);
  for (let i = 0; i < 3; i++) {
    const v = hashString(`/v2/${i}`);
    let slot = Math.imul(v, 0x9e3779b1) >>> 24;
    while (v2[slot & 7] !== 0) slot++;
    v2[slot & 7] = v;
  }
  const old = DistinctSets.fromParts({ ints: v2, off: Int32Array.of(0), cap: Int32Array.of(8), n: Int32Array.of(3), last: Int32Array.of(0) });
  into.mergeFrom(2, old, 0);
  into.mergeFrom(1, old, 0);
  old.add(0, hashString('/v2/1'));
  old.add(0, hashString('/v2/9'));
  assert.equal([into.count(2), into.count(1), old.count(0)], [3, 44, 4]);
  assert.is(DistinctSets.fromParts(old.parts(1)).count(0), 4);
});

test('table: merged in any split and order, every feature, sample and minute is what one pass gives', () => {
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) {
    const ip = ['6.6.6.6', '7.7.7.7', '2001:db8::1', '8.8.8.8'][i % 4]!;
    lines.push(at(ip, 3 + (i % 3), (i * 7) % 60, i % 60, `${i % 11 ? 'GET' : 'POST'} /p${i % 90}?q=${i % 70} HTTP/1.1`, i % 13 ? 200 : 404, `ua${i % 5}`));
  }
  const text = (t: ClientTable) =>
    t
      .clients()
      .sort((x, y) => (x.key < y.key ? -1 : 1))
      .map((c) => `${c.key} ${featureValues(c).join(',')} ${JSON.stringify(c.samples)} ${JSON.stringify([...(c.timeline?.rebin(1) ?? [])])}`)
      .join('\n');
  const whole = text(table(lines));
  for (const cut of [1, 150, 299, 599]) {
    const a = table(lines.slice(cut));
    a.merge(table(lines.slice(0, cut)));
    assert.fixture(text(a), whole, `cut at ${cut}`);
    const moved = ClientTable.fromParts(table(lines.slice(0, cut)).parts(), { ipv6Prefix: 128 });
    moved.merge(table(lines.slice(cut)));
    assert.fixture(text(moved), whole, `parts cut at ${cut}`);
  }
  assert.fixture(text(table([...lines].reverse())), whole);
});

test('aggregate: tables merge into the same features as one table', () => {
  const lines = Array.from({ length: 40 }, (_, i) => at(i % 2 ? '4.4.4.4' : '5.5.5.5', 3, i % 7, i, `GET /x${i % 9} HTTP/1.1`, i % 5 ? 200 : 404));
  const whole = table(lines);
  const left = table(lines.slice(0, 17));
  left.merge(table(lines.slice(17)));
  for (const ip of ['4.4.4.4', '5.5.5.5']) {
    const w = features(whole, ip);
    const m = features(left, ip);
    for (const name of ['requests', 'share404', 'distinctPaths', 'activeSpanSeconds']) assert.is(m[name], w[name], name);
  }
});

test('aggregate: X-Forwarded-For hops written with a port (ip:port, [v6]:port) name the client behind a trusted proxy', async () => {
  const { AddressSet } = await import('../../src/core/address.js');
  const proxies = new AddressSet();
  proxies.add('203.0.113.1', 'test');
  const t = new ClientTable({ ipv6Prefix: 128, trustedProxies: proxies });
  const rec = newRecord();
  for (const xff of ['198.51.100.7:5555', '[2001:db8::5]:443', '[2001:db8::6]', '198.51.100.8, 203.0.113.1:80', 'unknown', '198.51.100.9:99999x']) {
    const l = `${at('203.0.113.1', 10, 0, 0)} "${xff}"`;
    const b = Buffer.from(l);
    assert.ok(parseClfLine(b, 0, b.length, combined, rec), l);
    t.add(rec, b, 0, b.length);
  }
  assert.equal(
    t
      .clients()
      .map((c) => c.key)
      .sort(),
    ['198.51.100.7', '198.51.100.8', '2001:db8::5', '2001:db8::6', '203.0.113.1'],
  );
  assert.is(t.get('203.0.113.1')!.requests, 2, "the lines whose X-Forwarded-For is no use stay the proxy's");
});

test.run();
