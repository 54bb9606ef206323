/**
 * The sample store: which lines a client keeps does not depend on their order or on how they were split, the
 * bytes come back as written across chunk boundaries, and lines that fall out do not hold memory for ever.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHUNK, MAX_SAMPLES, SampleSlots } from '../../src/table/samples.js';
import { hashBytes } from '../../src/logs/parse.js';
import { seededRandom } from '../../src/core/random.js';

interface Line {
  row: number;
  kind: number;
  time: number;
  bytes: Buffer;
}

function offerAll(s: SampleSlots, lines: readonly Line[]): void {
  for (const l of lines) s.offer(l.row, l.kind, l.time, hashBytes(l.bytes, 0, l.bytes.length), l.bytes, 0, l.bytes.length);
}

/** What one client should keep: the earliest telling lines, then the earliest others in the room left. */
function expected(lines: readonly Line[]): string[] {
  const order = (a: Line, b: Line) => a.time - b.time || hashBytes(a.bytes, 0, a.bytes.length) - hashBytes(b.bytes, 0, b.bytes.length) || Buffer.compare(a.bytes, b.bytes);
  const unique = (ls: Line[]) => ls.sort(order).filter((l, i, all) => i === 0 || order(all[i - 1]!, l) !== 0);
  const telling = unique(lines.filter((l) => l.kind === 0)).slice(0, MAX_SAMPLES);
  const others = unique(lines.filter((l) => l.kind === 1)).slice(0, MAX_SAMPLES - telling.length);
  return [...telling, ...others].map((l) => l.bytes.toString());
}

function workload(rows: number, perRow: number, seed: number): Line[] {
  const random = seededRandom(seed);
  const out: Line[] = [];
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < perRow; i++) {
      const time = Math.floor(random() * 20);
      // Lines of 300-399 bytes: chunks end in the middle of where the next line would go.
      const bytes = Buffer.from(`${r} ${time} ${i % 3 === 0 ? 'again' : i} `.padEnd(300 + Math.floor(random() * 100), 'x'));
      out.push({ row: r, kind: random() < 0.3 ? 0 : 1, time, bytes });
    }
  return out;
}

test('samples: the same lines kept whatever the order and split, read back whole across chunks', () => {
  const rows = 4000;
  const lines = workload(rows, 12, 5);
  const byRow: Line[][] = Array.from({ length: rows }, () => []);
  for (const l of lines) byRow[l.row]!.push(l);
  const want = byRow.map(expected);
  const whole = new SampleSlots(rows);
  offerAll(whole, lines);
  assert.ok(whole.heldBytes > 4 * CHUNK, 'the lines span several chunks');
  for (let r = 0; r < rows; r++) assert.equal(whole.lines(r), want[r], `row ${r}`);

  // Reversed, and split in three parts merged in another order, through parts/fromParts as threads and files do.
  const random = seededRandom(9);
  const parts = [new SampleSlots(rows), new SampleSlots(rows), new SampleSlots(rows)];
  for (const l of [...lines].reverse()) offerAll(parts[Math.floor(random() * 3)]!, [l]);
  const merged = new SampleSlots(rows);
  for (const p of [parts[2]!, parts[0]!, parts[1]!]) {
    const back = SampleSlots.fromParts(p.parts(rows));
    for (let r = 0; r < rows; r++) merged.mergeFrom(r, back, r);
  }
  for (let r = 0; r < rows; r++) assert.equal(merged.lines(r), want[r], `merged row ${r}`);
});

test('samples: lines that fall out are let go (a log read newest first does not grow the store for ever)', () => {
  const s = new SampleSlots(1);
  const line = Buffer.alloc(SAMPLE_LEN, 'y');
  // Each line is earlier than all before it: it is kept and the latest kept one falls out, 120 MB in all.
  const n = Math.ceil((120 * 2 ** 20) / SAMPLE_LEN);
  for (let i = 0; i < n; i++) {
    line.write(String(n - i).padStart(10, '0'));
    s.offer(0, 1, n - i, hashBytes(line, 0, line.length), line, 0, line.length);
  }
  assert.equal(
    s.lines(0).map((l) => l.slice(0, 10)),
    [1, 2, 3, 4, 5].map((k) => String(k).padStart(10, '0')),
  );
  assert.ok(s.heldBytes <= 66 * CHUNK, `held ${s.heldBytes} bytes for ${MAX_SAMPLES} lines`);
});

const SAMPLE_LEN = 400;

test.run();
