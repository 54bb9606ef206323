/**
 * The report's charts as vega-lite specifications over one dataset named "table". They do not depend on
 * the data, so `npm run build` compiles them to vega once (charts-compile.ts, into dist/report/charts.vg.json)
 * and a run only puts each chart's rows in and renders the SVG with vega, in Node: no browser, no network,
 * and no vega-lite to load (it took longer to load than the charts take to draw).
 */
import type { TopLevelSpec } from 'vega-lite';
import { packagePath } from '../core/paths.js';
import type { ReportData } from './data.js';

/** Where `npm run build` writes the compiled charts (charts-compile.ts) and render.ts reads them. */
export const COMPILED_CHARTS = packagePath('dist', 'report', 'charts.vg.json');

export interface ChartTemplate {
  readonly id: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}

/** A chart's caption and rows, from the report's data. */
export interface ChartContent {
  readonly caption: string;
  readonly values: readonly object[];
}

const FLAG = { domain: [true, false], range: ['#d62728', '#9aa5b1'] };
const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 560, config: { font: 'sans-serif', view: { stroke: null } } } as const;

export const CHART_TEMPLATES: readonly ChartTemplate[] = [
  {
    id: 'top-clients',
    title: 'Top clients by requests',
    spec: {
      ...base,
      height: { step: 16 },
      data: { name: 'table' },
      mark: 'bar',
      encoding: {
        // Labels whole: an IPv6 address cut to "2001:db8:b882:6d01::f..." names no one.
        y: { field: 'address', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 400 } },
        x: { field: 'requests', type: 'quantitative', title: 'requests' },
        color: { field: 'flagged', type: 'nominal', scale: FLAG, title: 'flagged' },
        tooltip: [{ field: 'address' }, { field: 'requests' }],
      },
    } as TopLevelSpec,
  },
  {
    id: 'clusters',
    title: 'Clients in the two main principal components',
    spec: {
      ...base,
      height: 360,
      data: { name: 'table' },
      mark: { type: 'point', filled: true, opacity: 0.7 },
      encoding: {
        x: { field: 'pc1', type: 'quantitative', title: 'PC1' },
        y: { field: 'pc2', type: 'quantitative', title: 'PC2' },
        color: { field: 'cluster', type: 'nominal', title: 'cluster' },
        shape: { field: 'flagged', type: 'nominal', scale: { domain: [true, false], range: ['cross', 'circle'] }, title: 'flagged' },
        size: { condition: { test: 'datum.flagged', value: 160 }, value: 25 },
      },
    } as TopLevelSpec,
  },
  {
    id: 'k-selection',
    title: 'Choosing k',
    spec: {
      ...base,
      height: 220,
      data: { name: 'table' },
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'k', type: 'ordinal', title: 'k (clusters)', axis: { labelAngle: 0 } },
            y: { field: 'silhouette', type: 'quantitative', title: 'mean silhouette' },
          },
        },
        {
          transform: [{ filter: 'datum.chosen' }],
          mark: { type: 'point', size: 300, shape: 'diamond', color: '#d62728', filled: true },
          encoding: { x: { field: 'k', type: 'ordinal', axis: { labelAngle: 0 } }, y: { field: 'silhouette', type: 'quantitative' } },
        },
      ],
    } as TopLevelSpec,
  },
  {
    id: 'traffic',
    title: 'Requests in the busiest minute, over time',
    spec: {
      ...base,
      height: 260,
      data: { name: 'table' },
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'time', type: 'temporal', scale: { type: 'utc' }, title: "time (the log's zone)" },
        y: { field: 'perMinute', type: 'quantitative', title: 'requests in the busiest minute of a bin' },
        color: { field: 'series', type: 'nominal', title: null },
      },
    } as TopLevelSpec,
  },
  {
    id: 'status-mix',
    title: 'Status codes: flagged clients against everyone else',
    spec: {
      ...base,
      height: { step: 40 },
      data: { name: 'table' },
      mark: 'bar',
      encoding: {
        y: { field: 'group', type: 'nominal', title: null },
        x: { field: 'requests', type: 'quantitative', stack: 'normalize', title: 'share of requests', axis: { format: '%' } },
        color: {
          field: 'status',
          type: 'nominal',
          scale: { domain: ['2xx', '3xx', '4xx', '5xx', 'other'], range: ['#2ca02c', '#1f77b4', '#ff7f0e', '#d62728', '#7f7f7f'] },
          title: 'status',
        },
      },
    } as TopLevelSpec,
  },
];

/** The data the charts show. */
export type ChartData = Pick<ReportData, 'topClients' | 'projection' | 'kScores' | 'traffic' | 'trafficBin' | 'statusMix'>;

export function chartContent(id: string, d: ChartData): ChartContent {
  switch (id) {
    case 'top-clients':
      return { caption: 'The 25 busiest clients; flagged ones in red.', values: d.topClients };
    case 'clusters':
      return {
        caption: `Each dot a client (scaled features), coloured by cluster; flagged clients are crosses. PC1 and PC2 explain ${Math.round(d.projection.explained[0] * 100)}% and ${Math.round(d.projection.explained[1] * 100)}% of the variance.`,
        values: d.projection.points,
      };
    case 'k-selection':
      return { caption: 'Mean silhouette for each k tried; the chosen k is marked.', values: d.kScores };
    case 'traffic':
      return {
        caption: `Each point is the busiest minute of a ${d.trafficBin} bin: the busiest flagged clients against everyone else, in the log's own time zone, as in the tables.`,
        values: d.traffic,
      };
    case 'status-mix':
      return { caption: 'Share of responses by status class.', values: d.statusMix };
    default:
      throw new Error(`no chart ${id}`);
  }
}
