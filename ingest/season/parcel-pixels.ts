import { areaM2, pixelCoverage, type PixelWindow, type TileGrid } from '../../geo/index.ts';
import type { ParcelInput } from '../types.ts';

/** A parcel's pixels on a grid. */
export interface ParcelPixels {
  readonly id: string;
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly fractions: Float32Array;
  readonly wholePixelCount: number;
  readonly areaM2: number;
  /** The pixels meeting the unbuffered parcel's bounding box. */
  readonly window: PixelWindow;
}

/** Pixels at least this much inside count as whole. */
const WHOLE_FRACTION = 0.999;

/**
 * The pixels of a grid that a parcel covers after an inward buffer (fraction > 0, exact per-pixel
 * coverage from `geo`'s `pixelCoverage`), and the parcel's ellipsoidal area (`areaM2`, unbuffered).
 *
 * @param grid - The season grid.
 * @param parcel - Id and WGS84 geometry.
 * @param bufferM - Inward buffer in metres (>= 0).
 * @returns The pixels, or null when the parcel misses the grid.
 * @throws {RangeError} For an invalid geometry or buffer (from `geo`).
 * @example
 * ```ts
 * parcelPixels(seasonGrid, { id: 'ref', geometry }, 10)?.rows.length; // ~ 170
 * ```
 */
export function parcelPixels(
  grid: TileGrid,
  parcel: ParcelInput,
  bufferM: number,
): ParcelPixels | null {
  const area = areaM2(parcel.geometry);
  const coverage = pixelCoverage(grid, parcel.geometry, { inwardBufferM: bufferM });
  if (coverage === null) return null;
  const { window, fractions: all } = coverage;
  let count = 0;
  for (const value of all) if (value > 0) count++;
  const rows = new Int32Array(count);
  const cols = new Int32Array(count);
  const fractions = new Float32Array(count);
  let whole = 0;
  let k = 0;
  for (let r = 0; r < window.rows; r++) {
    for (let c = 0; c < window.cols; c++) {
      const value = all[r * window.cols + c] ?? 0;
      if (value <= 0) continue;
      rows[k] = window.row0 + r;
      cols[k] = window.col0 + c;
      fractions[k] = value;
      if (value >= WHOLE_FRACTION) whole++;
      k++;
    }
  }
  return { id: parcel.id, rows, cols, fractions, wholePixelCount: whole, areaM2: area, window };
}
