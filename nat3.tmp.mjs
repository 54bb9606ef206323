import { nativeReader } from './dist/native/index.js';
import { splitPoints } from './dist/features/build.js';
import { statSync } from 'node:fs';
const n = nativeReader();
const p = process.argv[2];
const parts = +(process.argv[3] ?? 2);
const size = statSync(p).size;
const pts = splitPoints(p, size, parts);
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  const r = await n.readRanges(p, pts, { leadingFields: 0, requiresAgent: true, maxLineBytes: 1 << 20, maxMalformedSamples: 10 }, (raw) => raw);
  console.log(parts, (performance.now() - t).toFixed(0), 'ms', r.linesRead, r.clientCount);
}
