import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface TimeSeries {
  readonly label: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  readonly dash?: number[];
  /** Draw each value as a point (e.g. a clear observation) as well as the line. */
  readonly points?: boolean;
  /** Hold each value until the next (a count per hour). */
  readonly stepped?: boolean;
}

/**
 * A small uPlot time chart: `times` (ISO 8601) on x, one or more series on y, in `target`.
 * Answers the chart (destroy it before drawing another in the same place).
 */
export function drawTimeChart(
  target: HTMLElement,
  times: readonly string[],
  series: readonly TimeSeries[],
  options: { yLabel: string; yRange?: [number, number]; width?: number; height?: number },
): uPlot {
  const xs = times.map((t) => Date.parse(t) / 1000);
  const data: uPlot.AlignedData = [xs, ...series.map((s) => [...s.values])];
  return new uPlot(
    {
      width: options.width ?? 300,
      height: options.height ?? 160,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        y: options.yRange === undefined ? {} : { range: options.yRange },
      },
      axes: [{}, { label: options.yLabel, size: 50 }],
      series: [
        {},
        ...series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.dash === undefined ? {} : { dash: s.dash }),
          points: { show: s.points ?? false, size: 6, fill: s.color },
          ...(s.stepped === true ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}),
        })),
      ],
    },
    data,
    target,
  );
}
