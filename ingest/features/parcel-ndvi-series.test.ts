import { describe, expect, it } from 'vitest';
import type { BandName, PixelSeries } from '../types.ts';
import { parcelNdviSeries } from './parcel-ndvi-series.ts';

function series(red: number[][], nir: number[][]): PixelSeries {
  const pixelCount = red[0]?.length ?? 0;
  const flat = (rows: number[][]) => Float32Array.from(rows.flat());
  const nan = new Float32Array(red.length * pixelCount).fill(NaN);
  const bands = { red: flat(red), nir: flat(nir) } as Partial<Record<BandName, Float32Array>>;
  for (const band of [
    'blue',
    'green',
    'rededge1',
    'rededge2',
    'rededge3',
    'nir08',
    'swir16',
    'swir22',
  ] as const)
    bands[band] = nan;
  return {
    dates: red.map((_, d) => new Date(Date.UTC(2018, 4, 1 + d))),
    sceneIds: red.map((_, d) => `scene-${d}`),
    pixelCount,
    bands: bands as Record<BandName, Float32Array>,
  };
}

describe('parcelNdviSeries', () => {
  it('weights pixels by their fraction and skips masked ones', () => {
    const s = series(
      [
        [0.1, 0.3],
        [0.1, NaN],
        [NaN, NaN],
      ],
      [
        [0.5, 0.3],
        [0.5, 0.3],
        [0.5, 0.3],
      ],
    );
    const out = parcelNdviSeries(s, Float32Array.of(1, 0.5), { minClearFraction: 0 });
    expect(out).toHaveLength(2);
    const ndvi0 = (0.4 / 0.6) * 1; // pixel 0
    expect(out[0]?.mean).toBeCloseTo((ndvi0 * 1 + 0 * 0.5) / 1.5, 6);
    expect(out[0]?.clearFraction).toBeCloseTo(1, 6);
    expect(out[1]?.mean).toBeCloseTo(ndvi0, 6);
    expect(out[1]?.clearFraction).toBeCloseTo(1 / 1.5, 6);
    expect(out[1]?.sceneId).toBe('scene-1');
  });

  it('leaves out dates where too little of the parcel is clear', () => {
    const s = series([[0.1, NaN]], [[0.5, 0.5]]);
    expect(parcelNdviSeries(s, Float32Array.of(0.4, 1))).toHaveLength(0);
    expect(parcelNdviSeries(s, Float32Array.of(0.4, 1), { minClearFraction: 0.2 })).toHaveLength(1);
  });
});
