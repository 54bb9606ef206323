/**
 * Draws the report's charts: the vega dataflows compiled and parsed at build time (charts-compile.ts), each
 * chart's rows put into its "table" dataset, rendered to SVG by vega in Node.
 */
import { readFileSync } from 'node:fs';
import * as vega from 'vega';
import { COMPILED_CHARTS } from './charts.js';

// Run from TypeScript sources (the tests) too, the compiled charts are taken from the build in dist/, which
// `npm test` makes first.
type Runtime = ReturnType<typeof vega.parse>;
let compiled: Record<string, Runtime> | null = null;

export async function renderChart(id: string, values: readonly object[]): Promise<string> {
  compiled ??= JSON.parse(readFileSync(COMPILED_CHARTS, 'utf8')) as Record<string, Runtime>;
  const template = compiled[id];
  if (!template) throw new Error(`no compiled chart "${id}" (run npm run build)`);
  const view = new vega.View(structuredClone(template), { renderer: 'none' });
  try {
    view.data('table', values as object[]);
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
