import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { CropSignatures } from '../simulate/crop-signatures.ts';
import { expectedNdvi, harvestWindowStart } from './crop-calendar.ts';
import { detectMarkers, type NdviPoint } from './detect-markers.ts';

const signatures = JSON.parse(
  await readFile(new URL('../../fixtures/sentinel2/crop-signatures.json', import.meta.url), 'utf8'),
) as CropSignatures;

/** Every 10 days of 2019, each on the crop's expected curve, with `change` applied. */
function season(cropCode: number, change: (date: Date, ndvi: number) => number = (_, v) => v) {
  const points: NdviPoint[] = [];
  for (let t = Date.UTC(2019, 0, 5); t < Date.UTC(2019, 11, 1); t += 10 * 86_400_000) {
    const date = new Date(t);
    const ndvi = expectedNdvi(signatures, cropCode, date) ?? Number.NaN;
    points.push({ date, sceneId: `S${date.toISOString().slice(0, 10)}`, mean: change(date, ndvi) });
  }
  return points;
}

const between = (date: Date, from: string, to: string) =>
  date >= new Date(from) && date < new Date(to);

describe('expectedNdvi and the harvest windows', () => {
  it('follows the crops of the signatures through the year', () => {
    expect(expectedNdvi(signatures, 1200, new Date('2019-08-10'))).toBeGreaterThan(0.7);
    expect(expectedNdvi(signatures, 1200, new Date('2019-05-15'))).toBeLessThan(0.5);
    expect(expectedNdvi(signatures, 1510, new Date('2019-05-15'))).toBeGreaterThan(0.8);
    expect(expectedNdvi(signatures, 4242, new Date('2019-05-15'))).toBeNull();
  });

  it('opens the harvest of winter barley before that of wheat, and has none for grassland', () => {
    expect(harvestWindowStart(1510, 2019)?.toISOString()).toBe('2019-06-15T00:00:00.000Z');
    expect(harvestWindowStart(1110, 2019)?.toISOString()).toBe('2019-07-10T00:00:00.000Z');
    expect(harvestWindowStart(9120, 2019)).toBeNull();
    expect(harvestWindowStart(4242, 2019)).toBeNull();
  });
});

describe('detectMarkers', () => {
  it('raises nothing for crops that follow their season, harvest included', () => {
    for (const code of [1110, 1200, 1510, 8100, 9120])
      expect(detectMarkers(season(code), code, 2019, signatures)).toEqual([]);
  });

  it('marks winter wheat cut in May as an early harvest (and a vegetation loss)', () => {
    const series = season(1110, (date, v) =>
      between(date, '2019-05-20', '2019-12-01') ? 0.18 : v,
    );
    const markers = detectMarkers(series, 1110, 2019, signatures);
    const early = markers.find((m) => m.type === 'early_harvest');
    expect(early?.date.toISOString().slice(0, 10)).toBe('2019-05-25');
    expect(early?.reason).toMatch(
      /bare soil \(NDVI 0\.18\) on 2019-05-25, before crop 1110's harvest window opens on 2019-07-10/,
    );
    expect(markers.filter((m) => m.type === 'vegetation_loss')).toHaveLength(1);
  });

  it('marks a lasting NDVI drop of grassland as a vegetation loss, not a single hazy date', () => {
    const lasting = season(9120, (date, v) =>
      between(date, '2019-06-01', '2019-08-01') ? 0.3 : v,
    );
    const markers = detectMarkers(lasting, 9120, 2019, signatures);
    expect(markers.map((m) => [m.type, m.date.toISOString().slice(0, 10)])).toEqual([
      ['vegetation_loss', '2019-06-04'],
    ]);
    expect(markers[0]?.reason).toMatch(
      /NDVI fell from 0\.\d\d on 2019-05-25 to 0\.30 on 2019-06-04/,
    );
    const hazy = season(9120, (date, v) => (between(date, '2019-06-04', '2019-06-05') ? 0.3 : v));
    expect(detectMarkers(hazy, 9120, 2019, signatures)).toEqual([]);
  });

  it('leaves crops without a signature unmarked', () => {
    expect(detectMarkers(season(1110), 4242, 2019, signatures)).toEqual([]);
  });
});
