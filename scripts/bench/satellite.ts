/**
 * Suite `satellite`: a portfolio-scale season, 10 000 parcels of 1-20 ha inside one full
 * 10 980 x 10 980 px Sentinel-2 tile and 30 scenes (simulated from the committed crop signatures,
 * written as DEFLATE COGs; scenes share three sets of files), read over the parcels by
 * PledgeWatch next to GDAL reading the same windows of the same files in the same run.
 *
 * Rates are pixel-dates per second: a parcel's pixels (after the 10 m inward buffer) times the
 * scenes read. Cases, one group, GDAL the baseline:
 * - GDAL (Debian's python3-gdal, `lib/gdal-read-windows.py` in a child process): for each chunk of
 *   parcels, each item and each of its 11 assets, opens the file and reads the windows that
 *   PledgeWatch read for that chunk (each 2 048 px cell's bounding box of parcel pixels; 20 m
 *   assets at 20 m);
 * - PledgeWatch `readParcelSeason` (geotiff.js with Node's native zlib): the same chunks, the same
 *   windows, plus masking and the per-parcel pixel series;
 * - the whole chain when `chain` is given: read, features, classification with onnxruntime-node,
 *   and storing each parcel's observations.
 * Parcels are chunked in spatial order (by cell), as the service does, so a chunk reads only its
 * part of the tile.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadStac,
  readParcelSeason,
  type ParcelSeason,
  type SceneItem,
} from '../../ingest/index.ts';
import { toProjected, type TileGrid } from '../../geo/index.ts';
import type { CropSignatures } from '../../ingest/simulate/crop-signatures.ts';
import { formatCount, formatRatio, formatSeconds } from './lib/format.ts';
import { startBudget } from './lib/measure.ts';
import { prepareSatelliteBenchData, type BenchParcel } from './lib/satellite-data.ts';
import { summarizeGroup, type CaseSamples } from './lib/stats.ts';
import type { BenchOptions, BenchSuite, Sample, SuiteResult } from './lib/types.ts';

interface Sizes {
  readonly tilePx: number;
  readonly parcels: number;
  readonly scenes: number;
  readonly distinctSceneFiles: number;
  readonly parcelsPerChunk: number;
  readonly repetitions: number;
  readonly budgetMs: number;
}

const fullSizes: Sizes = {
  tilePx: 10_980,
  parcels: 10_000,
  scenes: 30,
  distinctSceneFiles: 3,
  parcelsPerChunk: 500,
  repetitions: 2,
  budgetMs: 25 * 60_000,
};

const quickSizes: Sizes = {
  tilePx: 2_048,
  parcels: 500,
  scenes: 8,
  distinctSceneFiles: 2,
  parcelsPerChunk: 100,
  repetitions: 1,
  budgetMs: 5 * 60_000,
};

const CELL_PX = 2_048;
const BUFFER_M = 10;
const gdalScript = fileURLToPath(new URL('./lib/gdal-read-windows.py', import.meta.url));
const installGdal = fileURLToPath(new URL('../install-gdal.sh', import.meta.url));
const signaturesPath = fileURLToPath(
  new URL('../../fixtures/sentinel2/crop-signatures.json', import.meta.url),
);

/** One file and the windows read from it: `[x, y, width, height]` at the file's resolution. */
interface FileWindows {
  readonly path: string;
  readonly windows: [number, number, number, number][];
}

const ASSETS_10M = new Set(['blue', 'green', 'red', 'nir']);

