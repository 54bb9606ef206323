/**
 * Search engines' crawlers, verified by the address ranges they publish (data/crawlers.json, refreshed by
 * `logwarden crawlers --refresh`). Pure: the document in, a lookup out. A client whose user agent names a
 * crawler (features/classify.ts SEARCH_CRAWLERS) is verified when its address lies in that crawler's ranges: it
 * is spared, and recorded as such, however fast it fetches. One that names a crawler with published ranges from
 * outside them is a fake crawler: recorded, and flagged only with `--ban-fake-crawlers` (a fake that behaves
 * politely harms nobody; fail2ban's apache-fakegooglebot jail is also off unless enabled).
 */
import { AddressSet } from '../core/address.js';
import { errors } from '../core/errors.js';
import { SEARCH_CRAWLERS } from '../features/classify.js';

export interface CrawlerRanges {
  readonly name: string;
  /** Where the ranges are published, and the day they were (null when none are shipped). */
  readonly source: string;
  readonly published: string | null;
  readonly ranges: AddressSet;
}

/** The ranges of each crawler in SEARCH_CRAWLERS' order (null where none are known). */
export interface Crawlers {
  readonly byIndex: ReadonlyArray<CrawlerRanges | null>;
}

export type CrawlerCheck = { readonly kind: 'verified' | 'fake'; readonly crawler: CrawlerRanges } | null;

export const NO_CRAWLERS: Crawlers = { byIndex: SEARCH_CRAWLERS.map(() => null) };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a crawlers document (schemaVersion 1); a broken one is a usage error naming the file and the field. */
export function crawlersFrom(doc: unknown, where: string): Crawlers {
  const bad = (field: string, why: string) => errors.badStageInput(where, `${field}: ${why}`);
  if (!isObject(doc)) throw bad('(top)', 'expected an object');
  if (doc.schemaVersion !== 1) throw bad('schemaVersion', `expected 1, got ${JSON.stringify(doc.schemaVersion)}`);
  if (!Array.isArray(doc.crawlers)) throw bad('crawlers', 'expected a list');
  const byIndex: Array<CrawlerRanges | null> = SEARCH_CRAWLERS.map(() => null);
  doc.crawlers.forEach((c: unknown, i: number) => {
    const at = `crawlers[${i}]`;
    if (!isObject(c)) throw bad(at, 'expected an object');
    const k = SEARCH_CRAWLERS.findIndex((s) => s.name === c.name);
    if (k < 0) throw bad(`${at}.name`, `expected one of ${SEARCH_CRAWLERS.map((s) => s.name).join(', ')}, got ${JSON.stringify(c.name)}`);
    if (typeof c.source !== 'string') throw bad(`${at}.source`, 'expected the address the ranges are published at');
    if (c.published !== null && (typeof c.published !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(c.published)))
      throw bad(`${at}.published`, 'expected a date (YYYY-MM-DD) or null');
    if (!Array.isArray(c.prefixes)) throw bad(`${at}.prefixes`, 'expected a list of networks');
    const ranges = new AddressSet();
    c.prefixes.forEach((p: unknown, j: number) => {
      // A range that wide is no crawler's: refused rather than verifying half the Internet.
      if (typeof p !== 'string' || !/\/(1[6-9]|[2-9]\d|1[0-2]\d)$/.test(p))
        throw bad(`${at}.prefixes[${j}]`, `expected a network of /16 or longer, got ${JSON.stringify(p)}`);
      ranges.add(p, `${where}: ${at}.prefixes[${j}]`);
    });
    byIndex[k] = ranges.size > 0 ? { name: c.name as string, source: c.source, published: (c.published as string | null) ?? null, ranges } : null;
  });
  return { byIndex };
}

/** Whether a client naming crawler `index` (SEARCH_CRAWLERS) from `address` is it, a fake, or cannot be told (null). */
export function checkCrawler(crawlers: Crawlers, index: number, address: string): CrawlerCheck {
  const c = index >= 0 ? crawlers.byIndex[index] : null;
  if (!c) return null;
  return { kind: c.ranges.has(address) ? 'verified' : 'fake', crawler: c };
}
