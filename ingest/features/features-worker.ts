/**
 * A features worker thread (see `features-pool.ts`): `classifiablePixels` for each posted parcel
 * series, the selected features handed back. A bad feature spec is answered, never thrown.
 */
import { serveJobs } from '../threads/serve-jobs.ts';
import { classifiablePixels } from './classifiable-pixels.ts';
import type { FeaturesJob, FeaturesOutcome } from './features-pool.ts';

serveJobs<FeaturesJob, FeaturesOutcome>(({ series, fractions, selection }) => {
  try {
    const pixels = classifiablePixels(series, fractions, selection);
    return {
      outcome: { ok: true, ...pixels },
      transfer: [pixels.keep.buffer as ArrayBuffer, pixels.rows.buffer as ArrayBuffer],
    };
  } catch (error) {
    return {
      outcome: { ok: false, reason: error instanceof Error ? error.message : String(error) },
    };
  }
});
