/**
 * One classifier, one path for every format: the shared real logs written as combined, as Apache's
 * vhost_combined and as nginx JSON lines give the same clients.csv and blocklist.txt. The JSON holds each field
 * as the server knew it (unescaped, as nginx's escape=json writes it); the combined line as Apache escaped it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDetect } from '../../src/commands/detect.js';
import { unescapeLogged } from '../../src/logs/parse.js';
import { DATASETS, memoryIo, needing, tempDir } from '../helpers/index.js';

const COMBINED = /^(\S+) \S+ .*? \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"/;

/** A combined log written again as vhost_combined and as JSON lines (a line that is no combined line stays junk in both). */
function rewrite(path: string, dir: string): { vhost: string; json: string } {
  const lines = readFileSync(path, 'latin1').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const vhost = lines.map((l) => `www.example.org:443 ${l}`);
  const json = lines.map((l) => {
    const m = COMBINED.exec(l);
    if (!m) return '{"junk": true}';
    const [, ip, time, request, status, bytes, referer, agent] = m;
    return JSON.stringify({
      remote_addr: ip,
      time_local: time,
      request: unescapeLogged(request!),
      status,
      body_bytes_sent: bytes === '-' ? '0' : bytes,
      http_referer: unescapeLogged(referer!),
      http_user_agent: unescapeLogged(agent!),
    });
  });
  const out = { vhost: join(dir, 'access.vhost.log'), json: join(dir, 'access.json.log') };
  writeFileSync(out.vhost, `${vhost.join('\n')}\n`, 'latin1');
  writeFileSync(out.json, `${json.join('\n')}\n`, 'latin1');
  return out;
}

async function outputs(input: string, format: string, out: string): Promise<{ clients: string; blocklist: string; flagged: number }> {
  const r = await runDetect({ inputs: [input], format, out, quiet: true, report: false }, memoryIo());
  return {
    clients: readFileSync(join(out, 'clients.csv'), 'utf8'),
    blocklist: readFileSync(join(out, 'blocklist.txt'), 'utf8'),
    flagged: r.verdicts.flagged.length,
  };
}

for (const log of ['almhuette-raith-2019/access.log', 'elastic-apache/apache_logs.log', 'honeynet-2004/access_log.combined']) {
  needing(test, join(DATASETS, log))(`${log}: combined, vhost_combined and JSON lines give the same clients and the same blocklist`, async () => {
    const dir = tempDir();
    const path = join(DATASETS, log);
    const other = rewrite(path, dir);
    const combined = await outputs(path, 'combined', join(dir, 'combined'));
    for (const [format, file] of [
      ['vhost_combined', other.vhost],
      ['json', other.json],
    ] as const) {
      const o = await outputs(file, format, join(dir, format));
      assert.is(o.blocklist, combined.blocklist, `${format}: blocklist.txt`);
      assert.ok(o.clients === combined.clients, `${format}: clients.csv differs`);
    }
    if (log.startsWith('almhuette')) assert.is(combined.flagged, 83);
  });
}

test.run();
