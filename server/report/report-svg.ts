/**
 * The report's charts as inline SVG (no script, no request): a time axis with dates, a value
 * axis with round ticks, lines with point marks (each series its own mark and dash, so a chart
 * printed in black and white still reads) and labelled horizontal reference lines (a pledge, a
 * threshold). Used for the NDVI seasons, the herd counts and the coverage ratio.
 */
import { escapeHtml, formatNumber } from './format.ts';

export interface ChartSeries {
  readonly label: string;
  /** Oldest first; a null value breaks the line (no data at that time). */
  readonly points: ReadonlyArray<{ readonly atMs: number; readonly value: number | null }>;
  readonly color: string;
  readonly mark: 'circle' | 'square';
  /** SVG stroke-dasharray; undefined: solid. */
  readonly dash?: string;
}

export interface ChartReferenceLine {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  readonly dash: string;
}

export interface TimeChartOptions {
  /** Read by screen readers and shown as the SVG's <title>. */
  readonly title: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly series: readonly ChartSeries[];
  readonly referenceLines?: readonly ChartReferenceLine[];
  readonly yLabel: string;
  /** Fixed value range; otherwise from the data and reference lines (and 0 when `includeZero`). */
  readonly yMin?: number;
  readonly yMax?: number;
  readonly includeZero?: boolean;
  readonly yDecimals?: number;
  readonly widthPx?: number;
  readonly heightPx?: number;
}

const font = 'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif"';
const margin = { left: 52, right: 124, top: 12, bottom: 30 };

/**
 * A line chart over time as a standalone `<svg>` element.
 * @example timeChartSvg({ title: 'NDVI', fromMs, toMs, yLabel: 'NDVI', series: [...] })
 */
export function timeChartSvg(options: TimeChartOptions): string {
  const width = options.widthPx ?? 700;
  const height = options.heightPx ?? 200;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const references = options.referenceLines ?? [];
  const values = [
    ...options.series.flatMap((s) => s.points.map((p) => p.value)),
    ...references.map((r) => r.value),
  ].filter((v): v is number => v !== null && Number.isFinite(v));
  const open = `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${font} font-size="10"><title>${escapeHtml(options.title)}</title>`;
  const hasData = options.series.some((s) => s.points.some((p) => p.value !== null));
  if (!hasData) {
    return `${open}<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#bbb"/><text x="${margin.left + plotW / 2}" y="${margin.top + plotH / 2}" text-anchor="middle" fill="#555">no data in the period</text></svg>`;
  }
  let yMin = options.yMin ?? Math.min(...values, ...(options.includeZero === true ? [0] : []));
  let yMax = options.yMax ?? Math.max(...values);
  if (yMax === yMin) {
    yMax += Math.abs(yMax) * 0.1 || 1;
    yMin -= options.yMin === undefined ? Math.abs(yMin) * 0.1 || 1 : 0;
  }
  const yTicks = niceTicks(yMin, yMax, 6);
  if (options.yMin === undefined) yMin = Math.min(yMin, yTicks[0] ?? yMin);
  if (options.yMax === undefined) yMax = Math.max(yMax, yTicks[yTicks.length - 1] ?? yMax);
  const fromMs = options.fromMs;
  const toMs = options.toMs > fromMs ? options.toMs : fromMs + 86_400_000;
  const x = (t: number): number => margin.left + ((t - fromMs) / (toMs - fromMs)) * plotW;
  const y = (v: number): number => margin.top + plotH - ((v - yMin) / (yMax - yMin)) * plotH;
  const decimals = Math.max(options.yDecimals ?? 0, decimalsFor(yTicks));

  const parts: string[] = [open];
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#999" stroke-width="0.8"/>`,
  );
  for (const tick of yTicks.filter((v) => v >= yMin && v <= yMax)) {
    const ty = r1(y(tick));
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${ty}" y2="${ty}" stroke="#e3e3e3" stroke-width="0.6"/>`,
      `<text x="${margin.left - 5}" y="${ty + 3.5}" text-anchor="end" fill="#333">${formatNumber(tick, decimals)}</text>`,
    );
  }
  for (const tick of timeTicks(fromMs, toMs, Math.max(2, Math.floor(plotW / 80)))) {
    const tx = r1(x(tick.atMs));
    parts.push(
      `<line x1="${tx}" x2="${tx}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#eee" stroke-width="0.6"/>`,
      `<line x1="${tx}" x2="${tx}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="#666"/>`,
      `<text x="${tx}" y="${margin.top + plotH + 15}" text-anchor="middle" fill="#333">${escapeHtml(tick.label)}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(11 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escapeHtml(options.yLabel)}</text>`,
  );

  const legend: string[] = [];
  let legendY = margin.top + 8;
  for (const ref of references) {
    const ry = r1(y(ref.value));
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${ry}" y2="${ry}" stroke="${ref.color}" stroke-width="1.4" stroke-dasharray="${ref.dash}"/>`,
    );
    legend.push(
      `<line x1="${width - margin.right + 8}" x2="${width - margin.right + 26}" y1="${legendY}" y2="${legendY}" stroke="${ref.color}" stroke-width="1.4" stroke-dasharray="${ref.dash}"/>`,
      `<text x="${width - margin.right + 30}" y="${legendY + 3.5}" fill="#222">${escapeHtml(ref.label)}</text>`,
    );
    legendY += 14;
  }
  for (const series of options.series) {
    for (const run of runsOf(series.points)) {
      const d = run.map((p, i) => `${i === 0 ? 'M' : 'L'}${r1(x(p.atMs))} ${r1(y(p.value))}`);
      parts.push(
        `<path d="${d.join('')}" fill="none" stroke="${series.color}" stroke-width="1.8"${series.dash === undefined ? '' : ` stroke-dasharray="${series.dash}"`}/>`,
      );
      for (const p of run) parts.push(markSvg(series, r1(x(p.atMs)), r1(y(p.value))));
    }
    legend.push(
      `<line x1="${width - margin.right + 8}" x2="${width - margin.right + 26}" y1="${legendY}" y2="${legendY}" stroke="${series.color}" stroke-width="1.8"${series.dash === undefined ? '' : ` stroke-dasharray="${series.dash}"`}/>`,
      markSvg(series, width - margin.right + 17, legendY),
      `<text x="${width - margin.right + 30}" y="${legendY + 3.5}" fill="#222">${escapeHtml(series.label)}</text>`,
    );
    legendY += 14;
  }
  parts.push(...legend, '</svg>');
  return parts.join('');
}

