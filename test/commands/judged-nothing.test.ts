/**
 * A run that judged nothing says so: no usable line is exit 2 with the counts (and no model), a model learned
 * from too few clients is refused by serve and watch, and a proxy in front of the site is named.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/index.js';

test('detect: an empty log, or one with no line of the format read, is exit 2 with the counts, and writes no model', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'empty.log'), '');
  const e = await runCli(['detect', join(dir, 'empty.log'), '--out', join(dir, 'o1')]);
  assert.is(e.code, 2);
  assert.match(
    e.stderr,
    /^logwarden: .*empty\.log: no usable line \(read 0 lines: 0 parsed, 0 malformed\): the input is empty; nothing was judged and nothing written\n$/,
  );
  assert.not.ok(existsSync(join(dir, 'o1', 'model.json')));
  const json = Array.from(
    { length: 40 },
    (_, i) => `{"remote_addr":"192.0.2.${i}","time_local":"10/Oct/2026:13:55:36 +0000","request":"GET / HTTP/1.1","status":200}\n`,
  ).join('');
  writeFileSync(join(dir, 'json.log'), json);
  const m = await runCli(['detect', join(dir, 'json.log'), '--format', 'combined', '--out', join(dir, 'o2')]);
  assert.is(m.code, 2, m.stdout + m.stderr);
  assert.match(
    m.stderr,
    /^logwarden: .*json\.log: no usable line \(read 40 lines: 0 parsed, 40 malformed\): no line is of the format read \(--format, --log-format\)/,
  );
  assert.is(m.stderr.trim().split('\n').length, 1);
  assert.not.ok(existsSync(join(dir, 'o2', 'model.json')));
});

test('serve and watch: a model learned from fewer than 20 clients is refused in one line (exit 2)', async () => {
  const dir = tempDir();
  const log = join(dir, 'day.log');
  assert.is((await runCli(['generate', '--out', log, '--seed', '2', '--lines', '3000', '--quiet'])).code, 0);
  const d = await runCli(['detect', log, '--out', join(dir, 'out'), '--quiet']);
  assert.is(d.code, 0, d.stderr);
  const model = join(dir, 'out', 'model.json');
  const doc = JSON.parse(readFileSync(model, 'utf8')) as { learnedOn: { clients: number } };
  assert.ok(doc.learnedOn.clients >= 20);
  doc.learnedOn.clients = 3;
  const few = join(dir, 'few.json');
  writeFileSync(few, JSON.stringify(doc));
  const s = await runCli(['serve', '--model', few, '--listen', '127.0.0.1:0']);
  assert.is(s.code, 2);
  assert.match(s.stderr, /^logwarden: .*few\.json: learnedOn\.clients: learned from 3 clients, fewer than the 20 a live judgement needs/);
  assert.is(s.stderr.trim().split('\n').length, 1);
  const w = await runCli(['watch', log, '--model', few, '--dry-run', '--state', join(dir, 'watch.state')]);
  assert.is(w.code, 2);
  assert.match(w.stderr, /learned from 3 clients, fewer than the 20/);
});

test('detect: one address carrying most of the traffic while the lines carry X-Forwarded-For is named, with --trusted-proxy', async () => {
  const dir = tempDir();
  const line = (ip: string, i: number, xff: string) =>
    `${ip} - - [10/Oct/2026:13:${String(10 + (i % 40)).padStart(2, '0')}:36 +0000] "GET /page/${i % 7} HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64)" "${xff}"\n`;
  const lines = (xff: (i: number) => string) =>
    [...Array.from({ length: 400 }, (_, i) => line('10.0.0.1', i, xff(i))), ...Array.from({ length: 30 }, (_, i) => line(`198.51.100.${i % 6}`, i, '-'))].join(
      '',
    );
  writeFileSync(
    join(dir, 'proxied.log'),
    lines((i) => `203.0.113.${i % 50}`),
  );
  const r = await runCli(['detect', join(dir, 'proxied.log'), '--out', join(dir, 'o1')]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: 10\.0\.0\.1 made 93% of the 430 requests, and the lines carry X-Forwarded-For: .* pass --trusted-proxy 10\.0\.0\.1/);
  const trusted = await runCli(['detect', join(dir, 'proxied.log'), '--out', join(dir, 'o2'), '--trusted-proxy', '10.0.0.1']);
  assert.is(trusted.code, 0, trusted.stderr);
  assert.not.match(trusted.stderr, /--trusted-proxy/);
  // One busy address without forwarded-for values is not a proxy by this sign.
  writeFileSync(
    join(dir, 'busy.log'),
    lines(() => '-'),
  );
  const busy = await runCli(['detect', join(dir, 'busy.log'), '--out', join(dir, 'o3')]);
  assert.is(busy.code, 0, busy.stderr);
  assert.not.match(busy.stderr, /trusted-proxy/);
});

test.run();
