/**
 * The notification, composed without I/O: subject with the counts, a plain-text and an HTML body (every
 * log-derived string escaped: log lines are attacker-controlled text), and whether it should be sent at all.
 */
import type { BlockReport } from '../core/stages.js';
import type { VerdictsDocument } from '../detect/verdicts.js';

export type When = 'always' | 'changes' | 'failures';
export const WHEN_CHOICES: readonly When[] = ['always', 'changes', 'failures'];

export interface ComposeInput {
  readonly verdicts: VerdictsDocument | null;
  readonly blockReport: BlockReport | null;
  /** Where the full report can be read (a Jenkins build URL, a path). */
  readonly reportLocation?: string;
  readonly samplesPerBan?: number;
}

export interface BanLine {
  readonly address: string;
  readonly reasons: string[];
  readonly samples: string[];
  readonly expiresAt?: string;
}

export interface Composition {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly newBans: BanLine[];
  readonly expired: readonly string[];
  readonly failedHosts: ReadonlyArray<{ host: string; error: string }>;
}

export function shouldSend(when: When, c: Composition): boolean {
  switch (when) {
    case 'always':
      return true;
    case 'changes':
      return c.newBans.length > 0 || c.expired.length > 0 || c.failedHosts.length > 0;
    case 'failures':
      return c.failedHosts.length > 0;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function compose(input: ComposeInput): Composition {
  const { verdicts: v, blockReport: b } = input;
  const samplesPer = input.samplesPerBan ?? 3;
  const flagged = new Map((v?.flagged ?? []).map((f) => [f.address, f]));
  const newBans: BanLine[] = b
    ? b.newBans.map((n) => ({
        address: n.address,
        reasons: flagged.get(n.address)?.reasons ?? [n.reason],
        samples: (flagged.get(n.address)?.samples ?? []).slice(0, samplesPer),
        expiresAt: n.expiresAt,
      }))
    : (v?.flagged ?? []).map((f) => ({ address: f.address, reasons: f.reasons, samples: f.samples.slice(0, samplesPer) }));
  const expired = b?.expired ?? [];
  const failedHosts = (b?.hosts ?? []).filter((h) => !h.ok).map((h) => ({ host: h.host, error: h.error ?? 'failed' }));
  const okHosts = (b?.hosts ?? []).filter((h) => h.ok).map((h) => h.host);

  let subject: string;
  if (b) {
    subject = `logwarden: ${plural(newBans.length, 'new ban')}, ${expired.length} expired`;
    if (okHosts.length) subject += ` on ${okHosts.join(', ')}`;
    if (failedHosts.length) subject += `; ${plural(failedHosts.length, 'host')} failed: ${failedHosts.map((h) => h.host).join(', ')}`;
    if (b.dryRun) subject = `[dry run] ${subject}`;
  } else {
    subject = `logwarden: ${plural(newBans.length, 'client')} flagged (not blocked yet)`;
  }

  const text: string[] = [subject, ''];
  const html: string[] = [`<h2>${escapeHtml(subject)}</h2>`];
  const heading = b ? 'New bans' : 'Flagged clients';
  if (newBans.length) {
    text.push(`${heading} (${newBans.length}):`);
    html.push(
      `<h3>${heading} (${newBans.length})</h3><table border="1" cellpadding="4" cellspacing="0"><tr><th>address</th><th>why</th><th>expires</th><th>sample lines</th></tr>`,
    );
    for (const n of newBans) {
      text.push(`  ${n.address}${n.expiresAt ? ` (until ${n.expiresAt})` : ''}`);
      for (const r of n.reasons) text.push(`    - ${r}`);
      for (const s of n.samples) text.push(`      | ${s}`);
      html.push(
        `<tr><td><code>${escapeHtml(n.address)}</code></td><td>${n.reasons.map(escapeHtml).join('<br>')}</td>` +
          `<td>${escapeHtml(n.expiresAt ?? '')}</td><td><pre>${n.samples.map(escapeHtml).join('\n')}</pre></td></tr>`,
      );
    }
    html.push('</table>');
    text.push('');
  } else {
    text.push(`${heading}: none.`, '');
    html.push(`<p>${heading}: none.</p>`);
  }
  const groups = v?.groups ?? [];
  if (groups.length) {
    text.push(`Groups of clients judged together (${groups.length}):`);
    html.push(`<h3>Groups of clients judged together (${groups.length})</h3><ul>`);
    for (const g of groups) {
      const members = g.members.slice(0, 10).join(', ') + (g.members.length > 10 ? ` and ${g.members.length - 10} more` : '');
      const head =
        `${g.id} ${g.flagged ? g.kind : `${g.kind}, not flagged`}: ${plural(g.size, 'client')}, ${g.window.first} .. ${g.window.last}, ` +
        `together ${g.requests} requests, peak ${g.peakPerMinute} a minute (${g.timesSiteRate}× the site's mean)`;
      text.push(`  ${head}`, `    - ${g.reason}`, `    members: ${members}`);
      html.push(`<li><b>${escapeHtml(head)}</b><br>${escapeHtml(g.reason)}<br>members: ${escapeHtml(members)}</li>`);
    }
    text.push('');
    html.push('</ul>');
  }
  if (expired.length) {
    text.push(`Expired bans removed (${expired.length}): ${expired.join(', ')}`, '');
    html.push(`<h3>Expired bans removed (${expired.length})</h3><p>${expired.map((e) => `<code>${escapeHtml(e)}</code>`).join(', ')}</p>`);
  }
  if (failedHosts.length) {
    text.push(`Hosts that failed (${failedHosts.length}):`);
    html.push(`<h3>Hosts that failed (${failedHosts.length})</h3><ul>`);
    for (const h of failedHosts) {
      text.push(`  ${h.host}: ${h.error}`);
      html.push(`<li><b>${escapeHtml(h.host)}</b>: ${escapeHtml(h.error)}</li>`);
    }
    text.push('');
    html.push('</ul>');
  }
  if (v) {
    const p = v.parse;
    const range = p.timeRange ? `, ${p.timeRange.first} .. ${p.timeRange.last}` : '';
    const line = `Logs: ${p.linesRead} lines read, ${p.parsed} parsed, ${p.malformed} malformed${range}; ${v.clients.total} clients in ${v.clustering.k} clusters.`;
    text.push(line);
    html.push(`<p>${escapeHtml(line)}</p>`);
  }
  if (input.reportLocation) {
    text.push(`Full report: ${input.reportLocation}`);
    html.push(`<p>Full report: ${escapeHtml(input.reportLocation)}</p>`);
  }
  text.push('', 'The blocklist is attached.');
  html.push('<p>The blocklist is attached.</p>');
  return { subject, text: `${text.join('\n')}\n`, html: `<!doctype html><html><body>${html.join('\n')}</body></html>`, newBans, expired, failedHosts };
}
