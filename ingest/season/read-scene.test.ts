/**
 * `readSceneOverParcels` (block by block, pixels gathered per COG block) against an oracle built
 * on `OpenCog.readWindow` (geotiff.js's tile reader over each whole image), on the real Sentinel-2
 * scenes of ../shared/data/sentinel2: skipped, with a message, when that folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MultiPolygon, Polygon } from '../../geo/index.ts';
import { DEFAULT_EXCLUDED_SCL_CLASSES, sclExclusionTable } from '../mask/scl-mask.ts';
import { loadStac } from '../stac/load-stac.ts';
import { openCog } from '../tile/open-cog.ts';
import { BAND_NAMES, type AssetKey, type SceneItem } from '../types.ts';
import { itemGrid } from './item-grid.ts';
import { parcelPixels, type ParcelPixels } from './parcel-pixels.ts';
import { readSceneOverParcels, type ScenePlans } from './read-scene.ts';

const DATA = resolve(import.meta.dirname, '../../../shared/data/sentinel2');
const SEASON = join(DATA, 'flanders-2019');
const hasData = existsSync(join(SEASON, 'catalog.json'));
if (!hasData) {
  console.warn(`skipping block-reader oracle tests: ${SEASON} (../shared/data) is absent`);
}

const ASSETS: readonly AssetKey[] = [...BAND_NAMES, 'scl'];

/** Each parcel pixel's value per band, read the old way: whole-image windows, pixel lookups. */
async function oracle(
  item: SceneItem,
  parcels: readonly ParcelPixels[],
  excludedScl: Uint8Array,
): Promise<{ values: number[][][]; clear: number[] }> {
  const grid = await itemGrid(item);
  const images = await Promise.all(
    ASSETS.map(async (key) => {
      const asset = item.assets[key];
      if (asset === undefined) throw new Error(`asset ${key} missing`);
      const cog = await openCog(asset.href);
      try {
        const { width, height } = cog.grid;
        const data = await cog.readWindow({ col0: 0, row0: 0, cols: width, rows: height });
        const ratio = cog.grid.pixelWidth / grid.transform[0];
        const shiftX = (grid.transform[2] - cog.grid.originX) / grid.transform[0];
        const shiftY = (cog.grid.originY - grid.transform[5]) / -grid.transform[4];
        return {
          asset,
          at: (row: number, col: number): number =>
            data[Math.floor((row + shiftY) / ratio) * width + Math.floor((col + shiftX) / ratio)] ??
            NaN,
        };
      } finally {
        await cog.close();
      }
    }),
  );
  const clear: number[] = [];
  const values = parcels.map((parcel) => {
    const out = BAND_NAMES.map(() => new Array<number>(parcel.rows.length).fill(NaN));
    let count = 0;
    for (let k = 0; k < parcel.rows.length; k++) {
      const row = parcel.rows[k] ?? 0;
      const col = parcel.cols[k] ?? 0;
      const dns = images.map(({ at }) => at(row, col));
      const scl = dns[ASSETS.length - 1] ?? NaN;
      const ok = excludedScl[scl] === 0 && images.every(({ asset }, b) => dns[b] !== asset.nodata);
      if (!ok) continue;
      count++;
      BAND_NAMES.forEach((_, b) => {
        const { asset } = images[b] ?? { asset: { scale: NaN, offset: NaN } };
        (out[b] as number[])[k] = Math.fround((dns[b] ?? NaN) * asset.scale + asset.offset);
      });
    }
    clear.push(count);
    return out;
  });
  return { values, clear };
}

describe.skipIf(!hasData)('readSceneOverParcels on Flanders 2019 (real data)', () => {
  it('gives exactly the pixels of whole-image window reads, for every band of every parcel', async () => {
    const { items } = await loadStac(join(SEASON, 'catalog.json'));
    const json = JSON.parse(readFileSync(join(SEASON, 'labels', 'parcels.geojson'), 'utf8')) as {
      features: { properties: Record<string, unknown>; geometry: Polygon | MultiPolygon }[];
    };
    const excludedScl = sclExclusionTable(DEFAULT_EXCLUDED_SCL_CLASSES);
    let clearSeen = 0;
    let maskedSeen = 0;
    // One plan for the three scenes (one grid, the same parcels), reused as readParcelSeason does.
    const plans: ScenePlans = new Map();
    const parcelsByGrid = new Map<string, ParcelPixels[]>();
    // Early, mid and late season: clouded and clear scenes alike.
    for (const item of [items[0], items[Math.floor(items.length / 2)], items.at(-1)]) {
      if (item === undefined) continue;
      const grid = await itemGrid(item);
      const gridKey = JSON.stringify(grid);
      const parcels =
        parcelsByGrid.get(gridKey) ??
        json.features
          .map((feature, k) =>
            parcelPixels(
              grid,
              { id: String(feature.properties['parcel_id'] ?? k), geometry: feature.geometry },
              10,
            ),
          )
          .filter((parcel): parcel is ParcelPixels => parcel !== null);
      parcelsByGrid.set(gridKey, parcels);
      expect(parcels.length).toBeGreaterThan(5);
      const read = await readSceneOverParcels(item, grid, { colOffset: 0, rowOffset: 0 }, parcels, {
        excludedScl,
        blockConcurrency: 3,
        plans,
      });
      const expected = await oracle(item, parcels, excludedScl);
      expect(read.clearPixels).toEqual(expected.clear);
      read.clearPixels.forEach((clear, i) => {
        clearSeen += clear;
        maskedSeen += (parcels[i]?.rows.length ?? 0) - clear;
      });
      read.values.forEach((bands, i) => {
        bands.forEach((band, b) => {
          expect([...band], `${item.id} parcel ${i} band ${BAND_NAMES[b]}`).toEqual(
            expected.values[i]?.[b],
          );
        });
      });
    }
    expect(plans.size).toBe(parcelsByGrid.size);
    expect(plans.size).toBeLessThan(3); // at least one plan served two scenes
    // Both branches of the mask were compared.
    expect(clearSeen).toBeGreaterThan(0);
    expect(maskedSeen).toBeGreaterThan(0);
  });
});
