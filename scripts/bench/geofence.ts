/**
 * Suite `geofence`: how fast ear-tag fixes are matched to farm boundaries, with the Flatbush index
 * of `geo/` (`createGeofenceIndex`) against a brute-force loop, in this process (no database).
 *
 * Data, all from a fixed seed (mulberry32), so every run measures the same work:
 * - 10 000 synthetic farms spread over Flanders (2.55–5.9° E, 50.69–51.5° N): star-shaped
 *   polygons of 20–60 vertices, 150–800 m in radius, so neighbours overlap now and then;
 * - 100 000 fixes, half near a farm (within its bounding box, grown by a fifth) and half anywhere
 *   in the region (mostly in no farm).
 *
 * Cases, one group, run round-robin after an untimed warm-up:
 * - the baseline: for each fix, every farm's bbox, then its polygon where the bbox matches;
 *   measured on the first 2 000 fixes only (it tests 10 000 boxes per fix), its rate per fix is
 *   what counts;
 * - `farmsContaining`: the R-tree of bboxes, then the exact test of the few farms it returns;
 * - `isInsideFarm`: the farm known in advance (the MQTT topic names it), as the ear-tag path asks.
 * The indexed answers are checked against the baseline's on the baseline's fixes.
 */
import {
  createGeofenceIndex,
  isPointInPolygon,
  type Bbox,
  type FarmBoundary,
  type GeofenceIndex,
  type LngLat,
  type Polygon,
} from '../../geo/index.ts';
import { formatCount, formatRatio, formatSeconds } from './lib/format.ts';
import { chunk, startBudget, timeBatches } from './lib/measure.ts';
import { median, summarizeGroup, type CaseSamples } from './lib/stats.ts';
import type { BenchOptions, BenchSuite, Sample, SuiteResult } from './lib/types.ts';

interface Sizes {
  readonly farms: number;
  readonly queries: number;
  /** Fixes the brute-force baseline answers (a prefix of the queries). */
  readonly baselineQueries: number;
  readonly repetitions: number;
  readonly maxMsPerMeasurement: number;
  /** Wall-clock budget of the whole suite; measurements past it are skipped and listed. */
  readonly budgetMs: number;
}

const fullSizes: Sizes = {
  farms: 10_000,
  queries: 100_000,
  baselineQueries: 2_000,
  repetitions: 5,
  maxMsPerMeasurement: 10_000,
  budgetMs: 90_000,
};

const quickSizes: Sizes = {
  farms: 2_000,
  queries: 10_000,
  baselineQueries: 500,
  repetitions: 3,
  maxMsPerMeasurement: 2_000,
  budgetMs: 15_000,
};

const seed = 20_180_601;
const region = { west: 2.55, south: 50.69, east: 5.9, north: 51.5 } as const;
const batchSize = 1_000;
const baselineBatchSize = 100;

interface Query {
  readonly lngLat: LngLat;
  /** The farm the fix is reported for (its tag's farm), for `isInsideFarm`. */
  readonly farmId: string;
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

/** Star-shaped farms: vertices at increasing angles, so each ring is simple. */
function makeFarms(count: number, random: () => number): FarmBoundary[] {
  const farms: FarmBoundary[] = [];
  for (let i = 0; i < count; i++) {
    const lng = region.west + random() * (region.east - region.west);
    const lat = region.south + random() * (region.north - region.south);
    const radiusM = 150 + random() * 650;
    const vertices = 20 + Math.floor(random() * 41);
    const mPerDegLat = 111_200;
    const mPerDegLng = 111_320 * Math.cos((lat * Math.PI) / 180);
    const ring: LngLat[] = [];
    for (let k = 0; k < vertices; k++) {
      const angle = ((k + 0.8 * random()) / vertices) * 2 * Math.PI;
      const r = radiusM * (0.55 + 0.45 * random());
      ring.push([
        lng + (r * Math.cos(angle)) / mPerDegLng,
        lat + (r * Math.sin(angle)) / mPerDegLat,
      ]);
    }
    const first = ring[0];
    if (first !== undefined) ring.push([first[0], first[1]]);
    const boundary: Polygon = { type: 'Polygon', coordinates: [ring] };
    farms.push({ id: `F-${String(i).padStart(5, '0')}`, boundary });
  }
  return farms;
}

function bboxOfRing(boundary: Polygon): Bbox {
  const box: Bbox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lng, lat] of boundary.coordinates[0] ?? []) {
    box[0] = Math.min(box[0], lng);
    box[1] = Math.min(box[1], lat);
    box[2] = Math.max(box[2], lng);
    box[3] = Math.max(box[3], lat);
  }
  return box;
}

