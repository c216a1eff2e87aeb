import { describe, expect, it } from 'vitest';
import { niceTicks, timeChartSvg, timeTicks } from './report-svg.ts';

const day = 86_400_000;

describe('niceTicks', () => {
  it('covers the range with round steps', () => {
    expect(niceTicks(0, 1, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 40, 6)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(0.93, 1.31, 6)).toEqual([0.9, 1, 1.1, 1.2, 1.3, 1.4]);
  });
});

describe('timeTicks', () => {
  it('puts month starts on a quarter and ISO dates as labels', () => {
    const from = Date.UTC(2026, 3, 1);
    const ticks = timeTicks(from, Date.UTC(2026, 6, 1), 6);
    expect(ticks.map((t) => t.label)).toEqual([
      '2026-04-01',
      '2026-05-01',
      '2026-06-01',
      '2026-07-01',
    ]);
  });

  it('uses days, or hours for a short period', () => {
    const from = Date.UTC(2026, 3, 1, 5);
    expect(timeTicks(from, from + 6 * day, 7).map((t) => t.label)).toEqual([
      '2026-04-02',
      '2026-04-03',
      '2026-04-04',
      '2026-04-05',
      '2026-04-06',
      '2026-04-07',
    ]);
    expect(timeTicks(from, from + 12 * 3_600_000, 5)[0]?.label).toBe('04-01 06:00');
  });
});

describe('timeChartSvg', () => {
  const base = {
    title: 'NDVI of <P-1>',
    fromMs: 0,
    toMs: 10 * day,
    yLabel: 'NDVI',
  };

  it('draws one path per unbroken run and a mark per point, with escaped labels', () => {
    const svg = timeChartSvg({
      ...base,
      series: [
        {
          label: 'a & b',
          color: '#000',
          mark: 'circle',
          points: [
            { atMs: 0, value: 0.2 },
            { atMs: day, value: 0.4 },
            { atMs: 2 * day, value: null },
            { atMs: 3 * day, value: 0.5 },
          ],
        },
      ],
      referenceLines: [{ label: 'pledge', value: 0.45, color: '#f00', dash: '4 2' }],
    });
    expect(svg.match(/<path d="M/g)).toHaveLength(2);
    // Three points and the legend's mark.
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain('<title>NDVI of &lt;P-1&gt;</title>');
    expect(svg).toContain('>a &amp; b<');
    expect(svg).toContain('stroke-dasharray="4 2"');
  });

  it('says when there is nothing to draw', () => {
    expect(timeChartSvg({ ...base, series: [] })).toContain('no data in the period');
  });
});
