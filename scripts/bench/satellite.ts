/**
 * Suite `satellite`: a portfolio-scale season, 10 000 parcels of 1-20 ha inside one full
 * 10 980 x 10 980 px Sentinel-2 tile and 30 scenes (simulated from the committed crop signatures,
 * written as DEFLATE COGs; scenes share three sets of files), read over the parcels by
 * PledgeWatch next to GDAL reading the same blocks of the same files in the same run.
 *
 * Rates are pixel-dates per second: a parcel's pixels (after the 10 m inward buffer) times the
 * scenes read. Cases, one group, GDAL the baseline:
 * - GDAL (Debian's python3-gdal, `lib/gdal-read-windows.py` in a child process): for each chunk of
 *   parcels, each item and each of its 11 assets, opens the file and reads, for each COG block
 *   (512 px tile) that holds pixels of the chunk's parcels, the bounding box of those pixels in
 *   that block (20 m assets at 20 m): exactly the blocks PledgeWatch decodes, each once per chunk;
 * - PledgeWatch `readParcelSeason` (blocks decoded with libdeflate, or Node's zlib when the addon
 *   is not built, on a pool of one worker thread per core, `ingest/tile/decode-pool.ts`): the same
 *   chunks, plus
 *   masking and the per-parcel pixel series (and the parcels' pixel coverage with the buffer);
 * - the whole chain, when `ingest/` exports `classifyParcels`: read, mask, features and
 *   classification with onnxruntime-node, over the same chunks (storing is not timed: no database
 *   in this suite).
 * Parcels are chunked by the 2 048 px cell (aligned to the 20 m assets' blocks) of their centre,
 * as the service should, so a chunk decodes only its part of the tile and few blocks twice.
 * CPU time (all threads of each process) is reported next to wall time: on the shared 2-core
 * machine, wall time depends on other load, CPU time much less.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ingest from '../../ingest/index.ts';
import {
  loadStac,
  readParcelSeason,
  type ParcelSeason,
  type SceneItem,
} from '../../ingest/index.ts';
import type { CropSignatures } from '../../ingest/simulate/crop-signatures.ts';
import { formatCount, formatRatio, formatSeconds } from './lib/format.ts';
import { startBudget } from './lib/measure.ts';
import { prepareSatelliteBenchData, type BenchParcel } from './lib/satellite-data.ts';
import { median, summarizeGroup, type CaseSamples } from './lib/stats.ts';
import type { BenchOptions, BenchSuite, Sample, SuiteResult } from './lib/types.ts';

interface Sizes {
  readonly tilePx: number;
  readonly parcels: number;
  readonly scenes: number;
  readonly distinctSceneFiles: number;
  readonly parcelsPerChunk: number;
  /** Chunks the whole chain runs over (the first ones; all when larger than the count). */
  readonly chainChunks: number;
  readonly repetitions: number;
  readonly budgetMs: number;
}

const fullSizes: Sizes = {
  tilePx: 10_980,
  parcels: 10_000,
  scenes: 30,
  distinctSceneFiles: 3,
  parcelsPerChunk: 500,
  chainChunks: 1_000, // every chunk: the season is measured, not extrapolated
  repetitions: 1,
  budgetMs: 40 * 60_000,
};

const quickSizes: Sizes = {
  tilePx: 2_048,
  parcels: 500,
  scenes: 8,
  distinctSceneFiles: 2,
  parcelsPerChunk: 100,
  chainChunks: 100,
  repetitions: 2,
  budgetMs: 5 * 60_000,
};

