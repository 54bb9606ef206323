/**
 * What detect prints for a person: one line per flagged group (its members on --verbose), one per client flagged
 * on its own up to a screenful, then a count.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/index.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const at = (m: number, s = 0) =>
  `07/Dec/2026:${String(8 + Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:${String(s).padStart(2, '0')} +0000`;

test('the console: a login run over 40 addresses is one line, 45 lone exploit senders are 30 lines and a count', async () => {
  const dir = tempDir();
  const lines: string[] = [];
  for (let v = 0; v < 60; v++)
    for (let k = 0; k < 8; k++)
      lines.push(`192.0.2.${v + 1} - - [${at(v * 3 + k)}] "GET /blog/post-${k} HTTP/1.1" 200 5000 "https://www.example.org/" "${CHROME}"`);
  // A credential-stuffing run: 40 addresses, four failed logins each, within the same half hour.
  for (let b = 0; b < 40; b++)
    for (let k = 0; k < 4; k++)
      lines.push(`198.51.100.${b + 1} - - [${at(60 + (b % 20), k * 10)}] "POST /wp-login.php HTTP/1.1" 200 3100 "-" "python-requests/2.31.0"`);
  // 45 single requests carrying an exploit, each from its own address.
  for (let e = 0; e < 45; e++)
    lines.push(
      `203.0.113.${e + 1} - - [${at(100 + e * 18)}] "GET /vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php HTTP/1.1" 404 200 "-" "scanner-${e}/1.0"`,
    );
  const input = join(dir, 'access.log');
  writeFileSync(input, `${lines.join('\n')}\n`);
  const r = await runCli(['detect', input, '--out', join(dir, 'out'), '--no-report']);
  assert.is(r.code, 0, r.stderr);
  const groupLines = r.stdout.split('\n').filter((l) => l.startsWith('group '));
  assert.is(groupLines.length, 1, r.stdout);
  assert.match(groupLines[0]!, /^group g1: 40 clients\s+brute-force .*and 37 more \(--verbose lists them\)/);
  assert.not.match(r.stdout, /^198\.51\.100\.\d+ /m, 'no member has a line of its own');
  assert.is(r.stdout.split('\n').filter((l) => l.startsWith('203.0.113.')).length, 30);
  assert.match(r.stdout, /\.\.\. and 15 more flagged on their own \(blocklist\.txt and verdicts\.json hold them all; --verbose lists them here\)/);
  const v = await runCli(['detect', input, '--out', join(dir, 'out2'), '--no-report', '--verbose']);
  assert.is(v.stdout.split('\n').filter((l) => /^ {2}198\.51\.100\.\d+ /.test(l)).length, 40, 'members listed under their group');
  assert.is(v.stdout.split('\n').filter((l) => l.startsWith('203.0.113.')).length, 45);
});

test.run();
