import { describe, expect, it } from 'vitest';
import { parseLabelledParcels } from './labelled-parcels.ts';

const square = {
  type: 'Polygon',
  coordinates: [
    [
      [3.02, 50.81],
      [3.021, 50.81],
      [3.021, 50.811],
      [3.02, 50.811],
      [3.02, 50.81],
    ],
  ],
};

describe('parseLabelledParcels', () => {
  it('keeps labelled parcels and reports every skipped one with its reason', () => {
    const result = parseLabelledParcels(
      {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: square,
            properties: { parcel_id: 'a', crop_code: 1200, crop_name: 'Maize' },
          },
          {
            type: 'Feature',
            geometry: square,
            properties: { parcel_id: 'b', crop_code: null, label_withheld: true },
          },
          { type: 'Feature', geometry: square, properties: { parcel_id: 'c', crop_code: '1200' } },
          {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [3, 50] },
            properties: { parcel_id: 'd', crop_code: 9120 },
          },
        ],
      },
      'parcels.geojson',
    );
    expect(result.parcels.map((p) => [p.id, p.cropCode, p.cropName])).toEqual([
      ['a', 1200, 'Maize'],
    ]);
    expect(result.skipped.map((s) => s.id)).toEqual(['b', 'c', 'd']);
    expect(result.skipped[0]?.reason).toMatch(/withheld/);
    expect(result.skipped[1]?.reason).toMatch(/crop_code "1200" is not a positive integer/);
    expect(result.skipped[2]?.reason).toMatch(/parcel d/);
  });

  it('rejects a document that is not a FeatureCollection', () => {
    expect(() => parseLabelledParcels({ type: 'Feature' }, 'x.geojson')).toThrow(
      /x.geojson: expected a GeoJSON FeatureCollection/,
    );
  });
});
