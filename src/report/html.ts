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
body{font-family:sans-serif;margin:1.5rem auto;max-width:1400px;color:#222;padding:0 1.5rem}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}.lede{font-size:1.05rem;margin:.3rem 0 1rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem;margin-bottom:.4rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:0 2rem}.charts svg{max-width:100%;height:auto}
pre{white-space:pre-wrap;word-break:break-all;font-size:.8rem;margin:0;background:#f8f8f8;padding:.3rem}
details summary{cursor:pointer;color:#1f4e9c}ul.members{columns:4 14rem;margin:.3rem 0;padding-left:1.2rem;font-family:monospace}
.kind{display:inline-block;background:#d62728;color:#fff;border-radius:3px;padding:0 .4rem;margin-right:.2rem;font-size:.8rem}
.num{text-align:right;white-space:nowrap}.when{white-space:nowrap;font-size:.85rem}.more{color:#555;font-style:italic}
.summary{display:flex;gap:1rem;flex-wrap:wrap}.summary div{background:#f3f4f6;padding:.4rem .9rem;border-radius:4px}.summary b{display:block;font-size:1.3rem}
`;

/** Rows the page shows at most, whatever the input: the rest is in verdicts.json (the page stays readable and small). */
export const PAGE_LIMITS = { loneClients: 300, groups: 100, members: 200 } as const;

function kv(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

const kinds = (list: readonly string[]) => list.map((k) => `<span class="kind">${esc(k)}</span>`).join('');
const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** The report page: the run's data and its figures (drawn by drawFigures). */
export function renderReport(d: ReportBasics, figures: readonly Figure[]): string {
  const v = d.verdicts;
  const p = v.parse;
  const figure = (f: Figure) => `<figure data-chart="${f.id}"><h3>${esc(f.title)}</h3><figcaption>${esc(f.caption)}</figcaption>${f.svg}</figure>`;
  const traffic = figures.filter((f) => ['traffic', 'top-clients', 'status-mix'].includes(f.id)).map(figure);
  const diagnostics = figures.filter((f) => !['traffic', 'top-clients', 'status-mix'].includes(f.id)).map(figure);
  const params = v.parameters as Record<string, unknown>;

  // Who was flagged: a row per abusive group (its members on demand), then a row per client flagged on its own.
  const flaggedGroups = v.groups.filter((g) => g.flagged);
  const lone = v.flagged.filter((f) => f.group === null);
  const requestsOf = (f: (typeof v.flagged)[number]) => f.features.requests ?? 0;
  const groupRows = flaggedGroups.slice(0, PAGE_LIMITS.groups).map((g) => {
    const shown = g.members.slice(0, PAGE_LIMITS.members);
    const more = g.members.length - shown.length;
    const shared = g.shared
      .filter((s) => s.value > s.median)
      .map((s) => {
        const i = featureIndex(s.feature);
        return `${esc(s.label)} ${esc(describeValue(i, s.value))} (site median ${esc(describeValue(i, s.median))})`;
      })
      .join('<br>');
    return (
      `<tr class="group" data-group="${esc(g.id)}"><td>group ${esc(g.id)}: ${count(g.size, 'client')}` +
      `<details><summary>members</summary><ul class="members">${shown.map((m) => `<li data-address="${esc(m)}">${esc(m)}</li>`).join('')}</ul>` +
      `${more > 0 ? `<p class="more">and ${count(more, 'more member')}: verdicts.json lists every one</p>` : ''}` +
      `${g.networks.length ? `<p>blocked as ${g.networks.map(esc).join(', ')}</p>` : ''}</details></td>` +
      `<td>${kinds([g.kind])}</td><td>${esc(g.reason)}` +
      `${shared ? `<details><summary>what the members share</summary>${shared}</details>` : ''}</td>` +
      `<td class="num">${g.requests.toLocaleString('en')}</td><td class="when">${esc(g.window.first)}<br>${esc(g.window.last)}</td></tr>`
    );
  });
  const loneRows = [...lone]
    .sort((a, b) => requestsOf(b) - requestsOf(a) || (a.address < b.address ? -1 : 1))
    .slice(0, PAGE_LIMITS.loneClients)
    .map((f) => {
      const stand = f.standouts
        .filter((s) => s.value > s.median)
        .map((s) => {
          const i = featureIndex(s.feature);
          return `${esc(s.label)} ${esc(describeValue(i, s.value))} (site median ${esc(describeValue(i, s.median))})`;
        });
      return (
        `<tr data-address="${esc(f.address)}"><td><code>${esc(f.address)}</code>${f.outlier ? '<br><small>judged alone (far from its cluster)</small>' : ''}</td>` +
        `<td>${kinds(f.kinds)}</td><td>${f.reasons.map(esc).join('<br>')}` +
        `<details><summary>evidence and sample lines</summary>${stand.length ? `<p>${stand.join('<br>')}</p>` : ''}<pre>${f.samples.map(esc).join('\n')}</pre></details></td>` +
        `<td class="num">${requestsOf(f).toLocaleString('en')}</td><td class="when">${esc(f.firstSeen)}<br>${esc(f.lastSeen)}</td></tr>`
      );
    });
  const groupsLeftOut = flaggedGroups.length - groupRows.length;
  const loneLeftOut = lone.length - loneRows.length;
  const leftOut =
    groupsLeftOut + loneLeftOut > 0
      ? `<p class="more" id="left-out">Not shown here: ${[groupsLeftOut ? count(groupsLeftOut, 'group') : '', loneLeftOut ? count(loneLeftOut, 'client flagged on its own', 'clients flagged on their own') : ''].filter(Boolean).join(' and ')} (the least busy); verdicts.json and blocklist.txt list every one.</p>`
      : '';
  const flaggedTable = v.flagged.length
    ? `<table id="flagged"><tr><th>who</th><th>kind</th><th>why</th><th class="num">requests</th><th>first / last seen</th></tr>\n${[...groupRows, ...loneRows].join('\n')}</table>${leftOut}`
    : '<p id="flagged-none">No client was flagged.</p>';
  const inGroups = v.flagged.length - lone.length;
  const lede = `${count(v.flagged.length, 'client')} flagged of ${v.clients.total.toLocaleString('en')}${inGroups ? ` (${count(inGroups, 'client')} in ${count(flaggedGroups.length, 'group')}, ${lone.length.toLocaleString('en')} on their own)` : ''}, from ${p.parsed.toLocaleString('en')} lines${p.timeRange ? ` of ${p.timeRange.first} .. ${p.timeRange.last}` : ''}.`;

  const range = (name: string, c: (typeof v.clustering.clusters)[number]) => {
    const i = featureIndex(name);
    const m = c.members[name]!;
    return `${esc(describeValue(i, m.median))} <small>(${esc(describeValue(i, m.min))} – ${esc(describeValue(i, m.max))})</small>`;
  };
  const clusters = v.clustering.clusters
    .map(
      (c) =>
        `<tr><td>${c.id}</td><td>${c.size}</td><td>${c.abusive ? 'yes' : 'no'}</td>` +
        `<td>${c.abusiveFeatures.map((n) => esc(FEATURES[featureIndex(n)]!.label)).join('<br>') || '–'}</td>` +
        `<td>${range('requests', c)}</td><td>${range('peakPerMinute', c)}</td><td>${range('peak10Minutes', c)}</td><td>${range('shareProbeErrors', c)}</td></tr>`,
    )
    .join('');
  const crowds = v.groups.filter((g) => !g.flagged);
  const crowdRows = crowds
    .slice(0, PAGE_LIMITS.groups)
    .map(
      (g) =>
        `<tr data-group="${esc(g.id)}"><td>${esc(g.id)}</td><td>${esc(g.kind)}</td><td class="num">${g.size}</td><td>${esc(g.reason)}</td>` +
        `<td>${g.members.slice(0, 12).map(esc).join(', ')}${g.members.length > 12 ? `, and ${g.members.length - 12} more` : ''}</td></tr>`,
    )
    .join('\n');
  const guards = params.guards as Guards | undefined;
  const groupOpts = params.groups as Record<string, number> | undefined;
  const malformed = p.malformedSamples.map((s) => `<tr><td>${esc(s.input)}:${s.line}</td><td><pre>${esc(s.text)}</pre></td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>logwarden report</title><style>${CSS}</style></head><body>
<h1>logwarden report</h1>
<p class="lede">${esc(lede)}</p>
<div class="summary">
<div><b>${v.flagged.length}</b>flagged clients</div><div><b>${v.clients.total}</b>clients</div>
<div><b>${p.parsed}</b>lines parsed</div><div><b>${p.malformed}</b>malformed</div><div><b>${v.clustering.k}</b>clusters</div>
</div>
<h2 id="who">Who was flagged, and why</h2>
${flaggedTable}
${p.parsed === 0 ? `<p id="nothing-read">No log line was read (${p.linesRead} lines, ${p.malformed} malformed): there is nothing to chart or judge.</p>` : `<h2>Traffic</h2>\n<div class="charts">${traffic.join('\n')}</div>`}
<h2>How the clients were grouped (diagnostics)</h2>
<div class="charts">${diagnostics.join('\n')}</div>
<h3>Clusters</h3>
<p>Members' median (least – most). A cluster is abusive when its centre stands ${esc(String(params.clusterThreshold))} robust standard deviations or more above the median client on a feature that signals abuse; flagged clients marked "judged alone" lie far from their cluster's centre and were judged by their own numbers.</p>
<table id="clusters"><tr><th>cluster</th><th>clients</th><th>abusive</th><th>centre stands out on</th><th>requests</th><th>most in one minute</th><th>most in ten minutes</th><th>4xx answers</th></tr>${clusters}</table>
<h3>Groups left alone</h3>
${crowds.length ? `<table id="groups-left-alone"><tr><th>group</th><th>looked like</th><th class="num">clients</th><th>why left alone</th><th>members</th></tr>\n${crowdRows}</table>` : '<p>No other group of clients acted together.</p>'}
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
