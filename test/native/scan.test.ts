/**
 * The native reader (src/native/scan.cc) must give exactly what the JavaScript reader gives: the same line
 * counts, malformed samples, and per-client aggregates down to every distinct counter, sample line and
 * timeline bucket. Both read the same real and hand-made logs here, whole and cut into ranges.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientAggregate, ClientTable, type ClientStats } from '../../src/features/aggregate.js';
import { splitPoints } from '../../src/features/build.js';
import { planSegments, readNative, readRange, type RangeJob } from '../../src/features/worker.js';
import { lineStartAfter } from '../../src/features/build.js';
import { readLogs } from '../../src/logs/read.js';
import { findFormat, type ClfFormat } from '../../src/logs/formats.js';
import { emptyStats } from '../../src/logs/read.js';
import { detectFormat } from '../../src/logs/read.js';
import { nativeLoadError, nativeReader } from '../../src/native/index.js';
import { readFileSync } from 'node:fs';
import { DATASETS, runCli, tempDir } from '../helpers/index.js';

/** What detection reads of a client (ClientStats), in plain values. */
function statsOf(c: ClientStats) {
  const t = c.timeline;
  return [
    c.key, c.requests, c.post, c.otherMethod, c.invalidRequest, c.status2xx, c.status3xx, c.status4xx, c.status404, c.status5xx,
    c.staticHits, c.sensitiveHits, c.withQuery, c.bytes, c.firstTime, c.lastTime, c.peakPerMinute,
    c.paths.count(), c.queries.count(), c.agents.count(), t ? [t.start, t.width, [...t.counts]] : null, [...c.samples],
  ];
}

/**
 * Everything a table holds, in plain values: what detection reads of each client (a native table is read in
 * place), then all of it as ClientAggregate.pack gives it (a native table unpacked first).
 */
function tableValues(parts: Awaited<ReturnType<typeof readRange>>['parts']) {
  const t = ClientTable.fromParts(parts, { ipv6Prefix: 64 });
  // In key order: the native reader gives its clients so, the JavaScript reader in order of appearance.
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const stats = [...t.clients()].sort(byKey).map(statsOf);
  t.parts(); // a native table is unpacked into ClientAggregates
  const packed = ClientAggregate.pack(([...t.clients()] as ClientAggregate[]).sort(byKey));
  return {
    keys: packed.keys,
    nums: [...packed.nums],
    words: [...packed.words],
    samples: packed.samples,
    stats,
    overall: [t.overall.start, t.overall.width, [...t.overall.counts]],
    badAddressLines: parts.badAddressLines,
  };
}

async function compare(job: RangeJob, what: string): Promise<number> {
  const js = await readRange({ ...job, javascript: true });
  const native = await readRange(job);
  assert.equal(native.stats, js.stats, `${what}: line counts and malformed samples`);
  const a = tableValues(native.parts);
  const b = tableValues(js.parts);
  assert.equal(a.keys, b.keys, `${what}: clients`);
  assert.equal(a.nums, b.nums, `${what}: counters`);
  assert.equal(a.stats, b.stats, `${what}: what detection reads of each client`);
  assert.equal(a.words, b.words, `${what}: sketches and timelines`);
  assert.equal(a.samples, b.samples, `${what}: sample lines`);
  assert.equal(a.overall, b.overall, `${what}: requests over time`);
  assert.is(a.badAddressLines, b.badAddressLines, `${what}: lines whose client is no address`);
  return js.stats.linesRead;
}

function formatOf(path: string): string | null {
  const lines = readFileSync(path).toString('latin1').split('\n').slice(0, 64).filter(Boolean).map((l) => Buffer.from(l.replace(/\r$/, ''), 'latin1'));
  const f = detectFormat(lines);
  return f && f.kind === 'clf' ? f.name : null;
}

test('native: the reader is built (npm ci compiles it; a C++ compiler is needed)', () => {
  assert.ok(nativeReader(), `native reader not loaded: ${nativeLoadError()}`);
});