function markSvg(series: ChartSeries, cx: number, cy: number): string {
  return series.mark === 'circle'
    ? `<circle cx="${cx}" cy="${cy}" r="2.6" fill="${series.color}"/>`
    : `<rect x="${r1(cx - 2.4)}" y="${r1(cy - 2.4)}" width="4.8" height="4.8" fill="${series.color}"/>`;
}

/** The unbroken stretches of a series (a null value ends one). */
function runsOf(points: ChartSeries['points']): Array<Array<{ atMs: number; value: number }>> {
  const runs: Array<Array<{ atMs: number; value: number }>> = [];
  let current: Array<{ atMs: number; value: number }> = [];
  for (const p of points) {
    if (p.value === null || !Number.isFinite(p.value)) {
      if (current.length > 0) runs.push(current);
      current = [];
    } else {
      current.push({ atMs: p.atMs, value: p.value });
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/** The fewest decimals (up to 4) that print every tick exactly: 0.25 needs 2, 0.5 needs 1. */
function decimalsFor(ticks: readonly number[]): number {
  for (let d = 0; d < 4; d += 1) {
    if (ticks.every((t) => Math.abs(Number(t.toFixed(d)) - t) < 1e-9)) return d;
  }
  return 4;
}

function r1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Round tick values (1, 2 or 5 times a power of ten) covering [min, max], about `count`.
 * Algorithm: Heckbert, "Nice numbers for graph labels", Graphics Gems (1990).
 */
export function niceTicks(min: number, max: number, count: number): number[] {
  const span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) return [min];
  const rough = span / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last && ticks.length < 50; i += 1) {
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return ticks;
}

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/**
 * Date ticks (UTC) across [fromMs, toMs], at most about `maxTicks`: whole hours, days, weeks or
 * months, labelled with the ISO date (and the hour when steps are shorter than a day).
 */
export function timeTicks(
  fromMs: number,
  toMs: number,
  maxTicks: number,
): Array<{ atMs: number; label: string }> {
  const span = toMs - fromMs;
  const fixedSteps = [1, 3, 6, 12]
    .map((h) => h * hourMs)
    .concat([1, 2, 7, 14].map((d) => d * dayMs));
  const fixed = fixedSteps.find((s) => span / s <= maxTicks);
  const ticks: Array<{ atMs: number; label: string }> = [];
  if (fixed !== undefined) {
    const first = Math.ceil(fromMs / fixed) * fixed;
    for (let t = first; t <= toMs; t += fixed) {
      const iso = new Date(t).toISOString();
      ticks.push({
        atMs: t,
        label: fixed < dayMs ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10),
      });
    }
    return ticks;
  }
  const months =
    [1, 2, 3, 6, 12, 24, 60].find((m) => span / (m * 30.44 * dayMs) <= maxTicks) ?? 120;
  // Month indexes counted from year 0, so a step of 3 months lands on quarters.
  const start = new Date(fromMs);
  let index = start.getUTCFullYear() * 12 + start.getUTCMonth();
  if (Date.UTC(Math.floor(index / 12), index % 12, 1) < fromMs) index += 1;
  index = Math.ceil(index / months) * months;
  for (; ticks.length <= 100; index += months) {
    const t = Date.UTC(Math.floor(index / 12), index % 12, 1);
    if (t > toMs) break;
    ticks.push({ atMs: t, label: new Date(t).toISOString().slice(0, 10) });
  }
  return ticks;
}
