/** "90", "90s", "15m", "24h", "7d" → seconds; null when it is none of these. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?$/.exec(text.trim());
  if (!m) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[(m[2] ?? 's') as 's'];
  const v = Number(m[1]) * unit;
  return v > 0 ? v : null;
}
