/**
 * A simulated season with known truth for the classification tests: a 100 x 80 px (1 x 0.8 km)
 * scene in UTM 31N, 28 scenes every 15 days from October 2023 to November 2024 (harvest year
 * 2024), labelled training parcels of four crops, the test parcels below, a parcel clouded in
 * every scene, and four broken items. A small crop-type model is trained on the training parcels
 * through the training API (fitCropModel), so the tests do not depend on the default model.
 */
import { copyFile, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toLngLat, type Polygon, type TileGrid } from '../../../geo/index.ts';
import { writeCog } from '../../cog/write-cog.ts';
import { fitCropModel, readTrainingPixels } from '../../train/index.ts';
import type { CropSignatures } from '../../simulate/crop-signatures.ts';
import { createSceneSimulator, type SimulatedScene } from '../../simulate/simulate-scene.ts';
import { writeCatalog, writeSceneFiles, writeSceneItem } from '../../simulate/write-scene-item.ts';

export const SIMULATED_GRID: TileGrid = {
  epsg: 32631,
  transform: [10, 0, 500000, 0, -10, 5630000],
  width: 100,
  height: 80,
};

/** A square of `size` pixels with its upper-left corner at pixel (col0, row0) (may be fractional). */
export function pixelSquare(col0: number, row0: number, size: number): Polygon {
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

export interface SimulatedParcelSpec {
  readonly id: string;
  /** What grows there. */
  readonly cropCode: number;
  readonly geometry: Polygon;
  /** Planar area of the square, m² (pixels x 100). */
  readonly squareAreaM2: number;
}

const TRAIN_CROPS = [1110, 1200, 8100, 9120];
const slot = (k: number, j: number, size = 14, shift = 0) => ({
  geometry: pixelSquare(2 + k * 16 + shift, 2 + j * 16 + shift, size),
  squareAreaM2: size * size * 100,
});

/** Training parcels: 3 per crop in the slots of rows 0-1 (6 x 2 slots). */
export const TRAINING_PARCELS: readonly SimulatedParcelSpec[] = TRAIN_CROPS.flatMap((code, c) =>
  [0, 1, 2].map((n) => {
    const index = c * 3 + n;
    return { id: `train-${code}-${n}`, cropCode: code, ...slot(index % 6, Math.floor(index / 6)) };
  }),
);

/** Test parcels, in rows 2-4. */
export const TEST_PARCELS = {
  /** Maize, half a pixel off the grid so that edge pixels are partly inside. */
  maize: { id: 'maize', cropCode: 1200, ...slot(0, 2, 14, 0.5) },
  /** Maize, declared wheat. */
  wheatDeclaredMaize: { id: 'declared-wheat-is-maize', cropCode: 1200, ...slot(1, 2) },
  /** 3 x 3 px: one whole pixel left after a 10 m inward buffer. */
  small: { id: 'small', cropCode: 1200, ...slot(2, 2, 3) },
  /** Maize under cloud (SCL 9) in every scene. */
  clouded: { id: 'clouded', cropCode: 1200, ...slot(3, 2) },
  /** Sugar beet, nothing declared. */
  beet: { id: 'beet-undeclared', cropCode: 8100, ...slot(4, 2) },
  /** Grassland. */
  grass: { id: 'grass', cropCode: 9120, ...slot(5, 2) },
  /** Winter wheat. */
  wheat: { id: 'wheat', cropCode: 1110, ...slot(0, 3) },
} as const satisfies Record<string, SimulatedParcelSpec>;

/** The broken items and why each must fail. */
export const BROKEN_ITEMS = {
  truncated: 'S2_SIM_TRUNCATED',
  missingAsset: 'S2_SIM_MISSING_ASSET',
  wrongCrs: 'S2_SIM_WRONG_CRS',
  elsewhere: 'S2_SIM_ELSEWHERE',
} as const;

export interface SimulatedSeason {
  readonly catalogPath: string;
  readonly trainingParcelsPath: string;
  readonly modelPath: string;
  readonly modelBytes: Uint8Array;
  readonly signatures: CropSignatures;
  readonly sceneCount: number;
}

const DAY_MS = 86_400_000;

/** Writes the season, the broken items, the labelled training parcels and the model into `root`. */
export async function writeSimulatedSeason(root: string): Promise<SimulatedSeason> {
  const signatures = JSON.parse(
    await readFile(
      new URL('../../../fixtures/sentinel2/crop-signatures.json', import.meta.url),
      'utf8',
    ),
  ) as CropSignatures;
  const grid = SIMULATED_GRID;
  const all = [...TRAINING_PARCELS, ...Object.values(TEST_PARCELS)];
  const simulator = createSceneSimulator({
    grid,
    parcels: all.map((p) => ({ cropCode: p.cropCode, geometry: p.geometry })),
    signatures,
    backgroundCropCode: '9120',
    seed: 11,
  });
  // The clouded parcel's 20 m pixels: SCL 9 there in every scene.
  const cloudedIndex = all.indexOf(TEST_PARCELS.clouded) + 1;
  const width20 = Math.ceil(grid.width / 2);
  const cloudedCells = new Set<number>();
  simulator.labels.forEach((label, p) => {
    if (label === cloudedIndex) {
      const row = Math.floor(p / grid.width);
      const col = p % grid.width;
      cloudedCells.add((row >> 1) * width20 + (col >> 1));
    }
  });
  const withCloud = (scene: SimulatedScene): SimulatedScene => ({
    ...scene,
    band10: (name) => scene.band10(name),
    band20: (name) => scene.band20(name),
    scl20: () => {
      const scl = scene.scl20();
      for (const cell of cloudedCells) scl[cell] = 9;
      return scl;
    },
  });

  const itemPaths: string[] = [];
  const start = Date.UTC(2023, 9, 5, 10, 30);
  let sceneCount = 0;
  for (let k = 0; k < 28; k++) {
    const date = new Date(start + k * 15 * DAY_MS);
    const id = `S2_SIM_${date.toISOString().slice(0, 10).replaceAll('-', '')}`;
    const cloudFraction = k % 4 === 3 ? 0.3 : 0;
    const scene = withCloud(simulator.simulate(date, { cloudFraction, seed: k + 1 }));
    const folder = path.join(root, 'items', id);
    const files = await writeSceneFiles(scene, grid, folder, { tileSize: 256 });
    const itemPath = path.join(folder, `${id}.json`);
    await writeSceneItem({ itemPath, id, datetime: date, grid, files, cloudCoverPct: 0 });
    itemPaths.push(itemPath);
    sceneCount++;
  }

  // Broken items, each a copy of a good scene with one defect.
  const goodFolder = path.dirname(itemPaths[10] ?? '');
  const goodItem = JSON.parse(await readFile(itemPaths[10] ?? '', 'utf8')) as {
    assets: Record<string, { href: string }>;
    properties: Record<string, unknown>;
  };
  const broken = async (
    id: string,
    dayOffset: number,
    change: (folder: string, item: typeof goodItem) => Promise<void>,
  ): Promise<void> => {
    const folder = path.join(root, 'items', id);
    await mkdir(folder, { recursive: true });
    const item = structuredClone(goodItem) as typeof goodItem & Record<string, unknown>;
    for (const asset of Object.values(item.assets)) {
      const name = path.basename(asset.href);
      await copyFile(path.join(goodFolder, name), path.join(folder, name));
      asset.href = name;
    }
    item.id = id;
    item.properties.datetime = new Date(start + (10 * 15 + dayOffset) * DAY_MS).toISOString();
    await change(folder, item);
    const itemPath = path.join(folder, `${id}.json`);
    await writeFile(itemPath, JSON.stringify(item));
    itemPaths.push(itemPath);
  };
  await broken(BROKEN_ITEMS.truncated, 1, async (folder) => {
    const nir = path.join(folder, 'nir.tif');
    const size = (await readFile(nir)).length;
    await truncate(nir, Math.floor(size / 2));
  });
  await broken(BROKEN_ITEMS.missingAsset, 2, (_folder, item) => {
    delete item.assets.swir16;
    return Promise.resolve();
  });
  await broken(BROKEN_ITEMS.wrongCrs, 3, async (folder) => {
    const [, , originX, , , originY] = grid.transform;
    const data = new Uint16Array(grid.width * grid.height).fill(1500);
    await writeFile(
      path.join(folder, 'red.tif'),
      writeCog({ ...grid, data, epsg: 32632, originX, originY, pixelSize: 10, nodata: 0 }),
    );
  });
  await broken(BROKEN_ITEMS.elsewhere, 4, (_folder, item) => {
    // Three kilometres east: the same lattice, none of the parcels.
    for (const asset of Object.values(item.assets) as Record<string, unknown>[]) {
      const transform = asset['proj:transform'] as number[];
      transform[2] = (transform[2] ?? 0) + 3000;
    }
    return Promise.resolve();
  });

  const catalogPath = path.join(root, 'catalog.json');
  await writeCatalog({ catalogPath, id: 'simulated', description: 'simulated season', itemPaths });

  const trainingParcelsPath = path.join(root, 'training-parcels.geojson');
  await writeFile(
    trainingParcelsPath,
    JSON.stringify({
      type: 'FeatureCollection',
      features: TRAINING_PARCELS.map((p) => ({
        type: 'Feature',
        properties: {
          parcel_id: p.id,
          crop_code: p.cropCode,
          crop_name: signatures.crops[String(p.cropCode)]?.name ?? null,
        },
        geometry: p.geometry,
      })),
    }),
  );
  const pixels = await readTrainingPixels({
    seasons: [{ stac: catalogPath, parcels: trainingParcelsPath }],
  });
  const { bytes } = await fitCropModel(pixels, { repeatedSplits: 0, mlp: { epochs: 30 } });
  const modelPath = path.join(root, 'crop-type.onnx');
  await writeFile(modelPath, bytes);
  return {
    catalogPath,
    trainingParcelsPath,
    modelPath,
    modelBytes: bytes,
    signatures,
    sceneCount,
  };
}
