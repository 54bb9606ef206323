/**
 * `watch` on local logs, in this process (the SSH path with a real firewall is test/e2e/watch.test.ts): a
 * flood and a distributed flood judged within seconds, a digest instead of a message per ban, a restart that
 * neither loses nor re-reads a line, a model reloaded on SIGHUP.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWatch, type WatchCommandOptions } from '../../src/commands/watch.js';
import { memoryIo, runCli, tempDir } from '../helpers/index.js';

const dir = tempDir();
const modelPath = join(dir, 'out/model.json');

test.before(async () => {
  const log = join(dir, 'day.log');
  assert.is((await runCli(['generate', '--out', log, '--seed', '3', '--lines', '20000', '--no-attacks', '--quiet'])).code, 0);
  const d = await runCli(['detect', log, '--out', join(dir, 'out'), '--quiet', '--no-report']);
  assert.is(d.code, 0, d.stderr);
});

const stamp = (t: Date) => {
  const m = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][t.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(t.getUTCDate())}/${m}/${t.getUTCFullYear()}:${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} +0000`;
};
const hit = (ip: string, path: string, agent = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0', referer = '-') =>
  `${ip} - - [${stamp(new Date())}] "GET ${path} HTTP/1.1" 200 512 "${referer}" "${agent}"\n`;
const visitor = (ip: string, i: number) =>
  hit(ip, ['/', '/style.css', '/app.js', '/about.html'][i % 4]!, 'Mozilla/5.0 (Macintosh) Safari/605.1.15', 'http://web.lab/');

interface Event {
  event: string;
  address?: string;
  kinds?: string[];
  reasons?: string[];
  group?: { kind: string; size: number } | null;
  linesRead?: Record<string, number>;
  message?: string;
}

async function watch(log: string, extra: Partial<WatchCommandOptions> = {}, waitReady = true) {
  const signals = new EventEmitter();
  const events = join(dir, `events-${Math.random().toString(36).slice(2)}.jsonl`);
  const io = memoryIo();
  let ready: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const done = runWatch(
    {
      sources: [log],
      model: modelPath,
      dryRun: true,
      judgeEvery: '1s',
      pollMs: 20,
      state: join(dir, 'state/watch.state'),
      events,
      signals,
      onReady: () => ready(),
      ...extra,
    },
    io,
  );
  done.catch(() => undefined);
  if (waitReady) await Promise.race([isReady, done.then(() => Promise.reject(new Error(io.err())))]);
  const read = (): Event[] =>
    existsSync(events)
      ? readFileSync(events, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Event)
      : [];
  return {
    signals,
    io,
    read,
    until: async (check: (e: Event[]) => boolean, what: string, ms = 8000) => {
      const end = Date.now() + ms;
      while (!check(read())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(read())}\n${io.err()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      signals.emit('SIGTERM');
      await done;
      return read().find((e) => e.event === 'stop')!;
    },
  };
}

test('a flood is judged within seconds, a distributed flood as a group, visitors never; one digest for all', async () => {
  const log = join(dir, 'live.log');
  writeFileSync(log, visitor('192.0.2.50', 0));
  // 203.0.113.99 floods as well, but is on the allowlist.
  const w = await watch(log, { notifyEvery: '3s', notifyTo: ['ops@example.org'], allow: ['203.0.113.99'] });
  try {
    const started = Date.now();
    let text = '';
    for (let i = 0; i < 300; i++) {
      text += hit('203.0.113.66', `/?${i.toString(36)}=${i}`, `bot ${i % 7}`);
      text += hit('203.0.113.99', `/?${i.toString(36)}=${i}`, `monitor ${i % 7}`);
      if (i % 10 === 0) for (let v = 0; v < 4; v++) text += visitor(`192.0.2.${50 + v}`, i / 10);
    }
    appendFileSync(log, text);
    await w.until((e) => e.some((x) => x.event === 'ban' && x.address === '203.0.113.66'), 'the flood to be judged');
    const flood = w.read().find((x) => x.event === 'ban' && x.address === '203.0.113.66')!;
    assert.ok(Date.now() - started < 5000, `judged in ${Date.now() - started} ms`);
    assert.equal(flood.kinds, ['flood']);
    assert.match(flood.reasons![0]!, /^flood: 300 requests in ten minutes \(guard 200\)/);

    // Twelve addresses, 30 requests each: none a flood alone, a flood together.
    text = '';
    for (let i = 0; i < 30; i++) for (let b = 0; b < 12; b++) text += hit(`198.18.7.${10 + b}`, `/?${'abcdefghijkl'[b]}=${i * 7919}`);
    appendFileSync(log, text);
    await w.until((e) => e.filter((x) => x.event === 'ban' && x.address?.startsWith('198.18.7.')).length === 12, 'the group to be judged');
    const members = w.read().filter((x) => x.event === 'ban' && x.address?.startsWith('198.18.7.'));
    for (const m of members) {
      assert.equal(m.kinds, ['flood']);
      assert.equal(m.group && { kind: m.group.kind, size: m.group.size }, { kind: 'flood', size: 12 });
      assert.match(m.reasons![0]!, /^member of group g\d+: 12 clients alike, flood together/);
    }
    assert.not.ok(
      w.read().some((x) => x.event === 'ban' && x.address?.startsWith('192.0.2.')),
      'no visitor banned',
    );
    assert.not.ok(
      w.read().some((x) => x.event === 'ban' && x.address === '203.0.113.99'),
      'the allowlisted flooder is spared',
    );
    // One digest for the thirteen bans (no SMTP server here: the message is written out).
    await w.until((e) => e.some((x) => x.event === 'digest'), 'the digest', 10_000);
    const digests = w.read().filter((x) => x.event === 'digest');
    assert.is(digests.length, 1, JSON.stringify(digests));
    const eml = readFileSync(join(dir, 'state/digest/notification.eml'), 'utf8');
    // A dry run without hosts bans nothing: the digest says what was found.
    assert.match(eml, /Subject: logwarden: 13 clients flagged \(not blocked yet\)/);
    for (const a of ['203.0.113.66', '198.18.7.10', '198.18.7.21']) assert.match(eml, new RegExp(a.replace(/\./g, '\\.')));
  } finally {
    await w.stop();
  }
});

test('a restart resumes where it stopped: every line read once, across a rotation while running', async () => {
  const log = join(dir, 'resume.log');
  writeFileSync(log, '');
  const state = join(dir, 'resume/watch.state');
  let written = 0;
  const add = (n: number, from: number) => {
    let t = '';
    for (let i = 0; i < n; i++) t += visitor(`192.0.2.${(from + i) % 200}`, i);
    appendFileSync(log, t);
    written += n;
  };
  const first = await watch(log, { state });
  add(500, 0);
  await first.until(() => true, 'nothing');
  await new Promise((r) => setTimeout(r, 300));
  // Half a line at the stop: read by the next run, whole.
  appendFileSync(log, visitor('192.0.2.99', 1).slice(0, 20));
  const a = await first.stop();
  assert.ok(existsSync(state));
  appendFileSync(log, visitor('192.0.2.99', 1).slice(20));
  written++;
  add(300, 500);
  const second = await watch(log, { state });
  add(200, 800);
  await new Promise((r) => setTimeout(r, 500));
  const b = await second.stop();
  const total = (e: Event) => Object.values(e.linesRead ?? {}).reduce((s, n) => s + n, 0);
  assert.is(total(a) + total(b), written, `${total(a)} + ${total(b)} lines read, ${written} written`);
  assert.is(readFileSync(log, 'utf8').split('\n').filter(Boolean).length, written);
});

test('SIGHUP reads the model again; a broken model is refused and the old one kept', async () => {
  const log = join(dir, 'hup.log');
  writeFileSync(log, '');
  const original = readFileSync(modelPath, 'utf8');
  const w = await watch(log);
  try {
    writeFileSync(modelPath, original.replace('"schemaVersion": 1', '"schemaVersion": 2'));
    w.signals.emit('SIGHUP');
    await w.until((e) => e.some((x) => x.event === 'error' && /model not reloaded/.test(x.message ?? '')), 'the refusal');
    writeFileSync(modelPath, original);
    w.signals.emit('SIGHUP');
    await w.until((e) => e.some((x) => x.event === 'model'), 'the reload');
  } finally {
    writeFileSync(modelPath, original);
    await w.stop();
  }
  assert.ok(readdirSync(dir).length > 0);
});

test('an ssh:// log that cannot be reached is tried again with backoff, and said so', async () => {
  const key = join(dir, 'key');
  writeFileSync(key, 'not a key');
  const w = await watch('ssh://root@127.0.0.1:1/var/log/access.log', { sshKey: key, knownHosts: join(dir, 'known_hosts') }, false);
  try {
    await w.until((e) => e.filter((x) => x.event === 'error').length >= 2, 'two attempts', 6000);
    const errors = w.read().filter((x) => x.event === 'error');
    assert.match(errors[0]!.message!, /again in 1s$/);
    assert.match(errors[1]!.message!, /again in 2s$/);
  } finally {
    await w.stop();
  }
});

test('wrong options: one line each, before anything starts', async () => {
  const io = memoryIo();
  const bad = async (o: Partial<WatchCommandOptions>, re: RegExp) => {
    const err = await runWatch({ sources: ['x.log'], model: modelPath, dryRun: true, ...o } as WatchCommandOptions, io).catch((e: Error) => e);
    assert.instance(err, Error);
    assert.match((err as Error).message, re);
  };
  await bad({ sources: ['https://example.org/log'] }, /watch follows local files and ssh:\/\/ files/);
  await bad({ sources: ['/var/log/*.log'] }, /not a glob/);
  await bad({ sources: ['ssh://root@web/var/log/'] }, /not a followable ssh:\/\/ file/);
  await bad({ window: '10s' }, /--window: expected a duration of at least 60s/);
  await bad({ judgeEvery: 'soon' }, /--judge-every: expected a duration/);
  await bad({ dryRun: false }, /--hosts: name the hosts to ban on/);
  await bad({ model: join(dir, 'none.json') }, /input not found: .*none\.json/);
});

test.run();
