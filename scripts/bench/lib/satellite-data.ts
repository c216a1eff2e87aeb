/**
 * The satellite bench's portfolio and season: parcels of 1-20 ha scattered over one Sentinel-2
 * tile, and a season of scenes simulated from the committed crop signatures, written as COGs and
 * STAC items. Generating a full tile takes minutes, so the result is kept in a cache folder (one
 * per size and generator version) and reused while its `complete.json` marker is there.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { toLngLat, type Polygon, type TileGrid } from '../../../geo/index.ts';
import type { CropSignatures } from '../../../ingest/simulate/crop-signatures.ts';
import { createSceneSimulator } from '../../../ingest/simulate/simulate-scene.ts';
import {
  writeCatalog,
  writeSceneFiles,
  writeSceneItem,
} from '../../../ingest/simulate/write-scene-item.ts';

export interface SatelliteBenchSizes {
  /** Tile edge in 10 m pixels (10 980 for a full Sentinel-2 tile). */
  readonly tilePx: number;
  readonly parcels: number;
  readonly scenes: number;
  /** Distinct file sets the scenes cycle through ("scenes may share files"). */
  readonly distinctSceneFiles: number;
}

export interface SatelliteBenchData {
  readonly folder: string;
  readonly catalogPath: string;
  readonly grid: TileGrid;
  readonly parcels: readonly BenchParcel[];
  /** Seconds spent generating (0 when reused from the cache). */
  readonly generatedInS: number;
}

export interface BenchParcel {
  readonly id: string;
  readonly cropCode: number;
  readonly areaHa: number;
  readonly geometry: Polygon;
}

const GENERATOR_VERSION = 1;
/** Parcels sit one per cell of this many metres, so they never overlap. */
const CELL_M = 650;
/** Longest parcel side: a rotated parcel stays inside its cell. */
const MAX_SIDE_M = 520;
const MAX_ROTATION_RAD = (12 * Math.PI) / 180;
const ORIGIN = { x: 499_980, y: 5_700_000 } as const;
const EPSG = 32631;

export function benchCacheFolder(sizes: SatelliteBenchSizes): string {
  const base = process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache');
  const key = `${sizes.tilePx}px-${sizes.parcels}p-${sizes.scenes}s-${sizes.distinctSceneFiles}f`;
  return path.join(base, 'pledgewatch', `bench-satellite-v${GENERATOR_VERSION}`, key);
}

export async function prepareSatelliteBenchData(
  sizes: SatelliteBenchSizes,
  signatures: CropSignatures,
  log: (line: string) => void,
): Promise<SatelliteBenchData> {
  const folder = benchCacheFolder(sizes);
  const marker = path.join(folder, 'complete.json');
  const grid: TileGrid = {
    epsg: EPSG,
    transform: [10, 0, ORIGIN.x, 0, -10, ORIGIN.y],
    width: sizes.tilePx,
    height: sizes.tilePx,
  };
  const catalogPath = path.join(folder, 'catalog.json');
  if (await exists(marker)) {
    const parcels = JSON.parse(
      await readFile(path.join(folder, 'parcels.json'), 'utf8'),
    ) as BenchParcel[];
    log(`reusing generated season in ${folder}`);
    return { folder, catalogPath, grid, parcels, generatedInS: 0 };
  }

  const started = performance.now();
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const random = mulberry32(20_260_601);
  const cropCodes = Object.keys(signatures.crops).map(Number);
  const parcels = makeParcels(sizes, cropCodes, random);
  await writeFile(path.join(folder, 'parcels.json'), JSON.stringify(parcels));
  log(
    `generating ${sizes.distinctSceneFiles} scenes of ${sizes.tilePx} x ${sizes.tilePx} px over ${parcels.length} parcels in ${folder}`,
  );

  const simulator = createSceneSimulator({
    grid,
    parcels: parcels.map((p) => ({ cropCode: p.cropCode, geometry: p.geometry })),
    signatures,
    backgroundCropCode: '9120',
    seed: 7,
  });
  const season = Array.from({ length: sizes.scenes }, (_, i) => ({
    date: new Date(Date.UTC(2024, 3, 1 + i * Math.floor(200 / sizes.scenes), 10, 30)),
    files: i % sizes.distinctSceneFiles,
  }));
  const fileSets = [];
  for (let f = 0; f < sizes.distinctSceneFiles; f++) {
    const first = season.find((s) => s.files === f) ?? { date: new Date(Date.UTC(2024, 5, 1)) };
    const cloudFraction = [0.1, 0.35, 0, 0.2][f % 4] ?? 0;
    const scene = simulator.simulate(first.date, { cloudFraction, seed: 100 + f });
    fileSets.push({
      cloudFraction,
      files: await writeSceneFiles(scene, grid, path.join(folder, 'files', `set-${f}`)),
    });
    log(`  scene files ${f + 1}/${sizes.distinctSceneFiles} written`);
  }
  const itemPaths: string[] = [];
  for (const [i, entry] of season.entries()) {
    const id = `BENCH_S2_${entry.date.toISOString().slice(0, 10).replaceAll('-', '')}_${i}`;
    const itemPath = path.join(folder, 'items', id, `${id}.json`);
    const set = fileSets[entry.files];
    if (set === undefined) throw new Error(`file set ${entry.files} missing`);
    await writeSceneItem({
      itemPath,
      id,
      datetime: entry.date,
      grid,
      files: set.files,
      cloudCoverPct: Math.round(set.cloudFraction * 100),
    });
    itemPaths.push(itemPath);
  }
  await writeCatalog({
    catalogPath,
    id: 'pledgewatch-bench-season',
    description: 'Simulated Sentinel-2 L2A season for the satellite bench',
    itemPaths,
  });
  const generatedInS = (performance.now() - started) / 1000;
  await writeFile(marker, JSON.stringify({ sizes, generatedInS, at: new Date().toISOString() }));
  return { folder, catalogPath, grid, parcels, generatedInS };
}

