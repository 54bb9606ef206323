import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDetect } from '../../src/commands/detect.js';
import { runGenerate } from '../../src/commands/generate.js';
import { baselineFlags, realLogDir, scoreRealLogs } from '../../src/eval/suite.js';
import { memoryIo, ROOT, runCli, tempDir } from '../helpers/index.js';

test('npm run eval: scores scenario families against their labels, beside the seeds k = 2 method', () => {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'dist/eval/suite.js'), '--seeds', '1', '--sizes', '8000', '--family', 'distributed-flood', '--family', 'flash-crowd', '--family', 'quiet-day'],
    { encoding: 'utf8' },
  );
  assert.is(r.status, 0, r.stdout + r.stderr);
  const row = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(name))!;
  assert.match(row('distributed-flood'), /^distributed-flood\s+\d+\s+1\.00\s+1\.00\s+\S+\s+\S+$/);
  assert.match(row('flash-crowd'), /0 of \d+/);
  assert.match(r.stdout, /baseline: recall/);
  assert.match(r.stdout, /every target holds/);
});

test('eval with no ../shared scores the shipped real logs and says in one line that almhuette is absent', async () => {
  const work = tempDir();
  const datasets = realLogDir(join(work, 'datasets'), { LOGWARDEN_NO_SHARED: '1' })!;
  assert.is(datasets, join(work, 'datasets'));
  assert.ok(existsSync(join(datasets, 'elastic-apache/apache_logs.log')));
  assert.ok(existsSync(join(datasets, 'honeynet-2004/access_log.combined')));
  assert.not.ok(existsSync(join(datasets, 'almhuette-raith-2019')));
  rmSync(join(datasets, 'honeynet-2004'), { recursive: true }); // elastic alone is enough here, and quicker
  const out: string[] = [];
  const ok = await scoreRealLogs(datasets, join(work, 'out'), memoryIo(), out);
  assert.ok(ok, out.join('\n'));
  const alm = out.filter((l) => l.includes('almhuette'));
  assert.is(alm.length, 1);
  assert.match(alm[0]!, /^almhuette-raith-2019\s+skipped: almhuette-raith-2019\/access\.log is absent/);
  assert.ok(
    out.some((l) => /^elastic-apache\s+\d+\s+\S+\s+0\s/.test(l)),
    out.join('\n'),
  );
});

test('the baseline flags the cluster of the busiest addresses', () => {
  const clients = [1, 2, 3, 2, 1, 500, 600].map((requests, i) => ({ address: `192.0.2.${i + 1}`, requests }));
  assert.equal(baselineFlags(clients), ['192.0.2.6', '192.0.2.7']);
});

test('logwarden evaluate: precision and recall of a run against an operator labels, and who was missed', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const { actors } = await runGenerate({ out: log, lines: 12000, clients: 180, attacks: true, seed: 3, quiet: true }, memoryIo());
  const out = join(dir, 'out');
  await runDetect({ inputs: [log], out, quiet: true, report: false }, memoryIo());
  const flood = actors.find((a) => a.label === 'flood')!;
  const visitor = actors.find((a) => a.label === 'normal')!;
  // The operator labels one visitor as an attacker the run could not know of: one miss.
  const labels = join(dir, 'incidents.csv');
  writeFileSync(labels, `address,label\n${flood.address},flood\n${visitor.address},abusive\n`);
  const r = await runCli(['evaluate', '--in', out, '--labels', labels]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^precision [01]\.\d{3}, recall 0\.500: 1 attackers flagged, 1 missed/);
  assert.match(r.stdout, new RegExp(`missed: ${visitor.address.replace(/\./g, '\\.')}`));
  const j = await runCli(['evaluate', '--in', out, '--labels', labels, '--json']);
  assert.is(JSON.parse(j.stdout).recall, 0.5);
  writeFileSync(labels, 'address,label\nnot-an-address,flood\n');
  const bad = await runCli(['evaluate', '--in', out, '--labels', labels]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /incidents\.csv: line 2: expected "address,label"/);
});

test.run();
