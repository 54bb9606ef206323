import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DATASETS, needing, runCli, tempDir } from '../helpers/index.js';

const ALM = join(DATASETS, 'almhuette-raith-2019/access.log');
const almTest = needing(test, ALM);
const ELASTIC = join(DATASETS, 'elastic-apache/apache_logs.log');

async function freePort(): Promise<number> {
  const s = netServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function git(cwd: string, ...args: string[]) {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=t@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
}

almTest('fetch: local files and globs are copied with a manifest; detect takes the directory', async () => {
  const work = tempDir();
  const out = join(work, 'logs');
  const r = await runCli(['fetch', ALM, join(DATASETS, 'elastic-apache/*.log'), '--out', out, '--state', join(work, 'state.json')]);
  assert.is(r.code, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.is(m.schemaVersion, 1);
  assert.is(m.files.length, 2);
  const alm = m.files.find((f: { origin: string }) => f.origin.endsWith('almhuette-raith-2019/access.log'));
  assert.is(alm.bytes, readFileSync(ALM).length);
  assert.is(alm.lines, 10000);
  assert.equal(alm.timeRange, { first: '2019-10-14T10:50:18+02:00', last: '2019-10-19T17:00:27+02:00' });
  assert.match(alm.sha256, /^[0-9a-f]{64}$/);
  const d = await runCli(['detect', out, '--out', join(work, 'out'), '--json']);
  assert.is(d.code, 0, d.stderr);
  assert.is(JSON.parse(d.stdout).parse.linesRead, 20000);
});

test('fetch: a Git repository over git:// (git daemon) is cloned, then fast-forwarded to a new commit; file:// works too', async () => {
  const work = tempDir();
  const repos = join(work, 'repos');
  const src = join(work, 'src');
  mkdirSync(repos);
  mkdirSync(join(src, 'web-1'), { recursive: true });
  git(work, 'init', '-q', src);
  writeFileSync(join(src, 'web-1/access.log'), readFileSync(ELASTIC, 'utf8').split('\n').slice(0, 100).join('\n') + '\n');
  writeFileSync(join(src, 'README'), 'not a log\n');
  git(src, 'add', '.');
  git(src, 'commit', '-qm', 'day 1');
  git(work, 'clone', '-q', '--bare', src, join(repos, 'logs.git'));
  const port = await freePort();
  const daemon: ChildProcess = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${repos}`, '--listen=127.0.0.1', `--port=${port}`, repos], {
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('git', ['ls-remote', `git://127.0.0.1:${port}/logs.git`], { stdio: 'ignore' });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The user names an https remote; git's own insteadOf (set through its environment) sends it to the daemon.
    const cache = join(work, 'cache');
    const args = (out: string) => [
      'fetch',
      'git+https://git.example.test/logs.git#main:web-1/access.log*',
      '--out',
      out,
      '--git-cache',
      cache,
      '--state',
      join(work, 's.json'),
    ];
    const env = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `url.git://127.0.0.1:${port}/.insteadOf`, GIT_CONFIG_VALUE_0: 'https://git.example.test/' };
    const r1 = await runCli(args(join(work, 'o1')), { env });
    assert.is(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, /1 files, \d+ bytes \(cloned [0-9a-f]{12}\)/);
    const m1 = JSON.parse(readFileSync(join(work, 'o1/manifest.json'), 'utf8'));
    assert.is(m1.files[0].lines, 100);
    assert.is(m1.files[0].origin, 'https://git.example.test/logs.git#main:web-1/access.log');
    // A new commit upstream.
    writeFileSync(join(src, 'web-1/access.log.1'), readFileSync(ELASTIC, 'utf8').split('\n').slice(100, 150).join('\n') + '\n');
    git(src, 'add', '.');
    git(src, 'commit', '-qm', 'day 2');
    git(src, 'push', '-q', join(repos, 'logs.git'), 'main');
    const r2 = await runCli(args(join(work, 'o2')), { env });
    assert.is(r2.code, 0, r2.stderr);
    assert.match(r2.stdout, /2 files, \d+ bytes \(fast-forwarded to [0-9a-f]{12}\)/);
    const file = await runCli([
      'fetch',
      `git+file://${join(repos, 'logs.git')}#main:web-1`,
      '--out',
      join(work, 'o3'),
      '--git-cache',
      join(work, 'cache3'),
      '--state',
      join(work, 's3.json'),
    ]);
    assert.is(file.code, 0, file.stderr);
    assert.is(JSON.parse(readFileSync(join(work, 'o3/manifest.json'), 'utf8')).files.length, 2);
    const missing = await runCli([
      'fetch',
      `git+file://${join(repos, 'nope.git')}`,
      '--out',
      join(work, 'o4'),
      '--git-cache',
      join(work, 'cache4'),
      '--state',
      join(work, 's4.json'),
    ]);
    assert.is(missing.code, 3);
    assert.match(missing.stderr, /nope\.git/);
  } finally {
    daemon.kill();
  }
});

