#!/usr/bin/env node
// dist/bundle/ is what `npm run build` bundles dist/cli.js into (it loads several times faster).
let cli;
try {
  cli = await import('../dist/bundle/cli.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('bundle')) throw err;
  cli = await import('../dist/cli.js');
}
process.exitCode = await cli.main(process.argv.slice(2));
