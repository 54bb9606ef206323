/**
 * The report's figures drawn: the scatter's projection computed, each chart's rows put in, its SVG rendered.
 */
import { CHART_TEMPLATES, chartContent } from './charts.js';
import type { ReportBasics } from './data.js';
import { projectPoints, type ProjectionInput } from './projection.js';
import { renderChart } from './render.js';

/** What the charts are drawn from: the report's data, the scatter's points not yet projected. */
export type FigureInput = Pick<ReportBasics, 'topClients' | 'kScores' | 'traffic' | 'trafficBin' | 'statusMix'> & { readonly projection: ProjectionInput };

export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly svg: string;
}

export async function drawFigures(input: FigureInput): Promise<Figure[]> {
  const data = { ...input, projection: projectPoints(input.projection) };
  return Promise.all(
    CHART_TEMPLATES.map(async (c) => {
      const { caption, values } = chartContent(c.id, data);
      return { id: c.id, title: c.title, caption, svg: await renderChart(c.id, values) };
    }),
  );
}