const BUFFER_M = 10;
/** The bench COGs' block size (`writeSceneFiles`), in file pixels. */
const BLOCK_PX = 512;
/** Targets of issue 4. */
const READ_TARGET = 1.5;
const CHAIN_TARGET = 2;
const SEASON_TARGET_S = 180;
const modelPath = fileURLToPath(new URL('../../fixtures/models/crop-type.onnx', import.meta.url));
const gdalScript = fileURLToPath(new URL('./lib/gdal-read-windows.py', import.meta.url));
const installGdal = fileURLToPath(new URL('../install-gdal.sh', import.meta.url));
const buildNativeInflate = fileURLToPath(new URL('../build-native-inflate.sh', import.meta.url));
const signaturesPath = fileURLToPath(
  new URL('../../fixtures/sentinel2/crop-signatures.json', import.meta.url),
);

/** One file and the windows read from it: `[x, y, width, height]` at the file's resolution. */
interface FileWindows {
  readonly itemId: string;
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
    const chunks = ingest.chunkParcelsByCell(
      data.parcels,
      (parcel) => parcel.geometry,
      data.grid,
      sizes.parcelsPerChunk,
    );
    await ensureNativeInflate(options.log);
    const gdalVersion = await ensureGdal(options.log);
    if (gdalVersion === null)
      skipped.push(
        'GDAL: not installed and could not be installed (needs root and the Debian archive)',
      );
    const classifyParcels = (ingest as Partial<Record<string, unknown>>)['classifyParcels'] as
      ClassifyParcels | undefined;
    if (classifyParcels === undefined)
      skipped.push('whole chain: ingest/ does not export classifyParcels yet');

