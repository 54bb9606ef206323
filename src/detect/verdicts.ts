/** The detect stage's outputs: the versioned verdicts document, the blocklist and the per-client CSV. */
import { formatTime } from '../core/time.js';
import { FEATURES } from '../features/vector.js';
import type { ParseStats } from '../logs/read.js';
import type { DetectionResult, FlaggedClient } from './detect.js';

export const VERDICTS_SCHEMA_VERSION = 1;

export interface VerdictsDocument {
  schemaVersion: number;
  tool: { name: 'logwarden'; version: string };
  generatedAt: string;
  parameters: Record<string, unknown>;
  parse: {
    linesRead: number;
    parsed: number;
    malformed: number;
    blank: number;
    tooLong: number;
    badAddress: number;
    bytesRead: number;
    timeRange: { first: string; last: string } | null;
    inputs: ParseStats['inputs'];
    malformedSamples: ParseStats['malformedSamples'];
  };
  clustering: {
    k: number;
    silhouette: number | null;
    kScores: DetectionResult['kScores'];
    converged: boolean;
    medians: Record<string, number>;
    clusters: Array<Omit<DetectionResult['clusters'][number], 'scaledCentroid'>>;
  };
  clients: { total: number; flagged: number; spared: string[] };
  flagged: Array<Omit<FlaggedClient, 'firstSeen' | 'lastSeen'> & { firstSeen: string; lastSeen: string }>;
}

export function buildVerdicts(
  result: DetectionResult,
  stats: ParseStats,
  badAddress: number,
  parameters: Record<string, unknown>,
  version: string,
  now: Date,
): VerdictsDocument {
  const tz = stats.tzOffset ?? 0;
  return {
    schemaVersion: VERDICTS_SCHEMA_VERSION,
    tool: { name: 'logwarden', version },
    generatedAt: now.toISOString(),
    parameters,
    parse: {
      linesRead: stats.linesRead,
      parsed: stats.parsed,
      malformed: stats.malformed,
      blank: stats.blank,
      tooLong: stats.tooLong,
      badAddress,
      bytesRead: stats.bytesRead,
      timeRange:
        stats.firstTime === null || stats.lastTime === null
          ? null
          : { first: formatTime(stats.firstTime, tz), last: formatTime(stats.lastTime, tz) },
      inputs: stats.inputs,
      malformedSamples: stats.malformedSamples,
    },
    clustering: {
      k: result.k,
      silhouette: result.silhouette === null ? null : Math.round(result.silhouette * 10000) / 10000,
      kScores: result.kScores.map((s) => ({ k: s.k, silhouette: Math.round(s.silhouette * 10000) / 10000 })),
      converged: result.converged,
      medians: result.medians,
      clusters: result.clusters.map(({ scaledCentroid: _s, ...c }) => c),
    },
    clients: { total: result.clients.length, flagged: result.flagged.length, spared: result.spared },
    flagged: result.flagged.map((f) => ({ ...f, firstSeen: formatTime(f.firstSeen, tz), lastSeen: formatTime(f.lastSeen, tz) })),
  };
}

/** Addresses and networks sorted by family, then numerically (so 9.x comes before 10.x). */
export function sortAddresses(list: readonly string[]): string[] {
  const key = (a: string): string => {
    const [addr = '', bits = ''] = a.split('/');
    if (!addr.includes(':')) {
      return `4${addr.split('.').map((o) => o.padStart(3, '0')).join('.')}/${bits.padStart(3, '0')}`;
    }
    // Expand "::" so that groups compare in place.
    const [head = '', tail = ''] = addr.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = addr.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return `6${groups.map((g) => g.padStart(4, '0')).join(':')}/${bits.padStart(3, '0')}`;
  };
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function blocklistText(result: DetectionResult): string {
  const list = sortAddresses(result.flagged.map((f) => f.address));
  return list.length ? `${list.join('\n')}\n` : '';
}

function csvCell(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v); // numbers and booleans never need quotes
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function clientsCsv(result: DetectionResult): string {
  const header = ['address', 'cluster', 'flagged', 'allowlisted', ...FEATURES.map((f) => f.name)];
  const lines = [header.join(',')];
  const rows = [...result.clients].sort((a, b) => b.features.requests! - a.features.requests! || (a.address < b.address ? -1 : 1));
  const names = FEATURES.map((f) => f.name);
  for (const c of rows) {
    let line = `${csvCell(c.address)},${c.cluster},${c.flagged},${c.allowlisted}`;
    for (const n of names) line += `,${c.features[n]!}`;
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
