/**
 * Partial tables: detect over any split of the logs into `aggregate` tables (by server, by time, by file,
 * compressed or not) gives byte-identical blocklist.txt and clients.csv, and the same verdicts, as detect over
 * all the logs at once. A table of another version, cut short, not a table, or read with other options is
 * refused with one line naming the file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createGzip } from 'node:zlib';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runAggregate } from '../../src/commands/aggregate.js';
import { runDetect } from '../../src/commands/detect.js';
import { seededRandom } from '../../src/core/random.js';
import { DATASETS, memoryIo, needing, runCli, tempDir } from '../helpers/index.js';
import { joinTable, splitTable, withHeader } from '../helpers/tables.js';

const dir = tempDir();
const REAL = [join(DATASETS, 'almhuette-raith-2019/access.log'), join(DATASETS, 'elastic-apache/apache_logs.log')];
const almTest = needing(test, REAL[0]!);

interface Outcome {
  blocklist: string;
  clients: string;
  flagged: string;
  groups: string;
  lines: number;
}

async function detectOn(args: { inputs?: string[]; tables?: string[] }, out: string): Promise<Outcome> {
  const r = await runDetect({ inputs: args.inputs ?? [], tables: args.tables, out, quiet: true, report: false }, memoryIo());
  const v = r.verdicts;
  return {
    blocklist: readFileSync(join(out, 'blocklist.txt'), 'utf8'),
    clients: readFileSync(join(out, 'clients.csv'), 'utf8'),
    flagged: JSON.stringify(v.flagged.map((f) => [f.address, f.kinds, f.reasons, f.samples, f.group])),
    groups: JSON.stringify(v.groups.map((g) => [g.id, g.kind, g.members, g.reason])),
    lines: v.parse.linesRead,
  };
}

/** Writes `parts` (arrays of lines) as files, aggregates each into a table; returns the tables' folder. */
async function tablesOf(name: string, parts: string[][], gzip: (i: number) => boolean = () => false): Promise<string> {
  const d = join(dir, name);
  mkdirSync(join(d, 'logs'), { recursive: true });
  mkdirSync(join(d, 'tables'), { recursive: true });
  for (const [i, lines] of parts.entries()) {
    const text = lines.length ? `${lines.join('\n')}\n` : '';
    const file = join(d, 'logs', `part${i}.log${gzip(i) ? '.gz' : ''}`);
    writeFileSync(file, gzip(i) ? gzipSync(text) : text);
    await runAggregate({ inputs: [file], out: join(d, 'tables', `part${i}.lwtable`), quiet: true }, memoryIo());
  }
  return join(d, 'tables');
}

function same(a: Outcome, b: Outcome, what: string): void {
  assert.is(b.lines, a.lines, `${what}: lines`);
  assert.ok(a.blocklist === b.blocklist, `${what}: blocklist.txt differs`);
  assert.ok(a.clients === b.clients, `${what}: clients.csv differs`);
  assert.is(b.flagged, a.flagged, `${what}: flagged`);
  assert.is(b.groups, a.groups, `${what}: groups`);
}

const linesOf = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean);

almTest('the shared real logs, split by file, by time, by server (round robin), at random: the same outputs', async () => {
  const whole = await detectOn({ inputs: REAL }, join(dir, 'whole'));
  assert.ok(whole.blocklist.split('\n').length > 10, 'something is flagged');
  const [a, b] = REAL.map(linesOf) as [string[], string[]];
  const all = [...a, ...b];
  const random = seededRandom(11);
  const splits: Record<string, string[][]> = {
    'by file': [a, b],
    'by time': [a.slice(0, 4000), a.slice(4000), b.slice(0, 5000), b.slice(5000)],
    'by server': [0, 1, 2].map((k) => all.filter((_, i) => i % 3 === k)),
    'at random': (() => {
      const parts: string[][] = [[], [], [], [], []];
      for (const l of all) parts[Math.floor(random() * 5)]!.push(l);
      return parts;
    })(),
    'one empty part': [a, [], b],
  };
  for (const [name, parts] of Object.entries(splits)) {
    const tables = await tablesOf(name.replace(/ /g, '-'), parts, (i) => name === 'by server' && i === 1);
    same(whole, await detectOn({ tables: [tables] }, join(dir, `out-${name.replace(/ /g, '-')}`)), name);
  }
});

