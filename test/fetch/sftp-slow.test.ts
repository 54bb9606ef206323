/**
 * `fetch` against an SFTP server that answers late, as a busy host does: every reply, the confirmation of a
 * close included, comes 5-25 ms after the request. Before the SFTP reads closed their handles and waited for
 * that confirmation, the session could end first and the fetch crashed after succeeding (12 of 12 runs).
 * The server is ssh2's, in this process, on loopback.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { DATASETS, runCli, tempDir } from '../helpers/index.js';

const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;
const ELASTIC = join(DATASETS, 'elastic-apache/apache_logs.log');

/**
 * An SSH key pair. ECDSA rather than ed25519: ssh2's generateKeyPairSync('ed25519') strips a public key's
 * leading zero bytes, so about one key in 256 cannot be parsed back (mscdex/ssh2#1390, #1513): this test failed
 * on "Malformed OpenSSH private key" once in a CI run. P-256 points start with 0x04 and are not cut.
 */
const keyPair = () => utils.generateKeyPairSync('ecdsa', { bits: 256 });

function startSlowSftp(files: Record<string, Buffer>): Promise<{ port: number; close: () => Promise<void> }> {
  const hostKey = keyPair();
  const later = (fn: () => void) => setTimeout(fn, 5 + Math.floor(Math.random() * 20));
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('error', () => {});
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (_accept, reject) => reject());
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          const handles = new Map<string, { name: string; listed: boolean }>();
          let next = 0;
          const handle = (name: string) => {
            const h = Buffer.from(String(next++));
            handles.set(h.toString(), { name, listed: false });
            return h;
          };
          sftp.on('OPENDIR', (id, path) => later(() => sftp.handle(id, handle(path))));
          sftp.on('READDIR', (id, h) =>
            later(() => {
              const d = handles.get(h.toString());
              if (!d || d.listed) return sftp.status(id, STATUS_CODE.EOF);
              d.listed = true;
              const now = Math.floor(Date.now() / 1000);
              sftp.name(
                id,
                Object.entries(files).map(([filename, data]) => ({
                  filename,
                  longname: filename,
                  attrs: { mode: 0o100644, size: data.length, uid: 0, gid: 0, atime: now, mtime: now },
                })),
              );
            }),
          );
          sftp.on('OPEN', (id, filename) =>
            later(() => {
              const name = filename.split('/').pop()!;
              if (!files[name]) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
              sftp.handle(id, handle(name));
            }),
          );
          sftp.on('READ', (id, h, offset, length) =>
            later(() => {
              const f = handles.get(h.toString());
              const data = f ? files[f.name] : undefined;
              if (!data) return sftp.status(id, STATUS_CODE.FAILURE);
              if (offset >= data.length) return sftp.status(id, STATUS_CODE.EOF);
              sftp.data(id, data.subarray(offset, Math.min(data.length, offset + length)));
            }),
          );
          sftp.on('CLOSE', (id, h) =>
            later(() => {
              handles.delete(h.toString());
              sftp.status(id, STATUS_CODE.OK);
            }),
          );
        });
      });
    });
  });
  return new Promise((res) =>
    server.listen(0, '127.0.0.1', () =>
      res({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

test('fetch: an SFTP server that answers late is fetched whole, every time, with no crash after the fetch', async () => {
  const text = readFileSync(ELASTIC);
  const lines = text.toString('utf8').split('\n');
  const files = { 'access.log': Buffer.from(lines.slice(0, 3000).join('\n') + '\n'), 'access.log.1': Buffer.from(lines.slice(3000, 6000).join('\n') + '\n') };
  const server = await startSlowSftp(files);
  try {
    const work = tempDir();
    const key = keyPair();
    writeFileSync(join(work, 'id'), key.private, { mode: 0o600 });
    for (let run = 0; run < 5; run++) {
      const out = join(work, `logs-${run}`);
      const r = await runCli([
        'fetch',
        `ssh://logs@127.0.0.1:${server.port}/var/log/access.log*`,
        '--out',
        out,
        '--state',
        join(work, `state-${run}.json`),
        '--ssh-key',
        join(work, 'id'),
        '--known-hosts',
        join(work, 'known_hosts'),
        '--accept-new-host-key',
      ]);
      assert.is(r.code, 0, `run ${run}: ${r.stderr}`);
      assert.not.match(r.stderr, / {4}at /);
      const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: Array<{ lines: number; bytes: number }> };
      assert.is(
        m.files.reduce((n, f) => n + f.lines, 0),
        6000,
        `run ${run}`,
      );
      assert.is(
        m.files.reduce((n, f) => n + f.bytes, 0),
        files['access.log'].length + files['access.log.1'].length,
      );
    }
  } finally {
    await server.close();
  }
});

test.run();
