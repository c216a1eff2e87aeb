/**
 * A season's pixel time series turned into a fixed-length feature vector per pixel that means the
 * same thing in every season and year: monthly composites on a calendar anchored to the harvest
 * year, gap-filled.
 *
 * Algorithm:
 * 1. The season is `periodCount` calendar months starting at month `firstMonth` (0 = January) of
 *    the year before the harvest year; the default is October (harvest year - 1) to November of
 *    the harvest year, 14 months, which covers the sowing of winter crops and the harvest of maize
 *    and beet. Dates outside are ignored.
 * 2. For each pixel, period and variable (see `spectral-indices.ts`), the composite is the
 *    **median** of the clear (non-NaN) observations in that month: the median rather than the mean
 *    because the scene classification lets some haze and cloud edges through.
 * 3. Months without a clear observation are filled linearly in time between the nearest clear
 *    months on either side; leading and trailing gaps take the nearest clear month (edge fill).
 * 4. A pixel without any clear month keeps NaN features; `clearPeriods` tells callers which pixels
 *    to leave out (training) or report as unobserved (classification). (A variable whose bands
 *    are NaN on every date while others are not also stays NaN: check `Number.isFinite` before
 *    classifying a pixel.)
 *
 * Feature `f = v * periodCount + k` is variable `v` in month `k`; `values[p * featureCount + f]`.
 */
import type { PixelSeries } from '../types.ts';
import {
  featureVariables,
  normalizedDifference,
  type FeatureVariable,
} from './spectral-indices.ts';

/** What the features are; stored with the model so that inference computes the same ones. */
export interface SeasonFeatureSpec {
  /** Month (0 = January) of the year before the harvest year that the first period starts in. */
  readonly firstMonth: number;
  /** Number of consecutive calendar-month periods. */
  readonly periodCount: number;
  readonly variables: readonly FeatureVariable[];
}

export const defaultSeasonFeatureSpec: SeasonFeatureSpec = Object.freeze({
  firstMonth: 9,
  periodCount: 14,
  variables: Object.freeze([...featureVariables]),
});

export interface SeasonFeatures {
  readonly harvestYear: number;
  readonly pixelCount: number;
  readonly featureCount: number;
  readonly featureNames: readonly string[];
  /** `values[p * featureCount + f]`; NaN for every feature of a pixel with no clear period. */
  readonly values: Float32Array;
  /** Per pixel: the number of periods with at least one clear observation. */
  readonly clearPeriods: Uint16Array;
}

export interface SeasonFeatureOptions {
  readonly spec?: SeasonFeatureSpec;
  /** Default: `inferHarvestYear(series.dates, spec)`. */
  readonly harvestYear?: number;
}

const monthNames = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
] as const;

function checkSpec(spec: SeasonFeatureSpec): void {
  if (!Number.isInteger(spec.firstMonth) || spec.firstMonth < 0 || spec.firstMonth > 11)
    throw new RangeError(`firstMonth ${spec.firstMonth} out of range [0, 11]`);
  if (!Number.isInteger(spec.periodCount) || spec.periodCount < 1 || spec.periodCount > 36)
    throw new RangeError(`periodCount ${spec.periodCount} out of range [1, 36]`);
  if (spec.variables.length === 0) throw new RangeError('variables must not be empty');
}

/**
 * Names of the features, in order: `<variable>_<month>` where the month of the year before the
 * harvest carries `-1` and one after it `+1`, e.g. `ndvi_oct-1`, `ndvi_may`, `swir16_nov`.
 *
 * @example featureNamesFor(defaultSeasonFeatureSpec).slice(0, 3) // ['ndvi_oct-1', 'ndvi_nov-1', 'ndvi_dec-1']
 */
export function featureNamesFor(spec: SeasonFeatureSpec = defaultSeasonFeatureSpec): string[] {
  checkSpec(spec);
  const names: string[] = [];
  for (const variable of spec.variables) {
    for (let k = 0; k < spec.periodCount; k++) {
      const monthIndex = spec.firstMonth + k;
      const yearOffset = Math.floor(monthIndex / 12) - 1;
      const suffix = yearOffset < 0 ? `${yearOffset}` : yearOffset > 0 ? `+${yearOffset}` : '';
      names.push(`${variable}_${monthNames[monthIndex % 12] ?? '?'}${suffix}`);
    }
  }
  return names;
}

