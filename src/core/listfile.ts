import { readFileSync } from 'node:fs';
import { errors } from './errors.js';

/**
 * Calls `fn` for each entry of a list file (allowlists, hosts files): one entry per line, '#' starts a
 * comment, blank lines are skipped; `where` is "path:line" for error messages.
 */
export function forEachListEntry(path: string, fn: (entry: string, where: string) => void): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw errors.inputNotFound(path);
  }
  text.split('\n').forEach((line, i) => {
    const entry = line.replace(/#.*/, '').trim();
    if (entry) fn(entry, `${path}:${i + 1}`);
  });
}
