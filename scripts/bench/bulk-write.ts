/**
 * Suite `bulk-write`: how fast ear-tag readings get into `tag_readings`, per write method, on the
 * real TimescaleDB (a fresh database on the DATABASE_URL server) and on the embedded PGlite (in
 * memory, in this process).
 *
 * Methods, each writing one batch per transaction:
 * - the baseline: one parameterised `insert ... on conflict do nothing` per reading (naive code);
 * - a multi-row `insert ... values (...), (...)` of 1,000 rows per statement;
 * - `writeTagReadings` on its COPY path where the backend speaks COPY (PostgreSQL/TimescaleDB):
 *   COPY into a staging table then insert...select (the service takes it for batches of
 *   `copyMinRows` and more), and its unnest() insert elsewhere (PGlite);
 * - on the server only, `writeTagReadings` forced onto the unnest path (the service's path for
 *   smaller batches), to compare COPY and unnest on the same server;
 * - a re-send of readings that are all stored already (the idempotent path a retry takes).
 *
 * Each measurement starts from an emptied table (truncate, not timed) and writes the same readings:
 * 500 tags reporting every 5 minutes, in time order. Repetitions run the methods round-robin
 * (A, B, C, A, B, C, ...) so slow spells of the shared machine spread over all of them.
 */
import { migrate } from '../../server/db/migrate.ts';
import { openPgStorage } from '../../server/db/pg-storage.ts';
import { openPgliteStorage } from '../../server/db/pglite-storage.ts';
import type { Queryable, SqlParam, Storage, StorageInfo } from '../../server/db/storage.ts';
import { writeTagReadings, type TagReading } from '../../server/db/tag-readings.ts';
import { createTestDatabase } from '../../server/testing/databases.ts';
import { formatCount, formatRatio, formatSeconds } from './lib/format.ts';
import { chunk, startBudget, timeBatches, type Budget } from './lib/measure.ts';
import { summarizeGroup, type CaseSamples } from './lib/stats.ts';
import type {
  BenchOptions,
  BenchSuite,
  CaseResult,
  ResultGroup,
  Sample,
  SuiteResult,
} from './lib/types.ts';
import { insertMinimalFarm } from '../../server/testing/minimal-farm.ts';

interface Sizes {
  readonly batchSizes: readonly number[];
  /** Readings each measurement writes at most (it may stop earlier at its time cap). */
  readonly readingsPerMeasurement: number;
  readonly repetitions: number;
  readonly maxMsPerMeasurement: number;
  /** Wall-clock budget of the whole suite; measurements past it are skipped and listed. */
  readonly budgetMs: number;
}

const fullSizes: Sizes = {
  batchSizes: [1_000, 10_000],
  readingsPerMeasurement: 50_000,
  repetitions: 3,
  maxMsPerMeasurement: 12_000,
  budgetMs: 6 * 60_000,
};

// Batch 2,500 also exercises the multi-row VALUES split (1,000 + 1,000 + 500).
const quickSizes: Sizes = {
  batchSizes: [1_000, 2_500],
  readingsPerMeasurement: 5_000,
  repetitions: 3,
  maxMsPerMeasurement: 2_000,
  budgetMs: 45_000,
};

const tagCount = 500;
const reportIntervalMs = 5 * 60_000;
const rowsPerValuesStatement = 1_000;
const firstObservedAtMs = Date.UTC(2026, 10, 1);

const columns =
  'observed_at, tag_code, farm_id, gateway_id, lat, lon, temperature_c, activity, battery_pct, rssi';
const columnCount = 10;

interface Method {
  readonly id: string;
  readonly label: string;
  /** fresh: new readings into an emptied table. resend: the same readings again, all stored. */
  readonly mode: 'fresh' | 'resend';
  /** Writes one batch in one transaction; resolves to the number of rows inserted. */
  write(storage: Storage, batch: readonly TagReading[]): Promise<number>;
}