/**
 * The harvest year a series belongs to: the year of its median date, moved on by one when that
 * date already lies in the months before the harvest year's season (from `firstMonth` on).
 * A season from October 2017 to November 2018 gives 2018.
 */
export function inferHarvestYear(
  dates: readonly Date[],
  spec: SeasonFeatureSpec = defaultSeasonFeatureSpec,
): number {
  if (dates.length === 0) throw new RangeError('cannot infer the harvest year of an empty series');
  const times = dates.map((d) => d.getTime()).sort((a, b) => a - b);
  const median = new Date(times[Math.floor(times.length / 2)] ?? Number.NaN);
  const year = median.getUTCFullYear();
  // Months at or after firstMonth that still belong to the year before the season ends.
  const seasonEndMonth = spec.firstMonth + spec.periodCount - 12; // months of the harvest year
  return median.getUTCMonth() >= Math.max(spec.firstMonth, seasonEndMonth) ? year + 1 : year;
}

/** Index of the period holding `date`, or -1 outside the season. */
function periodOf(date: Date, harvestYear: number, spec: SeasonFeatureSpec): number {
  const monthsSinceStart =
    (date.getUTCFullYear() - (harvestYear - 1)) * 12 + date.getUTCMonth() - spec.firstMonth;
  return monthsSinceStart >= 0 && monthsSinceStart < spec.periodCount ? monthsSinceStart : -1;
}

/** Median of the first `n` entries of `buffer` (sorted in place); NaN when n = 0. */
function medianOf(buffer: Float64Array, n: number): number {
  if (n === 0) return Number.NaN;
  for (let i = 1; i < n; i++) {
    const value = buffer[i] as number;
    let j = i - 1;
    while (j >= 0 && (buffer[j] as number) > value) {
      buffer[j + 1] = buffer[j] as number;
      j--;
    }
    buffer[j + 1] = value;
  }
  const mid = n >> 1;
  return n % 2 === 1
    ? (buffer[mid] as number)
    : ((buffer[mid - 1] as number) + (buffer[mid] as number)) / 2;
}

/**
 * Fills NaN entries of `row` linearly between the nearest finite neighbours, and leading and
 * trailing NaNs with the nearest finite value. Leaves an all-NaN row as it is.
 */
export function fillGaps(row: Float64Array): void {
  const n = row.length;
  let previous = -1;
  for (let k = 0; k < n; k++) {
    if (Number.isNaN(row[k])) continue;
    if (previous === -1) {
      for (let j = 0; j < k; j++) row[j] = row[k] as number;
    } else if (k - previous > 1) {
      const a = row[previous] as number;
      const b = row[k] as number;
      for (let j = previous + 1; j < k; j++)
        row[j] = a + ((b - a) * (j - previous)) / (k - previous);
    }
    previous = k;
  }
  if (previous !== -1) for (let j = previous + 1; j < n; j++) row[j] = row[previous] as number;
}

/** The bands a variable is made of: one reflectance, or the two of a normalised difference. */
function variableInputs(
  series: PixelSeries,
  variable: FeatureVariable,
): [Float32Array, Float32Array | null] {
  const { green, red, nir, nir08, rededge1, swir16, swir22 } = series.bands;
  switch (variable) {
    case 'ndvi':
      return [nir, red];
    case 'ndwi':
      return [nir08, swir16];
    case 'ndre':
      return [nir08, rededge1];
    case 'green':
      return [green, null];
    case 'red':
      return [red, null];
    case 'nir':
      return [nir, null];
    case 'swir16':
      return [swir16, null];
    default:
      return [swir22, null];
  }
}

/**
 * Per-pixel season features of a series (see the file comment for the algorithm).
 *
 * @example
 * const features = computeSeasonFeatures(parcel.series);
 * features.values.subarray(0, features.featureCount); // the first pixel's features
 */
