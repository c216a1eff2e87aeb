import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toLngLat, type TileGrid } from '../../geo/index.ts';
import { writeCog } from '../cog/write-cog.ts';
import type { AssetKey, BandName } from '../types.ts';
import type { SimulatedScene } from './simulate-scene.ts';

/** Sentinel-2 bands at 10 m; the rest (and SCL) are 20 m products. */
const BANDS_10M: readonly BandName[] = ['blue', 'green', 'red', 'nir'];
const BANDS_20M: readonly BandName[] = [
  'rededge1',
  'rededge2',
  'rededge3',
  'nir08',
  'swir16',
  'swir22',
];
/** The BOA offset of processing baseline 04.00 and later, in DN: what real scenes carry now. */
const BOA_OFFSET_DN = 1000;

export interface SceneFiles {
  /** Folder holding the 11 COGs; several items may share one (a benchmark's season). */
  readonly folder: string;
  /** File name per asset key, relative to `folder`. */
  readonly files: Readonly<Record<AssetKey, string>>;
}

/**
 * Writes a simulated scene's ten bands and SCL as COGs into `folder` the way Earth Search
 * publishes Sentinel-2 L2A: 10 m and 20 m products, DN = reflectance x 10 000 + 1 000 (processing
 * baseline 05.x), nodata 0.
 */
export async function writeSceneFiles(
  scene: SimulatedScene,
  grid: TileGrid,
  folder: string,
  options: { readonly tileSize?: number } = {},
): Promise<SceneFiles> {
  await mkdir(folder, { recursive: true });
  const [a, , originX, , , originY] = grid.transform;
  const files: Partial<Record<AssetKey, string>> = {};
  const write = async (
    key: AssetKey,
    data: Uint16Array | Uint8Array,
    width: number,
    size: number,
  ) => {
    const name = `${key}.tif`;
    const height = data.length / width;
    const bytes = writeCog(
      { width, height, data, epsg: grid.epsg, originX, originY, pixelSize: size, nodata: 0 },
      { tileSize: options.tileSize ?? 512 },
    );
    await writeFile(path.join(folder, name), bytes);
    files[key] = name;
  };
  for (const band of BANDS_10M) {
    await write(band, withBoaOffset(scene.band10(band)), grid.width, a);
  }
  for (const band of BANDS_20M) {
    await write(band, withBoaOffset(scene.band20(band)), scene.width20, a * 2);
  }
  await write('scl', scene.scl20(), scene.width20, a * 2);
  return { folder, files: files as Record<AssetKey, string> };
}

function withBoaOffset(dn: Uint16Array): Uint16Array {
  const out = new Uint16Array(dn.length);
  for (let i = 0; i < dn.length; i++) out[i] = Math.min(65_535, (dn[i] ?? 0) + BOA_OFFSET_DN);
  return out;
}

/**
 * A STAC Item (Earth Search v1 keys, proj and raster extensions) for scene files, written to
 * `itemPath`; asset hrefs are relative to the item's folder. Returns the item document.
 */
export async function writeSceneItem(options: {
  readonly itemPath: string;
  readonly id: string;
  readonly datetime: Date;
  readonly grid: TileGrid;
  readonly files: SceneFiles;
  readonly cloudCoverPct: number;
}): Promise<Record<string, unknown>> {
  const { grid, files } = options;
  const [a, , originX, , e, originY] = grid.transform;
  const width20 = Math.ceil(grid.width / 2);
  const height20 = Math.ceil(grid.height / 2);
  const corners = [
    [originX, originY],
    [originX + a * grid.width, originY],
    [originX + a * grid.width, originY + e * grid.height],
    [originX, originY + e * grid.height],
  ].map(([x, y]) => toLngLat(grid.epsg, [x ?? 0, y ?? 0]));
  const ring = [...corners, corners[0]];
  const lngs = corners.map((c) => c[0]);
  const lats = corners.map((c) => c[1]);
  const itemFolder = path.dirname(options.itemPath);
  const asset = (key: AssetKey) => {
    const is10 = (BANDS_10M as readonly string[]).includes(key);
    const size = is10 ? a : a * 2;
    return {
      href: path.relative(itemFolder, path.join(files.folder, files.files[key])),
      type: 'image/tiff; application=geotiff; profile=cloud-optimized',
      roles: key === 'scl' ? ['data'] : ['data', 'reflectance'],
      gsd: size,
      'proj:shape': is10 ? [grid.height, grid.width] : [height20, width20],
      'proj:transform': [size, 0, originX, 0, -size, originY],
      'raster:bands':
        key === 'scl'
          ? [{ nodata: 0, data_type: 'uint8', spatial_resolution: size }]
          : [
              {
                nodata: 0,
                data_type: 'uint16',
                spatial_resolution: size,
                scale: 0.0001,
                offset: -BOA_OFFSET_DN / 10_000,
              },
            ],
    };
  };
  const keys: AssetKey[] = [...BANDS_10M, ...BANDS_20M, 'scl'];
  const item = {
    type: 'Feature',
    stac_version: '1.0.0',
    stac_extensions: [
      'https://stac-extensions.github.io/projection/v1.1.0/schema.json',
      'https://stac-extensions.github.io/raster/v1.1.0/schema.json',
    ],
    id: options.id,
    geometry: { type: 'Polygon', coordinates: [ring] },
    bbox: [Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)],
    properties: {
      datetime: options.datetime.toISOString(),
      platform: 'sentinel-2a',
      constellation: 'sentinel-2',
      'eo:cloud_cover': options.cloudCoverPct,
      'proj:epsg': grid.epsg,
      's2:processing_baseline': '05.09',
      'pledgewatch:simulated': true,
    },
    links: [],
    assets: Object.fromEntries(keys.map((key) => [key, asset(key)])),
  };
  await mkdir(itemFolder, { recursive: true });
  await writeFile(options.itemPath, `${JSON.stringify(item, null, 1)}\n`);
  return item;
}

/** A static STAC Catalog linking the given item files (paths relative to the catalog). */
export async function writeCatalog(options: {
  readonly catalogPath: string;
  readonly id: string;
  readonly description: string;
  readonly itemPaths: readonly string[];
}): Promise<void> {
  const folder = path.dirname(options.catalogPath);
  const catalog = {
    type: 'Catalog',
    stac_version: '1.0.0',
    id: options.id,
    description: options.description,
    links: options.itemPaths.map((itemPath) => ({
      rel: 'item',
      href: `./${path.relative(folder, itemPath)}`,
      type: 'application/geo+json',
    })),
  };
  await mkdir(folder, { recursive: true });
  await writeFile(options.catalogPath, `${JSON.stringify(catalog, null, 1)}\n`);
}
