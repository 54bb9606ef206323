/**
 * `npm run bench -- --scale`: what scale-out costs. One 2 M-line log of 20 k clients is aggregated into a
 * partial table (time, peak RSS, size); from it, the tables of 10, 50 and 200 servers are made, each with half
 * of its 20 k clients shared by every server and half its own (the shared half keeps the log's addresses, the
 * rest are renamed into 2001:db8::/32), and `detect --tables` merges and judges them (time, the merge phase
 * alone, peak RSS), beside the floor under any merge here: reading the files and writing the merge's memory once
 * (floor.ts). Then a site of 1 M distinct clients: a generated log cut in four, each aggregated, merged and
 * judged. The reference in the same run: `detect` reading the 2 M-line log itself.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTable, encodeTable, LWTABLE_VERSION } from '../../src/table/lwtable.js';

interface Measure {
  wall: number;
  rssMb: number;
  code: number;
  stderr?: string;
}

export interface ScaleContext {
  readonly bin: string;
  readonly dir: string;
  ensureLog(lines: number, clients: number): Promise<string>;
  measure(cmd: string, argv: string[], env?: Record<string, string>): Promise<Measure & { stderr: string; stdout: string }>;
}

/** What a measured script printed: one line of JSON ({} when it printed nothing). */
const printed = <T>(m: { stdout: string }) => JSON.parse(m.stdout.trim() || '{}') as Partial<T>;

const phase = (stderr: string, name: string) => Number(new RegExp(`timing: ${name} (\\d+) ms`).exec(stderr)?.[1] ?? NaN) / 1000;

/** Whether a table left by an earlier run is there and of the version this logwarden writes. */
function readable(file: string): boolean {
  try {
    const bytes = readFileSync(file);
    decodeTable(bytes);
    return bytes.readUInt32LE(8) === LWTABLE_VERSION;
  } catch {
    return false;
  }
}

export async function scaleBench(ctx: ScaleContext): Promise<void> {
  console.log('\nscale-out (partial tables)');
  const log = await ctx.ensureLog(2_000_000, 20_000);
  const base = join(ctx.dir, 'scale-base.lwtable');
  const agg = await ctx.measure(process.execPath, [ctx.bin, 'aggregate', log, '--out', base, '--quiet']);
  const reference = await ctx.measure(process.execPath, [ctx.bin, 'detect', log, '--out', join(ctx.dir, 'scale-ref'), '--quiet', '--no-report'], {
    LOGWARDEN_TIMING: '1',
  });
  const size = readFileSync(base).length;
  console.log(
    `  aggregate 2 M lines, 20 k clients: ${agg.wall.toFixed(1)} s, peak RSS ${agg.rssMb.toFixed(0)} MB, table ${(size / 1e6).toFixed(1)} MB` +
      `  (detect on the log itself: ${reference.wall.toFixed(1)} s, ${reference.rssMb.toFixed(0)} MB)`,
  );
  const { parts, meta } = decodeTable(readFileSync(base));
  const keys = parts.keys;
  // The detect stage runs in the Docker image, whose malloc may use transparent huge pages (docker/Dockerfile
  // sets GLIBC_TUNABLES): the merge is measured as a shell runs it and as the image does.
  const tunables = /^ENV GLIBC_TUNABLES=(\S+)$/m.exec(readFileSync(join(import.meta.dirname, '..', '..', 'docker', 'Dockerfile'), 'utf8'))?.[1];
  console.log(
    `  ${'servers'.padStart(8)}${'clients'.padStart(10)}${'merge s'.padStart(10)}${'peak RSS MB'.padStart(13)}${tunables ? `${'in the image: s'.padStart(17)}${'MB'.padStart(6)}` : ''}${'floor s'.padStart(9)}`,
  );
  const counts = (process.env.LOGWARDEN_SCALE_SERVERS ?? '10,50,200').split(',').map(Number);
  for (const servers of counts) {
    const d = join(ctx.dir, `scale-${servers}`);
    if (!readable(join(d, `s${servers - 1}.lwtable`))) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
      for (let s = 0; s < servers; s++) {
        // Odd rows are this server's own clients; even rows are shared by every server.
        const own = keys.map((k, i) => (i % 2 === 0 ? k : `2001:db8:${(s + 1).toString(16)}::${i.toString(16)}`));
        writeFileSync(join(d, `s${s}.lwtable`), encodeTable({ ...parts, keys: own }, meta));
        // encodeTable reads the arrays only; the same parts serve every server.
      }
    }
    // The merge alone (what the targets are about), in a process of its own for its peak RSS.
    const mergeOnly = [join(import.meta.dirname, 'merge-only.ts'), d];
    const m = await ctx.measure(process.execPath, ['--import', 'tsx', ...mergeOnly]);
    const got = printed<{ seconds: number; clients: number }>(m);
    let image = '';
    if (tunables) {
      const mi = await ctx.measure(process.execPath, ['--import', 'tsx', ...mergeOnly], { GLIBC_TUNABLES: tunables });
      const seconds = printed<{ seconds: number }>(mi).seconds ?? NaN;
      image = `${seconds.toFixed(1).padStart(17)}${mi.rssMb.toFixed(0).padStart(6)}`;
    }
    // The floor: reading the files and writing the merge's memory once, with no merging (floor.ts).
    const f = await ctx.measure(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'floor.ts'), d, String(m.rssMb)]);
    const floor = printed<{ read: number; touch: number }>(f);
    console.log(
      `  ${String(servers).padStart(8)}${(got.clients ?? 0).toLocaleString('en').padStart(10)}${(got.seconds ?? NaN).toFixed(1).padStart(10)}${m.rssMb.toFixed(0).padStart(13)}${image}${((floor.read ?? NaN) + (floor.touch ?? NaN)).toFixed(1).padStart(9)}`,
    );
  }

  // A site of 1 M distinct clients, read on four agents.
  const big = await ctx.ensureLog(3_000_000, 1_000_000);
  const d = join(ctx.dir, 'scale-1m');
  if (!readable(join(d, 'part3.lwtable'))) {
    mkdirSync(d, { recursive: true });
    const text = readFileSync(big);
    const cuts = [0];
    for (let k = 1; k < 4; k++) cuts.push(text.indexOf(10, Math.floor((text.length * k) / 4)) + 1);
    cuts.push(text.length);
    for (let k = 0; k < 4; k++) {
      const part = join(d, `part${k}.log`);
      writeFileSync(part, text.subarray(cuts[k], cuts[k + 1]));
      await ctx.measure(process.execPath, [ctx.bin, 'aggregate', part, '--out', join(d, `part${k}.lwtable`), '--quiet']);
      rmSync(part);
    }
  }
  const m = await ctx.measure(process.execPath, [ctx.bin, 'detect', '--tables', d, '--out', join(d, 'out'), '--quiet', '--no-report'], {
    LOGWARDEN_TIMING: '1',
  });
  console.log(
    `  1 M distinct clients (3 M lines on 4 agents): merge ${phase(m.stderr, 'read and aggregate').toFixed(1)} s, merge and judge ${m.wall.toFixed(1)} s, peak RSS ${m.rssMb.toFixed(0)} MB`,
  );
}
