/** Reading satellite runs back for the API. */
import type { Queryable } from '../db/storage.ts';
import type { RunFailure, SatelliteRun } from './types.ts';

interface RunRow {
  id: string;
  started_at: Date;
  finished_at: Date | null;
  status: SatelliteRun['status'];
  trigger: SatelliteRun['trigger'];
  sources: string[];
  items_seen: number;
  items_new: number;
  items_failed: number;
  parcels_classified: number;
  observations_written: number;
  alerts_evaluated: number;
  failures: RunFailure[];
  error: string | null;
}

const columns = `id, started_at, finished_at, status, trigger, sources, items_seen, items_new,
  items_failed, parcels_classified, observations_written, alerts_evaluated, failures, error`;

export async function readRun(db: Queryable, id: string): Promise<SatelliteRun | null> {
  const { rows } = await db.query<RunRow>(`select ${columns} from satellite_runs where id = $1`, [
    id,
  ]);
  return rows[0] === undefined ? null : toRun(rows[0]);
}

/** The latest runs, newest first. */
export async function listRuns(db: Queryable, limit: number): Promise<SatelliteRun[]> {
  const { rows } = await db.query<RunRow>(
    `select ${columns} from satellite_runs order by id desc limit $1`,
    [limit],
  );
  return rows.map(toRun);
}

function toRun(row: RunRow): SatelliteRun {
  return {
    id: String(row.id),
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    status: row.status,
    trigger: row.trigger,
    sources: row.sources,
    itemsSeen: Number(row.items_seen),
    itemsNew: Number(row.items_new),
    itemsFailed: Number(row.items_failed),
    parcelsClassified: Number(row.parcels_classified),
    observationsWritten: Number(row.observations_written),
    alertsEvaluated: Number(row.alerts_evaluated),
    failures: row.failures,
    error: row.error,
  };
}
