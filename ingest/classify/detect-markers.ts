/**
 * Markers over time on a parcel's NDVI series: a vegetation loss (an NDVI drop beyond what the
 * crop's season explains) and an early harvest (bare soil before the crop's harvest window).
 *
 * Algorithm, on the dates where at least half of the parcel was clear (`ndviSeries`):
 *
 * - **vegetation_loss** between consecutive clear dates a -> b at most `maxGapDays` apart, b in
 *   the harvest year before the crop's harvest window opens (a drop in or after the window is the
 *   harvest; before the harvest year the field may still carry the previous crop): the
 *   observed drop `ndvi(a) - ndvi(b)` exceeds the drop the crop's expected curve makes over the
 *   same days (`expected(a) - expected(b)`, counted as 0 when the curve rises) by at least
 *   `lossDrop` (0.3), and `ndvi(b)` lies at least `belowCurve` (0.2) under `expected(b)`. The next
 *   clear date, when there is one within `maxGapDays`, must still be that far under the curve: a
 *   single hazy date that the scene classification let through is not a loss.
 * - **early_harvest**: the first clear date of the harvest year on which the parcel is bare
 *   (`ndvi < bareNdvi`, 0.3) although the crop's curve expects a canopy (`expected >= 0.5`),
 *   before the crop's harvest window (see `crop-calendar.ts`), after the parcel had been green
 *   (`ndvi >= 0.5`) earlier in that year, and confirmed by the next clear date before the window
 *   when there is one (still `< bareNdvi + 0.1`).
 *
 * The thresholds are of the order of the spread of clear-sky parcel means in the Flanders seasons
 * (about 0.05-0.1 NDVI between neighbouring dates of a healthy crop).
 */
import type { CropSignatures } from '../simulate/crop-signatures.ts';
import { expectedNdvi, harvestWindowStart } from './crop-calendar.ts';

export type ParcelMarkerType = 'vegetation_loss' | 'early_harvest';

/** One marker on one date. */
export interface ParcelMarker {
  readonly type: ParcelMarkerType;
  readonly date: Date;
  readonly sceneId: string;
  /** The parcel's mean NDVI that date. */
  readonly ndvi: number;
  /** The crop's expected NDVI that date. */
  readonly expectedNdvi: number;
  /** The crop the expectation is of. */
  readonly cropCode: number;
  readonly reason: string;
}

/** A clear date of the parcel. */
export interface NdviPoint {
  readonly date: Date;
  readonly sceneId: string;
  readonly mean: number;
}

export interface DetectMarkersOptions {
  readonly lossDrop?: number;
  readonly belowCurve?: number;
  readonly bareNdvi?: number;
  readonly maxGapDays?: number;
}

const DAY_MS = 86_400_000;
const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

/**
 * Markers of one parcel (see the file comment), in date order.
 *
 * @param series - Clear dates, ascending.
 * @param cropCode - The crop the parcel should carry (declared, else predicted).
 * @example detectMarkers(points, 1110, 2019, signatures) // [{ type: 'early_harvest', ... }]
 */
export function detectMarkers(
  series: readonly NdviPoint[],
  cropCode: number,
  harvestYear: number,
  signatures: CropSignatures,
  options: DetectMarkersOptions = {},
): ParcelMarker[] {
  const { lossDrop = 0.3, belowCurve = 0.2, bareNdvi = 0.3, maxGapDays = 45 } = options;
  const expected = series.map((point) => expectedNdvi(signatures, cropCode, point.date));
  if (expected.some((value) => value === null)) return [];
  const exp = expected as number[];
  const markers: ParcelMarker[] = [];
  const gapDays = (a: Date, b: Date): number => (b.getTime() - a.getTime()) / DAY_MS;

  const windowStart = harvestWindowStart(cropCode, harvestYear);
  const yearStart = Date.UTC(harvestYear, 0, 1);
  const lossUntil = windowStart?.getTime() ?? Date.UTC(harvestYear + 1, 0, 1);
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1] as NdviPoint;
    const b = series[i] as NdviPoint;
    const t = b.date.getTime();
    if (t < yearStart || t >= lossUntil || gapDays(a.date, b.date) > maxGapDays) continue;
    const observedDrop = a.mean - b.mean;
    const expectedDrop = Math.max(0, (exp[i - 1] as number) - (exp[i] as number));
    const under = (exp[i] as number) - b.mean;
    if (observedDrop - expectedDrop < lossDrop || under < belowCurve) continue;
    const next = series[i + 1];
    if (
      next !== undefined &&
      gapDays(b.date, next.date) <= maxGapDays &&
      (exp[i + 1] as number) - next.mean < belowCurve
    )
      continue;
    markers.push({
      type: 'vegetation_loss',
      date: b.date,
      sceneId: b.sceneId,
      ndvi: b.mean,
      expectedNdvi: exp[i] as number,
      cropCode,
      reason: `NDVI fell from ${a.mean.toFixed(2)} on ${isoDay(a.date)} to ${b.mean.toFixed(2)} on ${isoDay(b.date)}; crop ${cropCode}'s season explains a drop of ${expectedDrop.toFixed(2)} and expects ${(exp[i] as number).toFixed(2)}`,
    });
  }

  if (windowStart !== null) {
    let green = false;
    for (let i = 0; i < series.length; i++) {
      const point = series[i] as NdviPoint;
      const t = point.date.getTime();
      if (t < yearStart) continue;
      if (t >= windowStart.getTime()) break;
      if (point.mean >= 0.5) {
        green = true;
        continue;
      }
      if (!green || point.mean >= bareNdvi || (exp[i] as number) < 0.5) continue;
      const next = series[i + 1];
      if (next !== undefined && next.date < windowStart && next.mean >= bareNdvi + 0.1) continue;
      markers.push({
        type: 'early_harvest',
        date: point.date,
        sceneId: point.sceneId,
        ndvi: point.mean,
        expectedNdvi: exp[i] as number,
        cropCode,
        reason: `bare soil (NDVI ${point.mean.toFixed(2)}) on ${isoDay(point.date)}, before crop ${cropCode}'s harvest window opens on ${isoDay(windowStart)} (expected NDVI ${(exp[i] as number).toFixed(2)})`,
      });
      break;
    }
  }
  return markers.sort((x, y) => x.date.getTime() - y.date.getTime());
}