const REAL = ['almhuette-raith-2019/access.log', 'elastic-apache/apache_logs.log', 'honeynet-2004/access_log.combined'];

test('native: same table as the JavaScript reader on real logs, whole and in ranges', async () => {
  for (const rel of REAL) {
    const path = join(DATASETS, rel);
    const size = statSync(path).size;
    const format = formatOf(path)!;
    const base = { path, format, ipv6Prefix: 64 };
    const lines = await compare({ ...base, start: 0, end: size }, rel);
    assert.ok(lines > 9000, `${rel} read`);
    const pts = splitPoints(path, size, 3);
    for (let i = 0; i + 1 < pts.length; i++) await compare({ ...base, start: pts[i]!, end: pts[i + 1]! }, `${rel} range ${i}`);
  }
});

test('native: same table on every CrowdSec lab log of the Apache/nginx family', async () => {
  const dir = join(DATASETS, 'crowdsec-hub-tests/logs');
  let files = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const path = join(dir, name);
    const format = formatOf(path);
    if (!format) continue;
    await compare({ path, format, ipv6Prefix: 64, start: 0, end: statSync(path).size }, name);
    files++;
  }
  assert.ok(files >= 40, `${files} lab logs compared`);
});

test('native: same counts and table on awkward lines (CRLF, junk, overlong, IPv6 spellings, escapes, no final newline)', async () => {
  const ua = '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"';
  const t = (s: number) => `[01/Mar/2026:10:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0100]`;
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const client = ['203.0.113.7', '2001:db8:1:2::10', '2001:DB8:1:2:0:0:0:11', '::ffff:203.0.113.7', '2001:db8:1:3::1', '01.2.3.4', 'crawler.example.net', '0.0.0.0', '198.51.100.256'][i % 9]!;
    const path = ['/', '/wp-login.php', '/static/app.CSS', '/search?q=' + i, '/a\\"b', '/../etc/passwd'][i % 6]!;
    const method = ['GET', 'POST', 'HEAD', 'PROPFIND', 'get', 'X'.repeat(25)][i % 6]!;
    const status = [200, 404, 500, 301, 403, 999][i % 6];
    lines.push(`${client} - - ${t(i * 7)} "${method} ${path} HTTP/1.1" ${status} ${i % 5 === 0 ? '-' : i * 13} "-" ${i % 4 === 0 ? '"-"' : ua}${i % 3 === 0 ? '\r' : ''}`);
    if (i % 50 === 0) lines.push('', 'garbage \x00 line', `203.0.113.7 - - ${t(i)} "-" 400 0 "-" "-"`, `203.0.113.8 - - ${t(i)} "\x16\x03\x01" 400 0 "-" "-"`);
    if (i % 97 === 0) lines.push(`203.0.113.9 - - ${t(i)} "GET /${'x'.repeat(700)} HTTP/1.1" 200 1 "-" ${ua}`, 'y'.repeat(900));
    if (i % 61 === 0) lines.push(`203.0.113.10 - - ${t(i)} "GET /\xe9t\xe9 HTTP/1.1" 200 5 "https://r\\"x\\"/" "agent \\"quoted\\" \xff"`);
  }
  const dir = tempDir();
  const path = join(dir, 'awkward.log');
  writeFileSync(path, Buffer.from(lines.join('\n') + `\n203.0.113.7 - - ${t(5)} "GET /last HTTP/1.1" 200 1 "-" ${ua}`, 'latin1'));
  const size = statSync(path).size;
  const job = { path, format: 'combined', ipv6Prefix: 64, maxLineBytes: 600 };
  const total = await compare({ ...job, start: 0, end: size }, 'awkward');
  assert.ok(total > 400, 'lines read');
  const js = await readRange({ ...job, start: 0, end: size, javascript: true });
  assert.ok(js.stats.malformed > 10 && js.stats.tooLong > 0 && js.stats.blank > 0, 'the file has every kind of bad line');
  for (const parts of [2, 5]) {
    const pts = splitPoints(path, size, parts);
    for (let i = 0; i + 1 < pts.length; i++) await compare({ ...job, start: pts[i]!, end: pts[i + 1]! }, `awkward ${i + 1}/${parts}`);
  }
  // Common format too, on the same bytes: most lines have trailing fields it refuses.
  await compare({ ...job, format: 'common', start: 0, end: size }, 'awkward as common');
});

