/**
 * Behaviour on the real Sentinel-2 L2A seasons in ../shared/data/sentinel2 (see their README.md):
 * skipped, with a message, when that folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MultiPolygon, Polygon } from '../../geo/index.ts';
import { loadStac } from '../stac/load-stac.ts';
import type { ParcelInput, ParcelSeason } from '../types.ts';
import { readParcelSeason } from './read-parcel-season.ts';

const DATA = resolve(import.meta.dirname, '../../../shared/data/sentinel2');
const hasData = existsSync(join(DATA, 'flanders-2018', 'catalog.json'));
if (!hasData) {
  console.warn(`skipping Flanders season tests: ${DATA} (../shared/data/sentinel2) is absent`);
}

interface Feature {
  id?: string;
  properties: Record<string, unknown>;
  geometry: Polygon | MultiPolygon;
}

function readParcels(season: string, file: string): ParcelInput[] {
  const json = JSON.parse(readFileSync(join(DATA, season, 'labels', file), 'utf8')) as {
    features: Feature[];
  };
  return json.features.map((feature, k) => ({
    id: String(feature.properties['parcel_id'] ?? feature.id ?? k),
    geometry: feature.geometry,
  }));
}

/** Parcel-mean NDVI per date over clear pixels, NaN without any. */
function meanNdvi(season: ParcelSeason): number[] {
  const { pixelCount, bands, dates } = season.series;
  return dates.map((_, d) => {
    let sum = 0;
    let n = 0;
    for (let p = 0; p < pixelCount; p++) {
      const red = bands.red[d * pixelCount + p] ?? NaN;
      const nir = bands.nir[d * pixelCount + p] ?? NaN;
      if (Number.isNaN(red) || Number.isNaN(nir)) continue;
      sum += (nir - red) / (nir + red);
      n++;
    }
    return n === 0 ? NaN : sum / n;
  });
}

describe.skipIf(!hasData)('readParcelSeason on Flanders 2018 (real data)', () => {
  it('reads the reference maize parcel over all 108 scenes with sensible clear counts and NDVI', async () => {
    const { items } = await loadStac(join(DATA, 'flanders-2018', 'catalog.json'));
    const [reference] = readParcels('flanders-2018', 'reference_parcel.geojson');
    if (reference === undefined) throw new Error('reference_parcel.geojson has no feature');
    const started = performance.now();
    const { parcels, failures, parcelsOutside } = await readParcelSeason(items, [reference], {
      bufferM: 10,
    });
    const elapsedMs = performance.now() - started;
    console.info(`108 scenes x reference parcel read in ${elapsedMs.toFixed(0)} ms`);
    expect(failures).toEqual([]);
    expect(parcelsOutside).toEqual([]);
    const season = parcels[0] as ParcelSeason;
    expect(season.epsg).toBe(32631);
    expect(season.transform).toEqual([10, 0, 501360, 0, -10, 5629680]);
    // Ellipsoidal area of the LPIS polygon; the README's 25 215.5 m² is planar UTM.
    expect(Math.abs(season.areaM2 - 25_215.5) / 25_215.5).toBeLessThan(0.002);
    expect(season.observations).toHaveLength(108);
    expect(season.series.dates).toHaveLength(108);
    expect(season.series.bands.swir22).toHaveLength(108 * season.series.pixelCount);

    // The README: 24 dates >= 95 % clear and 42 >= 95 % cloud over the 640 m window.
    const clearDates = season.observations.filter((o) => o.clearPixels > 0).length;
    const fullyClear = season.observations.filter((o) => o.clearPixels === o.totalPixels).length;
    expect(clearDates).toBeGreaterThanOrEqual(40);
    expect(clearDates).toBeLessThanOrEqual(80);
    expect(fullyClear).toBeGreaterThanOrEqual(24);
    for (const o of season.observations) expect(o.clearPixels).toBeLessThanOrEqual(o.totalPixels);

    const ndvi = meanNdvi(season);
    const at = (day: string): number =>
      ndvi[season.series.dates.findIndex((d) => d.toISOString().startsWith(day))] ?? NaN;
    // Bare soil after sowing, then the maize peak (README: 0.24 on 2018-05-26, 0.79 on 2018-07-18).
    expect(at('2018-05-26')).toBeLessThan(0.3);
    expect(at('2018-07-18')).toBeGreaterThan(0.75);
    const summer = season.series.dates
      .map((date, d) => ({ month: date.getUTCMonth() + 1, value: ndvi[d] ?? NaN }))
      .filter(({ month, value }) => month >= 7 && month <= 8 && !Number.isNaN(value));
    expect(summer.length).toBeGreaterThanOrEqual(10);
    expect(summer.reduce((sum, { value }) => sum + value, 0) / summer.length).toBeGreaterThan(0.6);
    // Reflectances are reflectances: DN x 0.0001, no offset before baseline 04.00.
    // (SCL 7 "unclassified", kept by default, lets a few bright cloud-edge pixels through.)
    const nir = season.series.bands.nir.filter((v) => !Number.isNaN(v));
    expect(Math.min(...nir)).toBeGreaterThan(0);
    expect(nir.filter((v) => v > 1).length / nir.length).toBeLessThan(0.01);
  });

  it('covers the reference parcel with its planar area in pixel fractions when unbuffered', async () => {
    const { items } = await loadStac(join(DATA, 'flanders-2018', 'catalog.json'), {
      from: new Date('2018-07-18T00:00:00Z'),
      to: new Date('2018-07-18T23:59:59Z'),
    });
    const [reference] = readParcels('flanders-2018', 'reference_parcel.geojson');
    if (reference === undefined) throw new Error('reference_parcel.geojson has no feature');
    const { parcels } = await readParcelSeason(items, [reference]);
    const season = parcels[0] as ParcelSeason;
    const coveredM2 = season.fractions.reduce((sum, f) => sum + f, 0) * 100;
    expect(coveredM2).toBeCloseTo(25_215.5, -1);
    expect(season.observations[0]?.clearPixels).toBe(season.series.pixelCount);
  });
});

describe.skipIf(!hasData)('readParcelSeason on Flanders 2019 (real data)', () => {
  it('reads every labelled parcel over all 63 scenes in one pass per scene', async () => {
    const { items } = await loadStac(join(DATA, 'flanders-2019', 'catalog.json'));
    expect(items).toHaveLength(63);
    const parcels = readParcels('flanders-2019', 'parcels.geojson');
    const result = await readParcelSeason(items, parcels, { bufferM: 10 });
    expect(result.failures).toEqual([]);
    expect(result.parcelsOutside).toEqual([]);
    expect(result.parcels.map((p) => p.parcelId)).toEqual(parcels.map((p) => p.id));
    for (const season of result.parcels) {
      expect(season.observations).toHaveLength(63);
      expect(
        season.observations.some((o) => o.clearPixels > 0) || season.series.pixelCount === 0,
      ).toBe(true);
    }
  });
});
