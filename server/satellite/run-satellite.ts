/**
 * One run of the satellite job: load the STAC sources, find the items each parcel has not been
 * classified with yet (within the parcel's season window, over its footprint), classify those
 * parcels' seasons again in chunks per CRS and season, store what came out, record the items that
 * failed, and hand the new results to the alert engine.
 */
import type { Bbox, MultiPolygon, Polygon } from '../../geo/index.ts';
import {
  chunkGridOfItems,
  chunkParcelsByCell,
  classifyParcels,
  loadStac,
  type ClassifyParcelInput,
  type ClassifyParcelsOptions,
  type ClassifyParcelsResult,
  type CropSignatures,
  type SceneItem,
} from '../../ingest/index.ts';
import { recordRejections } from '../db/rejected-messages.ts';
import type { Storage } from '../db/storage.ts';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { bboxesMeet, itemFootprint } from './item-footprint.ts';
import { buildParcelRasters } from './parcel-rasters.ts';
import { loadDueResults, markResultsEvaluated } from './read-results.ts';
import { redactSource } from './redact-source.ts';
import { readRun } from './runs.ts';
import {
  insertParcelObservations,
  markItemsProcessed,
  upsertParcelRasters,
  upsertParcelStatus,
} from './store-results.ts';
import type { ParcelResultsHandler, RunFailure, SatelliteRun } from './types.ts';

export type ClassifyFunction = (
  items: readonly SceneItem[],
  parcels: readonly ClassifyParcelInput[],
  options: ClassifyParcelsOptions,
) => Promise<ClassifyParcelsResult>;

export interface SatelliteRunOptions {
  readonly storage: Storage;
  /** STAC catalogs, collections, items or folders (paths or URLs). */
  readonly sources: readonly string[];
  /** The ONNX crop-type model. */
  readonly modelPath: string;
  /** Per-crop signatures for the vegetation-loss and early-harvest markers. */
  readonly signatures?: CropSignatures;
  readonly logger?: Logger;
  readonly trigger?: 'schedule' | 'api';
  readonly requestedBy?: string | null;
  /** Parcels per classifier call (default 500). */
  readonly chunkSize?: number;
  /** An item that failed this many runs is left alone (default 3). */
  readonly maxItemAttempts?: number;
  readonly onParcelResults?: ParcelResultsHandler;
  /** The classifier (tests swap it); default `classifyParcels` of ingest/. */
  readonly classify?: ClassifyFunction;
  readonly signal?: AbortSignal;
}

interface ParcelRow {
  id: string;
  geometry: Polygon | MultiPolygon;
  declared_crop_code: number | null;
  declared_area_m2: number | null;
  season_start: string | null;
  season_end: string | null;
  min_lng: number;
  min_lat: number;
  max_lng: number;
  max_lat: number;
}

interface Work {
  readonly parcel: ParcelRow;
  readonly items: SceneItem[];
  readonly harvestYear: number | null;
}

const DAY_MS = 86_400_000;

/**
 * The scenes a parcel is classified from: its declared season, widened to the months the
 * classifier's features cover (September before the harvest year to October of it; the harvest
 * year is the year the season ends). Without dates: every scene, harvest year inferred.
 */
function seasonWindow(parcel: ParcelRow): {
  from: number | null;
  to: number | null;
  harvestYear: number | null;
} {
  if (parcel.season_end === null) {
    const start =
      parcel.season_start === null ? null : Date.parse(`${parcel.season_start}T00:00:00Z`);
    return { from: start, to: null, harvestYear: null };
  }
  const end = Date.parse(`${parcel.season_end}T00:00:00Z`) + DAY_MS - 1;
  const harvestYear = new Date(end).getUTCFullYear();
  const start =
    parcel.season_start === null ? Infinity : Date.parse(`${parcel.season_start}T00:00:00Z`);
  return {
    from: Math.min(start, Date.UTC(harvestYear - 1, 8, 1)),
    to: Math.max(end, Date.UTC(harvestYear, 10, 1) - 1),
    harvestYear,
  };
}

/**
 * Runs the job once and resolves with the run as stored (also when it failed: `status` says so
 * and `error` why). Only aborting `signal` rejects.
 */