/** The JavaScript reference for several ranges: each read alone, the tables merged in order (as build.ts does). */
async function jsRanges(path: string, format: string, points: number[], maxLineBytes?: number) {
  const table = new ClientTable({ ipv6Prefix: 64 });
  const stats = emptyStats();
  let lines = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const r = await readRange({ path, format, ipv6Prefix: 64, maxLineBytes, start: points[i]!, end: points[i + 1]!, javascript: true });
    table.merge(ClientTable.fromParts(r.parts, { ipv6Prefix: 64 }));
    for (const m of r.stats.malformedSamples) if (stats.malformedSamples.length < 10) stats.malformedSamples.push({ ...m, line: m.line + lines });
    stats.linesRead += r.stats.linesRead;
    stats.malformed += r.stats.malformed;
    lines += r.stats.linesRead + r.stats.blank;
  }
  return { parts: table.parts(), stats };
}

test('native: ranges read on threads of their own and merged give the table the JavaScript reader merges', async () => {
  const awkward = join(tempDir(), 'awkward.log');
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    // Every other line is one client whose lines all carry the same minute, so that every cut falls inside
    // that minute: its peak is right only when each merge carries the minute's count over.
    const busy = i % 2 === 1;
    const client = busy ? '198.51.100.7' : ['198.51.100.1', '2001:db8:9::1', '::ffff:198.51.100.1', 'host.example', '198.51.100.2'][(i >> 1) % 5]!;
    const time = busy ? '02/Mar/2026:00:00:30' : `02/Mar/2026:0${Math.floor(i / 600)}:${String(Math.floor(i / 10) % 60).padStart(2, '0')}:00`;
    lines.push(i % 97 === 0 ? 'junk' : `${client} - - [${time} +0000] "GET /p${i % 70} HTTP/1.1" ${i % 7 ? 200 : 404} 1 "-" "ua ${i % 3}"`);
  }
  writeFileSync(awkward, lines.join('\n') + '\n');
  for (const [path, format] of [[join(DATASETS, 'honeynet-2004/access_log.combined'), 'combined'], [awkward, 'combined']] as const) {
    const size = statSync(path).size;
    for (const parts of [2, 4]) {
      const points = splitPoints(path, size, parts);
      const js = await jsRanges(path, format, points);
      const segments = points.slice(1).flatMap((end, i) => [0, points[i]!, end]);
      const read = await readNative(nativeReader()!, { files: [{ path, size }], segments, parts: points.map((_, i) => i), ipv6Prefix: 64 }, findFormat(format) as ClfFormat);
      const native = { stats: read.files[0]!, parts: read.parts };
      const what = `${path.split('/').pop()} in ${parts}`;
      assert.is(native.stats.linesRead, js.stats.linesRead, `${what}: lines`);
      assert.is(native.stats.malformed, js.stats.malformed, `${what}: malformed`);
      assert.equal(native.stats.malformedSamples, js.stats.malformedSamples, `${what}: malformed samples and their line numbers`);
      const a = tableValues(native.parts);
      const b = tableValues(js.parts);
      assert.equal(a.keys, b.keys, `${what}: clients`);
      assert.equal(a.nums, b.nums, `${what}: counters`);
      assert.equal(a.words, b.words, `${what}: sketches and timelines`);
      assert.equal(a.samples, b.samples, `${what}: samples`);
      assert.equal(a.overall, b.overall, `${what}: requests over time`);
    }
  }
});

