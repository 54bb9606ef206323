/**
 * `npm run bench`: the detect stage's speed and memory on generated logs of 200 k, 2 M and 10 M lines
 * (median of several runs: lines/s, MB/s, wall time, peak RSS), next to goaccess and awk counting requests
 * per client on the same files when they are installed. It prints figures; people judge them.
 *
 *   npm run bench -- --sizes 200000,2000000 --runs 3
 *   npm run bench -- --sizes 2000000,10000000 --clients 20000 --only logwarden   (same clients, more lines)
 *   npm run bench -- --live          the live path only (watch ingest, flood to ban, serve): see live.ts
 *   npm run bench -- --scale         partial tables: aggregate, merge 10/50/200 servers, 1 M clients: see scale.ts
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { liveBench } from './live.js';
import { scaleBench } from './scale.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/logwarden.js');
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const sizes = opt('sizes', '200000,2000000,10000000').split(',').map(Number);
const runs = Number(opt('runs', '3'));
const dir = resolve(ROOT, opt('dir', 'work/bench'));
/** Clients in every generated log (default: one per 100 lines). */
const fixedClients = args.includes('--clients') ? Number(opt('clients', '20000')) : null;

interface Measure {
  wall: number;
  rssMb: number;
  code: number;
  stderr: string;
  stdout: string;
}

/** Runs a command, polling its peak resident set size (VmHWM) from /proc while it runs. */
function measure(cmd: string, argv: string[], env: Record<string, string> = {}): Promise<Measure> {
  return new Promise((res) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let hwm = 0;
    let err = '';
    let out = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdout.on('data', (d: Buffer) => (out += d.length < 4096 ? d : ''));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 20);
    child.on('close', (code) => {
      clearInterval(poll);
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) process.stderr.write(`  ${cmd} exited ${code}: ${err.split('\n')[0]}\n`);
      res({ wall, rssMb: hwm / 1024, code: code ?? 1, stderr: err, stdout: out });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function which(cmd: string): Promise<boolean> {
  return new Promise((res) => spawn('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).on('close', (c) => res(c === 0)));
}

async function ensureLog(lines: number, withClients: number | null = fixedClients): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const clients = withClients ?? Math.max(200, Math.round(lines / 100));
  const path = join(dir, withClients ? `access-${lines}-c${clients}.log` : `access-${lines}.log`);
  if (!existsSync(path)) {
    process.stdout.write(`generating ${lines} lines, ${clients} clients ... `);
    const m = await measure(process.execPath, [
      BIN,
      'generate',
      '--out',
      path,
      '--lines',
      String(lines),
      '--clients',
      String(clients),
      '--seed',
      '7',
      '--quiet',
    ]);
    process.stdout.write(`${m.wall.toFixed(1)} s\n`);
  }
  return path;
}

/** The file's lines (the generator's count is a target, not exact). */
async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}

const pad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

async function main() {
  console.log(
    `logwarden bench: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${runs} runs each, median shown`,
  );
  const tools: Array<{ name: string; argv: (file: string, out: string) => [string, string[]]; env?: Record<string, string> }> = [
    { name: 'logwarden detect', argv: (f, o) => [process.execPath, [BIN, 'detect', f, '--out', o, '--quiet']] },
    { name: 'logwarden --no-report', argv: (f, o) => [process.execPath, [BIN, 'detect', f, '--out', o, '--quiet', '--no-report']] },
  ];
  if (await which('goaccess'))
    tools.push({ name: 'goaccess', argv: (f, o) => ['goaccess', [f, '--log-format=COMBINED', '--no-global-config', '-o', join(o, 'goaccess.json')]] });
  // The reference the reader is held to: mawk counting requests per address, nothing else.
  const awk = (await which('mawk')) ? 'mawk' : (await which('awk')) ? 'awk' : null;
  if (awk) tools.push({ name: `${awk} (requests per IP)`, argv: (f) => [awk, ['{c[$1]++} END {for (k in c) n++; print n}', f]] });
  const liveSize = Number(opt('live-lines', '2000000'));
  const live = async () =>
    liveBench({
      bin: BIN,
      dir,
      log: await ensureLog(liveSize),
      lines: await countLines(await ensureLog(liveSize)),
      runs,
      awk,
      measureAwk: async (f) => (await measure(awk!, ['{c[$1]++} END {for (k in c) n++; print n}', f])).wall,
    });
  if (args.includes('--live')) return live();
  if (args.includes('--scale')) return scaleBench({ bin: BIN, dir, ensureLog, measure });
  const only = opt('only', '');
  if (only) tools.splice(0, tools.length, ...tools.filter((t) => t.name.startsWith(only)));
  console.log(
    `${pad('lines', 10)}  ${'tool'.padEnd(24)}${pad('lines/s', 12)}${pad('MB/s', 9)}${pad('wall s', 9)}${pad('peak RSS MB', 13)}${pad('vs logwarden', 14)}`,
  );
  for (const size of sizes) {
    const file = await ensureLog(size);
    const bytes = statSync(file).size;
    const lines = await countLines(file);
    let base = 0;
    for (const t of tools) {
      const out = join(dir, 'out');
      mkdirSync(out, { recursive: true });
      const ms: Measure[] = [];
      for (let r = 0; r < runs; r++) {
        const [cmd, argv] = t.argv(file, out);
        ms.push(await measure(cmd, argv, t.env));
      }
      const wall = median(ms.map((m) => m.wall));
      const rss = median(ms.map((m) => m.rssMb));
      const lps = lines / wall;
      if (t.name === 'logwarden detect') base = lps;
      const ratio = base && t.name !== 'logwarden detect' ? `${(lps / base).toFixed(2)}x` : '';
      console.log(
        `${pad(String(lines), 10)}  ${t.name.padEnd(24)}${pad(Math.round(lps).toLocaleString('en'), 12)}${pad((bytes / 1e6 / wall).toFixed(0), 9)}${pad(wall.toFixed(2), 9)}${pad(rss.toFixed(0), 13)}${pad(ratio, 14)}`,
      );
    }
  }
  if (!only) await live();
}

await main();
