import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  appendFileSync,
  copyFileSync,
  createReadStream,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  readdirSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { open } from 'node:fs/promises';
import { fetchIncrementally, type FileAccess, type RemoteFile, type TrackedFile } from '../../src/fetch/incremental.js';
import { parseSource } from '../../src/fetch/sources.js';
import { tempDir } from '../helpers/index.js';

/** Local files through the same interface the SFTP fetcher uses. */
const localAccess: FileAccess = {
  async readRange(path, start, end) {
    const fh = await open(path, 'r');
    try {
      const b = Buffer.alloc(end - start);
      const { bytesRead } = await fh.read(b, 0, b.length, start);
      return b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  },
  stream: (path, start) => createReadStream(path, { start }),
};

function listing(dir: string): RemoteFile[] {
  return readdirSync(dir)
    .filter((n) => n.startsWith('access.log'))
    .sort()
    .map((name) => {
      const st = statSync(join(dir, name));
      return { path: join(dir, name), name, size: st.size, inode: String(st.ino) };
    });
}

let n = 0;
const lines = (count: number) => Array.from({ length: count }, () => `line ${++n} ${'x'.repeat(40)}\n`).join('');

test('incremental: append, partial line, rename rotation, copytruncate and gzip: every line exactly once', async () => {
  const server = tempDir();
  const out = tempDir();
  const log = join(server, 'access.log');
  let state: TrackedFile[] = [];
  let round = 0;
  const fetched: string[] = [];
  const fetchRound = async () => {
    round++;
    const r = await fetchIncrementally(listing(server), state, localAccess, (f) => join(out, `${f.name}.${round}`));
    state = r.state;
    for (const p of r.pieces) fetched.push(readFileSync(p.localPath, 'utf8'));
  };
  writeFileSync(log, lines(30));
  await fetchRound();
  appendFileSync(log, `${lines(5)}line ${++n} half-writ`); // a line still being written
  await fetchRound();
  appendFileSync(log, `ten\n${lines(3)}`);
  await fetchRound();
  // logrotate's default: rename, then a new file.
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, lines(2)); // written by the server just before it reopened its log
  writeFileSync(log, lines(4));
  await fetchRound();
  // copytruncate: the copy keeps the old content, the original is cut to zero and grows again.
  appendFileSync(log, lines(3));
  copyFileSync(log, `${log}.2`);
  truncateSync(log, 0);
  appendFileSync(log, lines(6));
  await fetchRound();
  // compression of an older rotation.
  writeFileSync(`${log}.1.gz`, gzipSync(readFileSync(`${log}.1`)));
  unlinkSync(`${log}.1`);
  await fetchRound();
  await fetchRound(); // nothing new: the .gz is not downloaded again
  const got = fetched.join('').split('\n').filter(Boolean);
  const want = Array.from({ length: n }, (_, i) => i + 1);
  const numbers = got.map((l) => Number(/^line (\d+)/.exec(l)![1]));
  assert.equal(
    [...numbers].sort((a, b) => a - b),
    want,
    'every line once, none lost',
  );
  assert.ok(
    got.every((l) => /^line \d+ (x{40}|half-written)$/.test(l)),
    'no line split between fetches',
  );
});

test('incremental: a .gz never seen as a plain file is fetched whole, once', async () => {
  const server = tempDir();
  const out = tempDir();
  writeFileSync(join(server, 'access.log.5.gz'), gzipSync('old 1\nold 2\n'));
  const first = await fetchIncrementally(listing(server).concat([]), [], localAccess, (f) => join(out, f.name));
  assert.is(readFileSync(first.pieces[0]!.localPath, 'utf8'), 'old 1\nold 2\n');
  const files = readdirSync(server).map((name) => ({ path: join(server, name), name, size: statSync(join(server, name)).size }));
  const second = await fetchIncrementally(files, first.state, localAccess, (f) => join(out, `${f.name}.again`));
  assert.equal(second.pieces, []);
});

test('sources: every kind parses; an unknown kind is a usage error', () => {
  assert.equal(parseSource('ssh://deploy@web-1:2222/var/log/nginx/access.log*'), {
    kind: 'ssh',
    text: 'ssh://deploy@web-1:2222/var/log/nginx/access.log*',
    user: 'deploy',
    host: 'web-1',
    port: 2222,
    dir: '/var/log/nginx',
    pattern: 'access.log*',
  });
  const v6 = parseSource('ssh://root@[2001:db8::1]/var/log/a.log');
  assert.equal([v6.kind, (v6 as { host: string }).host, (v6 as { port: number }).port], ['ssh', '2001:db8::1', 22]);
  assert.equal(parseSource('git+https://github.com/org/logs.git#main:web-1/*.log'), {
    kind: 'git',
    text: 'git+https://github.com/org/logs.git#main:web-1/*.log',
    url: 'https://github.com/org/logs.git',
    ref: 'main',
    path: 'web-1/*.log',
  });
  assert.is((parseSource('github:org/logs#prod:x') as { url: string }).url, 'https://github.com/org/logs.git');
  assert.is(parseSource('git+file:///srv/git/logs.git').kind, 'git');
  assert.is(parseSource('https://example.org/a.log').kind, 'http');
  assert.equal(parseSource('file:///var/log/a.log'), { kind: 'local', text: 'file:///var/log/a.log', pattern: '/var/log/a.log' });
  assert.is(parseSource('/var/log/apache2/access.log*').kind, 'local');
  assert.throws(() => parseSource('ftp://example.org/a.log'), /unknown kind of source "ftp:\/\/example\.org\/a\.log"/);
  assert.throws(() => parseSource('git+ftp://x/y'), /git sources are/);
});

test.run();
