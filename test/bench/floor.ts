/**
 * What no merge of a folder of tables can avoid on this machine, for `npm run bench -- --scale`: reading every
 * file (one buffer, used again) and writing, once, as much fresh memory as the merge needed (`mb`, its peak RSS,
 * less what this process holds before it starts). Prints {"read": s, "touch": s}.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readInto } from '../../src/adapters/files.js';

const [dir, mb] = [process.argv[2]!, Number(process.argv[3]) - process.memoryUsage().rss / 2 ** 20];
const started = performance.now();
let buf = Buffer.alloc(0);
for (const f of readdirSync(dir).sort()) {
  const path = join(dir, f);
  const size = statSync(path).size;
  if (size > buf.length) buf = Buffer.allocUnsafeSlow(size);
  readInto(path, buf, 0, size);
}
const read = performance.now();
const fresh = new Int32Array(Math.max(0, Math.round(mb * 2 ** 18)));
for (let i = 0; i < fresh.length; i += 1024) fresh[i] = 1;
const touched = performance.now();
process.stdout.write(`${JSON.stringify({ read: (read - started) / 1000, touch: (touched - read) / 1000 })}\n`);
