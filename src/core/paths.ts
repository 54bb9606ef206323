/**
 * Files of the package (package.json, the native module, the worker script, the compiled charts) found from
 * the package's root, so that the same code finds them from src/ (the tests), dist/, or dist's one-file bundle.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`logwarden: no package.json above ${from}`);
  }
}

/** The directory that holds logwarden's package.json. */
export const PACKAGE_ROOT = findRoot(fileURLToPath(import.meta.url));

/** A path inside the package, e.g. packagePath('dist', 'features', 'worker.js'). */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