test('fetch: a GitHub token is used but never shown, not in output nor in the manifest', async () => {
  const work = tempDir();
  const port = await freePort();
  const token = 'ghp_SuperSecretToken123456';
  const r = await runCli(
    [
      'fetch',
      `git+https://127.0.0.1:${port}/org/private.git`,
      ELASTIC,
      '--out',
      join(work, 'o'),
      '--git-cache',
      join(work, 'c'),
      '--state',
      join(work, 's.json'),
    ],
    {
      env: { GITHUB_TOKEN: token },
    },
  );
  assert.is(r.code, 4, r.stderr);
  assert.match(r.stderr, /fetch git\+https:\/\/127\.0\.0\.1:\d+\/org\/private\.git: /);
  assert.not.match(r.stdout + r.stderr, token);
  assert.not.match(readFileSync(join(work, 'o/manifest.json'), 'utf8'), token);
});

test('fetch: HTTP downloads, with a size limit; one failing source does not stop the others', async () => {
  const body = Buffer.from(readFileSync(ELASTIC, 'utf8').split('\n').slice(0, 100).join('\n') + '\n');
  const server: Server = createServer((req, res) => {
    if (req.url === '/access.log') res.end(body);
    else if (req.url === '/huge.log') {
      res.writeHead(200); // no content-length: the limit must hold while streaming
      res.end(Buffer.alloc(300_000, 0x41));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const work = tempDir();
    const r = await runCli([
      'fetch',
      `${base}/access.log`,
      `${base}/huge.log`,
      `${base}/missing.log`,
      '--out',
      join(work, 'o'),
      '--max-http-bytes',
      '200000',
      '--state',
      join(work, 's.json'),
    ]);
    assert.is(r.code, 4, r.stderr);
    assert.match(r.stderr, /huge\.log: response is over the size limit of 200000 bytes/);
    assert.match(r.stderr, /missing\.log: HTTP 404/);
    const m = JSON.parse(readFileSync(join(work, 'o/manifest.json'), 'utf8'));
    assert.is(m.files.length, 1);
    assert.is(m.files[0].lines, 100);
    const ok = await runCli(['fetch', `${base}/access.log`, '--out', join(work, 'p'), '--state', join(work, 's.json')]);
    assert.is(ok.code, 0, ok.stderr);
    const m2 = JSON.parse(readFileSync(join(work, 'p/manifest.json'), 'utf8'));
    assert.is(m2.files[0].bytes, body.length);
    assert.not.ok(existsSync(join(work, 'o/03-http-127.0.0.1/huge.log')), 'no partial file left behind');
  } finally {
    server.close();
  }
});

test('fetch: bad input: a nonexistent path (exit 2 alone, exit 4 beside a good source), an unknown kind of source', async () => {
  const work = tempDir();
  const alone = await runCli(['fetch', '/no/such/access.log', '--out', join(work, 'a'), '--state', join(work, 's.json')]);
  assert.is(alone.code, 2);
  assert.match(alone.stderr, /fetch \/no\/such\/access\.log: no such file or directory/);
  const mixed = await runCli(['fetch', '/no/such/access.log', ELASTIC, '--out', join(work, 'b'), '--state', join(work, 's.json')]);
  assert.is(mixed.code, 4);
  assert.is(JSON.parse(readFileSync(join(work, 'b/manifest.json'), 'utf8')).files.length, 1);
  const kind = await runCli(['fetch', 'gopher://example.org/logs', '--out', join(work, 'c')]);
  assert.is(kind.code, 2);
  assert.match(kind.stderr, /unknown kind of source "gopher:\/\/example\.org\/logs"/);
  assert.not.ok(existsSync(join(work, 'c')), 'nothing written for a usage error');
});

test("fetch: two servers' access.log keep their own paths, links out of the source are not followed, and detect counts each line once", async () => {
  const { symlinkSync } = await import('node:fs');
  const work = tempDir();
  const src = join(work, 'site');
  const line = (ip: string, s: number) => `${ip} - - [10/Jan/2026:12:00:${String(s).padStart(2, '0')} +0000] "GET / HTTP/1.1" 200 5 "-" "ua"`;
  mkdirSync(join(src, 'web-1'), { recursive: true });
  mkdirSync(join(src, 'web-2'));
  // 70 requests in one minute from one client, 35 on each server.
  writeFileSync(join(src, 'web-1/access.log'), `${Array.from({ length: 35 }, (_, i) => line('192.0.2.7', i)).join('\n')}\n`);
  writeFileSync(join(src, 'web-2/access.log'), `${Array.from({ length: 35 }, (_, i) => line('192.0.2.7', i + 20)).join('\n')}\n`);
  writeFileSync(join(work, 'secret.key'), 'PRIVATE KEY 1234\n');
  symlinkSync(join(work, 'secret.key'), join(src, 'web-2/leak.log'));
  symlinkSync(src, join(src, 'web-1/loop'));
  const out = join(work, 'logs');
  const r = await runCli(['fetch', src, '--out', out, '--state', join(work, 'state.json')]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 links not followed/);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.equal(m.files.map((f: { path: string }) => f.path).sort(), ['01-local/web-1/access.log', '01-local/web-2/access.log']);
  const d = await runCli(['detect', out, '--out', join(work, 'out'), '--json']);
  assert.is(d.code, 0, d.stderr);
  assert.is(JSON.parse(d.stdout).parse.linesRead, 70);
  const csv = readFileSync(join(work, 'out/clients.csv'), 'utf8');
  assert.not.match(readFileSync(join(work, 'out/verdicts.json'), 'utf8'), /PRIVATE KEY/);
  const [header, row] = csv.trim().split('\n');
  const peak = header!.split(',').indexOf('peakPerMinute');
  assert.is(row!.split(',')[peak], '70'); // all 70 in minute 12:00: neither 35 (one file lost) nor 140 (one read twice)
});

test("fetch: a Git repository's links, paths out of the clone and option-like refs are refused; passwords never stored", async () => {
  const { symlinkSync } = await import('node:fs');
  const work = tempDir();
  const src = join(work, 'src');
  mkdirSync(join(src, 'logs'), { recursive: true });
  git(work, 'init', '-q', src);
  writeFileSync(join(work, 'private.key'), 'PRIVATE KEY 5678\n');
  writeFileSync(join(src, 'logs/access.log'), readFileSync(ELASTIC, 'utf8').split('\n').slice(0, 50).join('\n') + '\n');
  symlinkSync(join(work, 'private.key'), join(src, 'logs/key.log'));
  symlinkSync('/etc', join(src, 'etc'));
  git(src, 'add', '.');
  git(src, 'commit', '-qm', 'logs');
  const cache = join(work, 'cache');
  const out = join(work, 'logs');
  const base = ['--out', out, '--state', join(work, 'state.json'), '--git-cache', cache];
  const ok = await runCli(['fetch', `git+file://${src}#main:logs`, ...base]);
  assert.is(ok.code, 0, ok.stderr);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.equal(
    m.files.map((f: { path: string }) => f.path),
    ['01-git-src/access.log'],
  );
  assert.not.ok(existsSync(join(out, '01-git-src/key.log')));
  for (const [source, why] of [
    [`git+file://${src}#main:../../etc/hostname`, /must stay inside the repository/],
    [`git+file://${src}#main:etc/hostname`, /leads out of the source|not a regular file/],
    [`git+file://${src}#--upload-pack=touch ${join(work, 'pwned')};git-upload-pack`, /not a valid Git ref/],
  ] as const) {
    const r = await runCli(['fetch', source, ...base]);
    assert.is(r.code, 2, `${source}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
  assert.not.ok(existsSync(join(work, 'pwned')));
  // A password inside a source is neither printed nor stored.
  const pw = await runCli(['fetch', 'https://user:s3cretpw@127.0.0.1:9/access.log', ...base, '--timeout', '2000']);
  assert.not.match(pw.stdout + pw.stderr, /s3cretpw/);
  assert.not.match(readFileSync(join(out, 'manifest.json'), 'utf8'), /s3cretpw/);
  assert.not.match(readFileSync(join(work, 'state.json'), 'utf8'), /s3cretpw/);
  assert.match(readFileSync(join(out, 'manifest.json'), 'utf8'), /user:\*\*\*\*@127\.0\.0\.1/);
});

test('fetch: the Git token goes to github.com (or a named host) over HTTPS only', async () => {
  const { tokenGoesTo } = await import('../../src/adapters/git.js');
  assert.ok(tokenGoesTo('https://github.com/org/logs.git', ['github.com']));
  assert.not.ok(tokenGoesTo('https://evil.example.org/org/logs.git', ['github.com']));
  assert.not.ok(tokenGoesTo('http://github.com/org/logs.git', ['github.com']));
  assert.not.ok(tokenGoesTo('https://github.com.evil.example.org/x.git', ['github.com']));
  assert.ok(tokenGoesTo('https://git.example.org/x.git', ['github.com', 'git.example.org']));
});

test('detect: a manifest that names a file outside its folder is refused, naming the field', async () => {
  const work = tempDir();
  const dir = join(work, 'logs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 1, files: [{ path: '/etc/hostname' }] }));
  const r = await runCli(['detect', dir, '--out', join(work, 'out')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /manifest\.json: files\[0\]\.path: must name a file inside/);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 1, files: [{ path: '../../etc/hostname' }] }));
  assert.is((await runCli(['detect', dir, '--out', join(work, 'out')])).code, 2);
});

test.run();
