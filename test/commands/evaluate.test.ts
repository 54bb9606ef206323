/** `evaluate` and `generate` given what they cannot use: one line each, exit 2, nothing written or printed whole. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/index.js';

const dir = tempDir();

test('evaluate --labels: a folder, an empty file, an address labelled twice, a label of megabytes: one line, exit 2', async () => {
  const log = join(dir, 'access.log');
  assert.is((await runCli(['generate', '--out', log, '--lines', '3000', '--seed', '2', '--quiet'])).code, 0);
  const out = join(dir, 'out');
  assert.is((await runCli(['detect', log, '--out', out, '--quiet', '--no-report'])).code, 0);
  const labels = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  mkdirSync(join(dir, 'labels.d'));
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'labels.d'), /--labels: .*labels\.d is not a file/],
    [labels('empty.csv', 'address,label\n# nothing yet\n'), /empty\.csv: no "address,label" line in it/],
    [labels('twice.csv', '192.0.2.1,flood\n192.0.2.2,benign\n192.0.2.1,benign\n'), /twice\.csv: 192\.0\.2\.1 is labelled twice/],
    [labels('huge.csv', `192.0.2.1,${'x'.repeat(50 << 20)}\n`), /huge\.csv: 192\.0\.2\.1: the label is not a word/],
    [
      labels('typo.csv', '192.0.2.1,benign\n192.0.2.2,bruteforce\n'),
      /typo\.csv: line 2: "bruteforce" is no kind logwarden knows; did you mean "brute-force"\?/,
    ],
  ];
  for (const [file, re] of cases) {
    const r = await runCli(['evaluate', '--in', out, '--labels', file]);
    assert.is(r.code, 2, r.stderr.slice(0, 300));
    assert.match(r.stderr, re);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr.slice(0, 300));
    assert.ok(r.stderr.length < 400, 'the label is not printed whole');
  }
});

test('evaluate: a few labelled incidents score what was labelled; flagged clients without a label are counted apart', async () => {
  const log = join(dir, 'few.log');
  assert.is((await runCli(['generate', '--out', log, '--lines', '20000', '--seed', '4', '--quiet'])).code, 0);
  const out = join(dir, 'few-out');
  assert.is((await runCli(['detect', log, '--out', out, '--quiet', '--no-report'])).code, 0);
  const flagged = readFileSync(join(out, 'blocklist.txt'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.includes('/'));
  assert.ok(flagged.length >= 4, `${flagged.length} flagged`);
  // The operator knows two of the attackers, and one visitor.
  const file = join(dir, 'few.csv');
  writeFileSync(file, `address,label\n${flagged[0]},flood\n${flagged[1]},scan\n192.0.2.250,benign\n`);
  const r = await runCli(['evaluate', '--in', out, '--labels', file]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^precision 1\.000, recall 1\.000: 2 attackers flagged, 0 missed, 0 flagged wrongly/);
  assert.match(r.stdout, new RegExp(`${flagged.length - 2} flagged without a label \\(not counted above`));
});

test('generate: more lines or visitors than a log is made of is refused before anything is written', async () => {
  for (const [args, re] of [
    [['--lines', '1e12'], /--lines: expected a whole number from 1 to 100,000,000, got 1000000000000/],
    [['--clients', '1e9'], /--clients: expected a whole number from 1 to 1,000,000, got 1000000000/],
  ] as Array<[string[], RegExp]>) {
    const out = join(dir, `gen-${args[0]}.log`);
    const r = await runCli(['generate', '--out', out, ...args]);
    assert.is(r.code, 2);
    assert.match(r.stderr, re);
    assert.not.ok(existsSync(out));
  }
});

test.run();
