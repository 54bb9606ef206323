/**
 * What may stand around a log line: a syslog or journald prefix (nginx logging to syslog, `journalctl -o short`
 * or `short-iso`, rsyslog's file format, RFC 5424) and quotes around the whole line (a line exported as a
 * string). A framed format strips them and hands the line to its inner parser.
 */
import type { LineParser } from './parse.js';

/**
 * `<190>Dec  7 18:00:00 web1 nginx: `, `Dec 07 18:00:00 web1 nginx[123]: `, `2026-12-07T18:00:00+00:00 web1 nginx: `,
 * `<190>1 2026-12-07T18:00:00Z web1 nginx 123 - - `. The tag is a program name (no ':' inside), so that no
 * log field (an IPv6 address, a time) is taken for one.
 */
const SYSLOG_PREFIX =
  /^(?:<\d{1,3}>1 \S+ \S+ \S+ \S+ \S+ (?:-|\[[^\]]*\]) |(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) \S+ [\w./-]+(?:\[\d+\])?: )/;
const QUOTE = 0x22;
const HEAD = 200;

/** Where the line proper starts: after a syslog or journald prefix, or at `start`. */
export function prefixEnd(buf: Uint8Array, start: number, end: number): number {
  const c = buf[start]!;
  // Only a '<', a capital (a month) or a digit (an ISO date) can start a prefix.
  if (c !== 0x3c && !(c >= 0x41 && c <= 0x5a) && !(c >= 0x30 && c <= 0x39)) return start;
  const m = SYSLOG_PREFIX.exec(Buffer.prototype.latin1Slice.call(buf, start, Math.min(end, start + HEAD)) as string);
  return m ? start + m[0].length : start;
}

/** The line inside quotes: a JSON string's escapes (\", \\, \uXXXX), or a CSV field's doubled quotes. */
function unquoted(buf: Uint8Array, start: number, end: number): Buffer | null {
  if (end - start < 2 || buf[start] !== QUOTE || buf[end - 1] !== QUOTE) return null;
  const text = Buffer.prototype.utf8Slice.call(buf, start, end) as string;
  try {
    const s: unknown = JSON.parse(text);
    if (typeof s === 'string') return Buffer.from(s, 'utf8');
  } catch {
    // Not JSON: a CSV field.
  }
  const inner = Buffer.prototype.latin1Slice.call(buf, start + 1, end - 1) as string;
  return Buffer.from(inner.replace(/""/g, '"'), 'latin1');
}

/** `inner` behind an optional prefix and optional quotes. */
export function framedParser(inner: LineParser): LineParser {
  return (buf, start, end, rec) => {
    const from = prefixEnd(buf, start, end);
    const line = unquoted(buf, from, end);
    return line ? inner(line, 0, line.length, rec) : inner(buf, from, end, rec);
  };
}
