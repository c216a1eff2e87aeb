import { afterAll, describe, expect, it } from 'vitest';
import { BAND_NAMES, type BandName, type PixelSeries } from '../types.ts';
import { classifiablePixels, type FeatureSelection } from './classifiable-pixels.ts';
import { classifiablePixelsOffThread, closeFeaturesPool } from './features-pool.ts';
import { defaultSeasonFeatureSpec } from './season-features.ts';

const bandNames: readonly BandName[] = BAND_NAMES;

afterAll(() => closeFeaturesPool());

/**
 * Forty pixels over a season of 24 dates: pixel 3 is never clear, pixel 5 only in two months,
 * pixels 10-14 lie mostly outside the parcel.
 */
function season(): { series: PixelSeries; fractions: Float32Array } {
  const pixelCount = 40;
  const dates = Array.from({ length: 24 }, (_, d) => new Date(Date.UTC(2017, 9, 5 + d * 17)));
  const bands = Object.fromEntries(
    bandNames.map((band, b) => {
      const data = new Float32Array(dates.length * pixelCount);
      for (let d = 0; d < dates.length; d++)
        for (let p = 0; p < pixelCount; p++) {
          const clear = p !== 3 && (p !== 5 || d < 3) && (d + p) % 7 !== 0;
          data[d * pixelCount + p] = clear ? 0.02 + ((d * 5 + p * 3 + b) % 17) / 40 : Number.NaN;
        }
      return [band, data];
    }),
  ) as Record<BandName, Float32Array>;
  const fractions = new Float32Array(pixelCount).map((_, p) => (p >= 10 && p < 15 ? 0.3 : 1));
  return {
    series: { dates, sceneIds: dates.map((_, d) => `s${d}`), pixelCount, bands },
    fractions,
  };
}

const selection: FeatureSelection = {
  spec: defaultSeasonFeatureSpec,
  harvestYear: 2018,
  minFraction: 0.5,
  minClearPeriods: 4,
};

describe('classifiablePixels', () => {
  it('keeps the pixels inside the parcel with enough clear months, with their features', () => {
    const { series, fractions } = season();
    const { keep, rows, featureCount } = classifiablePixels(series, fractions, selection);
    expect(featureCount).toBe(8 * 14);
    const kept = [...keep];
    expect(kept).not.toContain(3);
    expect(kept).not.toContain(5);
    for (let p = 10; p < 15; p++) expect(kept).not.toContain(p);
    expect(kept).toHaveLength(40 - 1 - 1 - 5);
    expect(rows).toHaveLength(kept.length * featureCount);
    expect(rows.every(Number.isFinite)).toBe(true);
  });
});

describe('classifiablePixelsOffThread', () => {
  it('gives what the same call gives on this thread, and takes the bands with it', async () => {
    const here = classifiablePixels(season().series, season().fractions, selection);
    const { series, fractions } = season();
    const there = await classifiablePixelsOffThread(series, fractions, selection);
    expect([...there.keep]).toEqual([...here.keep]);
    expect([...there.rows]).toEqual([...here.rows]);
    // The bands went to the worker without a copy: they are empty here now.
    expect(series.bands.red.length).toBe(0);
  });

  it('runs many parcels at once, each answered with its own pixels', async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => {
      const { series, fractions } = season();
      fractions.fill(i % 2 === 0 ? 1 : 0.2); // odd parcels: nothing inside enough
      return classifiablePixelsOffThread(series, fractions, selection);
    });
    const answers = await Promise.all(jobs);
    answers.forEach((answer, i) => expect(answer.keep.length > 0).toBe(i % 2 === 0));
  });

  it('rejects a bad feature spec with its reason, and the pool goes on', async () => {
    const { series, fractions } = season();
    await expect(
      classifiablePixelsOffThread(series, fractions, {
        ...selection,
        spec: { ...defaultSeasonFeatureSpec, periodCount: 0 },
      }),
    ).rejects.toThrow(/periodCount 0 out of range/);
    const again = season();
    const answer = await classifiablePixelsOffThread(again.series, again.fractions, selection);
    expect(answer.keep.length).toBeGreaterThan(0);
  });
});
