import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { buildClientTable, splitPoints } from '../../src/features/build.js';
import { FEATURES, featureValues } from '../../src/features/vector.js';
import { expandInputs } from '../../src/logs/read.js';
import { readFileSync } from 'node:fs';
import { DATASETS, needing } from '../helpers/index.js';

const ALM = join(DATASETS, 'almhuette-raith-2019/access.log');
const almTest = needing(test, ALM);

almTest('build: split points fall on line starts and cover the file', () => {
  const size = readFileSync(ALM).length;
  const text = readFileSync(ALM);
  const pts = splitPoints(ALM, size, 5);
  assert.is(pts[0], 0);
  assert.is(pts[pts.length - 1], size);
  for (const p of pts.slice(1, -1)) assert.is(text[p - 1], 10, `offset ${p} starts a line`);
});

almTest('build: worker threads over byte ranges give the same table as one thread, every feature', async () => {
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

almTest('build: JSON logs are cut into byte ranges whose tables merge to the same numbers', async () => {
  const { writeFileSync } = await import('node:fs');
  const { tempDir } = await import('../helpers/index.js');
  const re = /^(\S+) \S+ \S+ \[([^\]]+)\] "([^"]*)" (\d+) (\d+|-) "[^"]*" "([^"]*)"/;
  const json = readFileSync(ALM, 'utf8')
    .split('\n')
    .map((l) => re.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) =>
      JSON.stringify({
        remote_addr: m[1],
        time_local: m[2],
        request: m[3],
        status: Number(m[4]),
        body_bytes_sent: m[5] === '-' ? 0 : Number(m[5]),
        http_user_agent: m[6],
      }),
    )
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

almTest('build: a file whose head is one overlong line is still read (its format found past that line)', async () => {
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

/** Every client's feature values, samples and timeline, as text: two tables are the same when these are. */
function tableText(t: Awaited<ReturnType<typeof buildClientTable>>['table']): string {
  return [...t.clients()]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((c) => `${c.key} ${featureValues(c).join(' ')} ${JSON.stringify(c.samples)} ${JSON.stringify([...(c.timeline?.rebin(c.timeline.width) ?? [])])}`)
    .join('\n');
}

test('build: a flood spread over three web servers has its whole peak, however the lines are split, ordered, compressed or threaded', async () => {
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const { gzipSync } = await import('node:zlib');
  const { tempDir } = await import('../helpers/index.js');
  const dir = tempDir();
  const flooder = '203.0.113.66';
  const t0 = Date.UTC(2026, 0, 10, 12, 0, 0);
  const stamp = (ms: number) => {
    const d = new Date(ms);
    const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
    const p = (n: number) => String(n).padStart(2, '0');
    return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  };
  // 300 requests a minute for 30 minutes, round-robin over three servers, and 60 quiet visitors.
  const servers: string[][] = [[], [], []];
  let n = 0;
  for (let m = 0; m < 30; m++) {
    for (let i = 0; i < 300; i++) servers[n++ % 3]!.push(`${flooder} - - [${stamp(t0 + m * 60000 + i * 200)}] "GET /?q=${n} HTTP/1.1" 200 512 "-" "flood/1.0"`);
    for (let v = 0; v < 60; v++)
      if ((v + m) % 7 === 0)
        servers[v % 3]!.push(`198.51.100.${v + 1} - - [${stamp(t0 + m * 60000 + v * 900)}] "GET /page/${v} HTTP/1.1" 200 2048 "-" "Mozilla/5.0"`);
  }
  const whole = servers.flat().sort((a, b) => (a.slice(a.indexOf('[')) < b.slice(b.indexOf('[')) ? -1 : 1));
  writeFileSync(join(dir, 'one.log'), `${whole.join('\n')}\n`);
  mkdirSync(join(dir, 'site'));
  servers.forEach((lines, i) => writeFileSync(join(dir, 'site', `web-${i + 1}.log`), `${lines.join('\n')}\n`));
  writeFileSync(join(dir, 'concatenated.log'), `${servers.map((l) => l.join('\n')).join('\n')}\n`);
  writeFileSync(join(dir, 'concatenated.log.gz'), gzipSync(readFileSync(join(dir, 'concatenated.log'))));

  const one = await buildClientTable(expandInputs([join(dir, 'one.log')]), { ipv6Prefix: 128, threads: 1 });
  assert.is(one.table.get(flooder)!.peakPerMinute, 300);
  const expected = tableText(one.table);
  const variants: Array<[string, string[], number]> = [
    ['a folder of three server logs, 1 thread', [join(dir, 'site')], 1],
    ['a folder of three server logs, 2 threads', [join(dir, 'site')], 2],
    ['the server logs in another order', [join(dir, 'site/web-3.log'), join(dir, 'site/web-1.log'), join(dir, 'site/web-2.log')], 2],
    ['the logs concatenated, cut across threads', [join(dir, 'concatenated.log')], 2],
    ['the concatenation gzipped', [join(dir, 'concatenated.log.gz')], 1],
  ];
  for (const [what, inputs, threads] of variants) {
    const got = await buildClientTable(expandInputs(inputs), { ipv6Prefix: 128, threads, minSplitBytes: 1000 });
    assert.is(got.table.get(flooder)!.peakPerMinute, 300, what);
    assert.fixture(tableText(got.table), expected);
  }
});

almTest('build: a file named twice, or reached again through a link, is read once and the run says so', async () => {
  const { symlinkSync } = await import('node:fs');
  const { tempDir } = await import('../helpers/index.js');
  const dir = tempDir();
  symlinkSync(ALM, join(dir, 'again.log'));
  const once = await buildClientTable(expandInputs([ALM]), { ipv6Prefix: 128, threads: 1 });
  for (const threads of [1, 2]) {
    const inputs = expandInputs([ALM, ALM, join(dir, 'again.log')]);
    assert.equal(inputs.duplicates, [ALM, join(dir, 'again.log')]);
    const twice = await buildClientTable(inputs, { ipv6Prefix: 128, threads, minSplitBytes: 1000 });
    assert.is(twice.stats.linesRead, once.stats.linesRead);
    assert.fixture(tableText(twice.table), tableText(once.table));
  }
});

almTest('build: the shared real logs give the same table whatever the threads, compression or file order', async () => {
  const { gzipSync } = await import('node:zlib');
  const { writeFileSync } = await import('node:fs');
  const { tempDir } = await import('../helpers/index.js');
  const logs = [ALM, join(DATASETS, 'elastic-apache/apache_logs.log'), join(DATASETS, 'honeynet-2004/access_log.combined')];
  const dir = tempDir();
  const gz = logs.map((l, i) => {
    const p = join(dir, `${i}.log.gz`);
    writeFileSync(p, gzipSync(readFileSync(l)));
    return p;
  });
  const base = await buildClientTable(expandInputs(logs), { ipv6Prefix: 128, threads: 1 });
  const expected = tableText(base.table);
  for (const [what, inputs, threads] of [
    ['two threads', logs, 2],
    ['gzipped', gz, 1],
    ['in reverse order', [...logs].reverse(), 2],
  ] as const) {
    const got = await buildClientTable(expandInputs([...inputs]), { ipv6Prefix: 128, threads, minSplitBytes: 1000 });
    assert.is(got.stats.parsed, base.stats.parsed, what);
    assert.fixture(tableText(got.table), expected);
  }
});

test.run();
