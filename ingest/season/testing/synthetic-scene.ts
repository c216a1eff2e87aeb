import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toLngLat, type Polygon } from '../../../geo/index.ts';
import { writeTestCog } from '../../tile/testing/write-test-cog.ts';
import { BAND_NAMES, type AssetKey, type BandName } from '../../types.ts';

/** The synthetic scenes' 10 m grid: 8 x 8 px in UTM 31N (20 m bands and SCL: 4 x 4 px). */
export const SYNTHETIC_GRID = {
  epsg: 32631,
  originX: 501360,
  originY: 5629680,
  size10: 8,
} as const;

const TWENTY_M: ReadonlySet<BandName> = new Set([
  'rededge1',
  'rededge2',
  'rededge3',
  'nir08',
  'swir16',
  'swir22',
]);

const ESA_IDS: Readonly<Record<AssetKey, string>> = {
  blue: 'B02',
  green: 'B03',
  red: 'B04',
  nir: 'B08',
  rededge1: 'B05',
  rededge2: 'B06',
  rededge3: 'B07',
  nir08: 'B8A',
  swir16: 'B11',
  swir22: 'B12',
  scl: 'SCL',
};

/** Whether a band is stored at 20 m in the synthetic scenes (as in Sentinel-2). */
export function isTwentyM(band: BandName): boolean {
  return TWENTY_M.has(band);
}

/** The DN of band `b` (BAND_NAMES index) at a pixel of the band's own grid. */
export function syntheticDn(b: number, row: number, col: number): number {
  const band = BAND_NAMES[b] as BandName;
  return isTwentyM(band) ? 2000 + 100 * b + row * 4 + col : 1000 + 100 * b + row * 8 + col;
}

/** How to build one synthetic scene. */
export interface SyntheticSceneOptions {
  /** SCL class of each 20 m pixel (default 4, vegetation). */
  scl?: (row: number, col: number) => number;
  /** 10 m pixels `[row, col]` where the blue band holds DN 0 (nodata). */
  blueNodataAt?: readonly (readonly [number, number])[];
  /** Assets left out of the item. */
  omit?: readonly AssetKey[];
  /** The EPSG written into the red COG (default the grid's). */
  redCogEpsg?: number;
  /** `s2:processing_baseline`. */
  baseline?: string;
  /** Write `raster:bands` scale/offset (default true, offset 0). */
  rasterBands?: boolean;
  /** Asset keys: Earth Search (`red`) or ESA ids (`B04`). Default Earth Search. */
  keys?: 'earth-search' | 'esa';
  /** Shift the whole scene by this many 10 m pixels east (another tile on the same lattice). */
  shiftCols?: number;
  /** The item's proj:epsg (default the grid's). */
  itemEpsg?: number;
}

/**
 * Writes a synthetic Sentinel-2 scene (10 band COGs + SCL + item JSON) into `root/<id>/`, with
 * the DNs of {@link syntheticDn} so tests can check every pixel.
 *
 * @returns The item JSON's path.
 * @example
 * ```ts
 * const itemPath = await writeSyntheticScene(dir, 'S2_A', '2018-07-01T10:50:00Z');
 * ```
 */
export async function writeSyntheticScene(
  root: string,
  id: string,
  datetime: string,
  options: SyntheticSceneOptions = {},
): Promise<string> {
  const { epsg, originY, size10 } = SYNTHETIC_GRID;
  const originX = SYNTHETIC_GRID.originX + 10 * (options.shiftCols ?? 0);
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  const omit = new Set(options.omit ?? []);
  const assets: Record<string, unknown> = {};
  const keys: AssetKey[] = [...BAND_NAMES, 'scl'];
  for (const key of keys) {
    const twenty = key === 'scl' || isTwentyM(key as BandName);
    const size = twenty ? size10 / 2 : size10;
    const pixelSizeM = twenty ? 20 : 10;
    const b = BAND_NAMES.indexOf(key as BandName);
    const values = new Uint16Array(size * size);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        values[r * size + c] = key === 'scl' ? (options.scl?.(r, c) ?? 4) : syntheticDn(b, r, c);
      }
    }
    if (key === 'blue') {
      for (const [r, c] of options.blueNodataAt ?? []) values[r * size + c] = 0;
    }
    const file = `${ESA_IDS[key]}.tif`;
    await writeTestCog(join(dir, file), {
      values,
      width: size,
      height: size,
      originX,
      originY,
      pixelSizeM,
      epsg: key === 'red' ? (options.redCogEpsg ?? epsg) : epsg,
      nodata: 0,
    });
    if (omit.has(key)) continue;
    const assetKey = options.keys === 'esa' ? ESA_IDS[key] : key;
    assets[assetKey] = {
      href: `./${file}`,
      type: 'image/tiff; application=geotiff; profile=cloud-optimized',
      'proj:shape': [size, size],
      'proj:transform': [pixelSizeM, 0, originX, 0, -pixelSizeM, originY],
      ...(options.rasterBands === false
        ? {}
        : {
            'raster:bands': [
              key === 'scl'
                ? { nodata: 0, data_type: 'uint8' }
                : { nodata: 0, data_type: 'uint16', scale: 0.0001, offset: 0 },
            ],
          }),
    };
  }
  const item = {
    type: 'Feature',
    stac_version: '1.0.0',
    id,
    geometry: null,
    properties: {
      datetime,
      'proj:epsg': options.itemEpsg ?? epsg,
      ...(options.baseline === undefined ? {} : { 's2:processing_baseline': options.baseline }),
    },
    links: [],
    assets,
  };
  const path = join(dir, `${id}.json`);
  await writeFile(path, JSON.stringify(item, null, 2));
  return path;
}

/**
 * A WGS84 polygon whose corners are 10 m pixel corners of the synthetic grid: columns
 * `col0 … col1 - 1`, rows `row0 … row1 - 1`.
 */
export function pixelSquare(col0: number, row0: number, col1: number, row1: number): Polygon {
  const { epsg, originX, originY } = SYNTHETIC_GRID;
  const corner = (col: number, row: number): [number, number] =>
    toLngLat(epsg, [originX + 10 * col, originY - 10 * row]);
  return {
    type: 'Polygon',
    coordinates: [
      [
        corner(col0, row1),
        corner(col1, row1),
        corner(col1, row0),
        corner(col0, row0),
        corner(col0, row1),
      ],
    ],
  };
}
