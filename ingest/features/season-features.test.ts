import { describe, expect, it } from 'vitest';
import { BAND_NAMES, type BandName, type PixelSeries } from '../types.ts';
import {
  computeSeasonFeatures,
  defaultSeasonFeatureSpec,
  featureNamesFor,
  fillGaps,
  inferHarvestYear,
} from './season-features.ts';

const bandNames: readonly BandName[] = BAND_NAMES;

/** A series whose every band is `value(d, p, band)`. */
function makeSeries(
  dates: Date[],
  pixelCount: number,
  value: (d: number, p: number, band: BandName) => number,
): PixelSeries {
  const bands = Object.fromEntries(
    bandNames.map((band) => {
      const data = new Float32Array(dates.length * pixelCount);
      for (let d = 0; d < dates.length; d++)
        for (let p = 0; p < pixelCount; p++) data[d * pixelCount + p] = value(d, p, band);
      return [band, data];
    }),
  ) as Record<BandName, Float32Array>;
  return { dates, sceneIds: dates.map((_, i) => `s${i}`), pixelCount, bands };
}

describe('featureNamesFor', () => {
  it('names each variable per month, relative to the harvest year', () => {
    const names = featureNamesFor(defaultSeasonFeatureSpec);
    expect(names).toHaveLength(8 * 14);
    expect(names.slice(0, 4)).toEqual(['ndvi_oct-1', 'ndvi_nov-1', 'ndvi_dec-1', 'ndvi_jan']);
    expect(names[13]).toBe('ndvi_nov');
    expect(names[14]).toBe('ndwi_oct-1');
    expect(new Set(names).size).toBe(names.length);
  });

  it('rejects a bad spec', () => {
    expect(() => featureNamesFor({ firstMonth: 12, periodCount: 3, variables: ['ndvi'] })).toThrow(
      /firstMonth 12/,
    );
  });
});

describe('inferHarvestYear', () => {
  it('gives the year of the harvest for an October-to-November season', () => {
    const dates = [new Date('2017-10-03'), new Date('2018-05-01'), new Date('2018-11-27')];
    expect(inferHarvestYear(dates)).toBe(2018);
    expect(inferHarvestYear([new Date('2018-12-20')])).toBe(2019);
  });
});

describe('fillGaps', () => {
  it('interpolates inner gaps linearly and fills the edges', () => {
    const row = Float64Array.of(NaN, 1, NaN, NaN, 4, NaN);
    fillGaps(row);
    expect(Array.from(row)).toEqual([1, 1, 2, 3, 4, 4]);
  });

  it('leaves an all-NaN row alone', () => {
    const row = Float64Array.of(NaN, NaN);
    fillGaps(row);
    expect(row.every(Number.isNaN)).toBe(true);
  });
});

describe('computeSeasonFeatures', () => {
  const spec = { firstMonth: 9, periodCount: 14, variables: ['ndvi', 'red'] as const };

  it('takes the median of the clear observations of a month and fills cloudy months', () => {
    // Three dates in May 2018 for pixel 0: red 0.1, 0.2, 0.9 (haze), nir 0.5.
    const dates = [
      new Date('2018-03-15'),
      new Date('2018-05-02'),
      new Date('2018-05-12'),
      new Date('2018-05-22'),
      new Date('2018-07-10'),
    ];
    const reds = [0.05, 0.1, 0.2, 0.9, 0.3];
    const series = makeSeries(dates, 2, (d, p, band) => {
      if (p === 1) return NaN; // pixel 1 is never clear
      if (band === 'red') return reds[d] as number;
      return 0.5;
    });
    const features = computeSeasonFeatures(series, { spec, harvestYear: 2018 });
    expect(features.featureCount).toBe(28);
    expect(features.harvestYear).toBe(2018);
    expect(features.clearPeriods[0]).toBe(3);
    expect(features.clearPeriods[1]).toBe(0);
    const red = (k: number) => features.values[0 * 28 + 14 + k] as number;
    // Months: 0 oct-1 ... 5 mar, 7 may, 9 jul.
    expect(red(7)).toBeCloseTo(0.2, 6);
    expect(red(5)).toBeCloseTo(0.05, 6);
    expect(red(6)).toBeCloseTo((0.05 + 0.2) / 2, 6); // april, interpolated
    expect(red(0)).toBeCloseTo(0.05, 6); // leading edge
    expect(red(13)).toBeCloseTo(0.3, 6); // trailing edge
    const ndvi = features.values[7] as number;
    expect(ndvi).toBeCloseTo((0.5 - 0.2) / (0.5 + 0.2), 5);
    expect(Number.isNaN(features.values[28])).toBe(true);
  });

  it('takes the mean of the middle two of an even count, clouded dates left out', () => {
    const dates = [new Date('2018-05-02'), new Date('2018-05-12'), new Date('2018-05-22')];
    const reds = [0.1, Number.NaN, 0.3];
    const series = makeSeries(dates, 1, (d, _p, band) =>
      band === 'red' ? (reds[d] as number) : 0.5,
    );
    const features = computeSeasonFeatures(series, { spec, harvestYear: 2018 });
    expect(features.values[14 + 7]).toBeCloseTo(0.2, 6);
    // NDVI is NaN where red is: the same two dates.
    expect(features.values[7]).toBeCloseTo(((0.5 - 0.1) / 0.6 + (0.5 - 0.3) / 0.8) / 2, 5);
  });

  it('ignores dates outside the season', () => {
    const series = makeSeries([new Date('2016-06-01'), new Date('2018-06-01')], 1, (d, _p, band) =>
      band === 'red' ? (d === 0 ? 0.9 : 0.1) : 0.5,
    );
    const features = computeSeasonFeatures(series, { spec, harvestYear: 2018 });
    expect(features.clearPeriods[0]).toBe(1);
    expect(features.values[14]).toBeCloseTo(0.1, 6);
  });

  it('is fast enough for a portfolio: 100 000 pixel-dates in well under a second', () => {
    const dates = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2018, 0, 1 + i * 10)));
    const series = makeSeries(dates, 4000, (d, p) => ((d * 7 + p) % 13) / 20 + 0.05);
    const started = performance.now();
    const features = computeSeasonFeatures(series);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(features.values.every(Number.isFinite)).toBe(true);
  });
});
