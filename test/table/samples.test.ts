/**
 * The sample store: which lines a client keeps does not depend on their order or on how they were split, the
 * bytes come back as written across chunk boundaries, and lines that fall out do not hold memory for ever.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHUNK, MAX_SAMPLES, SampleSlots } from '../../src/table/samples.js';
import { seededRandom } from '../../src/core/random.js';

interface Line {
  row: number;
  kind: number;
  time: number;
  bytes: Buffer;
}

function offerAll(s: SampleSlots, lines: readonly Line[]): void {
  for (const l of lines) s.offer(l.row, l.kind, l.time, l.bytes, 0, l.bytes.length);
}

/**
 * Checks what one client kept: distinct lines of its own, the earliest telling ones, then the earliest others
 * in the room left (which of two lines of the same second is kept is the store's choice; the times are not).
 */
function check(kept: string[], lines: readonly Line[], what: string): void {
  const times = (ls: Line[]) => [...new Map(ls.map((l) => [l.bytes.toString(), l.time])).values()].sort((a, b) => a - b);
  const telling = times(lines.filter((l) => l.kind === 0)).slice(0, MAX_SAMPLES);
  const others = times(lines.filter((l) => l.kind === 1)).slice(0, MAX_SAMPLES - telling.length);
  const timeOf = new Map(lines.map((l) => [l.bytes.toString(), l]));
  assert.is(new Set(kept).size, kept.length, `${what}: no line twice`);
  const got = kept.map((k) => timeOf.get(k));
  assert.ok(got.every(Boolean), `${what}: only its own lines`);
  assert.equal(
    got.map((l) => l!.time),
    [...telling, ...others],
    `${what}: the earliest of each kind`,
  );
  assert.equal(
    got.map((l) => l!.kind),
    [...telling.map(() => 0), ...others.map(() => 1)],
    `${what}: telling lines first`,
  );
}

function workload(rows: number, perRow: number, seed: number): Line[] {
  const random = seededRandom(seed);
  const out: Line[] = [];
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < perRow; i++) {
      const time = Math.floor(random() * 20);
      // Lines of 300-399 bytes: chunks end in the middle of where the next line would go.
      const bytes = Buffer.from(`${r} ${time} ${i % 3 === 0 ? 'again' : i} `.padEnd(300 + Math.floor(random() * 100), 'x'));
      // A line's kind follows from the line (the same line twice is of one kind).
      out.push({ row: r, kind: i % 3 === 0 || random() < 0.3 ? 0 : 1, time, bytes });
    }
  return out;
}

test('samples: the same lines kept whatever the order and split, read back whole across chunks', () => {
  const rows = 4000;
  const lines = workload(rows, 12, 5);
  const byRow: Line[][] = Array.from({ length: rows }, () => []);
  for (const l of lines) byRow[l.row]!.push(l);
  const whole = new SampleSlots(rows);
  offerAll(whole, lines);
  assert.ok(whole.chunkCount > 4, 'the lines span several chunks');
  const want = Array.from({ length: rows }, (_, r) => whole.lines(r));
  for (let r = 0; r < rows; r++) check(want[r]!, byRow[r]!, `row ${r}`);
  // Read together, in another order: the same lines.
  const some = [3999, 5, 2000, 17, 1024];
  assert.equal(
    whole.linesOf(some),
    some.map((r) => want[r]),
  );

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
  // Lines that do not deflate (random bytes), each earlier than all before it: each is kept and the latest
  // kept one falls out, 200 MB in all.
  const random = seededRandom(4);
  const pool = Buffer.from(Array.from({ length: 1 << 22 }, () => Math.floor(random() * 256)));
  const n = Math.ceil((200 * 2 ** 20) / SAMPLE_LEN);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(random() * (pool.length - SAMPLE_LEN));
    const line = pool.subarray(at, at + SAMPLE_LEN);
    line.write(String(n - i).padStart(10, '0'));
    s.offer(0, 1, n - i, line, 0, line.length);
  }
  assert.equal(
    s.lines(0).map((l) => l.slice(0, 10)),
    [1, 2, 3, 4, 5].map((k) => String(k).padStart(10, '0')),
  );
  assert.ok(s.heldBytes <= 80 * CHUNK, `held ${s.heldBytes} bytes for ${MAX_SAMPLES} lines`);
});

const SAMPLE_LEN = 400;

test.run();
