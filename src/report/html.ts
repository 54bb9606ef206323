/**
 * The report: one self-contained HTML file with inline SVG charts and inline CSS, and no script at all.
 * Every string that comes from a log is escaped: log lines are attacker-controlled text.
 */
import { escapeHtml as esc } from '../notify/compose.js';
import { describeValue, featureIndex, FEATURES } from '../features/vector.js';
import type { Guards } from '../detect/defaults.js';
import type { ReportBasics } from './data.js';
import type { Figure } from './figures.js';

const CSS = `
body{font-family:sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}figure{margin:1.5rem 0}figcaption{color:#555;font-size:.9rem;margin-bottom:.4rem}
pre{white-space:pre-wrap;word-break:break-all;font-size:.8rem;margin:0;background:#f8f8f8;padding:.3rem}
.kind{display:inline-block;background:#d62728;color:#fff;border-radius:3px;padding:0 .4rem;margin-right:.2rem;font-size:.8rem}
.summary{display:flex;gap:2rem;flex-wrap:wrap}.summary div{background:#f3f4f6;padding:.6rem 1rem;border-radius:4px}.summary b{display:block;font-size:1.4rem}
`;

function kv(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

/** The report page: the run's data and its figures (drawn by drawFigures). */
export function renderReport(d: ReportBasics, figures: readonly Figure[]): string {
  const v = d.verdicts;
  const p = v.parse;
  const charts = figures.map((f) => `<figure data-chart="${f.id}"><h3>${esc(f.title)}</h3><figcaption>${esc(f.caption)}</figcaption>${f.svg}</figure>`);
  const params = v.parameters as Record<string, unknown>;
  const flaggedRows = v.flagged
    .map((f) => {
      const key = ['requests', 'peakPerMinute', 'peak10Minutes', 'shareProbeErrors', 'sharePost', 'sharePayload', 'shareUniqueQuery']
        .map((n) => {
          const d = featureIndex(n);
          return `${esc(FEATURES[d]!.label)}: ${esc(describeValue(d, f.features[n] ?? 0))}`;
        })
        .join('<br>');
      const stand = f.standouts
        .map((s) => {
          const d = featureIndex(s.feature);
          return `${esc(s.label)} ${esc(describeValue(d, s.value))} (site median ${esc(describeValue(d, s.median))}, ${s.score >= 10 ? 'over 10' : `+${esc(String(s.score))}`} SD)`;
        })
        .join('<br>');
      return (
        `<tr data-address="${esc(f.address)}"><td><code>${esc(f.address)}</code><br>${f.kinds.map((k) => `<span class="kind">${esc(k)}</span>`).join('')}` +
        `${f.group ? `<br>group ${esc(f.group)}` : f.outlier ? '<br>judged alone (far from its cluster)' : ''}</td>` +
        `<td>${f.reasons.map(esc).join('<br>')}<hr>${stand}</td><td>${key}</td>` +
        `<td>${esc(f.firstSeen)}<br>${esc(f.lastSeen)}</td><td><pre>${f.samples.map(esc).join('\n')}</pre></td></tr>`
      );
    })
    .join('\n');
  const range = (name: string, c: (typeof v.clustering.clusters)[number]) => {
    const d = featureIndex(name);
    const m = c.members[name]!;
    return `${esc(describeValue(d, m.median))} <small>(${esc(describeValue(d, m.min))} – ${esc(describeValue(d, m.max))})</small>`;
  };
  const clusters = v.clustering.clusters
    .map(
      (c) =>
        `<tr><td>${c.id}</td><td>${c.size}</td><td>${c.abusive ? 'yes' : 'no'}</td>` +
        `<td>${c.abusiveFeatures.map((n) => esc(FEATURES[featureIndex(n)]!.label)).join('<br>') || '–'}</td>` +
        `<td>${range('requests', c)}</td><td>${range('peakPerMinute', c)}</td><td>${range('peak10Minutes', c)}</td><td>${range('shareProbeErrors', c)}</td></tr>`,
    )
    .join('');
  const groups = v.groups
    .map((g) => {
      const shared = g.shared
        .map((s) => {
          const d = featureIndex(s.feature);
          return `${esc(s.label)} ${esc(describeValue(d, s.value))} (site median ${esc(describeValue(d, s.median))})`;
        })
        .join('<br>');
      const members = g.members.slice(0, 12).map(esc).join(', ') + (g.members.length > 12 ? `, and ${g.members.length - 12} more` : '');
      return (
        `<tr data-group="${esc(g.id)}"><td>${esc(g.id)}<br>${g.flagged ? `<span class="kind">${esc(g.kind)}</span>` : esc(`${g.kind} (not flagged)`)}</td>` +
        `<td>${g.size}</td><td>${esc(g.window.first)}<br>${esc(g.window.last)}</td>` +
        `<td>${g.requests} requests; peak ${g.peakPerMinute} a minute, ${g.timesSiteRate}× the site's mean of ${g.siteMeanPerMinute}</td>` +
        `<td>${esc(g.reason)}<hr>${shared || 'no feature stands out for the median member'}</td><td>${members}${g.networks.length ? `<br>blocked as ${g.networks.map(esc).join(', ')}` : ''}</td></tr>`
      );
    })
    .join('\n');
  const guards = params.guards as Guards | undefined;
  const groupOpts = params.groups as Record<string, number> | undefined;
  const malformed = p.malformedSamples.map((s) => `<tr><td>${esc(s.input)}:${s.line}</td><td><pre>${esc(s.text)}</pre></td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>logwarden report</title><style>${CSS}</style></head><body>
<h1>logwarden report</h1>
<div class="summary">
<div><b>${v.flagged.length}</b>flagged clients</div><div><b>${v.clients.total}</b>clients</div>
<div><b>${p.parsed}</b>lines parsed</div><div><b>${p.malformed}</b>malformed</div><div><b>${v.clustering.k}</b>clusters</div>
</div>
${p.parsed === 0 ? `<p id="nothing-read">No log line was read (${p.linesRead} lines, ${p.malformed} malformed): there is nothing to chart or judge.</p>` : `<h2>Charts</h2>\n${charts.join('\n')}`}
<h2>Flagged clients</h2>
${v.flagged.length ? `<table id="flagged"><tr><th>client</th><th>why</th><th>key features</th><th>first / last seen</th><th>sample lines</th></tr>\n${flaggedRows}</table>` : '<p>No client was flagged.</p>'}
<h2>Groups</h2>
${v.groups.length ? `<table id="groups"><tr><th>group</th><th>clients</th><th>window</th><th>together</th><th>why</th><th>members</th></tr>\n${groups}</table>` : '<p>No group of clients acted together.</p>'}
<h2>Clusters</h2>
<p>Members' median (least – most). A cluster is abusive when its centre stands ${esc(String(params.clusterThreshold))} robust standard deviations or more above the median client on a feature that signals abuse; flagged clients marked "judged alone" lie far from their cluster's centre and were judged by their own numbers.</p>
<table id="clusters"><tr><th>cluster</th><th>clients</th><th>abusive</th><th>centre stands out on</th><th>requests</th><th>most in one minute</th><th>most in ten minutes</th><th>4xx answers</th></tr>${clusters}</table>
<h2>Run</h2>
${kv([
  ['time range', p.timeRange ? `${p.timeRange.first} .. ${p.timeRange.last}` : 'no lines'],
  ['lines read', String(p.linesRead)],
  ['parsed', String(p.parsed)],
  ['malformed', `${p.malformed} (${p.tooLong} over the length limit, ${p.badAddress} without a client address)`],
  ['inputs', p.inputs.map((i) => `${i.name} (${i.format ?? '?'}, ${i.lines} lines${i.error ? `, stopped: ${i.error}` : ''})`).join('; ')],
  ['k, silhouette', `${v.clustering.k}, ${v.clustering.silhouette ?? 'n/a'}`],
  ['seed', String(params.seed)],
  [
    'guards',
    guards
      ? `no client flagged alone with fewer than ${guards.minRequests} requests; a flood makes at least ${guards.floodRequests} requests in ten minutes, ` +
        `a scan at least ${guards.scanRequests} failed probes (or 4xx answers over 10 paths making ${Math.round(guards.scanErrorShare * 100)}% of its requests), a brute force at least ${guards.bruteFailures} failed logins, ` +
        `an exploit ${guards.exploitMin} unmistakable attack or ${guards.payloadMin} attack payloads`
      : 'n/a',
  ],
  [
    'groups',
    groupOpts
      ? `at least ${groupOpts.minMembers} clients within ${groupOpts.radius} SD of each other and active within ${groupOpts.gapMinutes} minutes of each other` +
        (groupOpts.prefix ? `; a /${groupOpts.prefix} is blocked whole when every client in it is in an abusive group` : '')
      : 'n/a',
  ],
  ['cluster threshold', String(params.clusterThreshold)],
  ['allowlist', ((params.allowlist as string[] | undefined) ?? []).join(', ') || 'none'],
  [
    "ignored (the site's own automation)",
    (() => {
      const ig = params.ignore as { paths?: string[]; agents?: string[]; lines?: number } | undefined;
      const rules = [...(ig?.paths ?? []).map((p) => `path ${p}`), ...(ig?.agents ?? []).map((a) => `agent /${a}/`)];
      return rules.length ? `${rules.join(', ')}: ${ig?.lines ?? 0} lines left out` : 'nothing';
    })(),
  ],
  [
    'search crawlers',
    (() => {
      const c = v.clients.crawlers;
      return c ? `${c.verified.length} verified by their published ranges (spared), ${c.fake.length} naming a crawler from outside them` : 'n/a';
    })(),
  ],
  ['generated', `${v.generatedAt} by logwarden ${v.tool.version}`],
])}
${malformed ? `<h3>Malformed lines (first ${p.malformedSamples.length})</h3><table>${malformed}</table>` : ''}
</body></html>
`;
}
