/**
 * Build step (`npm run build`, after tsc): bundles the CLI (dist/cli.js and everything it imports, vega
 * and ml-kmeans included) into dist/bundle/ (cli.js and a few chunks), which bin/logwarden.js runs. Node's ES module
 * loader spends ~0.4 s resolving and linking vega's and ml-kmeans's hundreds of files one by one; the bundle
 * loads in a tenth of that. Modules that are still imported lazily stay lazy in the bundle.
 */
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { packagePath } from './core/paths.js';

// Chunk names carry content hashes: start from an empty directory so old chunks do not pile up.
rmSync(packagePath('dist', 'bundle'), { recursive: true, force: true });
await build({
  entryPoints: [packagePath('dist', 'cli.js')],
  outdir: packagePath('dist', 'bundle'),
  bundle: true,
  // Each command's modules in a chunk of their own, loaded when the command runs.
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // ssh2 may load compiled bindings of its own, canvas is vega's optional one, nodemailer is only for notify:
  // they are loaded from node_modules at run time.
  external: ['ssh2', 'nodemailer', 'canvas'],
  // CommonJS dependencies inside an ES module bundle still call require() for Node's own modules.
  banner: { js: "import { createRequire as __logwardenRequire } from 'node:module'; const require = __logwardenRequire(import.meta.url);" },
});
