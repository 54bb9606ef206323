/**
 * Partial tables: detect over any split of the logs into `aggregate` tables (by server, by time, by file,
 * compressed or not) gives byte-identical blocklist.txt and clients.csv, and the same verdicts, as detect over
 * all the logs at once. A table of another version, cut short, not a table, or read with other options is
 * refused with one line naming the file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runAggregate } from '../../src/commands/aggregate.js';
import { runDetect } from '../../src/commands/detect.js';
import { seededRandom } from '../../src/core/random.js';
import { DATASETS, memoryIo, runCli, tempDir } from '../helpers/index.js';

const dir = tempDir();
const REAL = [join(DATASETS, 'almhuette-raith-2019/access.log'), join(DATASETS, 'elastic-apache/apache_logs.log')];

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

test('the shared real logs, split by file, by time, by server (round robin), at random: the same outputs', async () => {
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

test('tables merged into tables (hours into a day, servers into a rack), in a tree: the same outputs as one pass', async () => {
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

test('a version 2 table (written before exact sets were packed) merges with tables of today into one pass', async () => {
  const d = join(dir, 'v2');
  mkdirSync(d, { recursive: true });
  const rest = join(d, 'rest.log');
  writeFileSync(rest, `${readFileSync(REAL[1]!, 'utf8').split('\n').slice(1500).join('\n')}`);
  await runAggregate({ inputs: [rest], out: join(d, 'rest.lwtable'), quiet: true }, memoryIo());
  const old = join(import.meta.dirname, '..', 'fixtures', 'tables', 'elastic-first-1500.v2.lwtable.gz');
  assert.is(gunzipSync(readFileSync(old)).readUInt32LE(8), 2, 'the fixture is a version 2 table');
  same(await detectOn({ inputs: [REAL[1]!] }, join(d, 'whole')), await detectOn({ tables: [old, join(d, 'rest.lwtable')] }, join(d, 'merged')), 'v2 + v3');
});

test('a table of another version, cut short, not a table, or read with other options: one line naming it', async () => {
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
  await refuse('v1.lwtable', v1, /v1\.lwtable: a table of version 1; this logwarden reads versions 2 and 3 \(aggregate the logs again\)/);
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

test.run();