export const satellite: BenchSuite = {
  name: 'satellite',
  title: 'Sentinel-2 season over a portfolio: PledgeWatch reading vs GDAL, and the whole chain',
  needsDatabaseServer: false,
  async run(options: BenchOptions): Promise<SuiteResult> {
    const sizes = options.quick ? quickSizes : fullSizes;
    const budget = startBudget(sizes.budgetMs);
    const skipped: string[] = [];
    const notes: string[] = [];
    const signatures = JSON.parse(await readFile(signaturesPath, 'utf8')) as CropSignatures;
    const data = await prepareSatelliteBenchData(sizes, signatures, options.log);
    if (data.generatedInS > 0)
      notes.push(
        `generated the season in ${data.generatedInS.toFixed(0)} s (cached for later runs)`,
      );
    const { items, failures } = await loadStac(data.catalogPath);
    if (failures.length > 0)
      throw new Error(`bench catalog: ${failures.map((f) => f.reason).join('; ')}`);
    const chunks = spatialChunks(data.parcels, data.grid, sizes.parcelsPerChunk);
    const gdalVersion = await ensureGdal(options.log);
    if (gdalVersion === null)
      skipped.push(
        'GDAL: not installed and could not be installed (needs root and the Debian archive)',
      );

    const ours: Sample[] = [];
    const gdal: Sample[] = [];
    let pixelDates = 0;
    let peakRssMb = 0;
    for (let repetition = 1; repetition <= sizes.repetitions; repetition++) {
      if (budget.isSpent()) {
        skipped.push(
          `repetition ${repetition}: the suite's ${formatSeconds(sizes.budgetMs)} budget was spent`,
        );
        break;
      }
      options.log(
        `repetition ${repetition}: PledgeWatch reads ${chunks.length} chunks x ${items.length} scenes`,
      );
      const plan: FileWindows[] = [];
      pixelDates = 0;
      const started = performance.now();
      for (const chunk of chunks) {
        options.signal.throwIfAborted();
        const result = await readParcelSeason(
          items,
          chunk.map((p) => ({ id: p.id, geometry: p.geometry })),
          { bufferM: BUFFER_M, windowCellPx: CELL_PX },
        );
        if (result.failures.length > 0) {
          throw new Error(
            `read failures: ${result.failures
              .slice(0, 3)
              .map((f) => f.reason)
              .join('; ')}`,
          );
        }
        for (const parcel of result.parcels)
          pixelDates += parcel.series.pixelCount * parcel.series.dates.length;
        plan.push(...windowsRead(items, result.parcels));
        peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 1e6);
      }
      const elapsedMs = performance.now() - started;
      ours.push(sample(repetition, pixelDates, elapsedMs));
      options.log(`  ${formatCount(pixelDates)} pixel-dates in ${formatSeconds(elapsedMs)}`);
      if (gdalVersion !== null) {
        options.log(
          `repetition ${repetition}: GDAL reads the same ${formatCount(plan.reduce((n, f) => n + f.windows.length, 0))} windows`,
        );
        const seconds = await runGdal(plan);
        gdal.push(sample(repetition, pixelDates, seconds * 1000));
        options.log(`  in ${formatSeconds(seconds * 1000)}`);
      }
    }

    const cases: CaseSamples[] = [
      { id: 'gdal', label: 'GDAL reads the windows (baseline)', samples: gdal },
      { id: 'read', label: 'PledgeWatch reads, masks and stacks the season', samples: ours },
    ];
    const group = summarizeGroup(
      `${formatCount(data.parcels.length)} parcels x ${items.length} scenes, ${sizes.tilePx} px tile`,
      'gdal',
      cases,
    );
    const readCase = group.cases.find((c) => c.id === 'read');
    if (readCase?.ratioToBaseline != null) {
      const slower = 1 / readCase.ratioToBaseline;
      notes.push(
        `reading took ${formatRatio(slower)} GDAL's time (target: within 1.5x)${slower <= 1.5 ? '' : ': ABOVE TARGET'}`,
      );
    }
    const parcelsPerSecond =
      readCase?.medianPerSecond == null
        ? null
        : (readCase.medianPerSecond / pixelDates) * data.parcels.length;
    if (parcelsPerSecond !== null)
      notes.push(`reading: ${formatCount(parcelsPerSecond)} parcels/s (a season each)`);
    notes.push(`peak RSS of this process while reading: ${peakRssMb.toFixed(0)} MB`);

    return {
      suite: 'satellite',
      title: satellite.title,
      unit: 'pixel-dates/s',
      method: [
        'A simulated season (crop signatures from the real Flanders scenes) written as DEFLATE COGs with predictor 2 and 512 px tiles; scenes share files.',
        `Parcels read in spatial chunks of ${sizes.parcelsPerChunk} with a ${BUFFER_M} m inward buffer; windows are each ${CELL_PX} px cell's bounding box of parcel pixels.`,
        'GDAL reads exactly the windows PledgeWatch read, file by file, in a child process (Debian python3-gdal); its time excludes the process start.',
      ],
      environment: { gdal: gdalVersion ?? 'not available', cache: data.folder },
      parameters: { ...sizes, pixelDates },
      groups: [group],
      notes,
      skipped,
    };
  },
};

