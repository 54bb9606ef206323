/**
 * Scoring a run against labels: which flagged clients were attackers, which attackers were missed, and which
 * benign clients were flagged. Pure. Labels are "address,label" lines (a header line is allowed); the labels
 * flood, scan, brute-force and abusive (or attack) mean "should be blocked", anything else means "should not".
 */
import { canonicalTarget, overlaps } from '../core/address.js';
import { errors } from '../core/errors.js';
import { didYouMean } from '../core/spelling.js';
import { ABUSE_KINDS } from '../features/vector.js';

/** Labels meaning "should be blocked": detect's kinds, and the generic words an operator may use. */
export const ATTACK_LABELS: ReadonlySet<string> = new Set([...ABUSE_KINDS, 'abusive', 'attack']);

export interface LabelRow {
  readonly address: string;
  readonly label: string;
}

export interface LabelScore {
  readonly label: string;
  readonly attack: boolean;
  readonly clients: number;
  readonly flagged: number;
}

export interface Score {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly precision: number;
  readonly recall: number;
  readonly byLabel: LabelScore[];
  /** Attackers not flagged. */
  readonly missed: string[];
  /** Labelled benign clients that were flagged. */
  readonly wronglyFlagged: string[];
  /**
   * Flagged clients with no label: counted apart, not as false positives (labels are usually a few known
   * incidents, not every client; a run is scored on what was labelled).
   */
  readonly unlabelledFlagged: string[];
}

/**
 * A label that looks like a misspelt kind ("bruteforce", "flooding", "scaner") would silently mean benign:
 * the kind it is nearest, or null when it is no such word.
 */
export function misspeltKind(label: string): string | null {
  if (ATTACK_LABELS.has(label) || label.length > 40) return null;
  return didYouMean(label, [...ATTACK_LABELS]);
}

/** Parses a labels CSV; a bad line is a usage error naming the file and the line. */
export function parseLabels(text: string, where: string): LabelRow[] {
  const rows: LabelRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const [address = '', label = ''] = t.split(',').map((x) => x.trim());
    if (address.toLowerCase() === 'address') return;
    const canonical = canonicalTarget(address);
    if (canonical === null || !label) throw errors.badStageInput(where, `line ${i + 1}: expected "address,label", got ${JSON.stringify(t.slice(0, 80))}`);
    const word = label.toLowerCase();
    const meant = misspeltKind(word);
    if (meant)
      throw errors.badStageInput(
        where,
        `line ${i + 1}: "${word}" is no kind logwarden knows; did you mean "${meant}"? (labels meaning "should be blocked": ${[...ATTACK_LABELS].join(', ')}; any other word means benign)`,
      );
    rows.push({ address: canonical, label: word });
  });
  return rows;
}

/**
 * Scores flagged entries (addresses or networks, as blocklist.txt lists them) against labels. A network counts
 * for every labelled address inside it; an address labelled twice takes its last label.
 */
export function scoreRun(labels: readonly LabelRow[], flaggedEntries: readonly string[]): Score {
  const label = new Map<string, string>();
  for (const r of labels) label.set(r.address, r.label);
  const exact = new Set(flaggedEntries.filter((e) => !e.includes('/')));
  const nets = flaggedEntries.filter((e) => e.includes('/'));
  const isFlagged = (a: string) => exact.has(a) || nets.some((n) => overlaps(n, a));
  const byLabel = new Map<string, { clients: number; flagged: number }>();
  const missed: string[] = [];
  const wrong: string[] = [];
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [address, l] of label) {
    const s = byLabel.get(l) ?? { clients: 0, flagged: 0 };
    byLabel.set(l, s);
    s.clients++;
    const f = isFlagged(address);
    if (f) s.flagged++;
    if (ATTACK_LABELS.has(l)) {
      if (f) tp++;
      else {
        fn++;
        missed.push(address);
      }
    } else if (f) {
      fp++;
      wrong.push(address);
    }
  }
  const unlabelled = [...exact].filter((a) => !label.has(a));
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    byLabel: [...byLabel.entries()]
      .map(([l, s]) => ({ label: l, attack: ATTACK_LABELS.has(l), ...s }))
      .sort((a, b) => Number(b.attack) - Number(a.attack) || (a.label < b.label ? -1 : 1)),
    missed,
    wronglyFlagged: wrong,
    unlabelledFlagged: unlabelled,
  };
}
