import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { runDetect } from '../../src/commands/detect.js';
import { runFetch } from '../../src/commands/fetch.js';
import { runGenerate } from '../../src/commands/generate.js';
import { join } from 'node:path';
import { DATASETS, memoryIo, needing, runCli, tempDir } from '../helpers/index.js';

const ALM = join(DATASETS, 'almhuette-raith-2019/access.log');
const almTest = needing(test, ALM);
const ELASTIC = join(DATASETS, 'elastic-apache/apache_logs.log');

almTest('cli detect: writes blocklist.txt, verdicts.json and clients.csv and prints a table with reasons', async () => {
  const out = tempDir();
  const r = await runCli(['detect', ALM, '--out', out]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /read 10000 lines: 10000 parsed, 0 malformed/);
  assert.match(r.stdout, /193\.106\.31\.130\s+\S*brute-force/);
  const blocklist = readFileSync(join(out, 'blocklist.txt'), 'utf8');
  assert.match(blocklist, /^(\S+\n)+$/, 'one address per line, nothing else');
  const lines = blocklist.trim().split('\n');
  assert.ok(lines.includes('198.38.84.230'));
  const v = JSON.parse(readFileSync(join(out, 'verdicts.json'), 'utf8'));
  assert.is(v.schemaVersion, 2);
  assert.is(v.parse.parsed, 10000);
  assert.is(v.parse.timeRange.first, '2019-10-14T10:50:18+02:00');
  assert.ok(v.clustering.k >= 2 && typeof v.clustering.silhouette === 'number');
  assert.is(
    v.clustering.clusters.reduce((s: number, c: { size: number }) => s + c.size, 0),
    v.clients.total,
  );
  assert.equal(v.flagged.map((f: { address: string }) => f.address).sort(), [...lines].sort());
  const csv = readFileSync(join(out, 'clients.csv'), 'utf8').trim().split('\n');
  assert.is(csv.length, v.clients.total + 1);
  assert.match(csv[0]!, /^address,cluster,flagged,allowlisted,group,requests,peakPerMinute/);
  assert.match(csv[1]!, /^193\.106\.31\.130,\d+,true,/);
});

test('cli detect: blocklist sorted numerically with IPv4 before IPv6', async () => {
  const dir = tempDir();
  const log = join(dir, 'a.log');
  const lines: string[] = [];
  for (const ip of ['10.0.0.2', '9.0.0.1', '2001:db8::5']) {
    // Floods the server fails under (every other request answered 503): a flood's harm, not its speed alone.
    for (let i = 0; i < 200; i++)
      lines.push(`${ip} - - [10/Oct/2020:13:55:${String(i % 60).padStart(2, '0')} +0000] "GET /?${i} HTTP/1.1" ${i % 2 ? 503 : 200} 10 "-" "ua"`);
  }
  for (let c = 0; c < 30; c++) lines.push(`172.16.0.${c + 1} - - [10/Oct/2020:14:${String(c).padStart(2, '0')}:00 +0000] "GET / HTTP/1.1" 200 10 "-" "ua"`);
  writeFileSync(log, `${lines.join('\n')}\n`);
  const r = await runCli(['detect', log, '--out', join(dir, 'out')]);
  assert.is(r.code, 0, r.stderr);
  assert.is(readFileSync(join(dir, 'out/blocklist.txt'), 'utf8'), '9.0.0.1\n10.0.0.2\n2001:db8::5\n');
});

almTest('cli detect: reads stdin with -', async () => {
  const out = tempDir();
  const r = await runCli(['detect', '-', '--out', out, '--json'], { input: readFileSync(ALM) });
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.is(summary.parse.parsed, 10000);
  assert.ok(summary.flagged.some((f: { address: string }) => f.address === '193.106.31.130'));
});

test('cli detect: an empty log is exit 2 (issue 30: a run that judged nothing says so), with no outputs', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'empty.log'), '');
  const r = await runCli(['detect', join(dir, 'empty.log'), '--out', join(dir, 'out'), '--json']);
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  assert.not.ok(existsSync(join(dir, 'out/blocklist.txt')));
});

test('cli detect: a nonexistent input is exit 2 with its name, in one line', async () => {
  const r = await runCli(['detect', '/no/such/access.log', '--out', tempDir()]);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim(), 'logwarden: input not found: /no/such/access.log');
});

test('cli: a wrong flag, an unknown format and a bad allowlist entry are usage errors (exit 2)', async () => {
  const out = tempDir();
  const flag = await runCli(['detect', ELASTIC, '--out', out, '--no-such-flag']);
  assert.is(flag.code, 2);
  assert.match(flag.stderr, /^logwarden: unknown option --/);
  const fmt = await runCli(['detect', ELASTIC, '--out', out, '--format', 'syslog']);
  assert.is(fmt.code, 2);
  assert.match(fmt.stderr, /combined/);
  const allow = await runCli(['detect', ELASTIC, '--out', out, '--allow', '1.2.3.999']);
  assert.is(allow.code, 2);
  assert.match(allow.stderr, /not an IP address or CIDR: "1\.2\.3\.999"/);
  assert.not.ok(existsSync(join(out, 'blocklist.txt')), 'nothing written on a usage error');
  const none = await runCli([]);
  assert.is(none.code, 2);
});

