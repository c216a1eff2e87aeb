import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStac } from '../stac/load-stac.ts';
import { serveFolder } from '../tile/testing/serve-folder.ts';
import { BAND_NAMES, type ParcelInput, type SceneItem } from '../types.ts';
import { readParcelSeason } from './read-parcel-season.ts';
import {
  isTwentyM,
  pixelSquare,
  syntheticDn,
  writeSyntheticScene,
} from './testing/synthetic-scene.ts';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pw-season-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function scene(
  id: string,
  datetime: string,
  options: Parameters<typeof writeSyntheticScene>[3] = {},
): Promise<SceneItem> {
  const path = await writeSyntheticScene(root, id, datetime, options);
  const { items, failures } = await loadStac(path);
  expect(failures).toEqual([]);
  return items[0] as SceneItem;
}

/** Parcel A: 10 m columns 2-5, rows 2-5 (16 whole pixels). */
const parcelA = { id: 'A', geometry: pixelSquare(2, 2, 6, 6) };

describe('readParcelSeason on synthetic scenes', () => {
  it('reads every pixel of every band, 20 m bands aligned onto the 10 m grid', async () => {
    const item = await scene('S2_ALIGN', '2018-07-01T10:50:00Z');
    const { parcels, failures, parcelsOutside } = await readParcelSeason([item], [parcelA]);
    expect(failures).toEqual([]);
    expect(parcelsOutside).toEqual([]);
    const season = parcels[0];
    expect(season?.series.pixelCount).toBe(16);
    expect(season?.wholePixelCount).toBe(16);
    expect(season?.epsg).toBe(32631);
    expect(season?.pixelSizeM).toBe(10);
    expect(season?.observations).toEqual([
      { sceneId: 'S2_ALIGN', date: item.datetime, clearPixels: 16, totalPixels: 16 },
    ]);
    for (let p = 0; p < 16; p++) {
      const row = season?.rows[p] ?? -1;
      const col = season?.cols[p] ?? -1;
      BAND_NAMES.forEach((band, b) => {
        const dn = isTwentyM(band)
          ? syntheticDn(b, Math.floor(row / 2), Math.floor(col / 2))
          : syntheticDn(b, row, col);
        expect(season?.series.bands[band][p]).toBeCloseTo(dn * 0.0001, 6);
      });
    }
  });

  it('masks SCL-excluded pixels and any-band nodata as NaN, and counts only clear pixels', async () => {
    // 20 m pixel (1, 1) is cloud: 10 m pixels rows 2-3, cols 2-3. Blue is nodata at (5, 5).
    const item = await scene('S2_MASK', '2018-07-02T10:50:00Z', {
      scl: (r, c) => (r === 1 && c === 1 ? 9 : 4),
      blueNodataAt: [[5, 5]],
    });
    const { parcels, blocks } = await readParcelSeason([item], [parcelA]);
    expect(blocks).toEqual({ decoded: 11, skippedMasked: 0 }); // partly clouded: all decoded
    const season = parcels[0];
    expect(season?.observations[0]?.clearPixels).toBe(16 - 4 - 1);
    for (let p = 0; p < 16; p++) {
      const row = season?.rows[p] ?? -1;
      const col = season?.cols[p] ?? -1;
      const masked = (row < 4 && col < 4) || (row === 5 && col === 5);
      for (const band of BAND_NAMES) {
        expect(Number.isNaN(season?.series.bands[band][p])).toBe(masked);
      }
    }
  });

  it('keeps a clouded scene in the series with NaN and clearPixels 0, never a zero', async () => {
    const clear = await scene('S2_C1', '2018-07-03T10:50:00Z');
    const cloudy = await scene('S2_C2', '2018-07-04T10:50:00Z', { scl: () => 9 });
    const { parcels, blocks } = await readParcelSeason([cloudy, clear], [parcelA]);
    // The clouded scene: its SCL block decoded, none of its 10 band blocks (one block each).
    expect(blocks).toEqual({ decoded: 11 + 1, skippedMasked: 10 });
    const season = parcels[0];
    expect(season?.series.sceneIds).toEqual(['S2_C1', 'S2_C2']);
    expect(season?.observations.map((o) => o.clearPixels)).toEqual([16, 0]);
    const red = season?.series.bands.red ?? new Float32Array();
    expect(red.length).toBe(32);
    expect(red.subarray(16).every(Number.isNaN)).toBe(true);
  });

  it('lets the caller choose the excluded SCL classes', async () => {
    const item = await scene('S2_SCL7', '2018-07-05T10:50:00Z', { scl: () => 7 });
    const byDefault = await readParcelSeason([item], [parcelA]);
    expect(byDefault.parcels[0]?.observations[0]?.clearPixels).toBe(16);
    const strict = await readParcelSeason([item], [parcelA], { excludedSclClasses: [0, 7, 9] });
    expect(strict.parcels[0]?.observations[0]?.clearPixels).toBe(0);
  });

  it('applies the -0.1 offset of baseline 04.00 when raster:bands gives none', async () => {
    const item = await scene('S2_B05', '2023-07-01T10:50:00Z', {
      baseline: '05.09',
      rasterBands: false,
    });
    expect(item.offsetRule).toBe('baseline_04_offset');
    const { parcels } = await readParcelSeason([item], [parcelA]);
    const row = parcels[0]?.rows[0] ?? -1;
    const col = parcels[0]?.cols[0] ?? -1;
    const red = BAND_NAMES.indexOf('red');
    expect(parcels[0]?.series.bands.red[0]).toBeCloseTo(syntheticDn(red, row, col) * 1e-4 - 0.1, 6);
  });

  it('reads items with B02-style asset keys', async () => {
    const item = await scene('S2_ESA', '2018-07-06T10:50:00Z', { keys: 'esa' });
    expect(Object.keys(item.assets).sort()).toEqual([...BAND_NAMES, 'scl'].sort());
    const { parcels, failures } = await readParcelSeason([item], [parcelA]);
    expect(failures).toEqual([]);
    expect(parcels[0]?.observations[0]?.clearPixels).toBe(16);
  });

  it('shrinks parcels by bufferM', async () => {
    const item = await scene('S2_BUF', '2018-07-07T10:50:00Z');
    const { parcels } = await readParcelSeason([item], [parcelA], { bufferM: 10 });
    const season = parcels[0];
    // A 40 m square shrunk by 10 m is a 20 m square over pixels (3..4, 3..4), give or take the
    // buffer's ±0.1 m (see geo pixelCoverage): about 4 pixels of area, slivers around them.
    const total = [...(season?.fractions ?? [])].reduce((sum, f) => sum + f, 0);
    expect(total).toBeGreaterThan(3.9);
    expect(total).toBeLessThan(4.1);
    expect(season?.wholePixelCount).toBeLessThanOrEqual(4);
    expect(Math.min(...(season?.rows ?? []))).toBeGreaterThanOrEqual(2);
    expect(Math.max(...(season?.cols ?? []))).toBeLessThanOrEqual(5);
    expect(season?.series.pixelCount).toBe(season?.rows.length);
    expect(season?.areaM2).toBeGreaterThan(1590);
    expect(season?.areaM2).toBeLessThan(1610);
  });

  it('reports each bad item with its id and reason and goes on', async () => {
    const good = await scene('S2_OK', '2018-08-01T10:50:00Z');
    const missing = await scene('S2_MISSING', '2018-08-02T10:50:00Z', { omit: ['swir22'] });
    const wrongCrs = await scene('S2_WRONGCRS', '2018-08-03T10:50:00Z', { redCogEpsg: 32632 });
    const truncated = await scene('S2_TRUNC', '2018-08-04T10:50:00Z');
    const nirPath = new URL(truncated.assets.nir?.href ?? '').pathname;
    const size = (await readFile(nirPath)).length;
    await truncate(nirPath, size - 40);
    const elsewhere = await scene('S2_ELSEWHERE', '2018-08-05T10:50:00Z', { shiftCols: 100 });
    const otherZone = await scene('S2_ZONE32', '2018-08-06T10:50:00Z', { itemEpsg: 32632 });

    const progress: string[] = [];
    const { parcels, failures } = await readParcelSeason(
      [good, missing, wrongCrs, truncated, elsewhere, otherZone],
      [parcelA],
      { onProgress: (done, total, itemId) => progress.push(`${done}/${total} ${itemId}`) },
    );
    expect(parcels[0]?.series.sceneIds).toEqual(['S2_OK']);
    const byId = Object.fromEntries(failures.map((f) => [f.itemId, f]));
    expect(byId['S2_MISSING']?.code).toBe('missing_asset');
    expect(byId['S2_MISSING']?.reason).toMatch(/swir22/);
    expect(byId['S2_WRONGCRS']?.code).toBe('crs_mismatch');
    expect(byId['S2_WRONGCRS']?.reason).toMatch(/EPSG:32632.*32631/);
    expect(byId['S2_TRUNC']?.code).toBe('truncated_cog');
    expect(byId['S2_TRUNC']?.reason).toMatch(/B08\.tif is truncated/);
    expect(byId['S2_ELSEWHERE']?.code).toBe('no_parcel_inside');
    expect(byId['S2_ELSEWHERE']?.reason).toMatch(/no parcel inside item footprint/);
    expect(byId['S2_ZONE32']?.code).toBe('grid_mismatch');
    expect(failures).toHaveLength(5);
    expect(progress).toHaveLength(6);
    expect(progress.at(-1)).toMatch(/^6\/6 /);
  });

  it('keeps the values of the scenes around a failed one in their own date slots', async () => {
    const before = await scene('S2_SLOT_A', '2018-09-01T10:50:00Z');
    const broken = await scene('S2_SLOT_B', '2018-09-02T10:50:00Z');
    await truncate(new URL(broken.assets.red?.href ?? '').pathname, 100);
    // The 20 m pixel (1, 1) clouded: 10 m rows 2-3, columns 2-3 of parcel A masked.
    const after = await scene('S2_SLOT_C', '2018-09-03T10:50:00Z', {
      scl: (row, col) => (row === 1 && col === 1 ? 9 : 4),
    });
    const { parcels, failures } = await readParcelSeason([after, broken, before], [parcelA]);
    expect(failures.map((f) => f.itemId)).toEqual(['S2_SLOT_B']);
    const season = parcels[0];
    expect(season?.series.sceneIds).toEqual(['S2_SLOT_A', 'S2_SLOT_C']);
    expect(season?.observations.map((o) => o.clearPixels)).toEqual([16, 12]);
    const n = season?.series.pixelCount ?? 0;
    expect(n).toBe(16);
    BAND_NAMES.forEach((band, b) => {
      const values = season?.series.bands[band] ?? new Float32Array();
      expect(values).toHaveLength(2 * n);
      for (let k = 0; k < n; k++) {
        const row = season?.rows[k] ?? 0;
        const col = season?.cols[k] ?? 0;
        const dn = isTwentyM(band)
          ? syntheticDn(b, Math.floor(row / 2), Math.floor(col / 2))
          : syntheticDn(b, row, col);
        const expected = Math.fround(dn * 0.0001);
        expect(values[k], `${band} date 0 pixel ${k}`).toBe(expected);
        const clouded = row >= 2 && row <= 3 && col >= 2 && col <= 3;
        expect(values[n + k], `${band} date 1 pixel ${k}`).toBe(clouded ? NaN : expected);
      }
    });
  });

  it('merges scenes of neighbouring tiles on one lattice into one season grid', async () => {
    const west = await scene('S2_WEST', '2018-09-01T10:50:00Z');
    const east = await scene('S2_EAST', '2018-09-02T10:50:00Z', { shiftCols: 8 });
    // Columns 6-9 straddle the two scenes.
    const straddling = { id: 'S', geometry: pixelSquare(6, 2, 10, 4) };
    const { parcels, failures } = await readParcelSeason([west, east], [straddling]);
    expect(failures).toEqual([]);
    expect(parcels[0]?.observations.map((o) => o.clearPixels)).toEqual([4, 4]);
    expect(parcels[0]?.series.pixelCount).toBe(8);
  });

  it('lists parcels outside every item and rejects invalid parcels with a reason', async () => {
    const item = await scene('S2_OUT', '2018-09-03T10:50:00Z');
    const far = { id: 'far', geometry: pixelSquare(500, 500, 504, 504) };
    const broken = {
      id: 'broken',
      geometry: {
        type: 'Polygon' as const,
        coordinates: [
          [
            [200, 95],
            [201, 95],
            [200, 96],
          ],
        ],
      },
    };
    const { parcels, parcelsOutside, failures } = await readParcelSeason(
      [item],
      [parcelA, far, broken as unknown as ParcelInput],
    );
    expect(parcels.map((p) => p.parcelId)).toEqual(['A']);
    expect(parcelsOutside).toEqual(['far']);
    expect(failures).toEqual([
      expect.objectContaining({ parcelId: 'broken', code: 'invalid_parcel' }),
    ]);
  });

  it('lists a parcel in the gap between two scenes of one lattice as outside', async () => {
    const west = await scene('S2_GAP_W', '2018-09-04T10:50:00Z');
    const east = await scene('S2_GAP_E', '2018-09-05T10:50:00Z', { shiftCols: 20 });
    const inGap = { id: 'gap', geometry: pixelSquare(10, 2, 14, 4) };
    const { parcels, parcelsOutside, failures } = await readParcelSeason(
      [west, east],
      [inGap, parcelA],
    );
    expect(parcelsOutside).toEqual(['gap']);
    expect(parcels.map((p) => p.parcelId)).toEqual(['A']);
    expect(failures).toEqual([
      expect.objectContaining({ itemId: 'S2_GAP_E', code: 'no_parcel_inside' }),
    ]);
  });

  it('reads remote items and COGs over HTTP range requests', async () => {
    await writeSyntheticScene(join(root, 'remote'), 'S2_REMOTE', '2018-07-08T10:50:00Z', {
      scl: (r, c) => (r === 1 && c === 1 ? 3 : 5),
    });
    await writeFile(
      join(root, 'remote', 'collection.json'),
      JSON.stringify({
        type: 'Collection',
        id: 'remote',
        links: [{ rel: 'item', href: './S2_REMOTE/S2_REMOTE.json' }],
      }),
    );
    const server = await serveFolder(join(root, 'remote'));
    try {
      const { items, failures } = await loadStac(`${server.baseUrl}collection.json`);
      expect(failures).toEqual([]);
      expect(items[0]?.assets.red?.href).toBe(`${server.baseUrl}S2_REMOTE/B04.tif`);
      const result = await readParcelSeason(items, [parcelA]);
      expect(result.failures).toEqual([]);
      expect(result.parcels[0]?.observations[0]?.clearPixels).toBe(12);
      const local = await readParcelSeason(
        (await loadStac(join(root, 'remote', 'S2_REMOTE', 'S2_REMOTE.json'))).items,
        [parcelA],
      );
      expect(result.parcels[0]?.series.bands.swir16).toEqual(local.parcels[0]?.series.bands.swir16);
      expect(server.requests.some((line) => /B04\.tif bytes=\d+-\d+/.test(line))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('stops with the signal reason when aborted', async () => {
    const item = await scene('S2_ABORT', '2018-07-09T10:50:00Z');
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(
      readParcelSeason([item], [parcelA], { signal: controller.signal }),
    ).rejects.toThrow('stop now');
  });
});
