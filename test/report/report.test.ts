/**
 * The HTML report, opened in a real headless Chromium: no console errors, no failed requests, every chart
 * and every flagged client's row present, and a log line carrying <script> shown as text.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runDetect } from '../../src/commands/detect.js';
import { DATASETS, memoryIo, needing, tempDir } from '../helpers/index.js';
import { CHROMIUM, launchBrowser } from '../helpers/browser.js';

// In the page's order: traffic first, the clustering's diagnostics after.
const CHARTS = ['top-clients', 'traffic', 'status-mix', 'clusters', 'k-selection'];

async function openReport(reportPath: string, screenshot: string) {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' });
    const charts = await page.$$eval('figure[data-chart]', (fs) =>
      fs.map((f) => ({
        id: f.getAttribute('data-chart'),
        marks: f.querySelectorAll('svg .mark-symbol path, svg .mark-rect path, svg .mark-line path, svg path').length,
      })),
    );
    // What the first screen shows: the flagged table's top and its first row's bottom.
    const firstScreen = await page.$eval('#flagged', (t) => ({
      top: t.getBoundingClientRect().top,
      firstRowBottom: t.querySelectorAll('tr')[1]?.getBoundingClientRect().bottom ?? Infinity,
    }));
    const height = await page.evaluate(() => document.body.scrollHeight);
    // A group's members are on demand: opened as a person would, by clicking "members".
    const closedGroups = await page.$$eval('#flagged tr[data-group]', (rs) =>
      rs.map((r) => ({ id: r.getAttribute('data-group'), text: (r as HTMLElement).innerText })),
    );
    for (const s of await page.$$('#flagged tr[data-group] td:first-child details > summary')) await s.click();
    // And the evidence under each reason: the first one clicked as a person would, the rest opened at once.
    await page.click('#flagged tr[data-address] details > summary').catch(() => undefined);
    await page.$$eval('#flagged details', (ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    const rows = await page.$$eval('#flagged [data-address]', (rs) => rs.map((r) => r.getAttribute('data-address')));
    const groups = await page.$$eval('#flagged tr[data-group]', (rs) =>
      rs.map((r) => ({ id: r.getAttribute('data-group'), text: (r as HTMLElement).innerText })),
    );
    // The scatter's marks of flagged clients (crosses) and of the busiest clients' bars with height.
    const crosses = await page.$$eval(
      'figure[data-chart="clusters"] svg .mark-symbol path',
      (ps) => ps.filter((p) => (p.getAttribute('d') ?? '').split('L').length >= 12).length,
    );
    const bars = await page.$$eval(
      'figure[data-chart="top-clients"] svg .mark-rect path',
      (ps) => ps.filter((p) => (p as SVGGraphicsElement).getBBox().height > 0 && (p as SVGGraphicsElement).getBBox().width > 0).length,
    );
    // Each series of the timeline: how many points its path has (a path of one point draws nothing).
    const series = await page.$$eval('figure[data-chart="traffic"] svg .mark-line path', (ps) =>
      ps.map((p) => (p.getAttribute('d') ?? '').split(/[LMZ]/).filter((x) => x.trim()).length).filter((n) => n > 0),
    );
    // Text that overlaps other text in the same chart (labels drawn over each other).
    const overlaps = await page.$$eval('figure[data-chart] svg', (svgs) =>
      svgs.flatMap((svg) => {
        // Labels vega hid to avoid overlaps (opacity 0) are not drawn.
        const boxes = [...svg.querySelectorAll('text')]
          .filter((t) => (t.textContent ?? '').trim() && getComputedStyle(t).opacity !== '0')
          .map((t) => ({ text: t.textContent!, r: t.getBoundingClientRect() }));
        const out: string[] = [];
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i]!.r;
            const b = boxes[j]!.r;
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 2 && h > 2) out.push(`${svg.closest('figure')!.getAttribute('data-chart')}: "${boxes[i]!.text}" / "${boxes[j]!.text}"`);
          }
        return out;
      }),
    );
    // The timeline's y axis as vega describes it to a screen reader ("... values from 0 to 280").
    const trafficAxis = await page.$$eval('figure[data-chart="traffic"] svg [aria-label^="Y-axis"]', (gs) => gs.map((g) => g.getAttribute('aria-label') ?? ''));
    const trafficTop = Number(/values from \S+ to ([\d.,]+)/.exec(trafficAxis[0] ?? '')?.[1]?.replace(/,/g, '') ?? NaN);
    const pwned = await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);
    const text = await page.innerText('body');
    await page.screenshot({ path: screenshot, fullPage: true });
    return { trafficTop, problems, requests, charts, rows, groups, closedGroups, series, overlaps, crosses, bars, pwned, text, firstScreen, height };
  } finally {
    await browser.close();
  }
}

const almTest = needing(test, join(DATASETS, 'almhuette-raith-2019/access.log'));

if (!CHROMIUM && !process.env.CI) {
  console.log('\n  (report browser tests: left out, Chromium is not installed: apt-get install chromium)');
} else {
  almTest('report: opens in Chromium with every chart, every flagged client, no errors and no requests', async () => {
    const out = tempDir();
    const { verdicts } = await runDetect({ inputs: [join(DATASETS, 'almhuette-raith-2019/access.log')], out, quiet: true }, memoryIo());
    const shot = join(out, 'report.png');
    const r = await openReport(join(out, 'report.html'), shot);
    assert.equal(r.problems, []);
    assert.equal(
      r.requests.filter((u) => !u.startsWith('file:')),
      [],
      'nothing fetched from the network',
    );
    assert.equal(
      r.charts.map((c) => c.id),
      CHARTS,
    );
    for (const c of r.charts) assert.ok(c.marks > 0, `chart ${c.id} has marks`);
    assert.equal([...r.rows].sort(), verdicts.flagged.map((f) => f.address).sort());
    assert.match(r.text, /193\.106\.31\.130/);
    assert.match(r.text, /brute force: \d+ failed logins/);
    // The web-shell botnet is shown as a group: its window, what its members did together, and who they are.
    assert.equal(
      r.groups.map((g) => g.id),
      verdicts.groups.filter((g) => g.flagged).map((g) => g.id),
    );
    const scan = verdicts.groups.find((g) => g.kind === 'scan')!;
    const row = r.groups.find((g) => g.id === scan.id)!.text;
    assert.match(row, new RegExp(`${scan.size} clients`));
    assert.match(row, /together \d+ probing requests/);
    assert.ok(row.includes(scan.members[0]!), 'members are listed once opened');
    assert.not.ok(r.closedGroups.find((g) => g.id === scan.id)!.text.includes(scan.members[0]!), 'and only then: a group is one row');
    assert.ok(row.includes(scan.window.first), 'the window is shown');
    // A burst keeps its height on a six-day log: the busiest flagged client's busiest minute reaches the axis.
    const peak = Math.max(...verdicts.flagged.map((f) => f.features.peakPerMinute ?? 0));
    assert.ok(r.trafficTop >= peak, `the timeline's axis goes to ${r.trafficTop}; the busiest minute had ${peak} requests`);
    assert.match(r.text, /busiest minute of a 30 minutes bin/);
    // Who was flagged comes first: the table and its first row are on the first screen at 1400×900.
    assert.ok(r.firstScreen.top < 900 && r.firstScreen.firstRowBottom < 900, `flagged table at ${JSON.stringify(r.firstScreen)}`);
    assert.ok(statSync(shot).size > 20_000, 'a screenshot was saved');
    // The timeline draws every flagged series it shows (up to 5) and everyone else as lines, not points.
    assert.is(r.series.length, Math.min(5, verdicts.flagged.length) + 1, `series ${r.series}`);
    for (const n of r.series) assert.ok(n > 1, `a timeline path of ${n} point(s)`);
    assert.equal(r.overlaps, [], 'no text drawn over other text');
    // Every flagged client is a cross in the scatter; the 25 busiest clients are bars with height.
    assert.ok(r.crosses >= verdicts.flagged.length, `${r.crosses} crosses for ${verdicts.flagged.length} flagged clients`);
    assert.is(r.bars, 25);
    // The clusters table speaks in units a person can check, not scaled centroids.
    assert.match(r.text, /most in one minute/);
    assert.not.match(r.text, /peakPerMinute|share4xx|shareProbeErrors/);
    if (process.env.LOGWARDEN_ARTIFACTS) {
      mkdirSync(process.env.LOGWARDEN_ARTIFACTS, { recursive: true });
      copyFileSync(shot, join(process.env.LOGWARDEN_ARTIFACTS, 'report.png'));
    }
    console.log(`\n  report screenshot: ${shot}`);
  });

  test('report: a honeynet of 1,200 flagged clients makes a bounded page: under 2 MB, who was flagged first, the rest counted', async () => {
    const out = tempDir();
    const { verdicts } = await runDetect({ inputs: [join(DATASETS, 'honeynet-2004/access_log.combined')], out, quiet: true }, memoryIo());
    assert.ok(verdicts.flagged.length > 1000, `${verdicts.flagged.length} flagged`);
    const size = statSync(join(out, 'report.html')).size;
    assert.ok(size < 2 << 20, `report.html is ${size} bytes`);
    const r = await openReport(join(out, 'report.html'), join(out, 'report.png'));
    assert.equal(r.problems, []);
    assert.ok(r.firstScreen.top < 900 && r.firstScreen.firstRowBottom < 900, `flagged table at ${JSON.stringify(r.firstScreen)}`);
    assert.ok(r.height < 60_000, `the page is ${r.height} px tall`);
    const lone = verdicts.flagged.filter((f) => f.group === null).length;
    assert.match(r.text, new RegExp(`Not shown here: ${(lone - 300).toLocaleString('en')} clients flagged on their own`));
    assert.equal(r.overlaps, [], 'no text drawn over other text');
  });

  test('report: an empty log is refused before any page is written (issue 30: a run that judged nothing says so)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'access.log'), '');
    const out = join(dir, 'out');
    const err = await runDetect({ inputs: [join(dir, 'access.log')], out, quiet: true }, memoryIo()).catch((e: Error) => e);
    assert.instance(err, Error);
    assert.match((err as Error).message, /no usable line \(read 0 lines/);
    assert.throws(() => statSync(join(out, 'report.html')));
  });

  test('report: a log line with <script> shows as text and never runs', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      lines.push(
        `203.0.113.66 - - [10/Oct/2026:13:55:${String(i % 60).padStart(2, '0')} +0000] "GET /<script>window.__pwned=1</script>?${i} HTTP/1.1" 404 10 "-" "<img src=x onerror=window.__pwned=2>"`,
      );
    }
    for (let c = 0; c < 40; c++) lines.push(`198.51.100.${c + 1} - - [10/Oct/2026:14:${String(c).padStart(2, '0')}:00 +0000] "GET / HTTP/1.1" 200 10 "-" "ua"`);
    writeFileSync(join(dir, 'access.log'), `${lines.join('\n')}\n`);
    const out = join(dir, 'out');
    const { verdicts } = await runDetect({ inputs: [join(dir, 'access.log')], out, quiet: true }, memoryIo());
    assert.equal(
      verdicts.flagged.map((f) => f.address),
      ['203.0.113.66'],
    );
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.not.match(html, /<script>window/);
    const r = await openReport(join(out, 'report.html'), join(dir, 'shot.png'));
    assert.is(r.pwned, undefined, 'the script did not run');
    assert.match(r.text, /<script>window\.__pwned=1<\/script>/, 'it shows as text');
    assert.equal(r.problems, []);
  });
}

test.run();