function makeQueries(
  count: number,
  farms: readonly FarmBoundary[],
  boxes: readonly Bbox[],
  random: () => number,
): Query[] {
  const queries: Query[] = [];
  for (let i = 0; i < count; i++) {
    const f = Math.floor(random() * farms.length);
    const farm = farms[f];
    const box = boxes[f];
    if (farm === undefined || box === undefined) throw new Error(`farm ${f} missing`);
    let lngLat: LngLat;
    if (i % 2 === 0) {
      const [w, s, e, n] = box;
      const growLng = (e - w) * 0.1;
      const growLat = (n - s) * 0.1;
      lngLat = [
        w - growLng + random() * (e - w + 2 * growLng),
        s - growLat + random() * (n - s + 2 * growLat),
      ];
    } else {
      lngLat = [
        region.west + random() * (region.east - region.west),
        region.south + random() * (region.north - region.south),
      ];
    }
    queries.push({ lngLat, farmId: farm.id });
  }
  return queries;
}

interface Method {
  readonly id: string;
  readonly label: string;
  readonly queries: readonly Query[];
  readonly batches: readonly (readonly Query[])[];
  /** Answers one batch; returns how many fixes were inside a farm (keeps the work observable). */
  answer(batch: readonly Query[]): number;
}

async function run(options: BenchOptions): Promise<SuiteResult> {
  const sizes = options.quick ? quickSizes : fullSizes;
  const budget = startBudget(sizes.budgetMs);
  const log = (line: string): void => options.log(`[geofence] ${line}`);
  const random = mulberry32(seed);

  const farms = makeFarms(sizes.farms, random);
  const boxes = farms.map((farm) => bboxOfRing(farm.boundary as Polygon));
  const queries = makeQueries(sizes.queries, farms, boxes, random);
  const baselineQueries = queries.slice(0, sizes.baselineQueries);
  const vertexCount = farms.reduce(
    (n, farm) => n + ((farm.boundary as Polygon).coordinates[0]?.length ?? 0),
    0,
  );
  log(
    `${formatCount(farms.length)} farms (${formatCount(vertexCount)} positions), ${formatCount(queries.length)} fixes`,
  );

  // Index build, 3 times: a cost paid once per portfolio change, reported in the notes.
  const buildMs: number[] = [];
  let index: GeofenceIndex | null = null;
  for (let i = 0; i < 3; i++) {
    options.signal.throwIfAborted();
    const start = performance.now();
    index = createGeofenceIndex(farms);
    buildMs.push(performance.now() - start);
  }
  if (index === null) throw new Error('index was not built');
  const built = index;

  const bruteForce = (lngLat: LngLat): string[] => {
    const ids: string[] = [];
    const [lng, lat] = lngLat;
    for (let f = 0; f < farms.length; f++) {
      const box = boxes[f];
      const farm = farms[f];
      if (box === undefined || farm === undefined) continue;
      if (lng < box[0] || lng > box[2] || lat < box[1] || lat > box[3]) continue;
      if (isPointInPolygon(lngLat, farm.boundary)) ids.push(farm.id);
    }
    return ids;
  };

  // Correctness first: the index must give the brute-force answers.
  let hits = 0;
  let inKnownFarm = 0;
  for (const query of baselineQueries) {
    const expected = bruteForce(query.lngLat);
    const actual = built.farmsContaining(query.lngLat);
    if (expected.join() !== actual.join()) {
      throw new Error(
        `farmsContaining(${JSON.stringify(query.lngLat)}) gave [${actual.join(', ')}], brute force [${expected.join(', ')}]`,
      );
    }
    const known = built.isInsideFarm(query.farmId, query.lngLat);
    if (known !== expected.includes(query.farmId)) {
      throw new Error(`isInsideFarm(${query.farmId}, ${JSON.stringify(query.lngLat)}) disagrees`);
    }
    if (expected.length > 0) hits += 1;
    if (known) inKnownFarm += 1;
  }

  const methods: Method[] = [
    {
      id: 'brute-force',
      label: `brute force: every farm's bbox, then its polygon (${formatCount(baselineQueries.length)} fixes; baseline)`,
      queries: baselineQueries,
      batches: chunk(baselineQueries, baselineBatchSize),
      answer: (batch) => batch.reduce((n, q) => n + (bruteForce(q.lngLat).length > 0 ? 1 : 0), 0),
    },
    {
      id: 'farms-containing',
      label: 'farmsContaining: Flatbush over bboxes, then the polygons',
      queries,
      batches: chunk(queries, batchSize),
      answer: (batch) =>
        batch.reduce((n, q) => n + (built.farmsContaining(q.lngLat).length > 0 ? 1 : 0), 0),
    },
    {
      id: 'is-inside-farm',
      label: "isInsideFarm: the tag's farm known from the topic",
      queries,
      batches: chunk(queries, batchSize),
      answer: (batch) =>
        batch.reduce((n, q) => n + (built.isInsideFarm(q.farmId, q.lngLat) ? 1 : 0), 0),
    },
  ];

  const measure = async (method: Method, repetition: number): Promise<Sample> => {
    let inside = 0;
    const timed = await timeBatches(
      method.batches,
      (batch) => {
        inside += method.answer(batch);
        return Promise.resolve();
      },
      { maxMs: sizes.maxMsPerMeasurement, signal: options.signal },
    );
    if (inside < 0) throw new Error('unreachable: keeps the answers observable');
    return {
      repetition,
      count: timed.count,
      elapsedMs: timed.elapsedMs,
      perSecond: timed.elapsedMs > 0 ? (timed.count / timed.elapsedMs) * 1000 : 0,
      stoppedByTimeCap: timed.stoppedByTimeCap,
    };
  };

  // Warm-up, not recorded: let the JIT compile the hot loops.
  for (const method of methods) {
    const warm: Method = { ...method, batches: method.batches.slice(0, 2) };
    await measure(warm, 0);
  }

  const samples = new Map<string, Sample[]>(methods.map((m) => [m.id, []]));
  let skippedCount = 0;
  for (let repetition = 1; repetition <= sizes.repetitions; repetition++) {
    for (const method of methods) {
      if (budget.isSpent()) {
        skippedCount += 1;
        continue;
      }
      const sample = await measure(method, repetition);
      samples.get(method.id)?.push(sample);
      log(
        `rep ${repetition}/${sizes.repetitions} ${method.id}: ${formatCount(sample.count)} fixes in ` +
          `${formatSeconds(sample.elapsedMs)} = ${formatCount(sample.perSecond)}/s` +
          (sample.stoppedByTimeCap ? ' (time cap)' : ''),
      );
    }
  }

  const cases: CaseSamples[] = methods.map((m) => ({
    id: m.id,
    label: m.label,
    samples: samples.get(m.id) ?? [],
  }));
  const group = summarizeGroup(
    `${formatCount(farms.length)} farms, point-in-farm queries`,
    'brute-force',
    cases,
  );

  const notes: string[] = [];
  const rateOf = (id: string): number | null =>
    group.cases.find((c) => c.id === id)?.medianPerSecond ?? null;
  const brute = rateOf('brute-force');
  const indexed = rateOf('farms-containing');
  const byId = rateOf('is-inside-farm');
  if (brute !== null && indexed !== null) {
    notes.push(
      `farmsContaining answered ${formatCount(sizes.queries)} fixes at ${formatRatio(indexed / brute)} the brute-force rate; ` +
        `brute force would need ${formatSeconds((sizes.queries / brute) * 1000)} for them, the index ${formatSeconds((sizes.queries / indexed) * 1000)}.`,
    );
  }
  if (indexed !== null && byId !== null) {
    notes.push(
      `isInsideFarm (farm known) ran at ${formatRatio(byId / indexed)} the rate of farmsContaining.`,
    );
  }
  const buildMedianMs = median(buildMs) ?? 0;
  notes.push(
    `building the index of ${formatCount(farms.length)} farms took ${buildMedianMs.toFixed(1)} ms (median of 3).`,
    `of the ${formatCount(baselineQueries.length)} checked fixes, ${formatCount(hits)} were in some farm and ` +
      `${formatCount(inKnownFarm)} in the farm named for them; every indexed answer matched brute force.`,
  );
  const skipped =
    skippedCount > 0
      ? [
          `${skippedCount} of ${methods.length * sizes.repetitions} measurements skipped, the suite's ` +
            `${formatSeconds(sizes.budgetMs)} budget was spent`,
        ]
      : [];

  return {
    suite: 'geofence',
    title: 'point-in-farm queries against many farm boundaries',
    unit: 'queries/s',
    method: [
      `${formatCount(farms.length)} synthetic star-shaped farms (20–60 vertices, 150–800 m radius) over Flanders ` +
        `and ${formatCount(sizes.queries)} fixes (half near a farm, half anywhere), from seed ${seed}.`,
      `queries/s = fixes answered / wall time of the loop, in batches of ${formatCount(batchSize)} ` +
        `(${formatCount(baselineBatchSize)} for the baseline); a measurement stops at the first batch past ` +
        `${formatSeconds(sizes.maxMsPerMeasurement)}.`,
      `The brute-force baseline answers only the first ${formatCount(baselineQueries.length)} fixes ` +
        `(it tests every farm's bbox for each); rates per fix are comparable, the indexed answers were checked against it.`,
      `Median and min–max of ${sizes.repetitions} repetitions, cases round-robin after an untimed warm-up; ` +
        `× baseline = median / median of brute force in the same run.`,
    ],
    environment: {
      process: 'in this Node process, single-threaded; no database',
    },
    parameters: {
      ...sizes,
      seed,
      region,
      farmPositions: vertexCount,
      batchSize,
      baselineBatchSize,
      indexBuildMs: buildMs.map((ms) => Math.round(ms * 10) / 10),
    },
    groups: [group],
    notes,
    skipped,
  };
}

export const geofence: BenchSuite = {
  name: 'geofence',
  title: 'point-in-farm queries against many farm boundaries',
  needsDatabaseServer: false,
  run,
};