test('native: a run of files cut across threads reads as the JavaScript reader reads the same stretches', async () => {
  // One real log cut into three files (so that clients span them); two threads each take a stretch of the run.
  const dir = tempDir();
  const text = readFileSync(join(DATASETS, 'almhuette-raith-2019/access.log'), 'latin1').split('\n');
  const files = [0, 1, 2].map((i) => {
    const path = join(dir, `part${i}.log`);
    writeFileSync(path, text.slice(i * 3400, (i + 1) * 3400).join('\n') + '\n', 'latin1');
    return { path, size: statSync(path).size };
  });
  const format = findFormat('combined') as ClfFormat;
  for (const threads of [2, 3]) {
    const { segments, parts } = planSegments(files, threads, lineStartAfter);
    assert.is(parts.length, threads + 1, 'one stretch per thread');
    const native = await readNative(nativeReader()!, { files, segments, parts, ipv6Prefix: 64 }, format);
    // The JavaScript reference: each stretch read line after line into a table of its own, then merged in order.
    const js = new ClientTable({ ipv6Prefix: 64 });
    let lines = 0;
    for (let p = 0; p + 1 < parts.length; p++) {
      const t = new ClientTable({ ipv6Prefix: 64 });
      const inputs = [];
      for (let g = parts[p]!; g < parts[p + 1]!; g++) {
        const [f, start, end] = segments.slice(g * 3, g * 3 + 3) as [number, number, number];
        inputs.push({ name: files[f]!.path, size: end - start, path: files[f]!.path, start, end, open: () => { throw new Error('plain files only'); } });
      }
      const st = await readLogs(inputs, { format }, (rec, buf, s0, e0) => t.add(rec, buf, s0, e0));
      lines += st.linesRead;
      js.merge(t);
    }
    assert.is(native.files.reduce((n, s) => n + s.linesRead, 0), lines, `${threads} threads: lines`);
    native.files.forEach((s, i) => assert.is(s.inputs[0]!.name, files[i]!.path));
    const a = tableValues(native.parts);
    const b = tableValues(js.parts());
    assert.ok(a.keys.length > 100, 'clients');
    assert.equal(a.keys, b.keys, 'clients');
    assert.equal(a.nums, b.nums, 'counters');
    assert.equal(a.stats, b.stats, 'what detection reads of each client');
    assert.equal(a.words, b.words, 'sketches and timelines');
    assert.equal(a.samples, b.samples, 'sample lines, read back from each file');
    assert.equal(a.overall, b.overall, 'requests over time');
  }
});

test('native: detect on a directory of 60+ real logs of several layouts: the same verdicts with or without it', async () => {
  const src = join(DATASETS, 'crowdsec-hub-tests/logs');
  const dir = tempDir();
  for (const name of readdirSync(src).filter((n) => n.endsWith('.log')).sort()) {
    if (formatOf(join(src, name))) copyFileSync(join(src, name), join(dir, name));
  }
  assert.ok(readdirSync(dir).length >= 60, 'logs copied');
  const outputs = [];
  for (const env of [{}, { LOGWARDEN_NATIVE: '0' }]) {
    const out = tempDir();
    const r = await runCli(['detect', dir, '--out', out, '--no-report', '--quiet'], { env });
    assert.is(r.code, 0, r.stderr);
    const verdicts = JSON.parse(readFileSync(join(out, 'verdicts.json'), 'utf8')) as Record<string, unknown>;
    delete verdicts.generatedAt;
    outputs.push({ csv: readFileSync(join(out, 'clients.csv'), 'utf8'), verdicts });
  }
  assert.ok(outputs[0]!.csv.split('\n').length > 50, 'clients');
  assert.is(outputs[0]!.csv, outputs[1]!.csv, 'clients.csv');
  assert.equal(outputs[0]!.verdicts, outputs[1]!.verdicts, 'verdicts.json');
});

test.run();