    const ours: Sample[] = [];
    const gdal: Sample[] = [];
    const chain: Sample[] = [];
    const cpu = { ours: [] as number[], gdal: [] as number[], chain: [] as number[] };
    let pixelDates = 0;
    const pixelDatesOf = new Map<string, number>();
    let blockReads = { decoded: 0, distinct: 0 };
    let ourBlocks = { decoded: 0, skippedMasked: 0 };
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
      ourBlocks = { decoded: 0, skippedMasked: 0 };
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      for (const chunk of chunks) {
        options.signal.throwIfAborted();
        const result = await readParcelSeason(
          items,
          chunk.map((p) => ({ id: p.id, geometry: p.geometry })),
          { bufferM: BUFFER_M },
        );
        if (result.failures.length > 0) {
          throw new Error(
            `read failures: ${result.failures
              .slice(0, 3)
              .map((f) => f.reason)
              .join('; ')}`,
          );
        }
        for (const parcel of result.parcels) {
          const count = parcel.series.pixelCount * parcel.series.dates.length;
          pixelDates += count;
          pixelDatesOf.set(parcel.parcelId, count);
        }
        plan.push(...blocksRead(items, result.parcels));
        ourBlocks.decoded += result.blocks.decoded;
        ourBlocks.skippedMasked += result.blocks.skippedMasked;
      }
      const elapsedMs = performance.now() - started;
      const cpuMs = cpuMsSince(cpuBefore);
      ours.push(sample(repetition, pixelDates, elapsedMs));
      cpu.ours.push(cpuMs);
      blockReads = countBlocks(plan);
      options.log(
        `  ${formatCount(pixelDates)} pixel-dates in ${formatSeconds(elapsedMs)} (CPU ${formatSeconds(cpuMs)})`,
      );
      if (gdalVersion !== null) {
        options.log(
          `repetition ${repetition}: GDAL reads the same ${formatCount(plan.reduce((n, f) => n + f.windows.length, 0))} windows`,
        );
        const { seconds, cpuSeconds } = await runGdal(plan);
        gdal.push(sample(repetition, pixelDates, seconds * 1000));
        cpu.gdal.push(cpuSeconds * 1000);
        options.log(
          `  in ${formatSeconds(seconds * 1000)} (CPU ${formatSeconds(cpuSeconds * 1000)})`,
        );
      }
      if (classifyParcels !== undefined && !budget.isSpent()) {
        const chainChunks = chunks.slice(0, sizes.chainChunks);
        options.log(
          `repetition ${repetition}: the whole chain over ${chainChunks.length} of the ${chunks.length} chunks`,
        );
        const chainCpu = process.cpuUsage();
        const chainStarted = performance.now();
        let classified = 0;
        let chainPixelDates = 0;
        try {
          for (const chunk of chainChunks) {
            options.signal.throwIfAborted();
            const { results } = await classifyParcels(
              items,
              chunk.map((p) => ({ id: p.id, geometry: p.geometry, declaredCropCode: p.cropCode })),
              { classifier: modelPath, bufferM: BUFFER_M, chunkSize: chunk.length },
            );
            classified += results.length;
            for (const p of chunk) chainPixelDates += pixelDatesOf.get(p.id) ?? 0;
          }
        } catch (error) {
          options.signal.throwIfAborted();
          skipped.push(
            `whole chain, repetition ${repetition}: ${error instanceof Error ? error.message : String(error)}`,
          );
          continue;
        }
        const chainMs = performance.now() - chainStarted;
        chain.push(sample(repetition, chainPixelDates, chainMs));
        // CPU per pixel-date, scaled to the whole portfolio's pixel-dates for the ratios.
        cpu.chain.push((cpuMsSince(chainCpu) * pixelDates) / Math.max(1, chainPixelDates));
        options.log(
          `  ${formatCount(classified)} parcels (${formatCount(chainPixelDates)} pixel-dates) classified in ${formatSeconds(chainMs)}`,
        );
      }
    }

    const cases: CaseSamples[] = [
      { id: 'gdal', label: 'GDAL reads the blocks (baseline)', samples: gdal },
      { id: 'read', label: 'PledgeWatch reads, masks and stacks the season', samples: ours },
      ...(chain.length > 0
        ? [
            {
              id: 'chain',
              label: 'PledgeWatch whole chain (read, features, classify)',
              samples: chain,
            },
          ]
        : []),
    ];
    const group = summarizeGroup(
      `${formatCount(data.parcels.length)} parcels x ${items.length} scenes, ${sizes.tilePx} px tile`,
      'gdal',
      cases,
    );
    const medianOf = (values: readonly number[]): number | null => median(values);
    const gdalCpu = medianOf(cpu.gdal);
    const versus = (id: string, target: number, what: string, cpuMs: number | null): void => {
      const found = group.cases.find((c) => c.id === id);
      if (found?.ratioToBaseline == null) return;
      const slower = 1 / found.ratioToBaseline;
      const cpuRatio = cpuMs !== null && gdalCpu !== null && gdalCpu > 0 ? cpuMs / gdalCpu : null;
      notes.push(
        `${what} took ${formatRatio(slower)} GDAL's read time in wall time${cpuRatio === null ? '' : `, ${formatRatio(cpuRatio)} its CPU time`} (target: within ${target}x): ${slower <= target ? 'MET' : 'NOT MET'}${cpuRatio !== null && cpuRatio <= target !== slower <= target ? ` in wall time, ${cpuRatio <= target ? 'met' : 'not met'} in CPU time` : ''}`,
      );
    };
    versus('read', READ_TARGET, 'reading', medianOf(cpu.ours));
    versus('chain', CHAIN_TARGET, 'the whole chain', medianOf(cpu.chain));
    const readCase = group.cases.find((c) => c.id === 'read');
    const parcelsPerSecond =
      readCase?.medianPerSecond == null || pixelDates === 0
        ? null
        : (readCase.medianPerSecond / pixelDates) * data.parcels.length;
    if (parcelsPerSecond !== null)
      notes.push(
        `reading: ${formatCount(parcelsPerSecond)} parcels/s (a season of ${items.length} scenes each)`,
      );
    // A season for the target portfolio: 10 000 parcels x 30 scenes, scaled by pixel-dates.
    const scale = (10_000 * 30) / (data.parcels.length * items.length);
    // Rates (pixel-dates/s) scale to the whole portfolio whatever share of it a case ran over.
    const seasonOf = (samples: readonly Sample[]): number | null => {
      const rate = median(samples.map((x) => x.perSecond));
      return rate === null || rate === 0 ? null : (pixelDates / rate) * scale;
    };
    for (const [label, samples, cpuMs] of [
      ['reading', ours, medianOf(cpu.ours)],
      ['the whole chain', chain, medianOf(cpu.chain)],
    ] as const) {
      const seconds = seasonOf(samples);
      if (seconds === null) continue;
      const cpuSeconds = cpuMs === null ? null : (cpuMs / 1000) * scale;
      notes.push(
        `${label}: a season for 10 000 parcels x 30 scenes ${scale === 1 ? 'took' : `extrapolates (x${scale.toFixed(1)} by pixel-dates) to`} ${seconds.toFixed(0)} s wall${cpuSeconds === null ? '' : `, ${cpuSeconds.toFixed(0)} s CPU (${(cpuSeconds / 2).toFixed(0)} s if both cores were ours)`} (target: under ${SEASON_TARGET_S} s on 2 cores): ${seconds <= SEASON_TARGET_S ? 'MET' : 'NOT MET'}${scale === 1 ? '' : ' (extrapolated: --quick figures are not to be quoted)'}`,
      );
    }
    if (blockReads.distinct > 0)
      notes.push(
        `blocks decoded per scene: ${formatCount(blockReads.decoded / items.length)}, of ${formatCount(blockReads.distinct / items.length)} distinct (${(blockReads.decoded / blockReads.distinct).toFixed(2)}x: blocks shared by neighbouring chunks are decoded by each)`,
      );
    if (ourBlocks.decoded > 0)
      notes.push(
        `PledgeWatch did not decode ${formatCount(ourBlocks.skippedMasked)} of ${formatCount(ourBlocks.decoded + ourBlocks.skippedMasked)} blocks (${((100 * ourBlocks.skippedMasked) / (ourBlocks.decoded + ourBlocks.skippedMasked)).toFixed(1)}%): band blocks whose parcel pixels SCL masks (cloud, shadow); GDAL reads every block`,
      );
    notes.push(
      `peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );

    const inflater = ingest.blockInflater();
    const inflaterName =
      inflater.kind === 'libdeflate' ? 'libdeflate' : `Node's zlib (${inflater.reason})`;
    return {
      suite: 'satellite',
      title: satellite.title,
      unit: 'pixel-dates/s',
      method: [
        'A simulated season (crop signatures from the real Flanders scenes) written as DEFLATE COGs with predictor 2 and 512 px tiles; scenes share files (the reader never caches across items).',
        `The whole chain (classifyParcels with the committed model, one call per chunk, storing not timed) runs over ${Math.min(sizes.chainChunks, chunks.length)} of the ${chunks.length} chunks (all: the season is timed, not extrapolated); its rate and CPU per pixel-date are compared.`,
        `Parcels read in chunks by ${ingest.CHUNK_CELL_PX} px cell (at most ${sizes.parcelsPerChunk} each) with a ${BUFFER_M} m inward buffer; every COG block holding parcel pixels is read once per chunk and item.`,
        'GDAL reads the bounding box of the parcel pixels in each of those blocks, file by file, in a child process (Debian python3-gdal, single-threaded, libdeflate); its time excludes the process start.',
        'PledgeWatch decodes the SCL blocks of a scene first, then only the band blocks holding a pixel that SCL leaves clear; GDAL reads every block.',
        `PledgeWatch decodes blocks on one worker thread per core (read, inflate with ${inflaterName}, undo the predictor, pick the parcel pixels) while the main thread masks and stacks them; in the whole chain, season features are worked out on a second pool of one thread per core.`,
        'CPU times are of all threads of each process (process.cpuUsage; getrusage in the GDAL child).',
      ],
      environment: {
        gdal: gdalVersion ?? 'not available',
        cache: data.folder,
        decodeThreads: String(availableParallelism()),
        inflater: inflaterName,
      },
      parameters: {
        ...sizes,
        pixelDates,
        cpuMs: {
          gdal: medianOf(cpu.gdal),
          read: medianOf(cpu.ours),
          chain: medianOf(cpu.chain),
        },
      },
      groups: [group],
      notes,
      skipped,
    };
  },
};

