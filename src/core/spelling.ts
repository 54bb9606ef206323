/** Spelling help for mistyped names: config keys and sections, command-line flags. */

/** Edit distance of two keys (a typo is one or two edits away). */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The allowed key nearest `key`, if near enough to be a typo of it. */
export function didYouMean(key: string, allowed: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  const k = key.toLowerCase();
  // A longer or shorter spelling of a key (hostname for host, out for output) is meant as that key.
  const stem = allowed.find((a) => a.length >= 2 && (k.startsWith(a.toLowerCase()) || a.toLowerCase().startsWith(k)));
  if (stem) return stem;
  for (const a of allowed) {
    const d = levenshtein(k, a.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [a, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}
