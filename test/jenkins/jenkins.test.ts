/**
 * What Jenkins runs, checked without a Jenkins: the Jenkinsfile lints clean with npm-groovy-lint, and the Jenkins
 * Job Builder YAML renders (Debian's jenkins-job-builder) into three chained jobs and a Build Pipeline view.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { ROOT, tempDir } from '../helpers/index.js';

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function needs(cmd: string, what: string): boolean {
  if (have(cmd)) return true;
  if (process.env.CI) throw new Error(`${what} needs ${cmd} in CI`);
  console.log(`\n  (${what}: left out, ${cmd} is not installed)`);
  return false;
}

test('Jenkinsfile: declarative, three stages each running one jobs/ script, triggers, credentials, post steps', () => {
  const j = readFileSync(join(ROOT, 'Jenkinsfile'), 'utf8');
  const stages = [...j.matchAll(/stage\('([^']+)'\)/g)].map((m) => m[1]);
  assert.equal(stages, ['Fetch logs', 'Fetch and aggregate on agents', 'Detect (Docker)', 'Refresh watchers', 'Block and notify']);
  assert.equal(
    [...j.matchAll(/sh '([^']+)'/g)].map((m) => m[1]),
    ['jobs/fetch.sh', 'jobs/aggregate.sh', 'jobs/detect.sh', 'jobs/push-model.sh', 'jobs/block-and-notify.sh'],
  );
  // Scale-out: one branch per group on an agent labelled logwarden, its table stashed, all unstashed for detect.
  for (const needle of ['parallel branches', "node('logwarden')", 'stash name: "table-${group}"', 'unstash "table-${k}"', '"LOGWARDEN_GROUP=${group}"'])
    assert.ok(j.includes(needle), `Jenkinsfile has ${needle}`);
  assert.match(j, /stage\('Refresh watchers'\) \{\s+when \{ expression \{ params\.WATCHERS\?\.trim\(\) \} \}/);
  for (const needle of [
    'githubPush()',
    "cron('H 2 * * *')",
    'timestamps()',
    'buildDiscarder(',
    'disableConcurrentBuilds()',
    'timeout(',
    'sshUserPrivateKey(',
    'usernamePassword(',
    "string(credentialsId: 'logwarden-github-token'",
    "archiveArtifacts artifacts: 'work/out/**'",
    'publishHTML(',
    'failure {',
  ]) {
    assert.ok(j.includes(needle), `Jenkinsfile has ${needle}`);
  }
  for (const p of ['DRY_RUN', 'TARGET_HOSTS', 'LOG_SOURCES', 'RECIPIENTS', 'WATCHERS', 'AGENT_GROUPS']) assert.match(j, new RegExp(`name: '${p}'`));
});

if (needs('java', 'npm-groovy-lint')) {
  test('Jenkinsfile: npm-groovy-lint finds no errors', () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/npm-groovy-lint/lib/index.js'), '--output', 'json', '--failon', 'error', '--noserver', 'Jenkinsfile'],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    assert.is(json.summary.totalFoundErrorNumber, 0, JSON.stringify(json.files, null, 1));
    assert.is(r.status, 0);
  });
}

if (needs('jenkins-jobs', 'Jenkins Job Builder')) {
  test('jobs/jenkins-jobs.yaml: three chained freestyle jobs, triggered by GitHub and a nightly timer, and the pipeline view', () => {
    const out = tempDir();
    execFileSync('jenkins-jobs', ['test', join(ROOT, 'jobs/jenkins-jobs.yaml'), '-o', out], { stdio: 'pipe' });
    const xml = new XMLParser({ ignoreAttributes: false });
    const read = (name: string) => xml.parse(readFileSync(join(out, name), 'utf8'));
    const fetch = read('logwarden-fetch').project;
    const detect = read('logwarden-detect').project;
    const block = read('logwarden-block-and-notify').project;
    assert.ok(fetch.triggers['com.cloudbees.jenkins.GitHubPushTrigger'] !== undefined, 'GitHub push trigger');
    assert.is(fetch.triggers['hudson.triggers.TimerTrigger'].spec, 'H 2 * * *');
    const next = (p: { publishers: Record<string, { configs: Record<string, { projects: string }> }> }) =>
      p.publishers['hudson.plugins.parameterizedtrigger.BuildTrigger']!.configs['hudson.plugins.parameterizedtrigger.BuildTriggerConfig']!.projects;
    assert.is(next(fetch), 'logwarden-detect');
    assert.is(next(detect), 'logwarden-block-and-notify');
    const shell = (p: { builders: { 'hudson.tasks.Shell': { command: string } | Array<{ command: string }> } }) =>
      ([] as Array<{ command: string }>)
        .concat(p.builders['hudson.tasks.Shell'])
        .map((s) => s.command)
        .join('\n');
    assert.match(shell(fetch), /jobs\/fetch\.sh/);
    assert.match(shell(detect), /jobs\/detect\.sh/);
    assert.match(shell(block), /jobs\/block-and-notify\.sh/);
    assert.ok(detect.builders['hudson.plugins.copyartifact.CopyArtifact'], 'detect copies the fetched logs');
    const view = read('logwarden')['au.com.centrumsystems.hudson.plugin.buildpipeline.BuildPipelineView'];
    assert.ok(view, 'a Build Pipeline view');
    assert.is(view.gridBuilder.firstJob, 'logwarden-fetch');
  });
}

if (needs('systemd-analyze', 'the watch systemd unit')) {
  test('jobs/logwarden-watch.service: systemd accepts the unit; it runs watch with the paths push-model.sh writes', () => {
    const r = spawnSync('systemd-analyze', ['verify', join(ROOT, 'jobs/logwarden-watch.service')], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr.trim(), '', r.stderr);
    const unit = readFileSync(join(ROOT, 'jobs/logwarden-watch.service'), 'utf8');
    assert.match(unit, /ExecStart=\/usr\/bin\/env logwarden watch \$LOGWARDEN_WATCH_SOURCES \\\n\s+--model \/var\/lib\/logwarden\/model\.json/);
    assert.match(unit, /ExecReload=\/bin\/kill -HUP \$MAINPID/);
    const push = readFileSync(join(ROOT, 'jobs/push-model.sh'), 'utf8');
    assert.match(push, /LOGWARDEN_WATCH_MODEL:-\/var\/lib\/logwarden\/model\.json/);
  });
}

test.run();
