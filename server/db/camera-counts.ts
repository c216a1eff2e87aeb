import type { Queryable } from './storage.ts';

/** One head count from a camera (its gateway counted, or our detector counted a frame). */
export interface CameraCount {
  readonly cameraId: string;
  readonly farmId: string;
  readonly observedAt: Date;
  readonly species: string;
  readonly headCount: number;
  readonly confidence: number | null;
  readonly zone: string | null;
  readonly source: 'gateway' | 'detector';
}

/** Writes counts in one statement, idempotent on (camera, observed_at, species). */
export async function writeCameraCounts(
  tx: Queryable,
  counts: readonly CameraCount[],
): Promise<{ inserted: number; duplicates: number }> {
  if (counts.length === 0) return { inserted: 0, duplicates: 0 };
  const { rowCount } = await tx.query(
    `insert into camera_counts (camera_id, farm_id, observed_at, species, head_count, confidence, zone, source)
     select distinct on (camera_id, observed_at, species) *
     from unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::int[], $6::real[], $7::text[], $8::text[])
       as c(camera_id, farm_id, observed_at, species, head_count, confidence, zone, source)
     on conflict (camera_id, observed_at, species) do nothing`,
    [
      counts.map((c) => c.cameraId),
      counts.map((c) => c.farmId),
      counts.map((c) => c.observedAt.toISOString()),
      counts.map((c) => c.species),
      counts.map((c) => c.headCount),
      counts.map((c) => c.confidence),
      counts.map((c) => c.zone),
      counts.map((c) => c.source),
    ],
  );
  return { inserted: rowCount, duplicates: counts.length - rowCount };
}
