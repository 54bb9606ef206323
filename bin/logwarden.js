#!/usr/bin/env node
// Runs dist/bundle/logwarden.cjs, the one-file bundle `npm run build` makes of dist/cli.js, compiled with the
// V8 code cache the build wrote for it (src/bundle.ts says why); without a bundle, dist/cli.js itself.
// LOGWARDEN_WRITE_CODE_CACHE=1 writes the cache anew when the run ends (the build's warm-up run does).
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/bundle/logwarden.cjs', import.meta.url));

async function load() {
  let source;
  try {
    source = readFileSync(bundle, 'utf8');
  } catch {
    return import('../dist/cli.js');
  }
  let cachedData;
  try {
    cachedData = readFileSync(`${bundle}.cache`);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (process.env.LOGWARDEN_TIMING && cachedData && script.cachedDataRejected)
    process.stderr.write('timing: the code cache was rejected (built by another Node?)\n');
  if (process.env.LOGWARDEN_WRITE_CODE_CACHE === '1') process.on('exit', () => writeFileSync(`${bundle}.cache`, script.createCachedData()));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return module.exports;
}

const cli = await load();
process.exitCode = await cli.main(process.argv.slice(2));
