/**
 * Season features worked out on worker threads (`classifiablePixels` in `features-worker.ts`),
 * so that the main thread, which also masks and stacks the pixels of the next chunk of parcels,
 * is not the bottleneck of a season: the features were a third of its work.
 *
 * The series' band arrays are handed to the worker, not copied, when each owns its buffer (as
 * `readParcelSeason`'s do): the caller must not read them afterwards.
 */
import { availableParallelism } from 'node:os';
import type { Transferable } from 'node:worker_threads';
import { ThreadPool } from '../threads/thread-pool.ts';
import type { PixelSeries } from '../types.ts';
import {
  classifiablePixels,
  type ClassifiablePixels,
  type FeatureSelection,
} from './classifiable-pixels.ts';

export interface FeaturesJob {
  readonly series: PixelSeries;
  readonly fractions: Float32Array;
  readonly selection: FeatureSelection;
}

export type FeaturesOutcome =
  ({ readonly ok: true } & ClassifiablePixels) | { readonly ok: false; readonly reason: string };

let shared: ThreadPool<FeaturesJob, FeaturesOutcome> | null = null;

function featuresPool(): ThreadPool<FeaturesJob, FeaturesOutcome> {
  shared ??= new ThreadPool({
    name: 'features',
    module: new URL('./features-worker.ts', import.meta.url),
    size: Math.max(1, availableParallelism()),
    workerData: () => undefined,
  });
  return shared;
}

/**
 * `classifiablePixels` on the features pool: one worker thread per core, started on first use;
 * idle workers do not keep the process alive. When no worker can take the job (one failed to
 * start or died) it runs on this thread instead. Rejects with the error `classifiablePixels`
 * would throw (a bad feature spec).
 */
export async function classifiablePixelsOffThread(
  series: PixelSeries,
  fractions: Float32Array,
  selection: FeatureSelection,
): Promise<ClassifiablePixels> {
  const transfer: Transferable[] = Object.values(series.bands)
    .filter((band) => band.byteOffset === 0 && band.byteLength === band.buffer.byteLength)
    .map((band) => band.buffer as ArrayBuffer);
  // A buffer listed twice cannot be transferred; shared ones are copied instead.
  const distinct = new Set(transfer);
  let outcome: FeaturesOutcome;
  try {
    outcome = await featuresPool().run(
      { series, fractions, selection },
      distinct.size === transfer.length ? transfer : [],
    );
  } catch {
    return classifiablePixels(series, fractions, selection);
  }
  if (!outcome.ok) throw new RangeError(outcome.reason);
  return outcome;
}

/** Stops the features pool's workers (the next job starts new ones). */
export async function closeFeaturesPool(): Promise<void> {
  const pool = shared;
  shared = null;
  await pool?.close();
}
