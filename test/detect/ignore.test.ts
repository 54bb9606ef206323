/**
 * --ignore-path and --ignore-agent: the site's own automation is left out before anything is counted, the same
 * through aggregate and detect --tables, recorded in verdicts.json and the report.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/index.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const at = (m: number, s: number) =>
  `07/Dec/2026:${String(8 + Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:${String(s).padStart(2, '0')} +0000`;

/**
 * Visitors, and the site's own health checker during an outage: 600 checks in ten minutes with a fresh query
 * each, half answered 503 (a flood by every sign it shows), and a deploy hook POSTing with its own agent.
 */
function log(dir: string): string {
  const lines: string[] = [];
  for (let v = 0; v < 50; v++)
    for (let k = 0; k < 8; k++)
      lines.push(`192.0.2.${v + 1} - - [${at(v * 2 + k, 0)}] "GET /page/${k} HTTP/1.1" 200 5000 "https://www.example.org/" "${CHROME}"`);
  for (let i = 0; i < 600; i++)
    lines.push(`198.51.100.5 - - [${at(30 + Math.floor(i / 60), i % 60)}] "GET /healthz?t=${i} HTTP/1.1" ${i % 2 ? 503 : 200} 20 "-" "kube-probe/1.29"`);
  for (let i = 0; i < 30; i++) lines.push(`198.51.100.5 - - [${at(40, i)}] "POST /deploy/hook HTTP/1.1" 500 20 "-" "DeployBot/2.0"`);
  const path = join(dir, 'access.log');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

test("the site's own automation is left out, counted and recorded; without the rules it is a flood", async () => {
  const dir = tempDir();
  const input = log(dir);
  const plain = await runCli(['detect', input, '--out', join(dir, 'plain'), '--no-report', '--quiet']);
  assert.is(plain.code, 0, plain.stderr);
  assert.match(readFileSync(join(dir, 'plain', 'blocklist.txt'), 'utf8'), /198\.51\.100\.5/, 'the health checker floods by its signs');
  const args = ['--ignore-path', '/healthz', '--ignore-agent', '^DeployBot/'];
  const r = await runCli(['detect', input, '--out', join(dir, 'out'), ...args]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /630 ignored \(--ignore-path, --ignore-agent\)/);
  assert.is(readFileSync(join(dir, 'out', 'blocklist.txt'), 'utf8'), '');
  const v = JSON.parse(readFileSync(join(dir, 'out', 'verdicts.json'), 'utf8'));
  assert.equal(v.parameters.ignore, { paths: ['/healthz'], agents: ['^DeployBot/'], lines: 630 });
  assert.match(readFileSync(join(dir, 'out', 'report.html'), 'utf8'), /path \/healthz, agent \/\^DeployBot\/\/: 630 lines left out/);
  // The same through a table: the rules travel in its header.
  const table = join(dir, 'part.lwtable');
  const a = await runCli(['aggregate', input, '--out', table, ...args]);
  assert.is(a.code, 0, a.stderr);
  const t = await runCli(['detect', '--tables', table, '--out', join(dir, 'tables'), '--no-report', '--quiet']);
  assert.is(t.code, 0, t.stderr);
  assert.is(readFileSync(join(dir, 'tables', 'clients.csv'), 'utf8'), readFileSync(join(dir, 'out', 'clients.csv'), 'utf8'));
  assert.equal(JSON.parse(readFileSync(join(dir, 'tables', 'verdicts.json'), 'utf8')).parameters.ignore, v.parameters.ignore);
  // Tables that left out different lines do not merge; rules given to a merge are refused.
  const other = join(dir, 'other.lwtable');
  await runCli(['aggregate', input, '--out', other, '--ignore-path', '/healthz']);
  const mixed = await runCli(['detect', '--tables', table, other, '--out', join(dir, 'mixed'), '--no-report']);
  assert.is(mixed.code, 2);
  assert.match(mixed.stderr, /other --ignore-path\/--ignore-agent rules than/);
  const late = await runCli(['detect', '--tables', table, '--out', join(dir, 'late'), '--ignore-path', '/x']);
  assert.is(late.code, 2);
  assert.match(late.stderr, /give --ignore-path and --ignore-agent to aggregate/);
});

test('a broken rule is one line naming its option, exit 2', async () => {
  const dir = tempDir();
  const input = log(dir);
  for (const [args, re] of [
    [['--ignore-agent', '('], /--ignore-agent: "\(": Invalid regular expression/],
    [['--ignore-path', 'healthz'], /--ignore-path: expected a glob of request paths starting with "\/"/],
  ] as const) {
    const r = await runCli(['detect', input, '--out', join(dir, 'bad'), ...args]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.is(r.stderr.trim().split('\n').length, 1);
  }
});

test.run();
