/**
 * Demo imagery: simulated Sentinel-2 L2A scenes over the demo farms, so that `npm start` on a fresh
 * machine shows crop results. Each farm gets its own small scene (its parcels plus a margin, on
 * the 10 m grid of its UTM zone) on 26 dates spread over its parcels' seasons and the 14 months
 * the classifier's features cover (September before the harvest year to October), a few of them
 * partly clouded and two overcast, written as COGs with STAC items and one static catalog in
 * `<dataDir>/demo-scenes/`. Real scenes are never copied: the simulator draws from the per-crop
 * reflectance figures in `fixtures/sentinel2/crop-signatures.json`.
 *
 * Two parcels are made to tell a story: `P-KRT-01-5` is declared maize but grass grows on it (a
 * crop mismatch), and `P-AAL-01-3` lies under a cloud on every date (cannot verify).
 *
 * Deterministic (fixed seeds, no clock): the same portfolio and signatures give the same bytes.
 * Generated only when missing or when its inputs changed (a manifest records their hash); written
 * to a temporary folder first and renamed into place, so a crash leaves no half catalog.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bboxOf, toProjected, type TileGrid } from '../../geo/index.ts';
import {
  createSceneSimulator,
  writeCatalog,
  writeSceneFiles,
  writeSceneItem,
  type BandName,
  type CropSignatures,
  type SimulatedScene,
} from '../../ingest/index.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { demoPortfolioPath } from './seed-demo-portfolio.ts';
import type { PortfolioFile } from './portfolio-file.ts';

export const cropSignaturesPath = fileURLToPath(
  new URL('../../fixtures/sentinel2/crop-signatures.json', import.meta.url),
);

/** Bump when the generator's output changes for the same inputs. */
const GENERATOR_VERSION = 1;
const DATES_PER_FARM = 26;
const MARGIN_M = 100;
/** What grows around the parcels. */
const BACKGROUND_CROP = '9120';
/** Parcels that grow something else than declared: parcel code -> simulated crop code. */
export const DEMO_MISMATCHES: Readonly<Record<string, number>> = { 'P-KRT-01-5': 9120 };
/** Parcels under a cloud on every date. */
export const DEMO_ALWAYS_CLOUDED: readonly string[] = ['P-AAL-01-3'];
/** Date index -> share of the scene under cloud; the other dates are clear. */
const CLOUDY_DATES: Readonly<Record<number, number>> = { 2: 0.5, 6: 1, 11: 0.35, 17: 0.6, 22: 1 };

export interface DemoScenesOptions {
  readonly dataDir: string;
  readonly portfolioFile?: string;
  readonly signaturesFile?: string;
  readonly logger?: Logger;
  /** Stops between scenes (rejects with its reason; nothing half-written is left in place). */
  readonly signal?: AbortSignal;
}

export interface DemoScenesResult {
  /** The STAC catalog to give the satellite job. */
  readonly catalogPath: string;
  /** False when the scenes were already there. */
  readonly generated: boolean;
  readonly items: number;
}

/** Where the demo catalog lives in a data folder. */
export function demoCatalogPath(dataDir: string): string {
  return path.join(dataDir, 'demo-scenes', 'catalog.json');
}

/**
 * Writes the demo scenes into `<dataDir>/demo-scenes/` unless they are there already (same
 * inputs). Takes a couple of seconds.
 *
 * @example const { catalogPath } = await ensureDemoScenes({ dataDir: '.data' });
 */
