import v8 from 'node:v8';
import { buildClientTable } from '../../src/features/build.js';
import { expandInputs } from '../../src/logs/read.js';
const inputs = expandInputs([process.argv[2]!], () => process.stdin);
const { table } = await buildClientTable(inputs, { ipv6Prefix: 128 } as never);
(globalThis as { keep?: unknown }).keep = table;
global.gc?.();
console.log('clients', table.size, 'heapUsed', (process.memoryUsage().heapUsed / 1e6).toFixed(0), 'MB', 'rss', (process.memoryUsage().rss / 1e6).toFixed(0), 'ab', (process.memoryUsage().arrayBuffers / 1e6).toFixed(0));
v8.writeHeapSnapshot('/tmp/h.heapsnapshot');