test('cli: --help lists the commands and documents exit codes', async () => {
  const r = await runCli(['--help']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /detect \[inputs\.\.\]/);
  for (const c of [/aggregate \[inputs\.\.\]/, /watch <sources\.\.>/, /serve /]) assert.match(r.stdout, c);
  assert.match(r.stdout, /2 usage or config error/);
  const d = await runCli(['detect', '--help']);
  assert.is(d.code, 0);
  assert.match(d.stdout, /--ipv6-prefix/);
});

test('cli: a number option that is not a number is a usage error naming it, not a quiet run', async () => {
  for (const [flag, value, want] of [
    ['--cluster-threshold', 'abc', 'a number'],
    ['--k-min', '3x', 'a whole number'],
    ['--flood-guard', 'lots', 'a whole number'],
  ]) {
    const r = await runCli(['detect', 'nonexistent.log', flag!, value!]);
    assert.is(r.code, 2, `${flag}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^logwarden: ${flag}: expected ${want!}, got "${value}"`));
  }
  const seed = await runCli(['generate', '--out', 'x.log', '--seed=abc']);
  assert.match(seed.stderr, /^logwarden: --seed: expected a whole number, got "abc"\n/);
});

test('cli: mistakes get a hint: one dash on a long option, a missing stage directory, an empty log', async () => {
  const dir = tempDir();
  const r = await runCli(['detect', ELASTIC, '-out', join(dir, 'x')]);
  assert.is(r.code, 2);
  assert.is(r.stderr.split('\n')[0], 'logwarden: -out: long options take two dashes: --out');
  const n = await runCli(['notify', '--to', 'ops@example.org'], { cwd: dir });
  assert.is(n.code, 2);
  assert.match(n.stderr, /^logwarden: out\/blocklist\.txt: not found: looked in out for the detect stage's outputs \(--in DIR names that directory\)/);
  writeFileSync(join(dir, 'empty.log'), '');
  const e = await runCli(['detect', join(dir, 'empty.log'), '--out', join(dir, 'o')]);
  assert.is(e.code, 2);
  assert.match(e.stderr, /^logwarden: .*empty\.log: no usable line \(read 0 lines/);
});

test('cli: --help shows every default, the commands in pipeline order, and no [default: []]', async () => {
  const top = await runCli(['--help']);
  const order = ['fetch', 'detect', 'block', 'unblock', 'notify', 'generate', 'evaluate'].map((c) => top.stdout.indexOf(`logwarden ${c}`));
  assert.ok(
    order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)),
    `order ${order}`,
  );
  for (const cmd of [['fetch'], ['detect', 'x'], ['block'], ['unblock', '192.0.2.1'], ['notify'], ['generate'], ['evaluate']]) {
    const h = await runCli([...cmd, '--help']);
    assert.not.match(h.stdout, /default: \[\]/, cmd[0]);
  }
  const notify = (await runCli(['notify', '--help'])).stdout;
  assert.match(notify, /--when[\s\S]*?\[default: changes\]/);
  assert.match(notify, /--smtp-security[\s\S]*?\[default: starttls\]/);
  assert.match(notify, /--to[^\n]*\[required\]/);
  assert.match((await runCli(['detect', '--help'])).stdout, /--out[^\n]*report\.html/);
});

test('generate --lines N writes N lines, or says why it cannot', async () => {
  const dir = tempDir();
  for (const n of [3000, 45000]) {
    const r = await runCli(['generate', '--out', join(dir, `${n}.log`), '--lines', String(n)]);
    assert.is(r.code, 0, r.stderr);
    assert.is(
      readFileSync(join(dir, `${n}.log`), 'utf8')
        .split('\n')
        .filter(Boolean).length,
      n,
    );
    assert.match(r.stdout, new RegExp(`^wrote ${n} lines`));
  }
  const few = await runCli(['generate', '--out', join(dir, 'few.log'), '--lines', '100', '--clients', '50']);
  assert.is(few.code, 0);
  assert.match(few.stderr, /wrote \d+ lines, not 100: the crawlers, the office, the scenario families and one line at least from each of the 50 visitors/);
});

test('on a terminal, long runs show progress: fetch per source, detect per file with lines/s', async () => {
  const dir = tempDir();
  // a.log big enough to take a measurable while (its rate is shown after a tenth of a second).
  await runGenerate({ out: join(dir, 'a.log'), lines: 400_000, clients: 4000, attacks: true, seed: 1, quiet: true }, memoryIo());
  copyFileSync(ELASTIC, join(dir, 'b.log'));
  const tty = () => {
    const io = memoryIo();
    (io.stderr as { isTTY?: boolean }).isTTY = true;
    return io;
  };
  const f = tty();
  await runFetch({ out: join(dir, 'logs'), sources: [join(dir, 'a.log'), join(dir, 'b.log')], state: join(dir, 'state.json') }, f);
  assert.match(f.err(), /fetching .*a\.log \(1 of 2\)\.\.\.\nfetching .*b\.log \(2 of 2\)\.\.\./);
  const d = tty();
  await runDetect({ inputs: [join(dir, 'a.log'), join(dir, 'b.log')], out: join(dir, 'out'), report: false }, d);
  const shown = d
    .err()
    .split('\n')
    .map((l) => l.split('\r').pop()!.replace('\x1b[K', ''));
  assert.ok(
    shown.some((l) => /^reading .*a\.log: \d+ MB \(\d+% of all\), 400,000 lines, [\d,]+ lines\/s$/.test(l)),
    JSON.stringify(shown),
  );
  assert.ok(shown.some((l) => /^reading .*b\.log: /.test(l)));
});

test.run();
