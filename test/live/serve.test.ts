/**
 * model.json and `serve` over a real socket: the verdicts detect gave, every kind of bad request answered with
 * a 4xx and a message, the token, the metrics, a model reloaded on SIGHUP (and a broken one refused).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runServe, type ListenAddress } from '../../src/commands/serve.js';
import { readModel } from '../../src/live/judge.js';
import { memoryIo, runCli, tempDir } from '../helpers/index.js';

const dir = tempDir();
const log = join(dir, 'access.log');
const out = join(dir, 'out');
const modelPath = join(out, 'model.json');

interface Flagged {
  address: string;
  kinds: string[];
  group: string | null;
}

test.before(async () => {
  const g = await runCli(['generate', '--out', log, '--seed', '7', '--lines', '20000', '--quiet']);
  assert.is(g.code, 0, g.stderr);
  const d = await runCli(['detect', log, '--out', out, '--quiet', '--no-report']);
  assert.is(d.code, 0, d.stderr);
});

test('model.json: versioned, and a model of another version or feature list is refused with one line', () => {
  const m = readModel(modelPath);
  assert.ok(m.model.k >= 2);
  assert.is(m.document.schemaVersion, 1);
  const doc = JSON.parse(readFileSync(modelPath, 'utf8')) as Record<string, unknown>;
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ ...doc, schemaVersion: 9 }));
  assert.throws(() => readModel(other), /other\.json: schemaVersion: a model of version 9; this logwarden reads version 1/);
  const features = (doc.features as Array<{ name: string }>).slice(1);
  writeFileSync(other, JSON.stringify({ ...doc, features }));
  assert.throws(() => readModel(other), /other\.json: features: learned on other features/);
  writeFileSync(other, JSON.stringify({ ...doc, scaler: { center: [], spread: 'x', clip: 10 } }));
  assert.throws(() => readModel(other), /other\.json: scaler\.spread: must be array/);
  writeFileSync(other, '{"schemaVersion": 1,');
  assert.throws(() => readModel(other), /other\.json: not valid JSON/);
});

async function serve(extra: Record<string, unknown> = {}) {
  const signals = new EventEmitter();
  const io = memoryIo();
  let resolveAddr: (a: ListenAddress) => void;
  const listening = new Promise<ListenAddress>((r) => (resolveAddr = r));
  const done = runServe({ model: modelPath, listen: '127.0.0.1:0', signals, onListening: (a) => resolveAddr(a), ...extra }, io);
  done.catch(() => undefined);
  const addr = await Promise.race([listening, done.then(() => Promise.reject(new Error(io.err())))]);
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url,
    io,
    signals,
    post: (body: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }),
    stop: async () => {
      signals.emit('SIGTERM');
      await done;
    },
  };
}

test('serve: the verdicts detect gave, for raw lines and for client summaries', async () => {
  const verdicts = JSON.parse(readFileSync(join(out, 'verdicts.json'), 'utf8')) as { flagged: Flagged[] };
  const alone = verdicts.flagged.filter((f) => f.group === null);
  assert.ok(alone.length >= 3, 'the log has clients flagged on their own');
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const pick = new Set(alone.map((f) => f.address));
  // A few visitors as well, which must come back normal.
  const visitors = [...new Set(lines.map((l) => l.split(' ')[0]!))].filter((a) => !verdicts.flagged.some((f) => f.address === a)).slice(0, 5);
  for (const v of visitors) pick.add(v);
  const s = await serve();
  try {
    const res = await s.post(JSON.stringify({ lines: lines.filter((l) => pick.has(l.split(' ')[0]!)) }));
    assert.is(res.status, 200);
    const body = (await res.json()) as { clients: Array<{ address: string; verdict: string; kinds: string[]; reasons: string[] }>; malformed: number };
    assert.is(body.malformed, 0);
    const got = new Map(body.clients.map((c) => [c.address, c]));
    for (const f of alone) {
      assert.is(got.get(f.address)?.verdict, 'abusive', f.address);
      assert.equal(got.get(f.address)?.kinds, f.kinds, f.address);
      assert.ok(got.get(f.address)!.reasons[0]!.length > 20, 'a reason in words');
    }
    for (const v of visitors) assert.is(got.get(v)?.verdict, 'normal', v);

    // A client summary: 500 requests in two minutes, half of them failing the server, is a flood; 12 over an
    // hour is not.
    const summary = await s.post(
      JSON.stringify({
        clients: [
          {
            address: '203.0.113.9',
            requests: 500,
            status5xx: 250,
            withQuery: 500,
            distinctQueries: 500,
            minutes: [
              [29_000_000, 300],
              [29_000_001, 200],
            ],
          },
          {
            address: '203.0.113.10',
            requests: 12,
            staticHits: 8,
            withReferer: 10,
            distinctPaths: 6,
            minutes: [
              [29_000_000, 6],
              [29_000_030, 6],
            ],
          },
        ],
      }),
    );
    const sb = (await summary.json()) as { clients: Array<{ address: string; verdict: string; kinds: string[] }> };
    assert.equal(
      sb.clients.map((c) => [c.address, c.verdict, c.kinds.join()]),
      [
        ['203.0.113.10', 'normal', ''],
        ['203.0.113.9', 'abusive', 'flood'],
      ],
    );
  } finally {
    await s.stop();
  }
});

test('serve: bad requests get a 4xx and a message, never a crash; the token; the metrics', async () => {
  const s = await serve({ token: 'sekrit-token', bodyLimit: 4096 });
  try {
    const auth = { authorization: 'Bearer sekrit-token' };
    const expect = async (res: Response, status: number, message: RegExp) => {
      assert.is(res.status, status);
      const body = (await res.json()) as { message: string };
      assert.match(body.message, message);
    };
    await expect(await s.post('{"lines": ["x"]}'), 401, /bearer token/);
    await expect(await s.post('{"lines": ["x"]}', { authorization: 'Bearer wrong' }), 401, /bearer token/);
    await expect(await s.post('{bad json', auth), 400, /JSON/);
    await expect(await s.post('{"lines": "one line"}', auth), 400, /lines must be array/);
    await expect(await s.post('{"lines": [1, 2]}', auth), 400, /must be string/);
    await expect(await s.post('{"clients": [{"address": "1.2.3.4", "requests": -1, "minutes": [[1, 1]]}]}', auth), 400, /requests must be >= 1/);
    await expect(await s.post('{"clients": [{"address": "not-an-ip", "requests": 1, "minutes": [[1, 1]]}]}', auth), 400, /not an IP address/);
    await expect(await s.post('{"lines": ["a"], "clients": [{"address": "1.2.3.4", "requests": 1, "minutes": [[1, 1]]}]}', auth), 400, /either "lines"/);
    await expect(await s.post('{}', auth), 400, /either "lines"/);
    await expect(await s.post(JSON.stringify({ lines: ['x'.repeat(5000)] }), auth), 413, /over the limit of 4096 bytes/);
    await expect(await fetch(`${s.url}/v2/nothing`), 404, /no route GET \/v2\/nothing/);
    const wrongType = await fetch(`${s.url}/v1/predict`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'x' });
    await expect(wrongType, 400, /body must be object/);
    // Still alive, and lines that are no log lines are counted, not fatal.
    const ok = await s.post(JSON.stringify({ lines: ['203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"', 'garbage'] }), auth);
    assert.is(ok.status, 200);
    assert.is(((await ok.json()) as { malformed: number }).malformed, 1);

    const health = await fetch(`${s.url}/healthz`);
    assert.is(health.status, 200, 'healthz needs no token');
    assert.is(((await health.json()) as { status: string }).status, 'ok');
    assert.is((await fetch(`${s.url}/metrics`)).status, 401);
    const metrics = await (await fetch(`${s.url}/metrics`, { headers: auth })).text();
    assert.match(metrics, /^logwarden_lines_read_total 2$/m);
    assert.match(metrics, /^logwarden_lines_malformed_total 1$/m);
    assert.match(metrics, /^logwarden_judge_seconds_count 1$/m);
    assert.match(metrics, /^logwarden_errors_total\{kind="request"\} \d+$/m);
    assert.not.match(s.io.err(), /sekrit/, 'the token is never printed');
  } finally {
    await s.stop();
  }
});

test('serve: the token is checked before the body is read; an empty token is refused', async () => {
  const s = await serve({ token: 'sekrit-token' });
  try {
    // Without the token, a body of the wrong shape gets 401 too: nothing of the schema is told.
    const r = await fetch(`${s.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nope": 1}' });
    assert.is(r.status, 401);
    const big = await fetch(`${s.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"lines": [${'"x",'.repeat(200_000)}"x"]}`,
    });
    assert.is(big.status, 401);
  } finally {
    await s.stop();
  }
  for (const [extra, env, re] of [
    [{ token: '' }, {}, /--token: empty/],
    [{}, { LOGWARDEN_TOKEN: '' }, /LOGWARDEN_TOKEN is set but empty/],
  ] as Array<[Record<string, unknown>, NodeJS.ProcessEnv, RegExp]>) {
    const io = { ...memoryIo(), env };
    const err = await runServe({ model: modelPath, listen: '127.0.0.1:0', signals: new EventEmitter(), ...extra }, io).catch((e: Error) => e);
    assert.instance(err, Error);
    assert.is((err as { exitCode?: number }).exitCode, 2);
    assert.match((err as Error).message, re);
  }
});

test('serve: a big request is judged aside: /healthz answers while it is judged', async () => {
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  // 40,000 lines (under the 10 MB a body may hold): a second or more of judging.
  const big: string[] = [];
  while (big.length < 40_000) big.push(...lines.slice(0, 40_000 - big.length));
  const s = await serve();
  try {
    const order: string[] = [];
    const heavy = s.post(JSON.stringify({ lines: big })).then(async (r) => {
      order.push('big');
      return r;
    });
    // Once the big body is in, ask for health.
    await new Promise((r) => setTimeout(r, 300));
    const health = await fetch(`${s.url}/healthz`);
    order.push('healthz');
    assert.is(health.status, 200);
    const r = await heavy;
    assert.is(r.status, 200);
    const body = (await r.json()) as { clients: unknown[]; malformed: number };
    assert.is(body.malformed, 0);
    assert.ok(body.clients.length > 20);
    assert.equal(order, ['healthz', 'big'], 'health answered before the big request was judged');
  } finally {
    await s.stop();
  }
});

test('model.json: trusted proxies and the IPv6 prefix are checked when the model is read, not at every request', () => {
  const doc = JSON.parse(readFileSync(modelPath, 'utf8')) as { options: Record<string, unknown> };
  const other = join(dir, 'proxies.json');
  for (const [options, re] of [
    [{ trustedProxies: ['junk'] }, /proxies\.json: options\.trustedProxies\[0\]: not a canonical address or network: "junk"/],
    [{ trustedProxies: ['0.0.0.0/0'] }, /proxies\.json: options\.trustedProxies\[0\]: 0\.0\.0\.0\/0 would trust every address/],
    [{ ipv6Prefix: 0 }, /proxies\.json: options\.ipv6Prefix/],
  ] as Array<[Record<string, unknown>, RegExp]>) {
    writeFileSync(other, JSON.stringify({ ...doc, options: { ...doc.options, ...options } }));
    assert.throws(() => readModel(other), re);
  }
});

test('serve: SIGHUP reads the model again; a broken one is refused and the old one kept', async () => {
  const s = await serve();
  const original = readFileSync(modelPath, 'utf8');
  try {
    writeFileSync(modelPath, '{"schemaVersion": 1}');
    s.signals.emit('SIGHUP');
    assert.match(s.io.err(), /model not reloaded, keeping the old one: .*model\.json: \(document\): must have required property/);
    const res = await s.post(JSON.stringify({ lines: ['203.0.113.5 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"'] }));
    assert.is(res.status, 200, 'still judging with the old model');
    writeFileSync(modelPath, original);
    s.signals.emit('SIGHUP');
    assert.match(s.io.err(), /model .*model\.json loaded again/);
    // A new model written in place (as push-model.sh renames it in) is picked up without a signal.
    const before = s.io.err().split('loaded again').length;
    writeFileSync(`${modelPath}.new`, original.replace('"generator": "logwarden', '"generator": "logwarden (refreshed)'));
    renameSync(`${modelPath}.new`, modelPath);
    const end = Date.now() + 5000;
    while (s.io.err().split('loaded again').length === before && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(s.io.err().split('loaded again').length > before, 'reloaded when the file changed');
  } finally {
    writeFileSync(modelPath, original);
    await s.stop();
  }
});

test.run();