test('generated multi-server traffic: three servers sharing clients minute by minute, merged in any order', async () => {
  const log = join(dir, 'gen.log');
  assert.is((await runCli(['generate', '--out', log, '--lines', '30000', '--seed', '9', '--quiet'])).code, 0);
  const whole = await detectOn({ inputs: [log] }, join(dir, 'gen-whole'));
  assert.ok(whole.flagged.length > 10);
  const lines = linesOf(log);
  const random = seededRandom(3);
  // Each line goes to one of three servers at random: every client (and every minute) is on all three.
  const servers: string[][] = [[], [], []];
  for (const l of lines) servers[Math.floor(random() * 3)]!.push(l);
  const tables = await tablesOf('gen', servers, (i) => i === 2);
  const files = ['part2.lwtable', 'part0.lwtable', 'part1.lwtable'].map((f) => join(tables, f));
  // A table gzipped after it was written (to store or send it) is read as it is.
  writeFileSync(files[1]!, gzipSync(readFileSync(files[1]!)));
  same(whole, await detectOn({ tables: files }, join(dir, 'gen-out')), 'three servers');
});

almTest('tables merged into tables (hours into a day, servers into a rack), in a tree: the same outputs as one pass', async () => {
  const whole = await detectOn({ inputs: REAL }, join(dir, 'tree-whole'));
  const [a, b] = REAL.map(linesOf) as [string[], string[]];
  const all = [...a, ...b];
  const random = seededRandom(5);
  const parts: string[][] = [[], [], [], [], [], []];
  for (const l of all) parts[Math.floor(random() * 6)]!.push(l);
  const tables = await tablesOf('tree', parts, (i) => i === 4);
  const t = (i: number) => join(tables, `part${i}.lwtable`);
  const merged = (name: string) => join(dir, 'tree', `${name}.lwtable`);
  const io = memoryIo();
  // Two racks of three servers, then the racks into the site; and a lopsided tree, merged again into itself.
  await runAggregate({ inputs: [], tables: [t(0), t(1), t(2)], out: merged('rack0'), quiet: true }, io);
  await runAggregate({ inputs: [], tables: [t(5), t(3), t(4)], out: merged('rack1'), quiet: true }, io);
  await runAggregate({ inputs: [], tables: [merged('rack1'), merged('rack0')], out: merged('site'), quiet: true }, io);
  await runAggregate({ inputs: [], tables: [t(3), merged('rack0')], out: merged('left'), quiet: true }, io);
  await runAggregate({ inputs: [], tables: [merged('left'), t(5)], out: merged('left2'), quiet: true }, io);
  same(whole, await detectOn({ tables: [merged('site')] }, join(dir, 'tree-site')), 'racks into a site');
  same(whole, await detectOn({ tables: [t(4), merged('left2')] }, join(dir, 'tree-left')), 'a lopsided tree');
  same(whole, await detectOn({ tables: [merged('rack0'), t(3), t(4), t(5)] }, join(dir, 'tree-mixed')), 'a rack and three servers');

  // Written over one of its own tables, a merge would count that table twice later: refused, nothing written.
  const before = readFileSync(t(0));
  const r = await runCli(['aggregate', '--tables', t(0), t(1), '--out', t(0)]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--out: .*part0\.lwtable is one of the tables merged/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.ok(readFileSync(t(0)).equals(before), 'the table is as it was');
  const both = await runCli(['aggregate', REAL[0]!, '--tables', t(0), '--out', merged('x')]);
  assert.is(both.code, 2);
  assert.match(both.stderr, /--tables: give logs or --tables, not both/);
});

test('a table of 200,000 clients loads (no call with an argument per client)', async () => {
  const d = join(dir, 'many');
  mkdirSync(d, { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < 200_000; i++) lines.push(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255} - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 10`);
  writeFileSync(join(d, 'a.log'), `${lines.join('\n')}\n`);
  await runAggregate({ inputs: [join(d, 'a.log')], out: join(d, 'a.lwtable'), quiet: true }, memoryIo());
  const r = await runDetect({ inputs: [], tables: [join(d, 'a.lwtable')], out: join(d, 'out'), quiet: true, report: false }, memoryIo());
  assert.is(r.verdicts.clients.total, 200_000);
});

test('a table written before the evidence counters (version 2, 3) is refused with one line: judging it would miss that evidence', async () => {
  const old = join(import.meta.dirname, '..', 'fixtures', 'tables', 'elastic-first-1500.v2.lwtable.gz');
  assert.is(gunzipSync(readFileSync(old)).readUInt32LE(8), 2, 'the fixture is a version 2 table');
  const err = await runDetect({ inputs: [], tables: [old], out: join(dir, 'v2out'), quiet: true, report: false }, memoryIo()).catch((e: Error) => e);
  assert.instance(err, Error);
  assert.match(
    (err as Error).message,
    /elastic-first-1500\.v2\.lwtable\.gz: a table of version 2; this logwarden reads version 5 \(aggregate the logs again\)/,
  );
  assert.not.match((err as Error).message, /\n/);
});

almTest('a table of another version, cut short, not a table, or read with other options: one line naming it', async () => {
  const d = join(dir, 'bad');
  mkdirSync(d, { recursive: true });
  const good = join(d, 'good.lwtable');
  await runAggregate({ inputs: [REAL[1]!], out: good, quiet: true }, memoryIo());
  const bytes = readFileSync(good);
  const refuse = async (name: string, content: Buffer, re: RegExp) => {
    const f = join(d, name);
    writeFileSync(f, content);
    const err = await runDetect({ inputs: [], tables: [f], out: join(d, 'out'), quiet: true, report: false }, memoryIo()).catch((e: Error) => e);
    assert.instance(err, Error, name);
    assert.match((err as Error).message, re);
    assert.not.match((err as Error).message, /\n/);
  };
  const v1 = Buffer.from(bytes);
  v1.writeUInt32LE(1, 8);
  await refuse('v1.lwtable', v1, /v1\.lwtable: a table of version 1; this logwarden reads version 5 \(aggregate the logs again\)/);
  await refuse('cut.lwtable', bytes.subarray(0, Math.floor(bytes.length / 2)), /cut\.lwtable: truncated/);
  await refuse('cutend.lwtable', bytes.subarray(0, bytes.length - 3), /cutend\.lwtable: truncated/);
  await refuse('cutgz.lwtable', gzipSync(bytes).subarray(0, 200), /cutgz\.lwtable: truncated/);
  // A damaged offset is refused rather than read past its arena.
  const { decodeTable } = await import('../../src/table/lwtable.js');
  const damaged = Buffer.from(bytes);
  decodeTable(damaged).parts.samples.place[0] = 2 ** 40;
  await refuse('damaged.lwtable', damaged, /damaged\.lwtable: arrays: sample 0 lies outside its chunk/);
  const set = Buffer.from(bytes);
  decodeTable(set).parts.distinct.cap[0] = -3;
  await refuse('set.lwtable', set, /set\.lwtable: arrays: distinct set 0 is neither a table, packed values nor a sketch/);
  const packed = Buffer.from(bytes);
  const p = decodeTable(packed).parts.distinct;
  p.off[0] = p.ints.length - 1;
  p.n[0] = 40;
  await refuse('packed.lwtable', packed, /packed\.lwtable: arrays: distinct set 0 lies outside distinct\.ints/);
  await refuse('junk.lwtable', Buffer.from('hello'), /junk\.lwtable: not a logwarden table/);
  const v6 = join(d, 'v6.lwtable');
  await runAggregate({ inputs: [REAL[0]!], out: v6, ipv6Prefix: 64, quiet: true }, memoryIo());
  // Lines that do not inflate: one line saying so when they are read (for the clients flagged here).
  const junk = Buffer.from(readFileSync(v6));
  decodeTable(junk).parts.samples.bytes.fill(0xff);
  await refuse('junklines.lwtable', junk, /a table's sample lines do not inflate .*the table is damaged \(aggregate the logs again\)/);
  const mixed = await runDetect({ inputs: [], tables: [good, v6], out: join(d, 'out'), quiet: true, report: false }, memoryIo()).catch((e: Error) => e);
  assert.match((mixed as Error).message, /v6\.lwtable: read with other options \(ipv6Prefix 64/);
  const both = await runDetect({ inputs: [REAL[0]!], tables: [good], out: join(d, 'out'), quiet: true }, memoryIo()).catch((e: Error) => e);
  assert.match((both as Error).message, /--tables: give logs or --tables, not both/);
});

/** A small table of the elastic log's first 3000 lines, and the outcome of detect over it. */
async function smallTable(d: string): Promise<Buffer> {
  mkdirSync(d, { recursive: true });
  const log = join(d, 'small.log');
  writeFileSync(log, `${linesOf(REAL[1]!).slice(0, 3000).join('\n')}\n`);
  const t = join(d, 'small.lwtable');
  await runAggregate({ inputs: [log], out: t, quiet: true }, memoryIo());
  return readFileSync(t);
}

test('a damaged header is refused whole before it sizes the merge: one line, exit 2, whatever table it is in a folder', async () => {
  const d = join(dir, 'headers');
  const good = await smallTable(d);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a header as JSON, damaged field by field
  const damages: Array<[string, (h: Record<string, any>) => void, RegExp]> = [
    ['rows "abc"', (h) => (h.rows = 'abc'), /header: rows: not a whole number/],
    ['rows 1e12', (h) => (h.rows = 1e12), /header: rows: not a whole number from 0 to/],
    ['rows -1', (h) => (h.rows = -1), /header: rows: not a whole number/],
    ['rows one more', (h) => (h.rows = (h.rows as number) + 1), /header: arrays\[1\]: counts holds \d+ values for \d+ rows/],
    ['no stats', (h) => delete h.stats, /header: stats: missing or not an object/],
    ['no trusted proxies', (h) => delete h.options.trustedProxies, /header: options\.trustedProxies: missing or not a list/],
    ['a malformed sample that is a string', (h) => (h.stats.malformedSamples = ['x']), /header: stats\.malformedSamples\[0\]: missing or not an object/],
    ['ipv6Prefix 0', (h) => (h.options.ipv6Prefix = 0), /header: options\.ipv6Prefix: expected a whole number from 16 to 128/],
    ['ipv6Prefix 999', (h) => (h.options.ipv6Prefix = 999), /header: options\.ipv6Prefix: not a whole number from 0 to 128/],
    ['ipv6Prefix "64"', (h) => (h.options.ipv6Prefix = '64'), /header: options\.ipv6Prefix: not a whole number/],
    [
      'every address a proxy',
      (h) => (h.options.trustedProxies = ['0.0.0.0/0']),
      /header: options\.trustedProxies\[0\]: 0\.0\.0\.0\/0 would trust every address/,
    ],
    ['a proxy that is junk', (h) => (h.options.trustedProxies = ['junk']), /header: options\.trustedProxies\[0\]: not a canonical address/],
    ['two billion buckets', (h) => (h.overall.buckets = 2e9), /header: overall\.buckets: not a whole number from 0 to 65536/],
    ['a negative array length', (h) => (h.arrays[3].length = -8), /header: arrays\[3\]\.length: not a whole number/],
    ['an array of another type', (h) => (h.arrays[2].type = 'u8'), /header: arrays\[2\]: expected spans of f64/],
    ['arrays missing', (h) => (h.arrays = h.arrays.slice(0, 5)), /header: arrays: 5 arrays, expected \d+/],
    ['no header at all', (h) => Object.keys(h).forEach((k) => delete h[k]), /header: kind: expected "logwarden-table"/],
  ];
  for (const [what, edit, re] of damages) {
    const folder = join(d, what.replace(/\W+/g, '-'));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'aaa.lwtable'), good);
    writeFileSync(join(folder, 'zzz.lwtable'), withHeader(good, edit));
    const started = Date.now();
    const err = await runDetect({ inputs: [], tables: [folder], out: join(d, 'out'), quiet: true }, memoryIo()).catch((e: Error) => e);
    assert.instance(err, Error, what);
    assert.is((err as { exitCode?: number }).exitCode, 2, `${what}: ${(err as Error).stack}`);
    assert.match((err as Error).message, /zzz\.lwtable: /, what);
    assert.match((err as Error).message, re, what);
    assert.not.match((err as Error).message, /\n/, what);
    assert.ok(Date.now() - started < 5000, `${what}: refused in ${Date.now() - started} ms`);
  }
  // The command as Jenkins runs it: one line, exit 2, no stack.
  const folder = join(d, 'rows-abc-');
  const r = await runCli(['aggregate', '--tables', folder, '--out', join(d, 'merged.lwtable')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /zzz\.lwtable: header: rows: not a whole number/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('keys that are no client address, or one key on two rows, are refused: detect never writes them', async () => {
  const d = join(dir, 'keys');
  const good = await smallTable(d);
  const { version, header, arrays } = splitTable(good);
  const keysLength = (header.arrays as Array<{ length: number }>)[0]!.length;
  const keys = arrays.subarray(0, keysLength).toString('latin1').split('\n');
  const withKey = (row: number, key: string) => {
    const k = [...keys];
    k[row] = key;
    const text = Buffer.from(k.join('\n'), 'latin1');
    const h = JSON.parse(JSON.stringify(header)) as { arrays: Array<{ length: number }> };
    h.arrays[0]!.length = text.length;
    const pad = (n: number) => (8 - (n % 8)) % 8;
    return joinTable(version, JSON.stringify(h), Buffer.concat([text, Buffer.alloc(pad(text.length)), arrays.subarray(keysLength + pad(keysLength))]));
  };
  for (const [key, re] of [
    ['<img src=x onerror=alert(1)>', /keys: row 3 is not a client address: "<img/],
    ['0.0.0.0/0', /keys: row 3 is not a client address: "0\.0\.0\.0\/0"/],
    ['1.2.3.4;reboot', /keys: row 3 is not a client address/],
    ['2001:DB8::1', /keys: row 3 is not a client address/],
    [keys[0]!, new RegExp(`keys: ${keys[0]!.replace(/\./g, '\\.')} is on two rows`)],
  ] as Array<[string, RegExp]>) {
    const f = join(d, 'bad.lwtable');
    writeFileSync(f, withKey(3, key));
    const err = await runDetect({ inputs: [], tables: [f], out: join(d, 'out'), quiet: true, report: false }, memoryIo()).catch((e: Error) => e);
    assert.instance(err, Error, key);
    assert.is((err as { exitCode?: number }).exitCode, 2, key);
    assert.match((err as Error).message, re);
  }
});

test('a negative minute peak or minutes out of order: refused, not a crash in k-means', async () => {
  const d = join(dir, 'minutes');
  const good = await smallTable(d);
  const { decodeTable } = await import('../../src/table/lwtable.js');
  const peak = Buffer.from(good);
  decodeTable(peak).parts.minutes.peak[0] = -5;
  const order = Buffer.from(good);
  const m = decodeTable(order).parts.minutes;
  const row = m.n.findIndex((n) => n >= 2);
  m.ints[m.off[row]! + 2] = m.ints[m.off[row]!]!;
  for (const [name, bytes, re] of [
    ['peak', peak, /arrays: minutes\.peak of row 0 is not its largest minute/],
    ['order', order, new RegExp(`arrays: the minutes of row ${row} are out of order`)],
  ] as Array<[string, Buffer, RegExp]>) {
    const f = join(d, `${name}.lwtable`);
    writeFileSync(f, bytes);
    const err = await runDetect({ inputs: [], tables: [f], out: join(d, 'out'), quiet: true, report: false }, memoryIo()).catch((e: Error) => e);
    assert.instance(err, Error, name);
    assert.match((err as Error).message, re);
  }
});

test('a table named twice (its folder, itself, a link to it) is merged once', async () => {
  const d = join(dir, 'twice');
  const good = await smallTable(d);
  const folder = join(d, 'tables');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'a.lwtable'), good);
  symlinkSync(join(folder, 'a.lwtable'), join(d, 'link.lwtable'));
  const once = await detectOn({ tables: [folder] }, join(d, 'once'));
  const thrice = await detectOn({ tables: [folder, join(folder, 'a.lwtable'), join(d, 'link.lwtable')] }, join(d, 'thrice'));
  same(once, thrice, 'named three times');
});

/** Gzips `parts` (buffers, or counts of zero bytes) as a stream: a bomb is never whole in memory here. */
async function gzipOf(parts: Array<Buffer | number>): Promise<Buffer> {
  const gz = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((r) => gz.on('end', r));
  const zeros = Buffer.alloc(1 << 24);
  for (const p of parts) {
    if (typeof p !== 'number') gz.write(p);
    else
      for (let left = p; left > 0; left -= zeros.length)
        if (!gz.write(zeros.subarray(0, Math.min(left, zeros.length)))) await new Promise((r) => gz.once('drain', r));
  }
  gz.end();
  await ended;
  return Buffer.concat(out);
}

test('a gzip bomb as a table is refused as soon as it inflates past its header: memory stays small', async () => {
  const d = join(dir, 'bomb');
  const good = await smallTable(d);
  const { version, header } = splitTable(good);
  // A true header, then a gigabyte of zeros where the arrays should be; and 16 bytes then zeros.
  const head = joinTable(version, JSON.stringify(header), Buffer.alloc(0));
  const lying = Buffer.alloc(16);
  Buffer.from('LWTABLE\n').copy(lying);
  lying.writeUInt32LE(version, 8);
  lying.writeUInt32LE(1 << 30, 12);
  for (const [name, parts, re] of [
    ['bomb', [head, 1 << 30], /bomb\.lwtable: inflates past the \d+ bytes its header declares/],
    ['bomb16', [lying, 1 << 30], /bomb16\.lwtable: truncated \(the header ends early\)/],
  ] as Array<[string, Array<Buffer | number>, RegExp]>) {
    const f = join(d, `${name}.lwtable`);
    writeFileSync(f, await gzipOf(parts));
    const before = process.memoryUsage().rss;
    const err = await runDetect({ inputs: [], tables: [f], out: join(d, 'out'), quiet: true, report: false }, memoryIo()).catch((e: Error) => e);
    const grew = process.memoryUsage().rss - before;
    assert.instance(err, Error, name);
    assert.match((err as Error).message, re);
    assert.ok(grew < 256 << 20, `${name}: memory grew by ${grew >> 20} MB`);
  }
});

test.run();
