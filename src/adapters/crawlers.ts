/**
 * The crawlers document (data/crawlers.json, or the file `--crawlers` names) read from disk; detect/crawlers.ts
 * checks it. A missing or broken file is one line naming it (exit 2).
 */
import { readFileSync } from 'node:fs';
import { errors } from '../core/errors.js';
import { packagePath } from '../core/paths.js';
import { crawlersFrom, type Crawlers } from '../detect/crawlers.js';

/** The ranges shipped with logwarden. */
export const SHIPPED_CRAWLERS = packagePath('data', 'crawlers.json');

export function loadCrawlers(path: string = SHIPPED_CRAWLERS): Crawlers {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw errors.badStageInput(path, `cannot read the crawlers' ranges: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw errors.badStageInput(path, 'not JSON');
  }
  return crawlersFrom(doc, path);
}

let shipped: Crawlers | null = null;

/** The shipped ranges, read once (live judging asks for them at every pass). */
export function shippedCrawlers(): Crawlers {
  return (shipped ??= loadCrawlers());
}
