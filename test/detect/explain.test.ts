/**
 * `detect --explain ADDRESS`: for any client, each kind's evidence against its guard and what decided.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/index.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const at = (m: number) => `07/Dec/2026:${String(8 + Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00 +0000`;

/** Visitors, a WordPress admin at work, and a login brute force (also allowlisted in a second run). */
function log(dir: string): string {
  const lines: string[] = [];
  for (let v = 0; v < 40; v++)
    for (let k = 0; k < 8; k++)
      lines.push(`192.0.2.${v + 1} - - [${at(v * 3 + k)}] "GET /blog/post-${k} HTTP/1.1" 200 5000 "https://www.example.org/" "${CHROME}"`);
  // The site's admin: logged in once, then the dashboard, the editor and its Heartbeat, all answered 200.
  lines.push(`198.51.100.20 - - [${at(10)}] "POST /wp-login.php HTTP/1.1" 302 0 "https://www.example.org/wp-login.php" "${CHROME}"`);
  for (let k = 0; k < 60; k++) {
    lines.push(
      `198.51.100.20 - - [${at(11 + k)}] "POST /wp-admin/admin-ajax.php HTTP/1.1" 200 120 "https://www.example.org/wp-admin/post.php?post=7&action=edit" "${CHROME}"`,
    );
    lines.push(`198.51.100.20 - - [${at(11 + k)}] "GET /wp-admin/edit.php?paged=${k} HTTP/1.1" 200 9000 "https://www.example.org/wp-admin/" "${CHROME}"`);
  }
  for (let k = 0; k < 50; k++)
    lines.push(`203.0.113.9 - - [${at(30 + Math.floor(k / 5))}] "POST /wp-login.php HTTP/1.1" 200 3100 "-" "python-requests/2.31.0"`);
  const path = join(dir, 'access.log');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

test('explain: a flagged brute force, a spared admin and an allowlisted client, each kind against its guard', async () => {
  const dir = tempDir();
  const input = log(dir);
  const r = await runCli([
    'detect',
    input,
    '--out',
    join(dir, 'out'),
    '--no-report',
    '--quiet',
    '--explain',
    '203.0.113.9',
    '--explain',
    '198.51.100.20',
    '--explain',
    '192.0.2.250',
  ]);
  assert.is(r.code, 0, r.stderr);
  const blocks = r.stdout.split(/\n(?=\S)/);
  const brute = blocks.find((b) => b.startsWith('203.0.113.9:'))!;
  assert.match(brute, /203\.0\.113\.9: 50 requests.*flagged \(brute-force\)/);
  assert.match(brute, /yes brute force: 50 failed logins \(guard 10\) of 50 login attempts/);
  assert.match(brute, /no {2}not a scan: /);
  const admin = blocks.find((b) => b.startsWith('198.51.100.20:'))!;
  assert.match(admin, /198\.51\.100\.20: 121 requests.*not flagged/);
  assert.match(admin, /no {2}not a brute force: 0 failed logins of 1 login attempt/);
  assert.match(
    admin,
    /no {2}not a scan: 0 failed requests to login, admin, secret or script paths at 0 places \(needs 10 making 30% of its requests, at 3 places or more, or at fewer from a client mostly failing or without referers; 121 answered there as to a user\)/,
  );
  assert.match(admin, /decided: spared: no kind of abuse has the evidence it needs/);
  assert.match(r.stdout, /192\.0\.2\.250: not in the input/);
  const allowed = await runCli(['detect', input, '--out', join(dir, 'out2'), '--no-report', '--quiet', '--allow', '203.0.113.9', '--explain', '203.0.113.9']);
  assert.match(allowed.stdout, /203\.0\.113\.9: 50 requests.*allowlisted: spared whatever its evidence/);
  assert.match(allowed.stdout, /yes brute force: 50 failed logins/);
  const bad = await runCli(['detect', input, '--out', join(dir, 'out3'), '--explain', 'not-an-address']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--explain: expected an IP address/);
});

test.run();