type ClassifyParcels = (
  items: readonly SceneItem[],
  parcels: readonly { id: string; geometry: BenchParcel['geometry']; declaredCropCode?: number }[],
  options: { classifier: string; bufferM?: number; chunkSize?: number },
) => Promise<{ results: readonly unknown[] }>;

function cpuMsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function sample(repetition: number, count: number, elapsedMs: number): Sample {
  return {
    repetition,
    count,
    elapsedMs,
    perSecond: count / (elapsedMs / 1000),
    stoppedByTimeCap: false,
  };
}

/**
 * The blocks `readParcelSeason` decoded for these parcels, per item and asset file: for each
 * 512 px block holding parcel pixels, the bounding box of those pixels at the file's resolution.
 */
function blocksRead(items: readonly SceneItem[], parcels: readonly ParcelSeason[]): FileWindows[] {
  const windowsAt = (ratio: number): [number, number, number, number][] => {
    const boxes = new Map<number, [number, number, number, number]>();
    for (const parcel of parcels) {
      for (let i = 0; i < parcel.rows.length; i++) {
        const row = Math.floor((parcel.rows[i] ?? 0) / ratio);
        const col = Math.floor((parcel.cols[i] ?? 0) / ratio);
        const key = Math.floor(row / BLOCK_PX) * 10_000 + Math.floor(col / BLOCK_PX);
        const box = boxes.get(key);
        if (box === undefined) boxes.set(key, [col, row, col, row]);
        else {
          box[0] = Math.min(box[0], col);
          box[1] = Math.min(box[1], row);
          box[2] = Math.max(box[2], col);
          box[3] = Math.max(box[3], row);
        }
      }
    }
    return [...boxes.entries()]
      .sort(([x], [y]) => x - y)
      .map(([, [c0, r0, c1, r1]]) => [c0, r0, c1 - c0 + 1, r1 - r0 + 1]);
  };
  const windows10 = windowsAt(1);
  const windows20 = windowsAt(2);
  return items.flatMap((item) =>
    Object.entries(item.assets).map(([key, asset]) => ({
      itemId: item.id,
      path: fileURLToPath(asset.href),
      windows: ASSETS_10M.has(key) ? windows10 : windows20,
    })),
  );
}

