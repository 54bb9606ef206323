/**
 * Build step (`npm run build`): compiles the report's vega-lite chart templates to vega specifications,
 * into dist/report/charts.vg.json, which render.ts reads at run time.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from 'vega-lite';
import { CHART_TEMPLATES } from './charts.js';

const out = Object.fromEntries(CHART_TEMPLATES.map((c) => [c.id, compile(c.spec).spec]));
writeFileSync(fileURLToPath(new URL('./charts.vg.json', import.meta.url)), JSON.stringify(out));
