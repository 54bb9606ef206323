/**
 * Scale-out with real parts: three web servers (Apache and OpenSSH, each in its own namespace), a flood spread
 * over all three (no server sees enough of it alone), visitors. Three "agents" (separate processes, each with
 * its own workspace) run jobs/aggregate.sh on their share of the sources; their tables are "stashed" by
 * copying them into the detect workspace, merged by jobs/detect.sh, and jobs/block-and-notify.sh bans on all
 * three servers. The outputs equal those of one agent reading every log.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/index.js';
import { createLab, startApache, startSshd, type Lab, type LabHost } from './helpers/lab.js';
import { labAvailable, named } from './helpers/guard.js';

const test = named(uvuTest);
const TRAFFIC = join(ROOT, 'test/e2e/helpers/traffic.mjs');
const done = (p: ReturnType<Lab['spawn']>) => new Promise<number>((r) => (p.exitCode !== null ? r(p.exitCode) : p.on('exit', (code) => r(code ?? 1))));

function canGet(lab: Lab, who: LabHost, url: string): boolean {
  try {
    lab.exec(who.ns, [process.execPath, TRAFFIC, 'get', url]);
    return true;
  } catch {
    return false;
  }
}

if (labAvailable('scale-out e2e', ['ip', 'sshd', 'apache2', 'ipset', 'iptables'])) {
  test('three agents aggregate three servers in parallel; the merged tables judge as one agent would, and the flood is banned everywhere', async () => {
    const lab = createLab(6);
    const [adm, attacker, visitor, ...webs] = lab.clients as [LabHost, LabHost, LabHost, LabHost, LabHost, LabHost];
    try {
      const work = tempDir('logwarden-scale-');
      const servers = webs.map((w) => ({ host: w, ssh: startSshd(lab, w), ...startApache(lab, w) }));
      // One key logs in everywhere (as a Jenkins credential would).
      for (const s of servers.slice(1)) appendFileSync(join(lab.dir, `sshd-${s.host.ns}`, 'authorized_keys'), readFileSync(`${servers[0]!.ssh.clientKey}.pub`));
      writeFileSync(join(work, 'known_hosts'), servers.map((s) => s.ssh.knownHosts).join(''));
      for (const s of servers) assert.ok(canGet(lab, visitor, `http://${s.host.v4}/`), `${s.host.v4} serves`);

      // Eight visitors browsing all three servers; 150 flood requests to each server: 450 in all, and no
      // server sees the flood guard's 200.
      const people = Array.from({ length: 8 }, (_, i) => `198.51.100.${150 + i}`);
      for (const a of people) lab.exec(visitor.ns, ['ip', 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
      const traffic = servers.flatMap((s) => [
        lab.spawn(attacker.ns, [process.execPath, TRAFFIC, 'flood', `http://${s.host.v4}/`, '150']),
        ...people.map((a) => lab.spawn(visitor.ns, [process.execPath, TRAFFIC, 'visitor', `http://${s.host.v4}/`, a])),
      ]);
      await Promise.all(traffic.map(done));

      const sources = servers.map((s) => `ssh://root@${s.host.v4}${s.logDir}/access_log*`).join(' ');
      const env = (name: string, extra: string[] = []) => [
        `PATH=${process.env.PATH}`,
        `HOME=${work}`,
        `WORK=${join(work, name)}`,
        `LOGWARDEN_STATE_DIR=${join(work, name, 'state')}`,
        `LOGWARDEN_SOURCES=${sources}`,
        `LOGWARDEN_SSH_KEY=${servers[0]!.ssh.clientKey}`,
        `LOGWARDEN_KNOWN_HOSTS=${join(work, 'known_hosts')}`,
        'LOGWARDEN_DOCKER=never',
        ...extra,
      ];
      const script = (name: string, file: string, extra: string[] = []) =>
        lab.spawn(adm.ns, ['env', '-i', ...env(name, extra), 'bash', join(ROOT, 'jobs', file)]);
      const run = async (name: string, file: string, extra: string[] = []) => {
        const p = script(name, file, extra);
        let out = '';
        p.stdout!.on('data', (c: Buffer) => (out += c));
        p.stderr!.on('data', (c: Buffer) => (out += c));
        const code = await done(p);
        assert.is(code, 0, `${name}: ${file} failed:\n${out}`);
        return out;
      };

      // Three agents at once, each with its own workspace and its share of the sources.
      const agents = await Promise.all([1, 2, 3].map((k) => run(`agent-${k}`, 'aggregate.sh', ['LOGWARDEN_GROUPS=3', `LOGWARDEN_GROUP=${k}`])));
      for (const [i, out] of agents.entries()) assert.match(out, new RegExp(`group ${i + 1} of 3: 1 of 3 sources`));
      // "Stash" and "unstash": the tables copied into the detect workspace.
      mkdirSync(join(work, 'main/tables'), { recursive: true });
      for (const k of [1, 2, 3]) {
        const dir = join(work, `agent-${k}`, 'tables');
        const tables = readdirSync(dir);
        assert.equal(tables, [`group-${k}.lwtable`]);
        copyFileSync(join(dir, tables[0]!), join(work, 'main/tables', tables[0]!));
      }
      const detected = await run('main', 'detect.sh');
      assert.match(detected, /merging 3 partial tables/);

      // One agent reading every log gives the same files, byte for byte.
      await run('single', 'fetch.sh');
      await run('single', 'detect.sh');
      for (const f of ['blocklist.txt', 'clients.csv'])
        assert.ok(readFileSync(join(work, 'main/out', f), 'utf8') === readFileSync(join(work, 'single/out', f), 'utf8'), `${f} is the same`);
      assert.equal(readFileSync(join(work, 'main/out/blocklist.txt'), 'utf8').trim().split('\n'), [attacker.v4]);
      // No server's log alone shows the flood: only the site as one does.
      await run('one', 'fetch.sh', [`LOGWARDEN_SOURCES=${sources.split(' ')[0]}`]);
      await run('one', 'detect.sh');
      assert.is(readFileSync(join(work, 'one/out/blocklist.txt'), 'utf8').trim(), '', 'one server alone shows no flood');

      const hosts = servers.map((s) => `root@${s.host.v4}`).join(' ');
      const blocked = await run('main', 'block-and-notify.sh', [`LOGWARDEN_HOSTS=${hosts}`, 'LOGWARDEN_BAN_TIME=1h']);
      for (const s of servers) {
        assert.match(blocked, new RegExp(`${s.host.v4.replace(/\./g, '\\.')}: \\+1 -0`));
        assert.not.ok(canGet(lab, attacker, `http://${s.host.v4}/`), `the attacker is banned on ${s.host.v4}`);
        assert.ok(canGet(lab, visitor, `http://${s.host.v4}/`), `the visitor still gets 200 from ${s.host.v4}`);
      }
    } finally {
      lab.close();
    }
  });
}

test.run();
