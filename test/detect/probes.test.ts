/**
 * A scan probes many places: failed requests to login, admin, secret or script paths count as a sweep only at
 * several distinct places. A script missing from every page of a PHP site is one place failing again and again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AddressSet } from '../../src/core/address.js';
import { FORMATS } from '../../src/logs/formats.js';
import { newRecord, parserFor } from '../../src/logs/parse.js';
import { ClientTable, probePathsOf } from '../../src/table/table.js';
import { runCli, tempDir } from '../helpers/index.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const at = (m: number) => `07/Dec/2026:${String(8 + Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00 +0000`;
const PROBES = [
  '/wp-login.php',
  '/.env',
  '/admin/',
  '/phpmyadmin/',
  '/.git/config',
  '/administrator/',
  '/config.php',
  '/setup.php',
  '/shell.php',
  '/backup.sql',
  '/wp-config.php.bak',
  '/server-status',
];

function lines(): string[] {
  const out: string[] = [];
  for (let v = 0; v < 40; v++)
    for (let k = 0; k < 8; k++)
      out.push(`192.0.2.${v + 1} - - [${at(v * 3 + k)}] "GET /blog/post-${k} HTTP/1.1" 200 5000 "https://www.example.org/" "${CHROME}"`);
  // A reader of a PHP site whose tracker script is gone: every page view fails to load it (no other asset).
  for (let k = 0; k < 12; k++) {
    out.push(`198.51.100.30 - - [${at(20 + k)}] "GET /news/item-${k}.html HTTP/1.1" 200 8000 "https://www.example.org/news/" "${CHROME}"`);
    out.push(
      `198.51.100.30 - - [${at(20 + k)}] "GET /stats/piwik.php?idsite=1&rec=1 HTTP/1.1" 404 200 "https://www.example.org/news/item-${k}.html" "${CHROME}"`,
    );
  }
  // A sweep: twelve places probed, every one failing, with the same browser agent.
  PROBES.forEach((p, k) => out.push(`203.0.113.40 - - [${at(50 + k)}] "GET ${p} HTTP/1.1" 404 200 "-" "${CHROME}"`));
  return out;
}

test('one missing script failing on every page is spared; twelve places probed and failing are a scan', async () => {
  const dir = tempDir();
  const input = join(dir, 'access.log');
  writeFileSync(input, `${lines().join('\n')}\n`);
  const r = await runCli(['detect', input, '--out', join(dir, 'out'), '--quiet', '--no-report']);
  assert.is(r.code, 0, r.stderr);
  const verdicts = JSON.parse(readFileSync(join(dir, 'out/verdicts.json'), 'utf8')) as {
    flagged: Array<{ address: string; kinds: string[]; reasons: string[] }>;
  };
  assert.equal(
    verdicts.flagged.map((f) => f.address),
    ['203.0.113.40'],
  );
  assert.equal(verdicts.flagged[0]!.kinds, ['scan']);
  assert.match(verdicts.flagged[0]!.reasons[0]!, /^scan: 12 failed requests to login, admin or secret paths \(guard 10\) at about 1[0-4] of them/);
  const why = await runCli(['detect', input, '--out', join(dir, 'out2'), '--quiet', '--no-report', '--explain', '198.51.100.30']);
  assert.match(
    why.stdout,
    /not a scan: 12 failed requests to login, admin, secret or script paths at 1 place \(needs 10 making 30% of its requests, at 3 places or more, or at fewer from a client mostly failing or without referers/,
  );
});

test('the places are counted the same however the lines are split, and about right', () => {
  const parse = parserFor(FORMATS.find((f) => f.name === 'combined')!);
  const rec = newRecord();
  const opts = { ipv6Prefix: 64, trustedProxies: new AddressSet() };
  const whole = new ClientTable(opts);
  const halves = [new ClientTable(opts), new ClientTable(opts)];
  lines().forEach((l, i) => {
    const b = Buffer.from(l);
    assert.ok(parse(b, 0, b.length, rec));
    whole.add(rec, b, 0, b.length);
    halves[i % 2]!.add(rec, b, 0, b.length);
  });
  const merged = new ClientTable(opts);
  merged.merge(halves[1]!);
  merged.merge(halves[0]!);
  for (const key of ['198.51.100.30', '203.0.113.40']) assert.is(merged.get(key)!.probePaths, whole.get(key)!.probePaths, key);
  assert.is(whole.get('198.51.100.30')!.probePaths, 1);
  const sweep = whole.get('203.0.113.40')!.probePaths;
  assert.ok(sweep >= 9 && sweep <= 15, `${sweep} places for 12`);
  // Linear counting: an empty mask is none, a full one many.
  assert.is(probePathsOf(0), 0);
  assert.is(probePathsOf(0xffffffff), 128);
});

test.run();