function makeParcels(
  sizes: SatelliteBenchSizes,
  cropCodes: readonly number[],
  random: () => number,
): BenchParcel[] {
  const cellsAcross = Math.floor((sizes.tilePx * 10) / CELL_M);
  const cells = cellsAcross * cellsAcross;
  if (sizes.parcels > cells) {
    throw new RangeError(`${sizes.parcels} parcels do not fit in ${cells} cells of ${CELL_M} m`);
  }
  // A partial Fisher-Yates shuffle picks distinct cells.
  const order = Array.from({ length: cells }, (_, i) => i);
  for (let i = 0; i < sizes.parcels; i++) {
    const j = i + Math.floor(random() * (cells - i));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  return order.slice(0, sizes.parcels).map((cell, i) => {
    const areaM2 = (1 + random() * 19) * 10_000;
    const maxAspect = Math.min(2.2, (MAX_SIDE_M * MAX_SIDE_M) / areaM2);
    const aspect = 1 + random() * Math.max(0, maxAspect - 1);
    const w = Math.min(MAX_SIDE_M, Math.sqrt(areaM2 * aspect));
    const h = areaM2 / w;
    const angle = (random() * 2 - 1) * MAX_ROTATION_RAD;
    const cx = ORIGIN.x + ((cell % cellsAcross) + 0.5) * CELL_M;
    const cy = ORIGIN.y - (Math.floor(cell / cellsAcross) + 0.5) * CELL_M;
    // Counter-clockwise, as RFC 7946 wants exterior rings.
    const corners = [
      [-w / 2, -h / 2],
      [w / 2, -h / 2],
      [w / 2, h / 2],
      [-w / 2, h / 2],
    ].map(([dx = 0, dy = 0]) =>
      toLngLat(EPSG, [
        cx + dx * Math.cos(angle) - dy * Math.sin(angle),
        cy + dx * Math.sin(angle) + dy * Math.cos(angle),
      ]),
    );
    const ring = [...corners, corners[0] ?? [0, 0]];
    return {
      id: `BENCH-P${String(i).padStart(5, '0')}`,
      cropCode: cropCodes[Math.floor(random() * cropCodes.length)] ?? 1200,
      areaHa: areaM2 / 10_000,
      geometry: { type: 'Polygon', coordinates: [ring] },
    };
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** mulberry32 (T. Ettinger, public domain): a tiny, fast, well-mixed 32-bit PRNG. */
function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