const rowByRow: Method = {
  id: 'row-by-row',
  label: 'row-by-row insert, 1 statement/reading (baseline)',
  mode: 'fresh',
  write: (storage, batch) =>
    storage.transaction(async (tx) => {
      const sql = insertValuesSql(1);
      let inserted = 0;
      for (const reading of batch) inserted += (await tx.query(sql, rowParams(reading))).rowCount;
      return inserted;
    }),
};

const multiRowValues: Method = {
  id: 'values-1000',
  label: `multi-row VALUES, ${formatCount(rowsPerValuesStatement)} rows/statement`,
  mode: 'fresh',
  write: (storage, batch) =>
    storage.transaction(async (tx) => {
      let inserted = 0;
      for (const rows of chunk(batch, rowsPerValuesStatement)) {
        const result = await tx.query(insertValuesSql(rows.length), rows.flatMap(rowParams));
        inserted += result.rowCount;
      }
      return inserted;
    }),
};

/** writeTagReadings on COPY where the backend has it, whatever the batch size; unnest elsewhere. */
function writePreferringCopy(storage: Storage, batch: readonly TagReading[]): Promise<number> {
  return storage.transaction(
    async (tx) => (await writeTagReadings(tx, batch, { copyMinRows: 0 })).inserted,
  );
}

/** writeTagReadings on a transaction that hides copyFrom, so it takes the unnest path. */
function writeByUnnest(storage: Storage, batch: readonly TagReading[]): Promise<number> {
  return storage.transaction(
    async (tx) => (await writeTagReadings(withoutCopy(tx), batch)).inserted,
  );
}

function withoutCopy(tx: Queryable): Queryable {
  return {
    query: (sql, params, options) => tx.query(sql, params, options),
    exec: (sql) => tx.exec(sql),
  };
}

function methodsFor(storage: Storage): Method[] {
  if (storage.kind === 'pglite') {
    return [
      rowByRow,
      multiRowValues,
      {
        id: 'write-unnest',
        label: 'writeTagReadings: unnest',
        mode: 'fresh',
        write: writePreferringCopy,
      },
      {
        id: 'resend-unnest',
        label: 're-send, all duplicates: writeTagReadings unnest',
        mode: 'resend',
        write: writePreferringCopy,
      },
    ];
  }
  return [
    rowByRow,
    multiRowValues,
    {
      id: 'write-copy',
      label: 'writeTagReadings: COPY → stage → insert...select',
      mode: 'fresh',
      write: writePreferringCopy,
    },
    {
      id: 'write-unnest',
      label: 'writeTagReadings forced to unnest',
      mode: 'fresh',
      write: writeByUnnest,
    },
    {
      id: 'resend-copy',
      label: 're-send, all duplicates: writeTagReadings COPY',
      mode: 'resend',
      write: writePreferringCopy,
    },
    {
      id: 'resend-unnest',
      label: 're-send, all duplicates: writeTagReadings unnest',
      mode: 'resend',
      write: writeByUnnest,
    },
  ];
}

const valuesSqlCache = new Map<number, string>();

/** `insert ... values ($1..$10), ($11..$20), ... on conflict do nothing` for `rows` rows. */
function insertValuesSql(rows: number): string {
  let sql = valuesSqlCache.get(rows);
  if (sql === undefined) {
    const tuples = Array.from({ length: rows }, (_, row) => {
      const first = row * columnCount;
      return `(${Array.from({ length: columnCount }, (_, col) => `$${first + col + 1}`).join(', ')})`;
    });
    sql = `insert into tag_readings (${columns}) values ${tuples.join(', ')}
           on conflict (tag_code, observed_at) do nothing`;
    valuesSqlCache.set(rows, sql);
  }
  return sql;
}

function rowParams(r: TagReading): SqlParam[] {
  return [
    r.observedAt.toISOString(),
    r.tagCode,
    r.farmId,
    r.gatewayId,
    r.lat,
    r.lon,
    r.temperatureC ?? null,
    r.activity ?? null,
    r.batteryPct ?? null,
    r.rssi ?? null,
  ];
}

