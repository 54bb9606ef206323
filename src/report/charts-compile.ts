/**
 * Build step (`npm run build`): compiles the report's vega-lite chart templates to vega specifications and
 * parses those into vega's runtime dataflow descriptions, into dist/report/charts.vg.json, which render.ts
 * reads at run time. A run then only builds each chart's view, puts its rows into the "table" dataset and
 * renders the SVG: neither compiling nor parsing is left to it.
 */
import { writeFileSync } from 'node:fs';
import { parse } from 'vega';
import { compile } from 'vega-lite';
import { CHART_TEMPLATES, COMPILED_CHARTS } from './charts.js';

const out = Object.fromEntries(
  CHART_TEMPLATES.map((c) => {
    const spec = compile(c.spec).spec;
    if (!spec.data?.some((d) => d.name === 'table')) throw new Error(`chart "${c.id}" has no "table" dataset`);
    return [c.id, parse(spec)];
  }),
);
writeFileSync(COMPILED_CHARTS, JSON.stringify(out));
