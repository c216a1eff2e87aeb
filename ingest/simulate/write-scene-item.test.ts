import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toLngLat, type Polygon, type TileGrid } from '../../geo/index.ts';
import { loadStac } from '../stac/load-stac.ts';
import { readParcelSeason } from '../season/read-parcel-season.ts';
import { dayOfYear, signatureOn, type CropSignatures } from './crop-signatures.ts';
import { createSceneSimulator } from './simulate-scene.ts';
import { writeCatalog, writeSceneFiles, writeSceneItem } from './write-scene-item.ts';

const signatures = JSON.parse(
  await readFile(new URL('../../fixtures/sentinel2/crop-signatures.json', import.meta.url), 'utf8'),
) as CropSignatures;

const grid: TileGrid = {
  epsg: 32631,
  transform: [10, 0, 500000, 0, -10, 5630000],
  width: 60,
  height: 50,
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

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

describe('simulated scenes as STAC items', () => {
  it('are read back by the season reader with the signature reflectance and the cloud mask', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pw-simulated-'));
    folders.push(root);
    const maize = square(10, 10, 20);
    const simulator = createSceneSimulator({
      grid,
      parcels: [{ cropCode: 1200, geometry: maize }],
      signatures,
      backgroundCropCode: '9120',
      seed: 3,
    });
    const dates = [new Date('2024-07-20T10:30:00Z'), new Date('2024-08-04T10:30:00Z')];
    const itemPaths: string[] = [];
    for (const [i, date] of dates.entries()) {
      const scene = simulator.simulate(date, { cloudFraction: i === 0 ? 0 : 1, seed: i });
      const files = await writeSceneFiles(scene, grid, path.join(root, 'items', `S${i}`));
      const itemPath = path.join(root, 'items', `S${i}`, `S${i}.json`);
      await writeSceneItem({
        itemPath,
        id: `S${i}`,
        datetime: date,
        grid,
        files,
        cloudCoverPct: i * 100,
      });
      itemPaths.push(itemPath);
    }
    await writeCatalog({
      catalogPath: path.join(root, 'catalog.json'),
      id: 'test',
      description: 'simulated',
      itemPaths,
    });

    const { items, failures } = await loadStac(path.join(root, 'catalog.json'));
    expect(failures).toEqual([]);
    expect(items.map((item) => item.id)).toEqual(['S0', 'S1']);
    const { parcels } = await readParcelSeason(items, [{ id: 'maize', geometry: maize }], {
      bufferM: 10,
    });
    const parcel = parcels[0];
    expect(parcel?.observations.map((o) => o.clearPixels > 0)).toEqual([true, false]);
    // The parcel's mean reflectance is its crop's signature for the day, give or take the
    // parcel's own deviation (0.8 sd) and pixel noise; a missed -0.1 BOA offset would be ~10 sd off.
    const expected = signatureOn(signatures, '1200', dayOfYear(dates[0] ?? new Date()));
    const pixels = parcel?.series.pixelCount ?? 0;
    for (const band of ['red', 'nir', 'swir16'] as const) {
      const values = parcel?.series.bands[band].subarray(0, pixels) ?? new Float32Array();
      const mean = values.reduce((a, b) => a + b, 0) / pixels;
      const b = signatures.bands.indexOf(band);
      expect(Math.abs(mean - (expected.mean[b] ?? 0))).toBeLessThan(3 * (expected.sd[b] ?? 0));
    }
  });
});
