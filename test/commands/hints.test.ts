/** Issue 30, item 9: mistakes on the command line get one line that names the fix. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/index.js';

const firstLine = (s: string) => s.split('\n')[0];

test('cli: a misspelt flag gets "did you mean" (--output: --out), in one line', async () => {
  const r = await runCli(['detect', 'x.log', '--output', 'y']);
  assert.is(r.code, 2);
  assert.is(firstLine(r.stderr), 'logwarden: unknown option --output (did you mean --out?)');
  const b = await runCli(['block', '--max-lfit', '3']);
  assert.is(firstLine(b.stderr), 'logwarden: unknown option --max-lfit (did you mean --max-lift?)');
});

test('cli: an unknown --format is one line listing the formats', async () => {
  const r = await runCli(['detect', 'x.log', '--format', 'nginx']);
  assert.is(r.code, 2);
  assert.match(firstLine(r.stderr)!, /^logwarden: --format: "nginx" is not one of auto, combined, common, /);
  assert.is(r.stderr.trim().split('\n').length, 2, 'the line and where help is');
});

test('cli: no input names - for standard input and no flag that does not exist', async () => {
  const r = await runCli(['detect']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^logwarden: no input given: name log files, directories, globs, or - for standard input/);
  assert.not.match(r.stderr, /--inputs/);
});

test('detect: --out naming an existing file is one line, exit 2', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'taken'), 'x');
  writeFileSync(join(dir, 'a.log'), '192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"\n');
  const r = await runCli(['detect', join(dir, 'a.log'), '--out', join(dir, 'taken')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^logwarden: --out: .*taken is a file; name a directory for the outputs\n$/);
});

test('detect: one client in one cluster is said in the singular', async () => {
  const dir = tempDir();
  const lines = Array.from(
    { length: 30 },
    (_, i) => `192.0.2.1 - - [10/Oct/2026:13:55:${String(i).padStart(2, '0')} +0000] "GET /p${i} HTTP/1.1" 200 5 "-" "curl/8"\n`,
  );
  writeFileSync(join(dir, 'a.log'), lines.join(''));
  const r = await runCli(['detect', join(dir, 'a.log'), '--out', join(dir, 'out')]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^1 client in \d+ clusters?\b/m);
  assert.not.match(r.stdout, /1 clients|1 clusters/);
});

test.run();
