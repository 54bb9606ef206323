/**
 * fetch over SFTP from a real OpenSSH server in a network namespace, while the "web server" appends to its
 * log, rotates it (rename + new file, and copytruncate) and gzips old rotations between fetches.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BIN, tempDir } from '../helpers/index.js';
import { createLab, startSshd } from './helpers/lab.js';
import { labAvailable, named } from './helpers/guard.js';

const test = named(uvuTest);

if (labAvailable('fetch e2e', ['ip', 'sshd'])) {
  test('fetch ssh://: every line exactly once through appends, rename rotation, copytruncate and gzip', () => {
    const lab = createLab(1);
    try {
      const ssh = startSshd(lab);
      const work = tempDir('logwarden-fetch-');
      const www = join(work, 'var/log/httpd');
      mkdirSync(www, { recursive: true });
      writeFileSync(join(work, 'known_hosts'), ssh.knownHosts);
      const log = join(www, 'access_log');
      let n = 0;
      const add = (file: string, count: number) => {
        let text = '';
        for (let i = 0; i < count; i++) {
          n++;
          text += `198.51.100.${(n % 50) + 60} - - [10/Oct/2026:13:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} +0000] "GET /page/${n} HTTP/1.1" 200 ${n} "-" "test"\n`;
        }
        appendFileSync(file, text);
      };
      let round = 0;
      const fetchRound = () => {
        round++;
        const out = join(work, `out${round}`);
        const stdout = lab.exec(lab.clients[0]!.ns, [
          process.execPath,
          BIN,
          'fetch',
          `ssh://root@${lab.server.v4}${www}/access_log*`,
          '--out',
          out,
          '--state',
          join(work, 'state.json'),
          '--ssh-key',
          ssh.clientKey,
          '--known-hosts',
          join(work, 'known_hosts'),
        ]);
        const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: Array<{ path: string; lines: number }> };
        return { stdout, lines: m.files.flatMap((f) => readFileSync(join(out, f.path), 'utf8').split('\n').filter(Boolean)) };
      };
      const all: string[] = [];
      add(log, 200);
      all.push(...fetchRound().lines);
      add(log, 50);
      appendFileSync(log, '198.51.100.9 - - [10/Oct/2026:14:00:00 +0000] "GET /half');
      all.push(...fetchRound().lines);
      appendFileSync(log, '-written HTTP/1.1" 200 1 "-" "test"\n');
      n++;
      add(log, 10);
      renameSync(log, `${log}.1`);
      add(`${log}.1`, 5);
      add(log, 30);
      all.push(...fetchRound().lines);
      add(log, 20);
      copyFileSync(log, `${log}.2`);
      truncateSync(log, 0);
      add(log, 15);
      all.push(...fetchRound().lines);
      writeFileSync(`${log}.1.gz`, gzipSync(readFileSync(`${log}.1`)));
      unlinkSync(`${log}.1`);
      add(log, 7);
      const last = fetchRound();
      all.push(...last.lines);
      assert.match(last.stdout, /remote files matched/);
      const pages = all.map((l) => /GET \/(?:page\/(\d+)|half-written)/.exec(l)?.[1] ?? 'half');
      assert.is(all.length, n, `fetched ${all.length} lines of ${n}`);
      assert.is(new Set(pages).size, n, 'no line twice');
      assert.ok(
        all.every((l) => l.endsWith('"test"')),
        'no line cut in two',
      );
    } finally {
      lab.close();
    }
  });

  test('fetch ssh://: an unreachable host and a wrong host key fail that source in one line', () => {
    const lab = createLab(1);
    try {
      const ssh = startSshd(lab);
      const work = tempDir('logwarden-fetch-');
      writeFileSync(join(work, 'known_hosts'), ssh.wrongKnownHosts);
      let err = '';
      let code = 0;
      try {
        lab.exec(lab.clients[0]!.ns, [
          process.execPath,
          BIN,
          'fetch',
          `ssh://root@${lab.server.v4}/var/log/x*`,
          'ssh://root@198.51.100.99/var/log/x*',
          '--out',
          join(work, 'o'),
          '--state',
          join(work, 's.json'),
          '--ssh-key',
          ssh.clientKey,
          '--known-hosts',
          join(work, 'known_hosts'),
          '--timeout',
          '2000',
        ]);
      } catch (e) {
        code = (e as { status: number }).status;
        err = String((e as { stderr: string }).stderr);
      }
      assert.is(code, 3);
      assert.match(err, /198\.51\.100\.1\/var\/log\/x\*: host key does not match/);
      assert.match(err, /198\.51\.100\.99\/var\/log\/x\*: /);
    } finally {
      lab.close();
    }
  });
}

test.run();
