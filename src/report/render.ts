/**
 * Draws the report's charts: the vega specifications compiled at build time (charts-compile.ts) with each
 * chart's rows put into its "table" dataset, rendered to SVG by vega in Node.
 */
import { readFileSync } from 'node:fs';
import * as vega from 'vega';
import { packagePath } from '../core/paths.js';

// Run from TypeScript sources (the tests) too, the compiled charts are taken from the build in dist/, which
// `npm test` makes first.
const COMPILED = packagePath('dist', 'report', 'charts.vg.json');
let compiled: Record<string, vega.Spec> | null = null;

export async function renderChart(id: string, values: readonly object[]): Promise<string> {
  compiled ??= JSON.parse(readFileSync(COMPILED, 'utf8')) as Record<string, vega.Spec>;
  const template = compiled[id];
  if (!template) throw new Error(`no compiled chart "${id}" (run npm run build)`);
  const spec = structuredClone(template);
  const table = spec.data?.find((d) => d.name === 'table');
  if (!table) throw new Error(`compiled chart "${id}" has no "table" dataset`);
  (table as { values?: unknown }).values = values;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
