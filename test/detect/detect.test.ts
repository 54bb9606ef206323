import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDetect } from '../../src/commands/detect.js';
import { runGenerate } from '../../src/commands/generate.js';
import { silhouette, cluster, seededRandom } from '../../src/detect/cluster.js';
import { CsvWriter } from '../../src/detect/verdicts.js';
import { fitScalerFlat } from '../../src/detect/scale.js';
import { roundFeature } from '../../src/features/vector.js';
import { DATASETS, memoryIo, needing, tempDir } from '../helpers/index.js';

const ALM = join(DATASETS, 'almhuette-raith-2019/access.log');
const almTest = needing(test, ALM);

async function detectFile(path: string, extra: Record<string, unknown> = {}) {
  const out = tempDir();
  const o = await runDetect({ inputs: [path], out, quiet: true, ...extra }, memoryIo());
  return { ...o, out, blocklist: readFileSync(join(out, 'blocklist.txt'), 'utf8').split('\n').filter(Boolean) };
}

almTest('almhuette-raith-2019: the Joomla brute-forcer and the 3-minute flooder are flagged', async () => {
  const { blocklist, verdicts } = await detectFile(ALM);
  for (const ip of ['193.106.31.130', '198.38.84.230']) assert.ok(blocklist.includes(ip), `${ip} flagged`);
  const brute = verdicts.flagged.find((f) => f.address === '193.106.31.130')!;
  assert.ok(brute.kinds.includes('brute-force'), `kinds ${brute.kinds}`);
  assert.ok(brute.samples.length > 0 && brute.samples.length <= 5);
  assert.ok(
    brute.samples.some((s) => s.includes('POST /administrator')),
    'a sample shows the login POST',
  );
  assert.ok(
    brute.reasons.some((r) => r.startsWith('brute force: 5500 failed logins')),
    'the failed logins are the evidence',
  );
  // Every flagged client is explained.
  for (const f of verdicts.flagged) assert.ok(f.reasons.length > 0 && f.standouts.length > 0, f.address);
});

test('honeynet-2004: both floods are flagged and the dirty file still parses', async () => {
  const { blocklist, verdicts } = await detectFile(join(DATASETS, 'honeynet-2004/access_log.combined'));
  for (const ip of ['82.82.97.119', '63.126.133.22']) assert.ok(blocklist.includes(ip), `${ip} flagged`);
  assert.ok(verdicts.parse.malformed > 0, 'dirty lines are counted');
  assert.is(verdicts.parse.linesRead, 38487);
  assert.is(verdicts.parse.timeRange!.first, '2004-04-21T10:56:07-04:00');
});

test('elastic-apache: Googlebot is not flagged, and at most a handful of clients are', async () => {
  const { blocklist, verdicts } = await detectFile(join(DATASETS, 'elastic-apache/apache_logs.log'));
  assert.not.ok(blocklist.includes('66.249.73.135'), 'Googlebot not flagged');
  assert.ok(blocklist.length <= 5, `flagged ${blocklist.join(' ')}`);
  assert.ok(verdicts.clients.total > 1000);
});

for (const seed of [1, 2, 3]) {
  test(`generated log (seed ${seed}): every flood, scanner and brute-forcer, and no one else`, async () => {
    const dir = tempDir();
    const log = join(dir, 'access.log');
    const { actors } = await runGenerate({ out: log, lines: 20000, clients: 300, attacks: true, seed, quiet: true }, memoryIo());
    const { blocklist } = await detectFile(log);
    const attackers = actors
      .filter((a) => ['flood', 'scan', 'brute-force'].includes(a.label))
      .map((a) => a.address)
      .sort();
    assert.is(attackers.length, 5);
    assert.equal([...blocklist].sort(), attackers);
  });
}

test('generated quiet day: the office behind NAT and the crawlers are not blocked, nor anyone', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const { actors } = await runGenerate({ out: log, lines: 20000, clients: 300, attacks: false, seed: 4, quiet: true }, memoryIo());
  assert.ok(actors.some((a) => a.label === 'office'));
  const { blocklist, verdicts } = await detectFile(log);
  assert.equal(blocklist, []);
  assert.ok(verdicts.clustering.k >= 2, 'clustering still ran');
});

