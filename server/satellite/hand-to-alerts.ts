import { evaluateParcelConditions, type AlertEngine } from '../alerts/index.ts';
import { NotFoundError } from '../errors.ts';
import { summarizeForAlerts } from './parcel-alert-summary.ts';
import type { ParcelResultsHandler } from './types.ts';

/**
 * The satellite job's hand-off to the alert engine: each parcel's result becomes a
 * `ParcelObservationSummary` and goes through `evaluateParcelConditions` (crop mismatch, planted
 * area short, vegetation loss, early harvest, cannot verify). A parcel deleted meanwhile is
 * skipped; any other error rejects, and the job hands the batch over again at its next run.
 *
 * @param engine - The engine, or a function giving it once the alerts have started (null: not
 *   yet, the results stay due).
 */
export function handParcelResultsToAlerts(
  engine: AlertEngine | (() => AlertEngine | null),
): ParcelResultsHandler {
  return async (results) => {
    const current = typeof engine === 'function' ? engine() : engine;
    if (current === null) throw new Error('the alert engine has not started yet');
    for (const result of results) {
      try {
        await evaluateParcelConditions(current, result.parcelId, summarizeForAlerts(result));
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
  };
}
