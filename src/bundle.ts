/**
 * Build step (`npm run build`, after tsc): bundles the CLI (dist/cli.js and everything it imports, vega and
 * ml-kmeans included) into one CommonJS file, dist/bundle/logwarden.cjs, which bin/logwarden.js runs, then
 * runs it once on a small generated log so that V8 writes its code cache for it (logwarden.cjs.cache).
 *
 * Why: Node's ES module loader spent ~0.4 s resolving and linking vega's and ml-kmeans's hundreds of files one
 * by one; the bundle loads in a tenth of that. And a short run spends another ~0.1 s parsing and compiling the
 * functions it calls: with the code cache they come compiled (V8 checks the cache against the source and
 * its own version, and compiles as usual when it does not match). Modules imported lazily stay lazy.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { packagePath } from './core/paths.js';

const out = packagePath('dist', 'bundle');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [packagePath('dist', 'cli.js')],
  outfile: join(out, 'logwarden.cjs'),
  bundle: true,
  platform: 'node',
  // CommonJS, so that bin/logwarden.js can compile it with a code cache (node:vm takes one for scripts).
  format: 'cjs',
  target: 'node20',
  // ASCII only (see below).
  charset: 'ascii',
  sourcemap: 'linked',
  logLevel: 'warning',
  // ssh2 may load compiled bindings of its own, canvas is vega's optional one, nodemailer is only for notify:
  // they are loaded from node_modules when a command needs them.
  external: ['ssh2', 'nodemailer', 'canvas'],
  define: { 'import.meta.url': '__logwardenModuleUrl' },
  banner: { js: "const __logwardenModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [
    {
      // vega-canvas's Node build awaits import('canvas') at its top level, which CommonJS cannot hold; its
      // browser build finds no canvas either, as the Node build does without the canvas package (the report
      // renders SVG).
      name: 'vega-canvas-without-canvas',
      setup(b) {
        b.onResolve({ filter: /^vega-canvas$/ }, () => ({ path: packagePath('node_modules', 'vega-canvas', 'build', 'vega-canvas.browser.js') }));
      },
    },
  ],
});

// esbuild escapes non-ASCII characters in code but leaves comments as they are: escaped here too (in a comment
// the escape is only text), so that the file is ASCII. Node reads an ASCII file into a one-byte string at
// once; a few arrows and accented names in comments made it a two-byte string of 8 MB, ~60 ms at every start.
const bundleFile = join(out, 'logwarden.cjs');
const text = readFileSync(bundleFile, 'utf8');
if (/[\u0080-\uffff]/.test(text))
  writeFileSync(
    bundleFile,
    text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );

// The warm-up run that writes the code cache: detect (with its report) on a small generated log.
const work = mkdtempSync(join(tmpdir(), 'logwarden-build-'));
try {
  const bin = packagePath('bin', 'logwarden.js');
  const log = join(work, 'access.log');
  execFileSync(process.execPath, [bin, 'generate', '--out', log, '--lines', '20000', '--seed', '1', '--quiet'], { stdio: 'inherit' });
  execFileSync(process.execPath, [bin, 'detect', log, '--out', join(work, 'out'), '--quiet'], {
    stdio: 'inherit',
    env: { ...process.env, LOGWARDEN_WRITE_CODE_CACHE: '1' },
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
