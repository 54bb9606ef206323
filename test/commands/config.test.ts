/** One config file for every stage, checked by one schema: unknown keys named with "did you mean", flags win. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { DEFAULT_DETECT } from '../../src/detect/defaults.js';
import { ROOT, runCli, tempDir } from '../helpers/index.js';

test('config: the example shipped is valid and has a section for every stage', () => {
  const cfg = loadConfig(join(ROOT, 'examples/logwarden.json'));
  for (const s of ['detect', 'block', 'watch', 'serve', 'fetch', 'notify', 'smtp', 'ignore']) assert.ok(cfg[s], s);
});

test('config: an unknown key or section is one line naming it, with "did you mean" (exit 2)', async () => {
  const dir = tempDir();
  const cases: Array<[object, RegExp]> = [
    [{ smtp: { hostname: 'mail.example.org' } }, /cfg\.json: unknown key "hostname" in smtp \(did you mean "host"\?\)$/],
    [{ detekt: { seed: 1 } }, /cfg\.json: unknown section "detekt" \(did you mean "detect"\?\)$/],
    [{ block: { 'max-lfit': 3 } }, /unknown key "max-lfit" in block \(did you mean "max-lift"\?\)$/],
    [{ detect: { 'k-min': 'three' } }, /cfg\.json: detect\.k-min: must be integer$/],
  ];
  for (const [doc, want] of cases) {
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify(doc));
    const r = await runCli(['notify', '--in', dir, '--to', 'ops@example.org', '--config', join(dir, 'cfg.json')]);
    assert.is(r.code, 2, JSON.stringify(doc));
    assert.match(r.stderr.trim(), want);
    assert.is(r.stderr.trim().split('\n').length, 1);
    const d = await runCli(['detect', join(dir, 'none.log'), '--config', join(dir, 'cfg.json')]);
    assert.is(d.code, 2);
    assert.match(d.stderr.trim(), want);
  }
});

test('config: a flag beats the file, which beats the default; the ignore list reaches detect', async () => {
  const dir = tempDir();
  const log = join(dir, 'day.log');
  assert.is((await runCli(['generate', '--out', log, '--seed', '4', '--lines', '3000', '--quiet'])).code, 0);
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ detect: { seed: 7, 'k-max': 5, out: join(dir, 'from-file') }, ignore: { paths: ['/health'] } }));
  const params = (out: string) => (JSON.parse(readFileSync(join(out, 'verdicts.json'), 'utf8')) as { parameters: Record<string, unknown> }).parameters;
  const r = await runCli(['detect', log, '--config', join(dir, 'cfg.json'), '--seed', '9', '--quiet']);
  assert.is(r.code, 0, r.stderr);
  const p = params(join(dir, 'from-file'));
  assert.is(p.seed, 9, 'the flag wins');
  assert.is(p.kMax, 5, 'the file beats the default');
  assert.equal((p.ignore as { paths: string[] }).paths, ['/health']);
  const env = await runCli(['detect', log, '--out', join(dir, 'plain'), '--quiet', '--k-max', '6'], { env: { LOGWARDEN_CONFIG: join(dir, 'cfg.json') } });
  assert.is(env.code, 0, env.stderr);
  assert.is(params(join(dir, 'plain')).seed, 7, 'LOGWARDEN_CONFIG names the file too');
  assert.is(params(join(dir, 'plain')).kMax, 6);
  const none = await runCli(['detect', log, '--out', join(dir, 'none'), '--quiet']);
  assert.is(none.code, 0, none.stderr);
  assert.is(params(join(dir, 'none')).kMax, DEFAULT_DETECT.kMax);
});

test.run();
