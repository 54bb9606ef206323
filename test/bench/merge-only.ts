/**
 * Merges the partial tables in a folder, as `detect --tables` does before judging, and prints how long that
 * took and how many clients came out (for `npm run bench -- --scale`, which measures this process's peak RSS).
 */
import { loadTables } from '../../src/commands/aggregate.js';

const started = performance.now();
const { table, files } = await loadTables([process.argv[2]!], {});
process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000, clients: table.size, tables: files.length })}\n`);
