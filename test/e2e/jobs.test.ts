/**
 * The three jobs/ scripts in order, as Jenkins runs them: fetch local sources, detect, then block (dry run,
 * against a real sshd in a namespace) and notify (to an .eml, no SMTP). Catches any drift between the
 * scripts and the CLI.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, needing, ROOT, tempDir } from '../helpers/index.js';
import { canConnect, createLab, startListener, startSshd } from './helpers/lab.js';
import { labAvailable, named } from './helpers/guard.js';

const test = named(uvuTest);

const almTest = needing(test, join(DATASETS, 'almhuette-raith-2019/access.log'));

if (labAvailable('jobs e2e', ['ip', 'sshd', 'ipset', 'iptables'])) {
  almTest('jobs/fetch.sh → detect.sh → block-and-notify.sh (dry run): each stage leaves its outputs', () => {
    const lab = createLab(2);
    try {
      const ssh = startSshd(lab);
      startListener(lab);
      const work = tempDir('logwarden-jobs-');
      writeFileSync(join(work, 'known_hosts'), ssh.knownHosts);
      const env = [
        `WORK=${join(work, 'w')}`,
        `LOGWARDEN_STATE_DIR=${join(work, 'state')}`,
        `LOGWARDEN_SOURCES=${join(DATASETS, 'almhuette-raith-2019/access.log')} ${join(DATASETS, 'elastic-apache/apache_logs.log')}`,
        'LOGWARDEN_DOCKER=never',
        `LOGWARDEN_HOSTS=root@${lab.server.v4}`,
        `LOGWARDEN_SSH_KEY=${ssh.clientKey}`,
        `LOGWARDEN_KNOWN_HOSTS=${join(work, 'known_hosts')}`,
        'DRY_RUN=true',
        // Logs from 2019 and 2015: banning on them is a replay on purpose (block refuses old evidence otherwise).
        'LOGWARDEN_BLOCK_ARGS=--replay',
        'LOGWARDEN_NOTIFY_TO=ops@example.org',
        'LOGWARDEN_SMTP_HOST=',
        `PATH=${process.env.PATH}`,
        `HOME=${work}`,
      ];
      const run = (script: string) => {
        const started = Date.now();
        const out = lab.exec(lab.clients[0]!.ns, ['env', '-i', ...env, 'bash', join(ROOT, 'jobs', script)]);
        return { out, seconds: (Date.now() - started) / 1000 };
      };
      const w = join(work, 'w');
      run('fetch.sh');
      const manifest = JSON.parse(readFileSync(join(w, 'logs/manifest.json'), 'utf8'));
      assert.is(manifest.files.length, 2);
      run('detect.sh');
      for (const f of ['blocklist.txt', 'verdicts.json', 'clients.csv', 'report.html']) assert.ok(existsSync(join(w, 'out', f)), f);
      assert.match(readFileSync(join(w, 'out/blocklist.txt'), 'utf8'), /193\.106\.31\.130/);
      const v = JSON.parse(readFileSync(join(w, 'out/verdicts.json'), 'utf8'));
      assert.is(v.parse.linesRead, 20000);
      // The model, to a watcher over SSH (the server namespace plays it; it shares this file system).
      const watcherModel = join(lab.dir, 'watcher-model.json');
      env.push('LOGWARDEN_WATCHERS=root@' + lab.server.v4, `LOGWARDEN_WATCH_MODEL=${watcherModel}`);
      run('push-model.sh');
      assert.is(readFileSync(watcherModel, 'utf8'), readFileSync(join(w, 'out/model.json'), 'utf8'));
      assert.not.ok(existsSync(`${watcherModel}.new`));
      env.push(`LOGWARDEN_WATCH_MODEL=/tmp/x'; touch /tmp/pwned; '`);
      assert.throws(() => run('push-model.sh'), /exit|status|Command failed/);
      assert.not.ok(existsSync('/tmp/pwned'));
      env.splice(env.length - 3, 3);
      const third = run('block-and-notify.sh');
      assert.match(third.out, /\[dry run\] 198\.51\.100\.1: \+\d+ -0/);
      const report = JSON.parse(readFileSync(join(w, 'out/block.json'), 'utf8'));
      assert.is(report.dryRun, true);
      assert.ok(report.hosts[0].ok);
      assert.ok(report.hosts[0].added.includes('193.106.31.130'));
      assert.not.ok(existsSync(join(work, 'state/ledger.json')), 'a dry run keeps no ledger');
      assert.match(readFileSync(join(w, 'out/notification.eml'), 'utf8'), /Subject: \[dry run\] logwarden: \d+ new bans/);
      assert.ok(canConnect(lab, lab.clients[1]!.ns, lab.server.v4), 'nothing was blocked');
    } finally {
      lab.close();
    }
  });
}

test.run();
