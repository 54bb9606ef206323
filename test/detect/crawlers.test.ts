/**
 * Search crawlers verified by their published ranges, fakes recorded (and flagged on request), and the ranges
 * refreshed from where they are published (a local HTTP server stands in for Google's).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/index.js';

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

function stamp(minute: number, second: number): string {
  return `07/Dec/2026:${String(10 + Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:${String(second).padStart(2, '0')} +0000`;
}

/**
 * A day of 60 visitors, and three clients naming Googlebot: one from Google's published ranges fetching fast
 * (1,200 pages in four minutes, a fresh query on each: what a flood looks like), the same from outside the
 * ranges, and a polite fake (40 pages over the day).
 */
function log(dir: string): string {
  const lines: string[] = [];
  for (let v = 0; v < 60; v++)
    for (let k = 0; k < 12; k++)
      lines.push(`192.0.2.${v + 1} - - [${stamp(v * 5 + k, 0)}] "GET /page/${k} HTTP/1.1" 200 5000 "https://www.example.org/" "${CHROME}"`);
  for (const ip of ['66.249.66.1', '203.0.113.66'])
    for (let i = 0; i < 1200; i++)
      lines.push(`${ip} - - [${stamp(100 + Math.floor(i / 300), i % 60)}] "GET /page/${i}?v=${i} HTTP/1.1" 200 5000 "-" "${GOOGLEBOT}"`);
  for (let i = 0; i < 40; i++) lines.push(`198.51.100.7 - - [${stamp(i * 7, 0)}] "GET /page/${i} HTTP/1.1" 200 5000 "-" "${GOOGLEBOT}"`);
  const path = join(dir, 'access.log');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

test('a crawler from its published ranges is spared however fast; a fake is recorded, and flagged on request', async () => {
  const dir = tempDir();
  const input = log(dir);
  const r = await runCli(['detect', input, '--out', join(dir, 'out'), '--no-report', '--explain', '66.249.66.1']);
  assert.is(r.code, 0, r.stderr);
  const v = JSON.parse(readFileSync(join(dir, 'out', 'verdicts.json'), 'utf8'));
  const blocklist = readFileSync(join(dir, 'out', 'blocklist.txt'), 'utf8')
    .split('\n')
    .filter(Boolean);
  assert.equal(
    v.clients.crawlers.verified.map((c: { address: string; crawler: string }) => [c.address, c.crawler]),
    [['66.249.66.1', 'Googlebot']],
  );
  assert.equal(
    v.clients.crawlers.fake.map((c: { address: string }) => c.address),
    ['198.51.100.7', '203.0.113.66'],
  );
  assert.not.ok(blocklist.includes('66.249.66.1'), 'the verified crawler is not blocked');
  assert.ok(blocklist.includes('203.0.113.66'), 'the same behaviour from outside the ranges is a flood');
  assert.not.ok(blocklist.includes('198.51.100.7'), 'a polite fake is only recorded by default');
  assert.match(r.stdout, /66\.249\.66\.1: 1200 requests.*not flagged/);
  const banned = await runCli(['detect', input, '--out', join(dir, 'out2'), '--no-report', '--quiet', '--ban-fake-crawlers']);
  assert.is(banned.code, 0, banned.stderr);
  const v2 = JSON.parse(readFileSync(join(dir, 'out2', 'verdicts.json'), 'utf8'));
  const fake = v2.flagged.find((f: { address: string }) => f.address === '198.51.100.7');
  assert.ok(fake, 'the polite fake is flagged with --ban-fake-crawlers');
  assert.match(fake.reasons.join(' '), /fake crawler: names Googlebot from outside its published ranges/);
});

test('crawlers --refresh reads the published lists (here from a mirror), keeps what it cannot read, and detect uses the file', async () => {
  const dir = tempDir();
  const server = createServer((req, res) => {
    if (req.url === '/googlebot.json') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ creationTime: '2026-12-01T10:00:00.000000', prefixes: [{ ipv4Prefix: '203.0.113.64/27' }, { ipv6Prefix: '2001:db8:4801::/64' }] }),
      );
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const out = join(dir, 'crawlers.json');
    const r = await runCli(['crawlers', '--refresh', '--out', out, '--source', `Googlebot=${base}/googlebot.json`, '--source', `Bingbot=${base}/missing.json`]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /Googlebot: 2 networks, published 2026-12-01/);
    assert.match(r.stderr, /Bingbot: .*HTTP 404; its previous ranges are kept/);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(doc.crawlers.find((c: { name: string }) => c.name === 'Googlebot').prefixes, ['203.0.113.64/27', '2001:db8:4801::/64']);
    // With these ranges, 203.0.113.66 is the verified one and 66.249.66.1 the fake.
    const d = await runCli(['detect', log(dir), '--out', join(dir, 'out'), '--no-report', '--quiet', '--crawlers', out]);
    assert.is(d.code, 0, d.stderr);
    const v = JSON.parse(readFileSync(join(dir, 'out', 'verdicts.json'), 'utf8'));
    assert.equal(
      v.clients.crawlers.verified.map((c: { address: string }) => c.address),
      ['203.0.113.66'],
    );
    const shown = await runCli(['crawlers', '--crawlers', out]);
    assert.match(shown.stdout, /Googlebot\s+2 networks, published 2026-12-01/);
    const none = await runCli(['crawlers', '--refresh', '--out', join(dir, 'c2.json'), '--source', `Googlebot=${base}/x`, '--source', `Bingbot=${base}/y`]);
    assert.is(none.code, 3, 'no source read: upstream unreachable');
  } finally {
    server.close();
  }
});

test('a broken crawlers file is one line naming the file and the field, exit 2', async () => {
  const dir = tempDir();
  const bad = join(dir, 'crawlers.json');
  writeFileSync(bad, JSON.stringify({ schemaVersion: 1, crawlers: [{ name: 'Googlebot', source: 'x', published: null, prefixes: ['0.0.0.0/0'] }] }));
  const r = await runCli(['detect', log(dir), '--out', join(dir, 'out'), '--crawlers', bad]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /crawlers\.json: crawlers\[0\]\.prefixes\[0\]: expected a network of \/16 or longer, got "0\.0\.0\.0\/0"/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

test.run();
