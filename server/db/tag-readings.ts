import type { EarTagReading } from '../../iot/index.ts';
import type { Queryable } from './storage.ts';

/** One ear-tag fix as stored (already validated at the edge). */
export interface TagReading {
  readonly tagCode: string;
  readonly observedAt: Date;
  readonly farmId: string;
  readonly gatewayId: string | null;
  readonly lat: number;
  readonly lon: number;
  readonly temperatureC?: number | null;
  readonly activity?: number | null;
  readonly batteryPct?: number | null;
  readonly rssi?: number | null;
}

/** The row of a decoded ear-tag reading, as reported by gateway `gatewayId` of farm `farmId`. */
export function tagReadingOf(
  reading: EarTagReading,
  farmId: string,
  gatewayId: string | null,
): TagReading {
  return {
    tagCode: reading.tagId,
    observedAt: reading.observedAt,
    farmId,
    gatewayId,
    lat: reading.lat,
    lon: reading.lon,
    temperatureC: reading.temperatureC,
    activity: reading.activity,
    batteryPct: reading.batteryPct,
    rssi: reading.rssi,
  };
}

export interface WriteResult {
  /** Rows that were new. */
  readonly inserted: number;
  /** Rows already stored under the same (tag, observed_at): a retry or a second gateway. */
  readonly duplicates: number;
}

const columns =
  'observed_at, tag_code, farm_id, gateway_id, lat, lon, temperature_c, activity, battery_pct, rssi';

/**
 * Below this many readings a batch goes in one `insert ... select from unnest(...)` even where
 * COPY is available: COPY needs four statements (stage, copy, move) and a stream, about 0.6 ms of
 * client CPU and a millisecond of wall time more per batch, which the small batches of a steady
 * stream of readings (tens to hundreds each) cannot earn back; from a few thousand rows on, COPY
 * is the cheaper of the two (measured with TimescaleDB 2.19 on PostgreSQL 15).
 */
export const copyMinRows = 2_000;

/**
 * Writes a batch of readings, idempotent on (tag_code, observed_at). Call it inside a transaction.
 *
 * Big batches, where the backend speaks COPY (PostgreSQL/TimescaleDB), stream into a per-session
 * staging table in one COPY and move over with one `insert ... select ... on conflict do nothing`;
 * COPY alone cannot skip duplicates. Smaller batches, and every batch elsewhere (PGlite), go in
 * one `insert ... select from unnest(...)` carrying the whole batch as ten array parameters.
 */
export async function writeTagReadings(
  tx: Queryable,
  readings: readonly TagReading[],
  options: {
    /** Override of `copyMinRows` (the bulk-write bench compares the two paths with 0). */
    readonly copyMinRows?: number;
  } = {},
): Promise<WriteResult> {
  if (readings.length === 0) return { inserted: 0, duplicates: 0 };
  const inserted =
    tx.copyFrom && readings.length >= (options.copyMinRows ?? copyMinRows)
      ? await writeByCopy(tx, tx.copyFrom, readings)
      : await writeByUnnest(tx, readings);
  return { inserted, duplicates: readings.length - inserted };
}

async function writeByCopy(
  tx: Queryable,
  copyFrom: NonNullable<Queryable['copyFrom']>,
  readings: readonly TagReading[],
): Promise<number> {
  // Temporary, so concurrent writers never see each other's rows; emptied at commit. Both
  // statements in one round trip.
  await tx.exec(
    `create temporary table if not exists tag_readings_stage
       (like tag_readings including defaults) on commit delete rows;
     truncate tag_readings_stage`,
  );
  await copyFrom(`copy tag_readings_stage (${columns}) from stdin`, toCopyLines(readings));
  // A batch may itself repeat a reading: `do nothing` skips a row that conflicts with one this
  // statement inserted before it too, so the first copy stays (no sort for `distinct on`).
  const result = await tx.query(
    `insert into tag_readings (${columns})
     select ${columns} from tag_readings_stage
     on conflict (tag_code, observed_at) do nothing`,
  );
  return result.rowCount;
}

/** The whole batch as ten array parameters; one text, so one prepared statement. */
const insertByUnnestSql = `insert into tag_readings (${columns})
     select *
     from unnest($1::timestamptz[], $2::text[], $3::uuid[], $4::uuid[], $5::float8[], $6::float8[],
                 $7::real[], $8::real[], $9::real[], $10::real[])
       as r(${columns})
     on conflict (tag_code, observed_at) do nothing`;

async function writeByUnnest(tx: Queryable, readings: readonly TagReading[]): Promise<number> {
  const result = await tx.query(
    insertByUnnestSql,
    [
      readings.map((r) => r.observedAt.toISOString()),
      readings.map((r) => r.tagCode),
      readings.map((r) => r.farmId),
      readings.map((r) => r.gatewayId),
      readings.map((r) => r.lat),
      readings.map((r) => r.lon),
      readings.map((r) => r.temperatureC ?? null),
      readings.map((r) => r.activity ?? null),
      readings.map((r) => r.batteryPct ?? null),
      readings.map((r) => r.rssi ?? null),
    ],
    // The statement of every small batch, the urgent reading's among them: planned once.
    { prepare: true },
  );
  return result.rowCount;
}

function* toCopyLines(readings: readonly TagReading[]): Generator<string> {
  // Rows are grouped into chunks of text so the stream is not one write per row.
  let chunk = '';
  for (const r of readings) {
    chunk +=
      r.observedAt.toISOString() +
      '\t' +
      escapeCopyText(r.tagCode) +
      '\t' +
      r.farmId +
      '\t' +
      (r.gatewayId ?? '\\N') +
      '\t' +
      String(r.lat) +
      '\t' +
      String(r.lon) +
      '\t' +
      copyNumber(r.temperatureC) +
      '\t' +
      copyNumber(r.activity) +
      '\t' +
      copyNumber(r.batteryPct) +
      '\t' +
      copyNumber(r.rssi) +
      '\n';
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

function copyNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '\\N' : String(value);
}

/** COPY text format: backslash, tab, newline and carriage return must be escaped. */
export function escapeCopyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