export async function ensureDemoScenes(options: DemoScenesOptions): Promise<DemoScenesResult> {
  const logger = options.logger ?? silentLogger;
  const portfolioText = await readFile(options.portfolioFile ?? demoPortfolioPath, 'utf8');
  const signaturesText = await readFile(options.signaturesFile ?? cropSignaturesPath, 'utf8');
  const inputHash = createHash('sha256')
    .update(`v${GENERATOR_VERSION}\n`)
    .update(portfolioText)
    .update(signaturesText)
    .digest('hex');
  const folder = path.join(options.dataDir, 'demo-scenes');
  const manifestPath = path.join(folder, 'manifest.json');
  const existing = await readJson(manifestPath);
  if (existing !== null && existing['inputHash'] === inputHash) {
    return {
      catalogPath: demoCatalogPath(options.dataDir),
      generated: false,
      items: Number(existing['items'] ?? 0),
    };
  }

  const started = Date.now();
  const portfolio = JSON.parse(portfolioText) as PortfolioFile;
  const signatures = JSON.parse(signaturesText) as CropSignatures;
  const staging = `${folder}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const itemPaths: string[] = [];
  for (const farm of portfolio.farms) {
    const parcels = portfolio.parcels.filter((p) => p.farmCode === farm.code);
    if (parcels.length === 0) continue;
    itemPaths.push(
      ...(await writeFarmScenes(staging, farm, parcels, signatures, options.signal).catch(
        async (error: unknown) => {
          await rm(staging, { recursive: true, force: true });
          throw error;
        },
      )),
    );
  }
  await writeCatalog({
    catalogPath: path.join(staging, 'catalog.json'),
    id: 'pledgewatch-demo-scenes',
    description:
      'Simulated Sentinel-2 L2A scenes over the PledgeWatch demo farms (not real imagery), drawn from fixtures/sentinel2/crop-signatures.json.',
    itemPaths,
  });
  await writeFile(
    path.join(staging, 'manifest.json'),
    `${JSON.stringify({ inputHash, generatorVersion: GENERATOR_VERSION, items: itemPaths.length }, null, 1)}\n`,
  );
  await rm(folder, { recursive: true, force: true });
  await rename(staging, folder);
  logger.info('demo scenes written', {
    folder,
    items: itemPaths.length,
    ms: Date.now() - started,
  });
  return {
    catalogPath: demoCatalogPath(options.dataDir),
    generated: true,
    items: itemPaths.length,
  };
}

type DemoFarm = PortfolioFile['farms'][number];
type DemoParcel = PortfolioFile['parcels'][number];

async function writeFarmScenes(
  root: string,
  farm: DemoFarm,
  parcels: readonly DemoParcel[],
  signatures: CropSignatures,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const grid = farmGrid(farm, parcels);
  const simulator = createSceneSimulator({
    grid,
    parcels: parcels.map((p) => ({
      cropCode: DEMO_MISMATCHES[p.code] ?? p.declaredCropCode,
      geometry: p.geometry,
    })),
    signatures,
    backgroundCropCode: BACKGROUND_CROP,
    seed: seedOf(farm.code),
  });
  const clouded = new Set(
    parcels.flatMap((p, i) => (DEMO_ALWAYS_CLOUDED.includes(p.code) ? [i + 1] : [])),
  );
  const cloudMask = clouded.size === 0 ? null : cloudBlocks(simulator.labels, grid, clouded);

  // The classifier's features cover September before the harvest year to October of it.
  const harvestYear = Math.max(...parcels.map((p) => Number(p.seasonEnd.slice(0, 4))));
  const start = Math.min(
    Date.UTC(harvestYear - 1, 8, 1),
    ...parcels.map((p) => Date.parse(`${p.seasonStart}T00:00:00Z`)),
  );
  const end = Math.max(
    Date.UTC(harvestYear, 9, 31),
    ...parcels.map((p) => Date.parse(`${p.seasonEnd}T00:00:00Z`)),
  );
  const dayMs = 86_400_000;
  const stepDays = Math.floor((end - start) / dayMs / DATES_PER_FARM);
  const itemPaths: string[] = [];
  for (let d = 0; d < DATES_PER_FARM; d++) {
    signal?.throwIfAborted();
    const date = new Date(start + (Math.round(stepDays / 2) + d * stepDays) * dayMs + 37_800_000);
    const cloudFraction = CLOUDY_DATES[d] ?? 0;
    const weather = { cloudFraction, seed: seedOf(farm.code) + d };
    let scene = simulator.simulate(date, weather);
    if (cloudMask !== null) scene = underCloud(scene, grid, cloudMask);
    const id = `PW-DEMO_${farm.code}_${date.toISOString().slice(0, 10).replaceAll('-', '')}`;
    const itemFolder = path.join(root, 'items', id);
    const files = await writeSceneFiles(scene, grid, itemFolder, { tileSize: 256 });
    const itemPath = path.join(itemFolder, `${id}.json`);
    await writeSceneItem({
      itemPath,
      id,
      datetime: date,
      grid,
      files,
      cloudCoverPct: Math.round(cloudFraction * 100),
    });
    itemPaths.push(itemPath);
  }
  return itemPaths;
}

/** The farm's parcels and boundary plus a margin, on the 20 m lattice of its UTM zone. */
function farmGrid(farm: DemoFarm, parcels: readonly DemoParcel[]): TileGrid {
  const boxes = [farm.boundary, ...parcels.map((p) => p.geometry)].map((g) => bboxOf(g));
  const minLng = Math.min(...boxes.map((b) => b[0]));
  const minLat = Math.min(...boxes.map((b) => b[1]));
  const maxLng = Math.max(...boxes.map((b) => b[2]));
  const maxLat = Math.max(...boxes.map((b) => b[3]));
  const zone = Math.floor((minLng + 180) / 6) + 1;
  const epsg = (minLat >= 0 ? 32600 : 32700) + zone;
  const corners = [
    toProjected(epsg, [minLng, minLat]),
    toProjected(epsg, [minLng, maxLat]),
    toProjected(epsg, [maxLng, minLat]),
    toProjected(epsg, [maxLng, maxLat]),
  ];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const x0 = Math.floor((Math.min(...xs) - MARGIN_M) / 20) * 20;
  const y0 = Math.ceil((Math.max(...ys) + MARGIN_M) / 20) * 20;
  const x1 = Math.ceil((Math.max(...xs) + MARGIN_M) / 20) * 20;
  const y1 = Math.floor((Math.min(...ys) - MARGIN_M) / 20) * 20;
  return {
    epsg,
    transform: [10, 0, x0, 0, -10, y0],
    width: (x1 - x0) / 10,
    height: (y0 - y1) / 10,
  };
}

/** The 20 m cells that hold any 10 m pixel of the given parcel labels. */
function cloudBlocks(labels: Uint16Array, grid: TileGrid, clouded: Set<number>): Uint8Array {
  const width20 = Math.ceil(grid.width / 2);
  const mask = new Uint8Array(width20 * Math.ceil(grid.height / 2));
  for (let row = 0; row < grid.height; row++) {
    for (let col = 0; col < grid.width; col++) {
      if (clouded.has(labels[row * grid.width + col] ?? 0)) {
        mask[(row >> 1) * width20 + (col >> 1)] = 1;
      }
    }
  }
  return mask;
}

/** The scene with a cloud (bright, SCL 9) over the masked 20 m cells. */
function underCloud(scene: SimulatedScene, grid: TileGrid, mask: Uint8Array): SimulatedScene {
  const width20 = scene.width20;
  const cloudy = (i: number): number => 3600 + ((Math.imul(i, 2654435761) >>> 0) >>> 24);
  return {
    date: scene.date,
    width20: scene.width20,
    height20: scene.height20,
    band10: (name: BandName) => {
      const out = Uint16Array.from(scene.band10(name));
      for (let row = 0; row < grid.height; row++) {
        for (let col = 0; col < grid.width; col++) {
          const p = row * grid.width + col;
          if (mask[(row >> 1) * width20 + (col >> 1)] === 1) out[p] = cloudy(p);
        }
      }
      return out;
    },
    band20: (name: BandName) => {
      const out = Uint16Array.from(scene.band20(name));
      for (let i = 0; i < out.length; i++) if (mask[i] === 1) out[i] = cloudy(i);
      return out;
    },
    scl20: () => {
      const out = Uint8Array.from(scene.scl20());
      for (let i = 0; i < out.length; i++) if (mask[i] === 1) out[i] = 9;
      return out;
    },
  };
}

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0) % 1_000_000;
}

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null; // missing or unreadable: generate again
  }
}