/** `count` readings: `tagCount` tags reporting every `reportIntervalMs`, in time order. */
function makeReadings(farmId: string, count: number): TagReading[] {
  return Array.from({ length: count }, (_, i) => {
    const tag = i % tagCount;
    const step = Math.floor(i / tagCount);
    return {
      tagCode: `BE-${String(tag).padStart(6, '0')}`,
      observedAt: new Date(firstObservedAtMs + step * reportIntervalMs),
      farmId,
      gatewayId: null,
      lat: 50.001 + ((tag * 37 + step) % 1000) * 1e-5,
      lon: 3.001 + ((tag * 53 + step) % 1000) * 1e-5,
      temperatureC: 38 + ((tag + step) % 20) / 10,
      activity: ((tag * 7 + step) % 100) / 100,
      batteryPct: 100 - (step % 100) / 2,
      rssi: -60 - (tag % 40),
    };
  });
}

async function countStored(storage: Storage): Promise<number> {
  const { rows } = await storage.query<{ n: number }>(
    'select count(*)::int as n from tag_readings',
  );
  return rows[0]?.n ?? -1;
}

interface OpenBackend {
  readonly storage: Storage;
  readonly info: StorageInfo;
  /** One line for the report: versions, where it runs, the settings that matter for writes. */
  readonly description: string;
  close(): Promise<void>;
}

