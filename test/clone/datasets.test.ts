/**
 * Any clone passes its tests: the real logs whose licence allows it ship compressed under test/fixtures/datasets,
 * each with its SOURCE.txt; a test process with no ../shared reads them inflated, and a test on the one log that
 * may not ship (almhuette-raith-2019) skips with one line naming it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT, SHARED_DATASETS, SHIPPED_DATASETS, tempDir } from '../helpers/index.js';

const SHIPPED = ['crowdsec-hub-tests', 'elastic-apache', 'honeynet-2004'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test('the shipped logs are the licensed ones, each with its SOURCE.txt naming a licence; almhuette is not among them', () => {
  assert.equal(readdirSync(SHIPPED_DATASETS).sort(), SHIPPED);
  for (const name of SHIPPED) assert.match(readFileSync(join(SHIPPED_DATASETS, name, 'SOURCE.txt'), 'utf8'), /^License: /m, name);
  assert.not.ok(
    filesUnder(SHIPPED_DATASETS).some((f) => /almhuette/i.test(f)),
    'almhuette-raith-2019 states no licence',
  );
  const logs = filesUnder(SHIPPED_DATASETS).filter((f) => /\.(log|combined)$/.test(f));
  assert.equal(logs, [], 'logs ship compressed');
});

if (existsSync(SHARED_DATASETS)) {
  test('each shipped copy inflates to the shared file byte for byte, and every shared file is shipped', () => {
    for (const name of SHIPPED) {
      const shared = filesUnder(join(SHARED_DATASETS, name));
      const shipped = filesUnder(join(SHIPPED_DATASETS, name));
      assert.equal(
        shipped.map((f) => f.replace(/\.gz$/, '')),
        shared,
        name,
      );
      for (const f of shipped) {
        const bytes = readFileSync(join(SHIPPED_DATASETS, name, f));
        const got = f.endsWith('.gz') ? gunzipSync(bytes) : bytes;
        assert.ok(got.equals(readFileSync(join(SHARED_DATASETS, name, f.replace(/\.gz$/, '')))), `${name}/${f}`);
      }
    }
  });
}

test('with no ../shared, the tests read the shipped logs inflated, skip almhuette in one line, and leave no folder', async () => {
  const dir = tempDir();
  const probe = join(dir, 'probe.test.ts');
  writeFileSync(
    probe,
    [
      `import { test } from ${JSON.stringify(join(ROOT, 'node_modules/uvu/dist/index.mjs'))};`,
      `import { existsSync } from 'node:fs';`,
      `import { join } from 'node:path';`,
      `import { DATASETS, needing } from ${JSON.stringify(join(ROOT, 'test/helpers/index.ts'))};`,
      `console.log('datasets ' + DATASETS);`,
      `test('elastic is there', () => { if (!existsSync(join(DATASETS, 'elastic-apache/apache_logs.log'))) throw new Error('no elastic'); });`,
      `needing(test, join(DATASETS, 'almhuette-raith-2019/access.log'))('almhuette is judged', () => { throw new Error('ran without its log'); });`,
      `test.run();`,
    ].join('\n'),
  );
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', probe],
      { cwd: ROOT, env: { ...process.env, LOGWARDEN_NO_SHARED: '1', NO_COLOR: '1' } },
      (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  assert.is(r.code, 0, r.stdout + r.stderr);
  const datasets = /datasets (\S+)/.exec(r.stdout)?.[1] ?? '';
  assert.not.ok(datasets.startsWith(SHARED_DATASETS), datasets);
  const skips = r.stdout.split('\n').filter((l) => /skipped/.test(l));
  assert.equal(skips, ['  skipped "almhuette is judged": needs ../shared/datasets/almhuette-raith-2019/access.log, which is not shipped with the project']);
  assert.match(r.stdout, /Skipped:\s+1/);
  assert.match(r.stdout, /Passed:\s+1/);
  assert.not.ok(existsSync(datasets), 'the inflated copies are removed at exit');
});

test('CI runs the unit tests a second time with no ../shared and counts both runs; a skipped test is not a failure', () => {
  const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
  assert.match(ci, /^LOGWARDEN_NO_SHARED=1 npm run test:unit .*tee -a "\$out"$/m);
  const log = join(tempDir(), 'tests.log');
  const summary = (total: number, passed: number, skipped: number) => `  Total:     ${total}\n  Passed:    ${passed}\n  Skipped:   ${skipped}\n`;
  writeFileSync(log, summary(180, 180, 0) + summary(160, 160, 22));
  const ok = spawnSync('bash', [join(ROOT, '.ci/tally'), log, '0'], { encoding: 'utf8' });
  assert.is(ok.stdout, '22 skipped (the lines above say why)\n340 passed, 0 failed\n');
  assert.is(ok.status, 0);
  writeFileSync(log, summary(180, 180, 0) + summary(160, 158, 22));
  const bad = spawnSync('bash', [join(ROOT, '.ci/tally'), log, '1'], { encoding: 'utf8' });
  assert.match(bad.stdout, /\n338 passed, 2 failed\n$/);
  assert.is(bad.status, 1);
});

test.run();
