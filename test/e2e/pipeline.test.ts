/**
 * The whole suite as its users would judge it. Hosts are network namespaces: `web` (Apache httpd and OpenSSH),
 * an attacker flooding like HULK, a scanner, three visitors (one over IPv6), and `adm`, the Jenkins agent
 * with an SMTP server of its own. The three jobs/ scripts run in order on adm: fetch the log from web over
 * SSH, detect (in Docker when this run has it), block on web over SSH, notify by SMTP.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { ROOT, tempDir } from '../helpers/index.js';
import { createLab, startApache, startSshd, type Lab, type LabHost } from './helpers/lab.js';
import { labAvailable, named } from './helpers/guard.js';

const test = named(uvuTest);

const TRAFFIC = join(ROOT, 'test/e2e/helpers/traffic.mjs');

function canGet(lab: Lab, who: LabHost, url: string): boolean {
  try {
    lab.exec(who.ns, [process.execPath, TRAFFIC, 'get', url]);
    return true;
  } catch {
    return false;
  }
}

function traffic(lab: Lab, who: LabHost, mode: string, url: string) {
  return lab.spawn(who.ns, [process.execPath, TRAFFIC, mode, url]);
}

const done = (p: ReturnType<Lab['spawn']>) => new Promise<void>((r) => (p.exitCode !== null ? r() : p.on('exit', () => r())));

if (labAvailable('pipeline e2e', ['ip', 'sshd', 'apache2', 'ipset', 'iptables'])) {
  test('pipeline: a real flood and a scan against Apache are blocked, visitors are not, the email says so', async () => {
    const lab = createLab(6);
    const [adm, attacker, scanner, v1, v2, v6] = lab.clients as [LabHost, LabHost, LabHost, LabHost, LabHost, LabHost];
    const timings: string[] = [];
    try {
      const ssh = startSshd(lab);
      const { logDir } = startApache(lab);
      const web4 = `http://${lab.server.v4}/`;
      const web6 = `http://[${lab.server.v6}]/`;
      const work = tempDir('logwarden-pipeline-');
      const mail = join(work, 'mail');
      mkdirSync(mail);
      writeFileSync(join(work, 'known_hosts'), ssh.knownHosts);
      const smtp = lab.spawn(adm.ns, [process.execPath, join(ROOT, 'test/e2e/helpers/smtp-sink.mjs'), '2525', mail], { cwd: ROOT });
      await new Promise<void>((r) => smtp.stdout!.once('data', () => r()));

      for (const who of [attacker, scanner, v1, v2]) assert.ok(canGet(lab, who, web4), `${who.v4} loads the page before`);
      assert.ok(canGet(lab, v6, web6), 'the IPv6 visitor loads the page before');

      const t0 = Date.now();
      await Promise.all([
        done(traffic(lab, v1, 'visitor', web4)),
        done(traffic(lab, v2, 'visitor', web4)),
        done(traffic(lab, v6, 'visitor', web6)),
        done(traffic(lab, attacker, 'flood', web4)),
        done(traffic(lab, scanner, 'scan', web4)),
      ]);
      timings.push(`traffic ${((Date.now() - t0) / 1000).toFixed(1)}s`);

      const dockerBase = process.env.LOGWARDEN_TEST_BASE_IMAGE;
      if (dockerBase) {
        // The image of this checkout (cached layers make this quick when docker.test.ts built it already).
        execFileSync(
          'docker',
          ['build', '--network', 'host', '-q', '-f', 'docker/Dockerfile', '--build-arg', `BASE_IMAGE=${dockerBase}`, '-t', 'logwarden:ci', '.'],
          { cwd: ROOT, stdio: 'ignore' },
        );
      }
      const env = [
        `PATH=${process.env.PATH}`,
        `HOME=${work}`,
        `WORK=${join(work, 'w')}`,
        `LOGWARDEN_STATE_DIR=${join(work, 'state')}`,
        `LOGWARDEN_SOURCES=ssh://root@${lab.server.v4}${logDir}/access_log*`,
        `LOGWARDEN_SSH_KEY=${ssh.clientKey}`,
        `LOGWARDEN_KNOWN_HOSTS=${join(work, 'known_hosts')}`,
        `LOGWARDEN_HOSTS=root@${lab.server.v4}`,
        // Long enough that the re-run below always finds the bans in force, however slow the machine.
        'LOGWARDEN_BAN_TIME=1h',
        'LOGWARDEN_NOTIFY_TO=ops@example.org,security@example.org',
        'LOGWARDEN_SMTP_HOST=127.0.0.1',
        'LOGWARDEN_SMTP_PORT=2525',
        'LOGWARDEN_SMTP_SECURITY=none',
        ...(dockerBase ? ['LOGWARDEN_DOCKER=always', 'LOGWARDEN_IMAGE=logwarden:ci', `LOGWARDEN_BASE_IMAGE=${dockerBase}`] : ['LOGWARDEN_DOCKER=never']),
      ];
      const stage = (script: string) => {
        const s = Date.now();
        let r: string;
        try {
          r = lab.exec(adm.ns, ['env', '-i', ...env, 'bash', '-c', `bash ${join(ROOT, 'jobs', script)} 2>&1`]);
        } catch (e) {
          throw new Error(`${script} failed (exit ${(e as { status: number }).status}):\n${(e as { stdout: string }).stdout}`, { cause: e });
        }
        timings.push(`${script} ${((Date.now() - s) / 1000).toFixed(1)}s`);
        return r;
      };
      const runPipeline = () => [stage('fetch.sh'), stage('detect.sh'), stage('block-and-notify.sh')];

      const [, detected, blocked] = runPipeline();
      console.log(`\n  detect ran ${/running detect in Docker/.test(detected) ? 'in Docker' : 'directly (no Docker in this run)'}`);
      const blocklist = readFileSync(join(work, 'w/out/blocklist.txt'), 'utf8').trim().split('\n').sort();
      assert.equal(blocklist, [attacker.v4, scanner.v4].sort(), detected);
      assert.match(blocked, /\+2 -0/);

      for (const who of [attacker, scanner]) assert.not.ok(canGet(lab, who, web4), `${who.v4} is blocked`);
      for (const who of [v1, v2]) assert.ok(canGet(lab, who, web4), `visitor ${who.v4} still gets 200`);
      assert.ok(canGet(lab, v6, web6), 'the IPv6 visitor still gets 200');

      const mails = readdirSync(mail);
      assert.is(mails.length, 1, 'one email');
      const raw = readFileSync(join(mail, mails[0]!));
      assert.match(raw.toString('latin1'), /X-Envelope-To: ops@example\.org,security@example\.org/);
      const parsed = await simpleParser(raw);
      assert.match(parsed.subject ?? '', /^logwarden: 2 new bans, 0 expired on 198\.51\.100\.1$/);
      const att = parsed.attachments.find((a) => a.filename === 'blocklist.txt');
      assert.is(att?.content.toString().trim().split('\n').sort().join(' '), [attacker.v4, scanner.v4].sort().join(' '));

      // Again: nothing new in the log from the blocked hosts, nothing changes, no email.
      const [, , again] = runPipeline();
      assert.match(again, /\+0 -0 \(2 kept\)/);
      assert.match(again, /not sent/);
      assert.is(readdirSync(mail).length, 1);
      assert.not.ok(canGet(lab, attacker, web4), 'still blocked');

      // After the ban time the next run lifts the bans. The hour is made to have passed by moving the bans'
      // expiry into the past in this test's own ledger (waiting for a short ban time raced with slow runs).
      const ledgerPath = join(work, 'state/ledger.json');
      const ledger = JSON.parse(readFileSync(ledgerPath, 'utf8')) as { entries: Record<string, { expiresAt: string }> };
      for (const e of Object.values(ledger.entries)) e.expiresAt = new Date(Date.now() - 1000).toISOString();
      writeFileSync(ledgerPath, JSON.stringify(ledger));
      const expired = stage('block-and-notify.sh');
      assert.match(expired, /2 expired/);
      assert.ok(canGet(lab, attacker, web4), 'the attacker can connect again after the ban expired');
      assert.is(readdirSync(mail).length, 2, 'the expiry was reported');
      assert.ok(existsSync(join(work, 'w/out/report.html')));
    } finally {
      console.log(`  stage timings: ${timings.join(', ')}`);
      lab.close();
    }
  });
}

test.run();
