/**
 * The detect image, really built and run: multi-stage build from a base image given by .ci/run (a local
 * stand-in for node:20-bookworm-slim), the detect stage in a container with the logs mounted read-only, and
 * output files owned by the invoking user.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, needing, ROOT, tempDir } from '../helpers/index.js';
import { missingPrerequisites, named } from './helpers/guard.js';

const test = named(uvuTest);

const base = process.env.LOGWARDEN_TEST_BASE_IMAGE;
const sh = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });

const missing = missingPrerequisites(['docker']);
if (!base || missing) {
  const why = !base ? 'set LOGWARDEN_TEST_BASE_IMAGE to a Node 20 image, see .ci/docker-base.sh' : missing;
  if (process.env.CI) throw new Error(`docker e2e: cannot run in CI: ${why}`);
  console.log(`\n  (docker e2e: left out; ${why})`);
} else {
  const image = 'logwarden:ci';
  const almTest = needing(test, join(DATASETS, 'almhuette-raith-2019/access.log'));

  almTest('docker: the image builds from the base and runs detect on mounted logs; outputs belong to the caller', () => {
    sh('docker', ['build', '--network', 'host', '-q', '-f', 'docker/Dockerfile', '--build-arg', `BASE_IMAGE=${base}`, '-t', image, '.']);
    const inspect = JSON.parse(sh('docker', ['image', 'inspect', image]))[0];
    assert.equal(inspect.Config.Entrypoint, ['node', '/app/bin/logwarden.js']);
    assert.is(inspect.Config.User, '10001');
    assert.ok(inspect.Config.Volumes['/data/logs'] && inspect.Config.Volumes['/data/out']);
    const devDeps = sh('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c', 'ls /app/node_modules']);
    assert.not.match(devDeps, /\btypescript\b/, 'no dev dependencies in the runtime image');
    const work = tempDir('logwarden-docker-');
    mkdirSync(join(work, 'logs'));
    mkdirSync(join(work, 'out'));
    copyFileSync(join(DATASETS, 'almhuette-raith-2019/access.log'), join(work, 'logs/access.log'));
    chownSync(join(work, 'out'), 4242, 4242); // the Jenkins agent's user, say
    const out = sh('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '--user',
      '4242:4242',
      '-v',
      `${work}/logs:/data/logs:ro`,
      '-v',
      `${work}/out:/data/out`,
      image,
      'detect',
      '/data/logs',
      '--out',
      '/data/out',
    ]);
    assert.match(out, /193\.106\.31\.130/);
    for (const f of ['blocklist.txt', 'verdicts.json', 'clients.csv', 'report.html']) {
      const st = statSync(join(work, 'out', f));
      assert.is(st.uid, 4242, `${f} belongs to the caller`);
    }
    assert.match(readFileSync(join(work, 'out/blocklist.txt'), 'utf8'), /198\.38\.84\.230/);
  });

  almTest('docker: the image serves verdicts and reports itself healthy through its HEALTHCHECK', async () => {
    const work = tempDir('logwarden-docker-');
    mkdirSync(join(work, 'out'));
    copyFileSync(join(DATASETS, 'almhuette-raith-2019/access.log'), join(work, 'access.log'));
    const detected = spawnSync(process.execPath, [
      join(ROOT, 'bin/logwarden.js'),
      'detect',
      join(work, 'access.log'),
      '--out',
      join(work, 'out'),
      '--quiet',
      '--no-report',
    ]);
    assert.is(detected.status, 0, String(detected.stderr));
    const port = String(20000 + (process.pid % 20000));
    const name = `logwarden-serve-${process.pid}`;
    const inspect = JSON.parse(sh('docker', ['image', 'inspect', image]))[0];
    assert.match(inspect.Config.Healthcheck.Test.join(' '), /healthz/);
    sh('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '--health-interval',
      '1s',
      '--health-start-period',
      '1s',
      '-e',
      `LOGWARDEN_HEALTH_PORT=${port}`,
      '-v',
      `${work}/out:/data/model:ro`,
      image,
      'serve',
      '--model',
      '/data/model/model.json',
      '--listen',
      `127.0.0.1:${port}`,
    ]);
    try {
      let health = '';
      for (let i = 0; i < 100 && health !== 'healthy'; i++) {
        health = sh('docker', ['inspect', '--format', '{{.State.Health.Status}}', name]).trim();
        if (health !== 'healthy') await new Promise((r) => setTimeout(r, 200));
      }
      assert.is(health, 'healthy', sh('docker', ['logs', name]));
      const verdicts = JSON.parse(readFileSync(join(work, 'out/verdicts.json'), 'utf8')) as { flagged: Array<{ address: string; group: string | null }> };
      const alone = verdicts.flagged.find((f) => f.group === null)!;
      const lines = readFileSync(join(work, 'access.log'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith(`${alone.address} `));
      const res = await fetch(`http://127.0.0.1:${port}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lines }),
      });
      assert.is(res.status, 200);
      const body = (await res.json()) as { clients: Array<{ address: string; verdict: string }> };
      assert.equal(
        body.clients.map((c) => [c.address, c.verdict]),
        [[alone.address, 'abusive']],
      );
    } finally {
      spawnSync('docker', ['rm', '-f', name]);
    }
  });

  test('docker: jobs/detect.sh runs the stage in the image and says so', () => {
    const work = tempDir('logwarden-docker-');
    mkdirSync(join(work, 'w/logs'), { recursive: true });
    copyFileSync(join(DATASETS, 'honeynet-2004/access_log.combined'), join(work, 'w/logs/access_log'));
    const r = spawnSync('bash', [join(ROOT, 'jobs/detect.sh')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WORK: join(work, 'w'), LOGWARDEN_IMAGE: image, LOGWARDEN_DOCKER: 'always' },
    });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /running detect in Docker \(logwarden:ci\)/);
    assert.match(r.stdout, /82\.82\.97\.119/);
    assert.match(readFileSync(join(work, 'w/out/blocklist.txt'), 'utf8'), /63\.126\.133\.22/);
  });
}

test.run();