async function openServerBackend(): Promise<OpenBackend> {
  const database = await createTestDatabase();
  const storage = openPgStorage({
    connectionString: database.url,
    poolMax: 2,
    applicationName: 'pledgewatch-bench',
  });
  const close = async (): Promise<void> => {
    try {
      await storage.close();
    } finally {
      await database.drop();
    }
  };
  try {
    await migrate(storage);
    const info = await storage.info();
    const { rows } = await storage.query<{ fsync: string; synchronous_commit: string }>(
      `select current_setting('fsync') as fsync,
              current_setting('synchronous_commit') as synchronous_commit`,
    );
    let layout = 'tag_readings is a plain table (no TimescaleDB extension on this server)';
    if (info.timescaledbVersion !== null) {
      const chunks = await storage.query<{ interval: string }>(
        `select time_interval::text as interval from timescaledb_information.dimensions
         where hypertable_name = 'tag_readings'`,
      );
      const interval = chunks.rows[0]?.interval;
      layout =
        interval === undefined
          ? 'tag_readings is NOT a hypertable'
          : `tag_readings is a hypertable (chunks of ${interval})`;
    }
    const url = new URL(database.url);
    const settings = rows[0];
    const description =
      `PostgreSQL ${info.serverVersion}` +
      (info.timescaledbVersion === null ? '' : ` + TimescaleDB ${info.timescaledbVersion}`) +
      ` at ${url.host} over TCP, fresh database ${url.pathname.slice(1)}; ` +
      `fsync=${settings?.fsync ?? '?'}, synchronous_commit=${settings?.synchronous_commit ?? '?'}; ${layout}`;
    return { storage, info, description, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function openEmbeddedBackend(): Promise<OpenBackend> {
  const storage = await openPgliteStorage({ dataDir: null });
  try {
    await migrate(storage);
    const info = await storage.info();
    return {
      storage,
      info,
      description: `PGlite (PostgreSQL ${info.serverVersion} in WASM), in memory, in this process; tag_readings is a plain table`,
      close: () => storage.close(),
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

interface Measurer {
  readonly sizes: Sizes;
  readonly budget: Budget;
  readonly options: BenchOptions;
}

/** One measurement of `method` over `batches`, checked against what the table holds after. */
async function measure(
  storage: Storage,
  method: Method,
  batches: readonly (readonly TagReading[])[],
  repetition: number,
  { sizes, options }: Measurer,
): Promise<Sample> {
  const planned = batches.reduce((n, b) => n + b.length, 0);
  await storage.exec('truncate tag_readings');
  if (method.mode === 'resend') {
    // Not timed: store every reading first, so the timed pass finds nothing new.
    for (const batch of batches) {
      options.signal.throwIfAborted();
      await writePreferringCopy(storage, batch);
    }
  }
  let inserted = 0;
  const run = await timeBatches(
    batches,
    async (batch) => {
      inserted += await method.write(storage, batch);
    },
    { maxMs: sizes.maxMsPerMeasurement, signal: options.signal },
  );
  const stored = await countStored(storage);
  const expectedInserted = method.mode === 'resend' ? 0 : run.count;
  const expectedStored = method.mode === 'resend' ? planned : run.count;
  if (inserted !== expectedInserted || stored !== expectedStored) {
    throw new Error(
      `${method.id}: sent ${run.count} readings (${method.mode}); expected ${expectedInserted} inserted and ` +
        `${expectedStored} stored, got ${inserted} inserted and ${stored} stored`,
    );
  }
  return {
    repetition,
    count: run.count,
    elapsedMs: run.elapsedMs,
    perSecond: run.elapsedMs > 0 ? (run.count / run.elapsedMs) * 1000 : 0,
    stoppedByTimeCap: run.stoppedByTimeCap,
  };
}

/** All methods at one batch size: a warm-up pass, then repetitions in round-robin order. */
async function measureGroup(
  backend: OpenBackend,
  readings: readonly TagReading[],
  batchSize: number,
  measurer: Measurer,
): Promise<{ group: ResultGroup; skipped: number; planned: number }> {
  const { storage } = backend;
  const methods = methodsFor(storage);
  const batches = chunk(readings, batchSize);
  const label = `${backend.info.backend}, batch ${formatCount(batchSize)}`;
  const log = (line: string): void => measurer.options.log(`[bulk-write] ${label}: ${line}`);

  // Warm-up, not recorded: the first statements of a session plan, allocate and JIT-compile.
  for (const method of methods) await measure(storage, method, batches.slice(0, 1), 0, measurer);

  const samples = new Map<string, Sample[]>(methods.map((m) => [m.id, []]));
  let skipped = 0;
  for (let repetition = 1; repetition <= measurer.sizes.repetitions; repetition += 1) {
    for (const method of methods) {
      if (measurer.budget.isSpent()) {
        skipped += 1;
        continue;
      }
      const sample = await measure(storage, method, batches, repetition, measurer);
      samples.get(method.id)?.push(sample);
      log(
        `rep ${repetition}/${measurer.sizes.repetitions} ${method.id}: ${formatCount(sample.count)} readings in ` +
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
  return {
    group: summarizeGroup(label, rowByRow.id, cases),
    skipped,
    planned: methods.length * measurer.sizes.repetitions,
  };
}

function caseOf(group: ResultGroup, id: string): CaseResult | undefined {
  return group.cases.find((c) => c.id === id);
}

/** Whether the min–max ranges of two cases overlap: then their medians differ within the noise. */
function rangesOverlap(a: CaseResult, b: CaseResult): boolean {
  const [aMin, aMax, bMin, bMax] = [a.minPerSecond, a.maxPerSecond, b.minPerSecond, b.maxPerSecond];
  if (aMin === null || aMax === null || bMin === null || bMax === null) return false;
  return aMin <= bMax && bMin <= aMax;
}

/** The comparisons the table does not show directly. */
function notesFor(group: ResultGroup): string[] {
  const notes: string[] = [];
  const compare = (
    idA: string,
    idB: string,
    text: (ratio: string, rateA: string, rateB: string) => string,
  ): void => {
    const a = caseOf(group, idA);
    const b = caseOf(group, idB);
    const ra = a?.medianPerSecond ?? null;
    const rb = b?.medianPerSecond ?? null;
    if (a === undefined || b === undefined || ra === null || rb === null || rb <= 0) return;
    const noise = rangesOverlap(a, b) ? '; min–max ranges overlap, so within the noise' : '';
    notes.push(
      `${group.label}: ${text(formatRatio(ra / rb), formatCount(ra), formatCount(rb))}${noise}`,
    );
  };
  compare(
    'write-copy',
    'write-unnest',
    (r, a, b) =>
      `COPY path ran at ${r} the rate of the unnest path on the same server (${a} vs ${b} readings/s)`,
  );
  compare(
    'resend-copy',
    'write-copy',
    (r, a, b) =>
      `all-duplicate re-send via COPY ran at ${r} the rate of a fresh COPY write (${a} vs ${b} readings/s)`,
  );
  compare(
    'resend-unnest',
    'write-unnest',
    (r, a, b) =>
      `all-duplicate re-send via unnest ran at ${r} the rate of a fresh unnest write (${a} vs ${b} readings/s)`,
  );
  return notes;
}

async function run(options: BenchOptions): Promise<SuiteResult> {
  const sizes = options.quick ? quickSizes : fullSizes;
  const budget = startBudget(sizes.budgetMs);
  const measurer: Measurer = { sizes, budget, options };
  const environment: Record<string, string> = {};
  const groups: ResultGroup[] = [];
  const skipped: string[] = [];

  const backends: { readonly name: string; open(): Promise<OpenBackend> }[] = [
    { name: 'server (DATABASE_URL)', open: openServerBackend },
    { name: 'pglite', open: openEmbeddedBackend },
  ];
  for (const { name, open } of backends) {
    options.signal.throwIfAborted();
    if (budget.isSpent()) {
      skipped.push(
        `${name}: not measured, the suite's ${formatSeconds(sizes.budgetMs)} budget was spent`,
      );
      continue;
    }
    options.log(`[bulk-write] opening ${name}`);
    const backend = await open();
    try {
      environment[backend.info.backend] = backend.description;
      const farmId = await insertMinimalFarm(backend.storage);
      const readings = makeReadings(farmId, sizes.readingsPerMeasurement);
      for (const batchSize of sizes.batchSizes) {
        const {
          group,
          skipped: count,
          planned,
        } = await measureGroup(backend, readings, batchSize, measurer);
        groups.push(group);
        if (count > 0) {
          skipped.push(
            `${group.label}: ${count} of ${planned} measurements skipped, the suite's ` +
              `${formatSeconds(sizes.budgetMs)} budget was spent`,
          );
        }
      }
    } finally {
      await backend.close();
    }
  }

  return {
    suite: 'bulk-write',
    title: 'bulk writes of ear-tag readings into tag_readings',
    unit: 'readings/s',
    method: [
      `Each measurement writes up to ${formatCount(sizes.readingsPerMeasurement)} new readings ` +
        `(${tagCount} tags reporting every ${reportIntervalMs / 60_000} min, in time order) in batches of ` +
        `the group's size, one transaction per batch, into a table emptied just before (not timed).`,
      `It stops early at the first batch boundary past ${formatSeconds(sizes.maxMsPerMeasurement)}; ` +
        `its rate is then over the readings it wrote.`,
      `readings/s = readings sent / wall time of the batch loop, client and server together; ` +
        `every measurement is checked against count(*) afterwards.`,
      `Re-send rows: every reading is stored first (not timed), then the same batches are sent again ` +
        `and all are skipped as duplicates.`,
      `Median and min–max of ${sizes.repetitions} repetitions, methods run round-robin after one ` +
        `untimed warm-up batch each; × baseline = median / median of the row-by-row baseline in the same group.`,
    ],
    environment,
    parameters: {
      ...sizes,
      tagCount,
      reportIntervalMs,
      rowsPerValuesStatement,
      firstObservedAt: new Date(firstObservedAtMs).toISOString(),
    },
    groups,
    notes: groups.flatMap(notesFor),
    skipped,
  };
}

export const bulkWrite: BenchSuite = {
  name: 'bulk-write',
  title: 'bulk writes of ear-tag readings into tag_readings',
  needsDatabaseServer: true,
  run,
};