almTest('the same input gives the same verdicts; the seed is recorded', async () => {
  const path = ALM;
  const a = await detectFile(path);
  const b = await detectFile(path);
  assert.equal(a.blocklist, b.blocklist);
  assert.equal(a.verdicts.clustering, b.verdicts.clustering);
  assert.is(a.verdicts.parameters.seed, 42);
});

almTest('the allowlist spares addresses and CIDRs, by flag and by file', async () => {
  const dir = tempDir();
  const file = join(dir, 'allow.txt');
  writeFileSync(file, '# our monitoring\n198.38.84.0/24\n');
  const { blocklist, verdicts } = await detectFile(ALM, {
    allow: ['193.106.31.130'],
    allowFile: [file],
  });
  assert.not.ok(blocklist.includes('193.106.31.130'));
  assert.not.ok(blocklist.includes('198.38.84.230'));
  assert.equal(verdicts.clients.spared.sort(), ['193.106.31.130', '198.38.84.230']);
});

test('silhouette: well-separated groups score near 1, one blob splits badly', () => {
  const pts = [
    [0, 0],
    [0, 0.1],
    [0.1, 0],
    [10, 10],
    [10, 10.1],
    [10.1, 10],
  ];
  assert.ok(silhouette(pts, [0, 0, 0, 1, 1, 1], 2) > 0.95);
  assert.ok(silhouette(pts, [0, 1, 0, 1, 0, 1], 2) < 0);
  const c = cluster(pts, { seed: 1, kMin: 2, kMax: 4, fitSample: 100, scoreSample: 100 });
  assert.is(c.k, 2);
  assert.is(c.assignment[0], c.assignment[1]);
  assert.is.not(c.assignment[0], c.assignment[3]);
});

test('clients.csv numbers are written exactly as String() writes them, rounded to 4 decimals', () => {
  const rand = seededRandom(7);
  const values = [0, 1, 0.0001, 0.001, 0.5, 0.9999, 1.0001, 10.1, 123456789.1234, 999999999.9999, 1 / 3, 2 ** 40 + 0.5, 1e21, -2.5, NaN];
  for (let i = 0; i < 200_000; i++) {
    const scale = 10 ** Math.floor(rand() * 10 - 1);
    const v = rand() * scale;
    values.push(v, Math.round(v * 10000) / 10000, Math.round(v));
  }
  const written = (v: number) => {
    const w = new CsvWriter();
    w.feature(v);
    return w.take().toString();
  };
  const wrong = values.filter((v) => written(v) !== String(roundFeature(v)));
  assert.equal(wrong.slice(0, 5), [], 'no value is written otherwise');
  const w = new CsvWriter();
  for (const part of ['10.0.0.1', ',', 'façade–ü', ',x'.repeat(40_000)]) w.text(part);
  assert.is(w.take().toString(), `10.0.0.1,façade–ü${',x'.repeat(40_000)}`, 'text, ASCII or not, past the first buffer');
});

test('robust scaling: quantiles found by selection are those of the sorted columns, ties and all', () => {
  const rand = seededRandom(11);
  const sorted = (col: number[], q: number) => {
    const s = [...col].sort((a, b) => a - b);
    const pos = (s.length - 1) * q;
    const lo = Math.floor(pos);
    return s[lo]! + (s[Math.ceil(pos)]! - s[lo]!) * (pos - lo);
  };
  for (const n of [1, 2, 3, 4, 10, 101, 1000, 20_001]) {
    const dims = 3;
    const values = new Float64Array(n * dims);
    // A column of mostly zeros (most clients have no errors), one of few distinct values, one continuous.
    for (let i = 0; i < n; i++) values.set([rand() < 0.9 ? 0 : rand(), Math.floor(rand() * 4), rand() * 1e6], i * dims);
    const s = fitScalerFlat(values, [0.05, 0.05, 0.05]);
    for (let d = 0; d < dims; d++) {
      const col = Array.from({ length: n }, (_, i) => values[i * dims + d]!);
      assert.is(s.center[d], sorted(col, 0.5), `n ${n}, column ${d}: median`);
      const median = sorted(col, 0.5);
      const mad = sorted(
        col.map((v) => Math.abs(v - median)),
        0.5,
      );
      assert.is(s.spread[d], Math.max(mad * 1.4826, 0.05), `n ${n}, column ${d}: spread (median absolute deviation)`);
    }
  }
});

test.run();
