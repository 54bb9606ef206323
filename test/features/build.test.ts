import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { buildClientTable, splitPoints } from '../../src/features/build.js';
import { FEATURES, featureValues } from '../../src/features/vector.js';
import { expandInputs } from '../../src/logs/read.js';
import { readFileSync } from 'node:fs';
import { DATASETS } from '../helpers/index.js';

const ALM = join(DATASETS, 'almhuette-raith-2019/access.log');

test('build: split points fall on line starts and cover the file', () => {
  const size = readFileSync(ALM).length;
  const text = readFileSync(ALM);
  const pts = splitPoints(ALM, size, 5);
  assert.is(pts[0], 0);
  assert.is(pts[pts.length - 1], size);
  for (const p of pts.slice(1, -1)) assert.is(text[p - 1], 10, `offset ${p} starts a line`);
});

test('build: worker threads over byte ranges give the same table as one thread, every feature', async () => {
  const one = await buildClientTable(expandInputs([ALM]), { ipv6Prefix: 128, threads: 1 });
  const many = await buildClientTable(expandInputs([ALM]), { ipv6Prefix: 128, threads: 3, minSplitBytes: 1000 });
  assert.is(many.stats.linesRead, one.stats.linesRead);
  assert.is(many.stats.parsed, one.stats.parsed);
  assert.is(many.stats.firstTime, one.stats.firstTime);
  assert.is(many.stats.inputs.length, 1);
  assert.is(many.table.size, one.table.size);
  // Every feature, distinct counts included: the tables travel packed between threads and merge exactly.
  for (const c of one.table.clients()) {
    const m = many.table.get(c.key)!;
    const a = featureValues(c);
    const b = featureValues(m);
    FEATURES.forEach((f, i) => assert.is(b[i], a[i], `${c.key} ${f.name}`));
    assert.is(m.samples.length, c.samples.length, `${c.key} samples`);
    const total = (t: typeof c.timeline) => (t ? [...t.rebin(t.width).values()].reduce((x, y) => x + y, 0) : 0);
    assert.is(total(m.timeline), total(c.timeline), `${c.key} requests over time`);
  }
});


test('build: JSON logs are cut into byte ranges whose tables merge to the same numbers', async () => {
  const { writeFileSync } = await import('node:fs');
  const { tempDir } = await import('../helpers/index.js');
  const re = /^(\S+) \S+ \S+ \[([^\]]+)\] "([^"]*)" (\d+) (\d+|-) "[^"]*" "([^"]*)"/;
  const json = readFileSync(ALM, 'utf8')
    .split('\n')
    .map((l) => re.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => JSON.stringify({ remote_addr: m[1], time_local: m[2], request: m[3], status: Number(m[4]), body_bytes_sent: m[5] === '-' ? 0 : Number(m[5]), http_user_agent: m[6] }))
    .join('\n');
  const path = `${tempDir()}/access.json`;
  writeFileSync(path, `${json}\n`);
  const one = await buildClientTable(expandInputs([path]), { ipv6Prefix: 128, threads: 1 });
  const many = await buildClientTable(expandInputs([path]), { ipv6Prefix: 128, threads: 3, minSplitBytes: 1000 });
  assert.is(many.stats.inputs[0]!.format, 'json');
  assert.is(many.stats.parsed, one.stats.parsed);
  assert.ok(one.stats.parsed > 9000);
  for (const c of one.table.clients()) {
    const m = many.table.get(c.key)!;
    assert.is(m.requests, c.requests, c.key);
    assert.is(m.peakPerMinute, c.peakPerMinute, `${c.key} peak`);
  }
});

test('build: a file whose head is one overlong line is still read (its format found past that line)', async () => {
  const { writeFileSync } = await import('node:fs');
  const { tempDir } = await import('../helpers/index.js');
  const path = `${tempDir()}/long-head.log`;
  const good = readFileSync(ALM, 'utf8').split('\n').slice(0, 200).join('\n');
  writeFileSync(path, `${'x'.repeat(300_000)}\n${good}\n`);
  const { stats } = await buildClientTable(expandInputs([path]), { ipv6Prefix: 128, maxLineBytes: 100_000 });
  assert.is(stats.inputs[0]!.format, 'combined');
  assert.is(stats.tooLong, 1);
  assert.ok(stats.parsed >= 190, `${stats.parsed} parsed`);
});

test.run();
