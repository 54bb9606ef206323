/**
 * The live path's figures (`npm run bench -- --live`, also at the end of a full run), each beside a reference
 * measured in the same run on the same machine:
 *   watch ingest     lines/s one watch process follows (judging every 2 s), beside mawk counting the file
 *   flood to ban     seconds from a flood's first line to its ban event (dry run, judging every 2 s)
 *   serve            predictions/s and p99 with autocannon (one client per request), beside GET /healthz
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';

interface Context {
  readonly bin: string;
  readonly dir: string;
  /** A generated log with historical times, and the number of its lines. */
  readonly log: string;
  readonly lines: number;
  readonly runs: number;
  readonly awk: string | null;
  measureAwk(file: string): Promise<number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function start(bin: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const done = new Promise<void>((r) => p.on('exit', () => r()));
  p.kill('SIGTERM');
  await done;
}

async function metric(port: number, name: string): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return -1;
  }
}

async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(10);
  }
  return false;
}

const stamp = (t: Date) => {
  const m = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][t.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(t.getUTCDate())}/${m}/${t.getUTCFullYear()}:${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} +0000`;
};

export async function liveBench(ctx: Context): Promise<void> {
  const model = join(ctx.dir, 'live-model/model.json');
  if (!existsSync(model)) {
    const p = start(ctx.bin, ['detect', ctx.log, '--out', join(ctx.dir, 'live-model'), '--quiet', '--no-report']);
    await new Promise((r) => p.on('exit', r));
  }
  console.log('\nlive path');

  // 1. Ingest: follow the whole file from its start. The rate counts from the first line read (what one
  // process can follow); the wall time from the start of the process is shown too.
  const rates: number[] = [];
  const walls: number[] = [];
  const port = 19810 + (process.pid % 1000);
  for (let r = 0; r < ctx.runs; r++) {
    rmSync(join(ctx.dir, 'live-state'), { recursive: true, force: true });
    const began = performance.now();
    const w = start(ctx.bin, [
      'watch',
      ctx.log,
      '--model',
      model,
      '--dry-run',
      '--from-start',
      '--judge-every',
      '2s',
      '--state',
      join(ctx.dir, 'live-state/watch.state'),
      '--listen',
      `127.0.0.1:${port}`,
    ]);
    let firstAt = 0;
    let firstLines = 0;
    const ok = await until(async () => {
      const n = await metric(port, 'logwarden_lines_read_total');
      if (n > 0 && firstAt === 0) {
        firstAt = performance.now();
        firstLines = n;
      }
      return n >= ctx.lines;
    }, 600_000);
    const end = performance.now();
    await stop(w);
    if (ok) {
      rates.push((ctx.lines - firstLines) / ((end - firstAt) / 1000));
      walls.push((end - began) / 1000);
    }
  }
  const awkSeconds = ctx.awk ? await ctx.measureAwk(ctx.log) : null;
  const ingest = median(rates);
  console.log(
    `  watch ingest      ${Math.round(ingest).toLocaleString('en')} lines/s following ${ctx.lines.toLocaleString('en')} lines, judging every 2 s` +
      ` (${median(walls).toFixed(1)} s from the process's start)` +
      (awkSeconds
        ? `  (${ctx.awk} on the same file: ${Math.round(ctx.lines / awkSeconds).toLocaleString('en')} lines/s; ratio ${(ingest / (ctx.lines / awkSeconds)).toFixed(2)}x)`
        : ''),
  );

  // 2. Flood to ban: a live log with visitors; a flood appended at ~400 lines/s; time until its ban event.
  const delays: number[] = [];
  for (let r = 0; r < Math.max(3, ctx.runs); r++) {
    const log = join(ctx.dir, 'live-flood.log');
    const events = join(ctx.dir, 'live-events.jsonl');
    writeFileSync(log, '');
    rmSync(events, { force: true });
    rmSync(join(ctx.dir, 'live-state'), { recursive: true, force: true });
    const w = start(ctx.bin, ['watch', log, '--model', model, '--dry-run', '--state', join(ctx.dir, 'live-state/watch.state'), '--events', events]);
    await until(() => existsSync(events) && readFileSync(events, 'utf8').includes('"ready"'), 10_000);
    const attacker = `203.0.113.${10 + r}`;
    const began = performance.now();
    let banned = false;
    for (let i = 0; !banned && i < 20_000; i++) {
      let text = '';
      for (let k = 0; k < 40; k++) text += `${attacker} - - [${stamp(new Date())}] "GET /?${i}x${k}=1 HTTP/1.1" 200 512 "-" "bot/${k % 5}"\n`;
      text += `192.0.2.${i % 50} - - [${stamp(new Date())}] "GET /index.html HTTP/1.1" 200 2048 "https://example.org/" "Mozilla/5.0"\n`;
      appendFileSync(log, text);
      await sleep(100);
      banned = existsSync(events) && readFileSync(events, 'utf8').includes(`"ban","address":"${attacker}"`);
    }
    if (banned) delays.push((performance.now() - began) / 1000);
    await stop(w);
  }
  console.log(
    `  flood to ban      ${median(delays).toFixed(1)} s median (${delays.map((d) => d.toFixed(1)).join(', ')} s) from its first line, judging every 2 s`,
  );

  // 3. serve: one client per request.
  const sport = port + 1;
  const s = start(ctx.bin, ['serve', '--model', model, '--listen', `127.0.0.1:${sport}`]);
  await until(async () => (await fetch(`http://127.0.0.1:${sport}/healthz`).catch(() => null))?.ok === true, 10_000);
  const client = {
    address: '203.0.113.7',
    requests: 420,
    withQuery: 400,
    distinctQueries: 400,
    distinctPaths: 3,
    status2xx: 420,
    minutes: [
      [29_000_000, 200],
      [29_000_001, 220],
    ],
  };
  const lines = readFileSync(ctx.log, 'utf8').slice(0, 200_000).split('\n').slice(0, 10);
  const cannon = (opts: Record<string, unknown>) =>
    new Promise<{ requests: { average: number }; latency: { p99: number }; non2xx: number; errors: number }>((res, rej) =>
      autocannon({ connections: 10, duration: 8, ...opts }, (err: Error | null, result: never) => (err ? rej(err) : res(result))),
    );
  const post = (body: unknown) => ({
    url: `http://127.0.0.1:${sport}/v1/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const summaries = await cannon(post({ clients: [client] }));
  const raw = await cannon(post({ lines }));
  const health = await cannon({ url: `http://127.0.0.1:${sport}/healthz` });
  await stop(s);
  const row = (name: string, r: typeof summaries) =>
    console.log(
      `  ${name.padEnd(18)}${Math.round(r.requests.average).toLocaleString('en').padStart(8)} req/s  p99 ${String(r.latency.p99).padStart(3)} ms` +
        `${r.non2xx || r.errors ? `  (${r.non2xx} not 2xx, ${r.errors} errors)` : ''}` +
        (name === 'GET /healthz' ? '' : `  ${(r.requests.average / health.requests.average).toFixed(2)}x of /healthz`),
    );
  row('serve (summary)', summaries);
  row('serve (10 lines)', raw);
  row('GET /healthz', health);
}