function sample(repetition: number, count: number, elapsedMs: number): Sample {
  return {
    repetition,
    count,
    elapsedMs,
    perSecond: count / (elapsedMs / 1000),
    stoppedByTimeCap: false,
  };
}

/** Parcels ordered by the 2 048 px cell of their first vertex, then cut into chunks. */
function spatialChunks(
  parcels: readonly BenchParcel[],
  grid: TileGrid,
  size: number,
): BenchParcel[][] {
  const [a, , originX, , e, originY] = grid.transform;
  const cellOf = (p: BenchParcel): number => {
    const [x, y] = toProjected(grid.epsg, p.geometry.coordinates[0]?.[0] ?? [0, 0]);
    const col = Math.floor((x - originX) / a / CELL_PX);
    const row = Math.floor((y - originY) / e / CELL_PX);
    return row * 1_000 + col;
  };
  const keyed = parcels.map((p) => ({ p, cell: cellOf(p) })).sort((x, y) => x.cell - y.cell);
  const out: BenchParcel[][] = [];
  for (let i = 0; i < keyed.length; i += size) out.push(keyed.slice(i, i + size).map((k) => k.p));
  return out;
}

/** The windows `readParcelSeason` read for these parcels, per item and asset file. */
function windowsRead(items: readonly SceneItem[], parcels: readonly ParcelSeason[]): FileWindows[] {
  const cells = new Map<string, [number, number, number, number]>();
  for (const parcel of parcels) {
    for (let i = 0; i < parcel.rows.length; i++) {
      const row = parcel.rows[i] ?? 0;
      const col = parcel.cols[i] ?? 0;
      const key = `${Math.floor(row / CELL_PX)}:${Math.floor(col / CELL_PX)}`;
      const box = cells.get(key);
      if (box === undefined) cells.set(key, [col, row, col, row]);
      else {
        box[0] = Math.min(box[0], col);
        box[1] = Math.min(box[1], row);
        box[2] = Math.max(box[2], col);
        box[3] = Math.max(box[3], row);
      }
    }
  }
  const windows10 = [...cells.values()].map(
    ([c0, r0, c1, r1]): [number, number, number, number] => [c0, r0, c1 - c0 + 1, r1 - r0 + 1],
  );
  const windows20 = windows10.map(([x, y, w, h]): [number, number, number, number] => {
    const x0 = Math.floor(x / 2);
    const y0 = Math.floor(y / 2);
    return [x0, y0, Math.ceil((x + w) / 2) - x0, Math.ceil((y + h) / 2) - y0];
  });
  return items.flatMap((item) =>
    Object.entries(item.assets).map(([key, asset]) => ({
      path: fileURLToPath(asset.href),
      windows: ASSETS_10M.has(key) ? windows10 : windows20,
    })),
  );
}

async function ensureGdal(log: (line: string) => void): Promise<string | null> {
  try {
    const version = await run('bash', [installGdal], '');
    log(`GDAL ${version.trim()}`);
    return version.trim();
  } catch (error) {
    log(`GDAL unavailable: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

async function runGdal(plan: readonly FileWindows[]): Promise<number> {
  const out = await run('/usr/bin/python3', [gdalScript], JSON.stringify({ files: plan }));
  const parsed = JSON.parse(out) as { seconds: number };
  return parsed.seconds;
}

function run(command: string, args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: path.dirname(gdalScript),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} exited ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`)),
    );
    child.stdin.end(input);
  });
}