export function computeSeasonFeatures(
  series: PixelSeries,
  options: SeasonFeatureOptions = {},
): SeasonFeatures {
  const spec = options.spec ?? defaultSeasonFeatureSpec;
  checkSpec(spec);
  const featureNames = featureNamesFor(spec);
  const { pixelCount } = series;
  const periodCount = spec.periodCount;
  const variableCount = spec.variables.length;
  const featureCount = variableCount * periodCount;
  const values = new Float32Array(pixelCount * featureCount).fill(Number.NaN);
  const clearPeriods = new Uint16Array(pixelCount);
  const harvestYear =
    options.harvestYear ??
    (series.dates.length > 0 ? inferHarvestYear(series.dates, spec) : new Date().getUTCFullYear());

  const datesByPeriod: number[][] = Array.from({ length: periodCount }, () => []);
  series.dates.forEach((date, d) => {
    const k = periodOf(date, harvestYear, spec);
    if (k >= 0) datesByPeriod[k]?.push(d);
  });
  const maxDates = Math.max(1, ...datesByPeriod.map((list) => list.length));
  const scratch = new Float64Array(maxDates);
  // Each period's dates as offsets into the band arrays: period k's are
  // `dateOffsets[periodStarts[k] .. periodStarts[k + 1]]`, each `date * pixelCount`.
  const periodStarts = new Int32Array(periodCount + 1);
  const dateOffsets = new Int32Array(datesByPeriod.reduce((n, list) => n + list.length, 0));
  datesByPeriod.forEach((list, k) => {
    const start = periodStarts[k] as number;
    list.forEach((d, j) => (dateOffsets[start + j] = d * pixelCount));
    periodStarts[k + 1] = start + list.length;
  });
  // Composites of every pixel, variable by variable (`composites[v][p * periodCount + k]`), so
  // that which bands a variable reads is decided once per variable, not once per observation.
  // A normalised difference is worked out first for every pixel-date of the season, in one pass
  // over the bands in memory order; the medians then read one array.
  const composites = spec.variables.map(() => new Float64Array(pixelCount * periodCount));
  const observed = new Uint8Array(pixelCount * periodCount);
  const differences = new Float32Array(series.dates.length * pixelCount);
  spec.variables.forEach((variable, v) => {
    const [a, b] = variableInputs(series, variable);
    let values = a;
    if (b !== null) {
      for (let j = 0; j < dateOffsets.length; j++) {
        const start = dateOffsets[j] as number;
        for (let i = start; i < start + pixelCount; i++)
          differences[i] = normalizedDifference(a[i] as number, b[i] as number);
      }
      values = differences;
    }
    const composite = composites[v] as Float64Array;
    for (let k = 0; k < periodCount; k++) {
      const from = periodStarts[k] as number;
      const to = periodStarts[k + 1] as number;
      for (let p = 0; p < pixelCount; p++) {
        let n = 0;
        for (let j = from; j < to; j++) {
          const value = values[(dateOffsets[j] as number) + p] as number;
          if (value === value) scratch[n++] = value; // not NaN
        }
        composite[p * periodCount + k] =
          n === 1
            ? (scratch[0] as number)
            : n === 2
              ? ((scratch[0] as number) + (scratch[1] as number)) / 2
              : medianOf(scratch, n);
        if (n > 0) observed[p * periodCount + k] = 1;
      }
    }
  });

  const row = new Float64Array(periodCount);
  for (let p = 0; p < pixelCount; p++) {
    let clear = 0;
    for (let k = 0; k < periodCount; k++) clear += observed[p * periodCount + k] as number;
    clearPeriods[p] = clear;
    if (clear === 0) continue;
    const base = p * featureCount;
    for (let v = 0; v < variableCount; v++) {
      const composite = composites[v] as Float64Array;
      for (let k = 0; k < periodCount; k++) row[k] = composite[p * periodCount + k] as number;
      fillGaps(row);
      const at = base + v * periodCount;
      for (let k = 0; k < periodCount; k++) values[at + k] = row[k] as number;
    }
  }
  return { harvestYear, pixelCount, featureCount, featureNames, values, clearPeriods };
}
