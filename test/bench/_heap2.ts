import v8 from 'node:v8';
import { runDetect } from '../../src/commands/detect.js';
import { memoryIo } from '../helpers/io.js';
const io = memoryIo();
const r = await runDetect({ inputs: [process.argv[2]!], out: '/tmp/o600', quiet: true, report: false } as never, io);
(globalThis as { keep?: unknown }).keep = r;
global.gc?.();
console.log('heapUsed', (process.memoryUsage().heapUsed / 1e6).toFixed(0), 'MB', 'rss', (process.memoryUsage().rss / 1e6).toFixed(0), 'ab', (process.memoryUsage().arrayBuffers / 1e6).toFixed(0));
v8.writeHeapSnapshot('/tmp/h2.heapsnapshot');
