/**
 * What a crop's season should look like, for the markers over time: its expected NDVI on a day of
 * the year (from the per-crop reflectance signatures derived from the labelled Flanders parcels,
 * `fixtures/sentinel2/crop-signatures.json`, NDVI = (nir - red) / (nir + red) of the mean
 * reflectances) and the window in which it is normally harvested.
 *
 * Harvest windows (day and month in the harvest year, Flanders / Western European practice; the
 * NDVI drops in the two Flanders seasons agree: winter barley cut between 20 and 30 June 2019,
 * winter wheat by 25 July 2019, maize green until late August):
 *
 * | code | crop                   | harvest window       |
 * |-----:|------------------------|----------------------|
 * | 1110 | Winter wheat           | 10 Jul - 15 Sep      |
 * | 1200 | Maize                  | 1 Sep - 30 Nov       |
 * | 1500 | Barley (spring)        | 10 Jul - 15 Sep      |
 * | 1510 | Winter barley          | 15 Jun - 15 Aug      |
 * | 2130 | Cabbages               | 1 Aug - 31 Dec       |
 * | 5100 | Potatoes               | 1 Aug - 31 Oct       |
 * | 7900 | Other leguminous crops | 15 Jun - 30 Sep      |
 * | 8100 | Sugar beet             | 15 Sep - 31 Dec      |
 * | 9120 | Permanent grass crops  | none (mown, not cleared) |
 *
 * A crop not in the table has no harvest window, so no early-harvest marker.
 */
import { dayOfYear, signatureOn, type CropSignatures } from '../simulate/crop-signatures.ts';

/** A harvest window: first and last day, as `[month (1-12), day]` in the harvest year. */
export interface HarvestWindow {
  readonly start: readonly [month: number, day: number];
  readonly end: readonly [month: number, day: number];
}

/** The harvest windows of the table above, by WorldCereal crop code. */
export const HARVEST_WINDOWS: Readonly<Record<number, HarvestWindow | null>> = Object.freeze({
  1110: { start: [7, 10], end: [9, 15] },
  1200: { start: [9, 1], end: [11, 30] },
  1500: { start: [7, 10], end: [9, 15] },
  1510: { start: [6, 15], end: [8, 15] },
  2130: { start: [8, 1], end: [12, 31] },
  5100: { start: [8, 1], end: [10, 31] },
  7900: { start: [6, 15], end: [9, 30] },
  8100: { start: [9, 15], end: [12, 31] },
  9120: null,
});

/** The first day of a crop's harvest window in `harvestYear` (UTC midnight), or null. */
export function harvestWindowStart(cropCode: number, harvestYear: number): Date | null {
  const window = HARVEST_WINDOWS[cropCode];
  if (window === undefined || window === null) return null;
  return new Date(Date.UTC(harvestYear, window.start[0] - 1, window.start[1]));
}

/**
 * A crop's expected NDVI on a date: NDVI of its signature's mean red and nir reflectance on that
 * day of the year (linear between the 15-day bins). Null when the crop has no signature.
 *
 * @example expectedNdvi(signatures, 1200, new Date('2019-08-01')) // ~0.8, maize in full canopy
 */
export function expectedNdvi(
  signatures: CropSignatures,
  cropCode: number,
  date: Date,
): number | null {
  if (signatures.crops[String(cropCode)] === undefined) return null;
  const { mean } = signatureOn(signatures, String(cropCode), dayOfYear(date));
  const red = mean[signatures.bands.indexOf('red')] ?? Number.NaN;
  const nir = mean[signatures.bands.indexOf('nir')] ?? Number.NaN;
  const sum = nir + red;
  return sum > 0 ? (nir - red) / sum : null;
}
