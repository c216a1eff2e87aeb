import { describe, expect, it } from 'vitest';
import { toLngLat, type Polygon, type TileGrid } from '../../geo/index.ts';
import type { CropSignatures } from './crop-signatures.ts';
import { dayOfYear, signatureOn } from './crop-signatures.ts';
import { createSceneSimulator } from './simulate-scene.ts';

const bands = ['blue', 'green', 'red', 'nir'] as const;
const signatures: CropSignatures = {
  description: 'test',
  derivedFrom: ['hand-made'],
  bands: [...bands],
  sampleDays: [1, 182],
  crops: {
    '1200': {
      name: 'Maize',
      parcels: 1,
      pixelDates: 1,
      mean: [
        [0.05, 0.07, 0.08, 0.2],
        [0.03, 0.06, 0.03, 0.45],
      ],
      sd: [
        [0.01, 0.01, 0.01, 0.02],
        [0.01, 0.01, 0.01, 0.02],
      ],
    },
    '3300': {
      name: 'Grassland',
      parcels: 1,
      pixelDates: 1,
      mean: [
        [0.04, 0.06, 0.05, 0.3],
        [0.04, 0.06, 0.05, 0.3],
      ],
      sd: [
        [0.005, 0.005, 0.005, 0.01],
        [0.005, 0.005, 0.005, 0.01],
      ],
    },
  },
};

const grid: TileGrid = {
  epsg: 32631,
  transform: [10, 0, 500000, 0, -10, 5630000],
  width: 40,
  height: 40,
};

function square(col0: number, row0: number, size: number): Polygon {
  const corner = (c: number, r: number) => toLngLat(32631, [500000 + c * 10, 5630000 - r * 10]);
  return {
    type: 'Polygon',
    coordinates: [
      [
        corner(col0, row0),
        corner(col0, row0 + size),
        corner(col0 + size, row0 + size),
        corner(col0 + size, row0),
        corner(col0, row0),
      ],
    ],
  };
}

describe('signatureOn', () => {
  it('interpolates between sample days and across the new year', () => {
    expect(signatureOn(signatures, '1200', 182).mean[3]).toBeCloseTo(0.45, 6);
    expect(signatureOn(signatures, '1200', 91).mean[3]).toBeCloseTo(0.2 + (0.25 * 90) / 181, 4);
    expect(signatureOn(signatures, '1200', 300).mean[3]).toBeCloseTo(0.45 - (0.25 * 118) / 185, 4);
    expect(() => signatureOn(signatures, '9999', 1)).toThrow('crop code 9999 has no signature');
  });

  it('counts days of the year from 1 January', () => {
    expect(dayOfYear(new Date('2018-01-01T10:00:00Z'))).toBe(1);
    expect(dayOfYear(new Date('2018-07-01T10:00:00Z'))).toBe(182);
  });
});

describe('createSceneSimulator', () => {
  const simulator = createSceneSimulator({
    grid,
    parcels: [{ cropCode: 1200, geometry: square(5, 5, 20) }],
    signatures,
    backgroundCropCode: '3300',
    seed: 1,
  });

  it('labels the pixels of each parcel', () => {
    let inside = 0;
    for (const label of simulator.labels) if (label === 1) inside++;
    expect(inside).toBe(400);
  });

  it("draws a clear parcel's pixels around its crop's signature for the day", () => {
    const scene = simulator.simulate(new Date('2018-07-01T10:00:00Z'), {
      cloudFraction: 0,
      seed: 5,
    });
    const nir = scene.band10('nir');
    const values: number[] = [];
    simulator.labels.forEach((label, i) => label === 1 && values.push((nir[i] ?? 0) / 10_000));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.4);
    expect(mean).toBeLessThan(0.5);
    expect(Array.from(scene.scl20()).every((c) => c === 4 || c === 5)).toBe(true);
    expect(scene.band20('red')).toHaveLength(400);
  });

  it('covers about the asked share of the scene with cloud and marks it in SCL', () => {
    const scene = simulator.simulate(new Date('2018-07-01T10:00:00Z'), {
      cloudFraction: 0.3,
      seed: 9,
    });
    const scl = scene.scl20();
    const clouded = Array.from(scl).filter((c) => c === 9).length / scl.length;
    expect(clouded).toBeGreaterThanOrEqual(0.3);
    expect(clouded).toBeLessThan(0.75);
    expect(Array.from(scl).some((c) => c === 3)).toBe(true);
    const again = simulator.simulate(new Date('2018-07-01T10:00:00Z'), {
      cloudFraction: 0.3,
      seed: 9,
    });
    expect(again.band10('blue')).toEqual(scene.band10('blue'));
  });
});
