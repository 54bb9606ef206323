/**
 * Installs like a tool: the package file `npm pack` writes carries the built code and installs with
 * `npm install -g` into a prefix whose bin holds a working `logwarden`, with no devDependencies; the
 * dependency tree asks for no newer Node than package.json's engines says.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { ROOT, tempDir } from '../helpers/index.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string }; files: string[] };

test('every package npm ci installs runs on the oldest Node that engines allows (no EBADENGINE)', () => {
  const oldest = semver.minVersion(pkg.engines.node)!.version;
  assert.ok(semver.satisfies(process.version, pkg.engines.node), `this Node ${process.version} is allowed`);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
  const refused = Object.entries(lock.packages)
    .filter(([path, p]) => path && p.engines?.node && !semver.satisfies(oldest, p.engines.node))
    .map(([path, p]) => `${path} wants node ${p.engines!.node}`);
  assert.equal(refused, [], `engines says ${pkg.engines.node}`);
});

test('npm pack → npm install -g --prefix: logwarden on that bin runs, with no devDependencies and no EBADENGINE', () => {
  const dir = tempDir('logwarden-install-');
  const npm = (args: string[]) =>
    spawnSync('npm', [...args, '--no-audit', '--no-fund', '--logs-dir', join(dir, 'logs')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
  // dist is built by the test command; the pack's own prepare would build it again.
  const packed = npm(['pack', '--ignore-scripts', '--pack-destination', dir, '--json']);
  assert.is(packed.status, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info!.files.map((f) => f.path);
  assert.ok(files.includes('dist/cli.js') && files.includes('bin/logwarden.js'), 'the built code is in the package');
  assert.not.ok(
    files.some((f) => f.startsWith('src/') || f.startsWith('test/')),
    'no sources or tests',
  );
  const prefix = join(dir, 'prefix');
  const installed = npm(['install', '-g', '--prefix', prefix, '--prefer-offline', join(dir, info!.filename)]);
  if (installed.status !== 0 && /ENOTCACHED|EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ETIMEDOUT/.test(installed.stderr)) {
    process.stdout.write(
      `  skipped the install: the npm registry cannot be reached and the cache lacks a package (${/E[A-Z_]+/.exec(installed.stderr)?.[0]})\n`,
    );
    return;
  }
  assert.is(installed.status, 0, installed.stderr);
  assert.not.match(installed.stderr, /EBADENGINE/);
  const lib = join(prefix, 'lib/node_modules/logwarden');
  assert.not.ok(existsSync(join(lib, 'node_modules/typescript')), 'no devDependencies installed');
  const run = spawnSync(join(prefix, 'bin/logwarden'), ['--version'], { encoding: 'utf8', cwd: dir, env: { ...process.env, PATH: '/usr/bin:/bin' } });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout.trim(), pkg.version);
});

test.run();