/** Blocks decoded (one per window) and distinct (item, file, block) triples. */
function countBlocks(plan: readonly FileWindows[]): { decoded: number; distinct: number } {
  const distinct = new Set<string>();
  let decoded = 0;
  for (const { itemId, path: file, windows } of plan) {
    for (const [x, y] of windows) {
      decoded++;
      distinct.add(`${itemId}:${file}:${Math.floor(x / BLOCK_PX)}:${Math.floor(y / BLOCK_PX)}`);
    }
  }
  return { decoded, distinct: distinct.size };
}

/** Builds the libdeflate addon when it can; the run says which inflater it measured. */
async function ensureNativeInflate(log: (line: string) => void): Promise<void> {
  try {
    await run('bash', [buildNativeInflate], '');
  } catch (error) {
    log(`libdeflate addon not built: ${error instanceof Error ? error.message : String(error)}`);
  }
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

async function runGdal(
  plan: readonly FileWindows[],
): Promise<{ seconds: number; cpuSeconds: number }> {
  const out = await run('/usr/bin/python3', [gdalScript], JSON.stringify({ files: plan }));
  const parsed = JSON.parse(out) as { seconds: number; cpu_seconds: number };
  return { seconds: parsed.seconds, cpuSeconds: parsed.cpu_seconds };
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
