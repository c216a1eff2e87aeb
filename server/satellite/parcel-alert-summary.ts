import type { ParcelObservationSummary } from '../alerts/index.ts';
import type { StoredParcelResult } from './types.ts';

/** Below this NDVI on its latest clear date, after a green peak, a parcel counts as harvested. */
const BARE_NDVI = 0.3;
const GREEN_NDVI = 0.5;

/**
 * The alert engine's view of a parcel's latest result (pure).
 *
 * - `at`: the latest scene's date (the evaluation is of the season as seen, so a past season is
 *   judged at its own time, not today's).
 * - A parcel the classifier could not verify counts as not clearly seen: no crop, no planted area,
 *   `lastClearObservationAt` null (the cannot-verify rule then counts from the season start).
 * - `status`: `harvested` at the first early-harvest marker; else `harvested` with no date (so
 *   neither an early-harvest nor a vegetation-loss alert) when the latest clear NDVI is bare after
 *   a green peak, or more than 20 % under the peak without a vegetation-loss marker (the
 *   classifier judged the decline against the crop's expected curve: the season's end, a mowing);
 *   else `growing` (the vegetation-loss rule then compares the latest NDVI with the peak) or
 *   `bare`; `unknown` without a clear date.
 *
 * @example summarizeForAlerts(result).predictedCropCode
 */
export function summarizeForAlerts(result: StoredParcelResult): ParcelObservationSummary {
  const cannotVerify = result.status === 'cannot_verify';
  const series = result.ndviSeries;
  let peak: (typeof series)[number] | undefined;
  for (const point of series) if (peak === undefined || point.ndvi > peak.ndvi) peak = point;
  const latest = series[series.length - 1];
  const earlyHarvest = result.markers.find((m) => m.type === 'early_harvest');
  let status: ParcelObservationSummary['status'] = 'unknown';
  let harvestedAt: Date | null = null;
  if (earlyHarvest !== undefined) {
    status = 'harvested';
    harvestedAt = new Date(earlyHarvest.date);
  } else if (latest !== undefined) {
    const wasGreen = peak !== undefined && peak.ndvi >= GREEN_NDVI && peak.date < latest.date;
    const lossSeen = result.markers.some((m) => m.type === 'vegetation_loss');
    const declined = peak !== undefined && peak.date < latest.date && latest.ndvi < peak.ndvi * 0.8;
    if (latest.ndvi < BARE_NDVI) status = wasGreen ? 'harvested' : 'bare';
    // A decline the crop's calendar explains (no vegetation-loss marker): the season's end.
    else if (declined && !lossSeen) status = 'harvested';
    else status = 'growing';
  }
  const lastScene = result.scenes[result.scenes.length - 1];
  return {
    at: result.lastSceneAt ?? (lastScene ? new Date(lastScene.observedAt) : new Date()),
    predictedCropCode: cannotVerify ? null : result.predictedCropCode,
    predictedConfidence: cannotVerify ? null : result.predictedConfidence,
    plantedAreaM2: cannotVerify ? null : result.plantedAreaM2,
    status,
    harvestedAt,
    lastClearObservationAt: cannotVerify || result.lastClearAt === null ? null : result.lastClearAt,
    ndvi: {
      peak:
        peak === undefined
          ? null
          : { value: peak.ndvi, observedAt: peak.date, sceneId: peak.sceneId },
      latest:
        latest === undefined
          ? null
          : { value: latest.ndvi, observedAt: latest.date, sceneId: latest.sceneId },
    },
    scenes: result.scenes.map((scene) => ({
      sceneId: scene.sceneId,
      observedAt: scene.observedAt,
      clearFraction: scene.totalPixels > 0 ? scene.clearPixels / scene.totalPixels : 0,
      ndviMean: scene.ndviMean,
    })),
  };
}
