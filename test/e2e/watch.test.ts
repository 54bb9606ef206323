/**
 * Live protection with real parts: Apache and OpenSSH in a `web` namespace, `watch` on an `adm` namespace
 * following Apache's log over SSH and banning with ipset/iptables on web over SSH. A HULK-like flood is banned
 * within 10 s of its first line, with busy processes beside watch (a server under attack is a loaded one),
 * while visitors keep getting 200; the log is rotated in the middle of the flood (rename + graceful reload) and no line is lost or read twice; a distributed flood from twelve addresses is
 * banned as a group while it runs; a restart resumes where the last run stopped.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, runCli, tempDir } from '../helpers/index.js';
import { createLab, startApache, startSshd, type Lab, type LabHost } from './helpers/lab.js';
import { labAvailable, named } from './helpers/guard.js';

const test = named(uvuTest);
const TRAFFIC = join(ROOT, 'test/e2e/helpers/traffic.mjs');

function canGet(lab: Lab, who: LabHost, url: string, from?: string): boolean {
  try {
    lab.exec(who.ns, [process.execPath, TRAFFIC, from ? 'getfrom' : 'get', url, ...(from ? [from] : [])]);
    return true;
  } catch {
    return false;
  }
}

const done = (p: ReturnType<Lab['spawn']>) => new Promise<void>((r) => (p.exitCode !== null ? r() : p.on('exit', () => r())));

interface Event {
  time: string;
  event: string;
  address?: string;
  kinds?: string[];
  group?: { kind: string; size: number } | null;
  hosts?: Array<{ host: string; ok: boolean }>;
  linesRead?: Record<string, number>;
  message?: string;
  judgeMs?: number;
  banMs?: number;
}

function events(path: string): Event[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event);
}

async function until(check: () => boolean, what: string, ms: number, more = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${more()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lineCount = (...files: string[]) => files.filter(existsSync).reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 0);

if (labAvailable('watch e2e', ['ip', 'sshd', 'apache2', 'ipset', 'iptables'])) {
  test('watch: a flood is banned within 10 s over SSH, through a rotation; a distributed flood as a group; a restart resumes', async () => {
    const lab = createLab(5);
    const [adm, attacker, v1, v2, bots] = lab.clients as [LabHost, LabHost, LabHost, LabHost, LabHost];
    const botAddresses = Array.from({ length: 12 }, (_, i) => `198.51.100.${101 + i}`);
    for (const a of botAddresses) lab.exec(bots.ns, ['ip', 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    const work = tempDir('logwarden-watch-e2e-');
    let watcher: ReturnType<Lab['spawn']> | null = null;
    const busy: ChildProcess[] = [];
    try {
      const ssh = startSshd(lab);
      const { accessLog, logDir } = startApache(lab);
      // A second log on the same server (another site's, say), followed on the same SSH connection.
      const otherLog = join(logDir, 'other_access_log');
      writeFileSync(otherLog, '');
      const web = `http://${lab.server.v4}/`;
      writeFileSync(join(work, 'known_hosts'), ssh.knownHosts);

      // The model a nightly run would have learned (an ordinary day of visitors).
      const day = join(work, 'day.log');
      assert.is((await runCli(['generate', '--out', day, '--seed', '5', '--lines', '20000', '--no-attacks', '--quiet'])).code, 0);
      const d = await runCli(['detect', day, '--out', join(work, 'out'), '--quiet', '--no-report']);
      assert.is(d.code, 0, d.stderr);

      for (const who of [attacker, v1, v2]) assert.ok(canGet(lab, who, web), `${who.v4} loads the page before`);
      assert.ok(canGet(lab, bots, web, botAddresses[0]), 'a bot loads the page before');
      truncateSync(accessLog, 0);

      const eventsPath = join(work, 'events.jsonl');
      const output: string[] = [];
      const startWatch = () => {
        const p = lab.spawn(adm.ns, [
          process.execPath,
          BIN,
          'watch',
          `ssh://root@${lab.server.v4}${accessLog}`,
          `ssh://root@${lab.server.v4}${otherLog}`,
          '--model',
          join(work, 'out/model.json'),
          '--hosts',
          `root@${lab.server.v4}`,
          '--ssh-key',
          ssh.clientKey,
          '--known-hosts',
          join(work, 'known_hosts'),
          '--ledger',
          join(work, 'ledger.json'),
          '--state',
          join(work, 'state/watch.state'),
          '--events',
          eventsPath,
          '--judge-every',
          '1s',
          '--poll',
          '100',
          '--ban-time',
          '1h',
        ]);
        p.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
        p.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
        return p;
      };
      const ready = (n: number) =>
        until(
          () => events(eventsPath).filter((e) => e.event === 'ready').length === n,
          'watch to be ready',
          20_000,
          () => output.join(''),
        );
      const stopWatch = async () => {
        const p = watcher!;
        p.kill('SIGTERM');
        // A watch that does not stop is a bug to see, not a test that hangs.
        const stopped = await Promise.race([done(p).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
        if (!stopped) p.kill('SIGKILL');
        assert.ok(stopped, `watch stopped within 20 s of SIGTERM\n${output.join('')}`);
        watcher = null;
        const stops = events(eventsPath).filter((e) => e.event === 'stop');
        return stops[stops.length - 1]!;
      };

      watcher = startWatch();
      await ready(1);
      // One connection follows both logs; the bans have one of their own (a kept shell).
      const connections = () => lab.exec(adm.ns, ['ss', '-Htn', 'state', 'established', '( dport = :22 )']).split('\n').filter(Boolean).length;
      assert.is(connections(), 2, 'one SSH connection follows both logs, one bans');
      writeFileSync(otherLog, '203.0.113.77 - - [01/Dec/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 10\n'.repeat(5));

      // Visitors, then the flood; the log is rotated a second into the flood.
      const visitors = [v1, v2].map((v) => lab.spawn(v.ns, [process.execPath, TRAFFIC, 'visitor', web]));
      // As many busy processes as cores beside it all, until the flood is banned.
      busy.push(...Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })));
      // 200 requests a second, for up to 15 s: the rotation comes in the middle of it. The time is taken from
      // the flood's first line in the log, not from the start of its process: on a loaded machine a process
      // takes seconds to start, and a ban cannot come before the first line (CI timed out once here).
      const flood = lab.spawn(attacker.ns, [process.execPath, TRAFFIC, 'flood', web, '3000', '200']);
      const floodLines = () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8').split(attacker.v4).length - 1 : 0);
      await until(() => floodLines() > 0, 'the first line of the flood', 20_000);
      const t0 = Date.now();
      // The rotation once the flood has written some lines (the ban may come before or after the server
      // reopens its log: both are a rotation in the middle of a flood).
      await until(() => floodLines() >= 20, 'twenty lines of the flood', 20_000);
      renameSync(accessLog, `${accessLog}.1`);
      process.kill(Number(readFileSync(join(lab.dir, 'apache/httpd.pid'), 'utf8').trim()), 'SIGUSR1');

      const banOf = (a: string) => events(eventsPath).find((e) => e.event === 'ban' && e.address === a);
      await until(
        () => banOf(attacker.v4) !== undefined,
        'the flood to be banned',
        15_000,
        () => output.join(''),
      );
      for (const b of busy.splice(0)) b.kill('SIGKILL');
      const ban = banOf(attacker.v4)!;
      const took = Date.parse(ban.time) - t0;
      // The server writes its new log once its graceful restart is done (visitors keep coming).
      await until(() => lineCount(accessLog) > 0, 'the new log after the rotation', 20_000);
      const before = readFileSync(`${accessLog}.1`, 'utf8').split(attacker.v4).length - 1;
      const after = readFileSync(accessLog, 'utf8').split(attacker.v4).length - 1;
      console.log(
        `  flood banned ${took} ms after its first line (judged in ${ban.judgeMs} ms, banned on the host in ${ban.banMs} ms; ${before} lines before the rotation, ${after} after)`,
      );
      assert.ok(before > 0, 'the log was rotated in the middle of the flood');
      assert.ok(took < 10_000, `banned ${took} ms after the flood's first line`);
      assert.equal(ban.kinds, ['flood']);
      assert.equal(ban.hosts, [{ host: lab.server.v4, ok: true }]);
      assert.not.ok(canGet(lab, attacker, web), 'the attacker no longer reaches the server');
      flood.kill('SIGKILL');
      for (const v of [v1, v2]) assert.ok(canGet(lab, v, web), `visitor ${v.v4} still gets 200`);
      await Promise.all(visitors.map(done));
      assert.ok(
        events(eventsPath).some((e) => e.event === 'source' && /rotated/.test(e.message ?? '')),
        'the rotation was followed',
      );

      // Twelve addresses, each mild: banned as one group while the flood runs.
      const botnet = lab.spawn(bots.ns, [process.execPath, TRAFFIC, 'botnet', web, botAddresses.join(',')]);
      await until(
        () => botAddresses.every((a) => banOf(a) !== undefined),
        'the distributed flood to be banned',
        20_000,
        () => output.join('') + JSON.stringify(events(eventsPath).filter((e) => e.event === 'ban')),
      );
      const stillRunning = botnet.exitCode === null;
      for (const a of botAddresses) {
        const e = banOf(a)!;
        assert.equal(e.kinds, ['flood'], a);
        assert.is(e.group?.kind, 'flood', a);
        assert.ok((e.group?.size ?? 0) >= 10, `${a} banned with its group of ${e.group?.size}`);
      }
      assert.ok(stillRunning, 'banned while it ran');
      assert.not.ok(canGet(lab, bots, web, botAddresses[5]), 'a bot no longer reaches the server');
      botnet.kill('SIGKILL');
      for (const v of [v1, v2]) assert.not.ok(banOf(v.v4), `visitor ${v.v4} not banned`);

      // Every line of both files read once (the rotation lost and duplicated nothing).
      await new Promise((r) => setTimeout(r, 1000));
      const first = await stopWatch();
      const read1 = Object.values(first.linesRead ?? {}).reduce((s, n) => s + n, 0);
      assert.is(read1, lineCount(`${accessLog}.1`, accessLog, otherLog), 'lines read = lines written, across the rotation');
      assert.is(first.linesRead?.[`root@${lab.server.v4}:22${otherLog}`], 5, 'the second log was read too');

      // Traffic while watch is down, then a restart: it resumes where it stopped.
      for (let i = 0; i < 5; i++) assert.ok(canGet(lab, v1, web));
      watcher = startWatch();
      await ready(2);
      for (let i = 0; i < 5; i++) assert.ok(canGet(lab, v2, web));
      await new Promise((r) => setTimeout(r, 1000));
      const second = await stopWatch();
      const read2 = Object.values(second.linesRead ?? {}).reduce((s, n) => s + n, 0);
      assert.is(read2, 10, 'the restart read the ten lines written since, no more, no fewer');
    } finally {
      for (const b of busy) b.kill('SIGKILL');
      if (watcher) (watcher as ReturnType<Lab['spawn']>).kill('SIGKILL');
      lab.close();
    }
  });
}

test.run();