export async function runSatellite(options: SatelliteRunOptions): Promise<SatelliteRun> {
  const db = options.storage;
  const logger = options.logger ?? silentLogger;
  const classify = options.classify ?? classifyParcels;
  const chunkSize = options.chunkSize ?? 500;
  const maxAttempts = options.maxItemAttempts ?? 3;
  const { rows: created } = await db.query<{ id: string }>(
    `insert into satellite_runs (trigger, requested_by, sources) values ($1, $2, $3) returning id`,
    [options.trigger ?? 'schedule', options.requestedBy ?? null, options.sources.map(redactSource)],
  );
  const runId = String(created[0]?.id);
  const failures: RunFailure[] = [];
  const counts = {
    itemsSeen: 0,
    itemsNew: 0,
    itemsFailed: 0,
    parcelsClassified: 0,
    observationsWritten: 0,
    alertsEvaluated: 0,
  };
  let error: string | null = null;
  try {
    // 1. Items from every source; a document that cannot be read is a failure, the rest goes on.
    const items = new Map<string, SceneItem>();
    for (const source of options.sources) {
      const loaded = await loadStac(source, options.signal ? { signal: options.signal } : {});
      for (const failure of loaded.failures) {
        if (failure.code === 'duplicate_item') continue;
        failures.push({ itemId: failure.itemId, code: failure.code, reason: failure.reason });
      }
      for (const item of loaded.items) if (!items.has(item.id)) items.set(item.id, item);
    }
    counts.itemsSeen = items.size;
    const all = [...items.values()];
    if (all.length > 0) {
      const { rowCount } = await db.query(
        `insert into satellite_items (item_id, href, observed_at, epsg, status)
         select item_id, href, observed_at, epsg, 'ok'
           from unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[])
             as i(item_id, href, observed_at, epsg)
         on conflict (item_id) do nothing`,
        [
          all.map((i) => i.id),
          all.map((i) => i.href),
          all.map((i) => i.datetime.toISOString()),
          all.map((i) => i.epsg),
        ],
      );
      counts.itemsNew = rowCount;
    }
    const { rows: given } = await db.query<{ item_id: string }>(
      `select item_id from satellite_items where status = 'failed' and attempts >= $1`,
      [maxAttempts],
    );
    const givenUp = new Set(given.map((r) => r.item_id));
    const usable = all.filter((item) => !givenUp.has(item.id));
    const footprints = new Map(usable.map((item) => [item.id, itemFootprint(item)]));

    // 2. The parcels that have an item they were not classified with.
    const { rows: parcels } = await db.query<ParcelRow>(
      `select id, geometry, declared_crop_code, declared_area_m2, season_start, season_end,
              min_lng, min_lat, max_lng, max_lat
         from parcels order by id`,
    );
    const { rows: done } = await db.query<{ parcel_id: string; item_id: string }>(
      `select parcel_id, item_id from satellite_parcel_items`,
    );
    const processed = new Set(done.map((r) => `${r.parcel_id}|${r.item_id}`));
    // A parcel changed since its result (boundary, declared crop or area, season) is checked again.
    const { rows: stale } = await db.query<{ parcel_id: string }>(
      `select s.parcel_id from parcel_satellite_status s join parcels p on p.id = s.parcel_id
        where p.updated_at > s.updated_at`,
    );
    const changed = new Set(stale.map((r) => r.parcel_id));
    const work: Work[] = [];
    for (const parcel of parcels) {
      const box: Bbox = [parcel.min_lng, parcel.min_lat, parcel.max_lng, parcel.max_lat];
      const { from, to, harvestYear } = seasonWindow(parcel);
      const candidates = usable.filter((item) => {
        const t = item.datetime.getTime();
        if ((from !== null && t < from) || (to !== null && t > to)) return false;
        const footprint = footprints.get(item.id) ?? null;
        return footprint === null || bboxesMeet(footprint, box);
      });
      if (candidates.length === 0) continue;
      // Pixels cannot be compared across grids: the CRS with most scenes of the parcel wins.
      const byEpsg = new Map<number, SceneItem[]>();
      for (const item of candidates)
        byEpsg.set(item.epsg, [...(byEpsg.get(item.epsg) ?? []), item]);
      const chosen = [...byEpsg.values()].sort((a, b) => b.length - a.length)[0] ?? [];
      if (
        changed.has(parcel.id) ||
        chosen.some((item) => !processed.has(`${parcel.id}|${item.id}`))
      ) {
        work.push({ parcel, items: chosen, harvestYear });
      }
    }

    // 3. Classify per CRS and season window, in chunks; each chunk is stored in one transaction.
    const groups = new Map<string, Work[]>();
    for (const entry of work) {
      const key = `${entry.items[0]?.epsg}|${entry.harvestYear}`;
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    const { rows: cropRows } = await db.query<{ code: number }>('select code from crop_types');
    const knownCrops = new Set(cropRows.map((r) => Number(r.code)));
    const failedItems = new Map<string, RunFailure>();
    const usedItems = new Set<string>();
    for (const group of groups.values()) {
      // Neighbouring parcels together: a chunk then decodes only its part of each tile.
      const chunks = chunkParcelsByCell(
        group,
        ({ parcel }) => parcel.geometry,
        chunkGridOfItems(group[0]?.items ?? []),
        chunkSize,
      );
      for (const chunk of chunks) {
        options.signal?.throwIfAborted();
        const chunkItems = new Map<string, SceneItem>();
        for (const entry of chunk) for (const item of entry.items) chunkItems.set(item.id, item);
        const itemList = [...chunkItems.values()];
        const inputs = chunk.map(({ parcel }) => ({
          id: parcel.id,
          geometry: parcel.geometry,
          ...(parcel.declared_crop_code === null
            ? {}
            : { declaredCropCode: Number(parcel.declared_crop_code) }),
          ...(parcel.declared_area_m2 === null
            ? {}
            : { declaredAreaM2: Number(parcel.declared_area_m2) }),
        }));
        const harvestYear = chunk[0]?.harvestYear ?? null;
        const classified = await classify(itemList, inputs, {
          classifier: options.modelPath,
          ...(harvestYear === null ? {} : { harvestYear }),
          raster: true,
          chunkSize,
          ...(options.signatures === undefined ? {} : { signatures: options.signatures }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        const failedHere = new Set<string>();
        for (const failure of classified.failures) {
          if (failure.parcelId !== undefined) {
            failures.push({
              itemId: failure.itemId,
              code: failure.code,
              reason: failure.reason,
              parcelId: failure.parcelId,
            });
            continue;
          }
          // The chunk's parcels were picked by footprint: a scene missing them all is no fault.
          if (failure.code === 'no_parcel_inside') continue;
          failedHere.add(failure.itemId);
          if (!failedItems.has(failure.itemId)) {
            failedItems.set(failure.itemId, {
              itemId: failure.itemId,
              code: failure.code,
              reason: failure.reason,
            });
          }
        }
        for (const item of itemList) if (!failedHere.has(item.id)) usedItems.add(item.id);
        const rasters = await buildParcelRasters(
          itemList.filter((item) => !failedHere.has(item.id)),
          inputs,
          classified.results,
          classified.raster,
          options.signal ? { signal: options.signal } : {},
        ).catch((rasterError: unknown) => {
          // The map layer is a view: a failure here must not lose the results.
          logger.warn('satellite: parcel rasters failed', { reason: errorMessage(rasterError) });
          return [];
        });
        const pairs = chunk.flatMap(({ parcel, items: parcelItems }) =>
          parcelItems
            .filter((item) => !failedHere.has(item.id))
            .map((item) => ({ parcelId: parcel.id, itemId: item.id })),
        );
        const written = await db.transaction(async (tx) => {
          const rows = await insertParcelObservations(tx, classified.results, knownCrops);
          await upsertParcelStatus(tx, classified.results, runId);
          await upsertParcelRasters(tx, rasters);
          await markItemsProcessed(tx, pairs, runId);
          return rows;
        });
        counts.observationsWritten += written;
        counts.parcelsClassified += classified.results.length;
      }
    }

    // 4. Failed items: counted once per run, retried by later runs up to maxAttempts.
    await countItemAttempts(db, [...failedItems.values()]);
    failures.push(...failedItems.values());
    await recordNewRejections(db, failures, items, runId);
    counts.itemsFailed = failedItems.size;
    const recovered = [...usedItems].filter((id) => !failedItems.has(id));
    if (recovered.length > 0) {
      await db.query(
        `update satellite_items set status = 'ok', failure_code = null, failure_reason = null,
                attempts = 0, updated_at = now()
          where item_id = any($1::text[]) and status = 'failed'`,
        [recovered],
      );
    }

    // 5. The alert engine: every result not yet handed over (also those a failed hand-off left).
    if (options.onParcelResults !== undefined) {
      counts.alertsEvaluated = await handOver(db, options.onParcelResults, logger);
    }
  } catch (caught) {
    if (options.signal?.aborted === true) {
      // Why it stopped (the service stopping, the job's lease taken by another instance).
      const reason: unknown = options.signal.reason;
      await finishRun(db, runId, 'failed', counts, failures, `aborted: ${errorMessage(reason)}`);
      throw caught;
    }
    error = errorMessage(caught);
    logger.error('satellite run failed', { runId, reason: error });
  }
  await finishRun(db, runId, error === null ? 'succeeded' : 'failed', counts, failures, error);
  const run = await readRun(db, runId);
  if (run === null) throw new Error(`satellite run ${runId} vanished`);
  logger.info('satellite run', {
    runId,
    status: run.status,
    itemsSeen: run.itemsSeen,
    parcelsClassified: run.parcelsClassified,
    observationsWritten: run.observationsWritten,
    itemsFailed: run.itemsFailed,
  });
  return run;
}

async function countItemAttempts(db: Storage, failed: readonly RunFailure[]): Promise<void> {
  for (const failure of failed) {
    await db.query(
      `update satellite_items set status = 'failed', failure_code = $2, failure_reason = $3,
              attempts = attempts + 1, updated_at = now()
        where item_id = $1`,
      [failure.itemId, failure.code, failure.reason],
    );
  }
}

/**
 * Each item (or document) failure goes to rejected_messages (source 'tile') the first time it is
 * seen with that code: a scene that keeps failing is recorded once, not once per run.
 */
async function recordNewRejections(
  db: Storage,
  failures: readonly RunFailure[],
  items: ReadonlyMap<string, SceneItem>,
  runId: string,
): Promise<void> {
  const candidates = failures.filter((f) => f.parcelId === undefined);
  if (candidates.length === 0) return;
  const { rows } = await db.query<{ item_id: string; code: string }>(
    `select details ->> 'itemId' as item_id, details ->> 'code' as code from rejected_messages
      where source = 'tile' and details ->> 'itemId' = any($1::text[])`,
    [candidates.map((f) => f.itemId)],
  );
  const seen = new Set(rows.map((r) => `${r.item_id}|${r.code}`));
  const fresh = candidates.filter((f) => !seen.has(`${f.itemId}|${f.code}`));
  if (fresh.length === 0) return;
  await recordRejections(
    db,
    fresh.map((failure) => ({
      source: 'tile' as const,
      topic: items.get(failure.itemId)?.href ?? null,
      clientId: null,
      farmId: null,
      gatewayId: null,
      payload: null,
      reasonCode: /^[a-z][a-z0-9_]*$/.test(failure.code) ? failure.code : 'tile_failed',
      reason: failure.reason,
      details: { itemId: failure.itemId, runId, code: failure.code },
      receivedAt: new Date(),
    })),
  );
}

async function handOver(
  db: Storage,
  handler: ParcelResultsHandler,
  logger: Logger,
): Promise<number> {
  const due = await loadDueResults(db);
  let handed = 0;
  for (let start = 0; start < due.length; start += 200) {
    const batch = due.slice(start, start + 200);
    try {
      await handler(batch.map((d) => d.result));
    } catch (error) {
      logger.error('satellite: handing results to the alert engine failed; retried next run', {
        parcels: batch.length,
        reason: errorMessage(error),
      });
      continue;
    }
    await markResultsEvaluated(db, batch);
    handed += batch.length;
  }
  return handed;
}

async function finishRun(
  db: Storage,
  runId: string,
  status: 'succeeded' | 'failed',
  counts: Record<string, number>,
  failures: readonly RunFailure[],
  error: string | null,
): Promise<void> {
  await db.query(
    `update satellite_runs set finished_at = now(), status = $2, items_seen = $3, items_new = $4,
            items_failed = $5, parcels_classified = $6, observations_written = $7,
            alerts_evaluated = $8, failures = $9, error = $10
      where id = $1`,
    [
      runId,
      status,
      counts['itemsSeen'] ?? 0,
      counts['itemsNew'] ?? 0,
      counts['itemsFailed'] ?? 0,
      counts['parcelsClassified'] ?? 0,
      counts['observationsWritten'] ?? 0,
      counts['alertsEvaluated'] ?? 0,
      JSON.stringify(failures.slice(0, 1000)),
      error,
    ],
  );
}
