/**
 * `logwarden crawlers`: shows the search crawlers' published address ranges detect verifies crawlers by, and
 * with `--refresh` downloads them again from where they are published (Google's and Bing's JSON lists, or the
 * addresses `--source NAME=URL` gives) into `--out FILE`, for `detect --crawlers FILE`. A source that cannot be
 * read keeps its previous ranges and says so (exit 3 when none could be read).
 */
import { readFileSync } from 'node:fs';
import { loadCrawlers, SHIPPED_CRAWLERS } from '../adapters/crawlers.js';
import { writeJsonAtomic } from '../adapters/files.js';
import { errors } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { crawlersFrom } from '../detect/crawlers.js';
import { SEARCH_CRAWLERS } from '../features/classify.js';

export interface CrawlersCommandOptions {
  /** The ranges file to show or to start from (default: the shipped one). */
  readonly crawlers?: string;
  readonly refresh?: boolean;
  /** Where refreshed ranges are written (required with refresh). */
  readonly out?: string;
  /** NAME=URL: where a crawler's ranges are read from instead of its published source. */
  readonly source?: readonly string[];
  readonly now?: Date;
  readonly timeoutMs?: number;
}

interface CrawlerEntry {
  name: string;
  source: string;
  published: string | null;
  copiedFrom: string | null;
  prefixes: string[];
}

/** The networks of a published list: Google's and Bing's shape ({"prefixes": [{"ipv4Prefix": ...}, ...]}). */
function prefixesOf(doc: unknown, where: string): string[] {
  const list = (doc as { prefixes?: unknown })?.prefixes;
  if (!Array.isArray(list)) throw errors.badStageInput(where, 'prefixes: expected a list of {"ipv4Prefix"} or {"ipv6Prefix"}');
  return list.map((p: unknown, i) => {
    const v = (p as { ipv4Prefix?: unknown; ipv6Prefix?: unknown })?.ipv4Prefix ?? (p as { ipv6Prefix?: unknown })?.ipv6Prefix;
    if (typeof v !== 'string') throw errors.badStageInput(where, `prefixes[${i}]: expected ipv4Prefix or ipv6Prefix`);
    return v;
  });
}

export async function runCrawlers(opts: CrawlersCommandOptions, io: Io): Promise<void> {
  const from = opts.crawlers ?? SHIPPED_CRAWLERS;
  const current = loadCrawlers(from);
  if (!opts.refresh) {
    for (const [i, c] of SEARCH_CRAWLERS.entries()) {
      const r = current.byIndex[i];
      io.stdout.write(
        `${c.name.padEnd(12)} ${r ? `${r.ranges.size} networks, published ${r.published ?? 'undated'} at ${r.source}` : 'no ranges: named, never verified'}\n`,
      );
    }
    return;
  }
  if (!opts.out) throw errors.badOption('out', 'name the file the refreshed ranges are written to (then detect --crawlers FILE)');
  const doc = JSON.parse(readFileSync(from, 'utf8')) as { crawlers: CrawlerEntry[] } & Record<string, unknown>;
  const sources = new Map<string, string>();
  for (const s of opts.source ?? []) {
    const eq = s.indexOf('=');
    const name = s.slice(0, eq);
    if (eq < 1 || !doc.crawlers.some((c) => c.name === name))
      throw errors.badOption(
        'source',
        `expected NAME=URL with NAME one of ${doc.crawlers.map((c) => c.name).join(', ')}, got ${JSON.stringify(s.slice(0, 80))}`,
      );
    const url = s.slice(eq + 1);
    if (!/^https?:\/\//.test(url)) throw errors.badOption('source', `expected an http(s) address, got ${JSON.stringify(url.slice(0, 80))}`);
    sources.set(name, url);
  }
  let fresh = 0;
  const day = (opts.now ?? new Date()).toISOString().slice(0, 10);
  for (const c of doc.crawlers) {
    const url = sources.get(c.name) ?? c.source;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000), redirect: 'follow' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { creationTime?: unknown };
      const prefixes = prefixesOf(body, url);
      const created = typeof body.creationTime === 'string' && /^\d{4}-\d{2}-\d{2}/.test(body.creationTime) ? body.creationTime.slice(0, 10) : day;
      Object.assign(c, { prefixes, published: created, copiedFrom: url === c.source ? null : url });
      fresh++;
      io.stdout.write(`${c.name}: ${prefixes.length} networks, published ${created}\n`);
    } catch (e) {
      io.stderr.write(`logwarden: ${c.name}: ${url}: ${(e as Error).message.split('\n')[0]}; its previous ranges are kept\n`);
    }
  }
  // Checked as detect will read it before it is written: a list that breaks the rules never replaces a good one.
  crawlersFrom(doc, opts.out);
  writeJsonAtomic(opts.out, doc);
  if (fresh === 0) throw errors.unreachable('crawlers --refresh', 'no source could be read; the file was written with the previous ranges');
}
