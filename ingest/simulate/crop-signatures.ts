import type { BandName } from '../types.ts';

/**
 * How each crop looks to Sentinel-2 over a year: per band, the mean and standard deviation of
 * surface reflectance on sample days of the year. Derived from the real labelled scenes by
 * `scripts/derive-crop-signatures.ts` and committed as a small JSON of figures; the scene
 * simulator draws demo and benchmark imagery from it.
 */
export interface CropSignatures {
  readonly description: string;
  /** Which scenes and parcels the figures come from. */
  readonly derivedFrom: readonly string[];
  /** Band order of every `mean[i]` and `sd[i]` row. */
  readonly bands: readonly BandName[];
  /** Day of year (1-366) of each sample, ascending. */
  readonly sampleDays: readonly number[];
  /** By WorldCereal crop code. */
  readonly crops: Readonly<Record<string, CropSignature>>;
}

export interface CropSignature {
  readonly name: string;
  /** Parcels and clear pixel-dates the figures rest on. */
  readonly parcels: number;
  readonly pixelDates: number;
  /** `mean[sample][band]`, reflectance. */
  readonly mean: readonly (readonly number[])[];
  readonly sd: readonly (readonly number[])[];
}

/**
 * A crop's mean and standard deviation per band on a day of the year, interpolated linearly
 * between the two nearest sample days (across the new year as well).
 *
 * @example signatureOn(signatures, '1200', 200) // maize in mid July
 */
export function signatureOn(
  signatures: CropSignatures,
  cropCode: string,
  dayOfYear: number,
): { readonly mean: Float32Array; readonly sd: Float32Array } {
  const crop = signatures.crops[cropCode];
  if (crop === undefined) {
    throw new RangeError(
      `crop code ${cropCode} has no signature (known: ${Object.keys(signatures.crops).join(', ')})`,
    );
  }
  const days = signatures.sampleDays;
  const n = days.length;
  let after = days.findIndex((day) => day >= dayOfYear);
  if (after === -1) after = 0;
  const before = (after - 1 + n) % n;
  const dayAfter = days[after] ?? 0;
  const dayBefore = days[before] ?? 0;
  const span = (dayAfter - dayBefore + 366) % 366 || 366;
  const t = dayAfter === dayOfYear ? 1 : ((dayOfYear - dayBefore + 366) % 366) / span;
  const bandCount = signatures.bands.length;
  const mean = new Float32Array(bandCount);
  const sd = new Float32Array(bandCount);
  for (let b = 0; b < bandCount; b++) {
    mean[b] = lerp(crop.mean[before]?.[b], crop.mean[after]?.[b], t);
    sd[b] = lerp(crop.sd[before]?.[b], crop.sd[after]?.[b], t);
  }
  return { mean, sd };
}

function lerp(a: number | undefined, b: number | undefined, t: number): number {
  return (a ?? 0) * (1 - t) + (b ?? 0) * t;
}

/** Day of the year, 1 on 1 January (UTC). */
export function dayOfYear(date: Date): number {
  const start = Date.UTC(date.getUTCFullYear(), 0, 1);
  return Math.floor((date.getTime() - start) / 86_400_000) + 1;
}
