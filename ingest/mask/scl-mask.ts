/**
 * The Sen2Cor scene classes excluded by default: 0 no data, 1 saturated or defective, 3 cloud
 * shadow, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus, 11 snow or ice.
 *
 * Kept: 4 vegetation and 5 not vegetated (clear land), 6 water, 2 dark features and 7 unclassified.
 * Sen2Cor marks dark fields and wet bare soil as 2, and field pixels it is unsure about as 7 (in the
 * Flanders 2018 window, 7 is most of the "other" share of otherwise clear dates); excluding them
 * would drop real observations of dark soil, and a crop classifier must see those. Callers that
 * want only clear land pass `[0, 1, 2, 3, 6, 7, 8, 9, 10, 11]`.
 */
export const DEFAULT_EXCLUDED_SCL_CLASSES: readonly number[] = Object.freeze([
  0, 1, 3, 8, 9, 10, 11,
]);

/**
 * A lookup table for the SCL classes 0-255: `table[c] === 1` when class `c` is excluded.
 *
 * @param excludedClasses - Integer classes 0-255 to mask out.
 * @returns 256 bytes.
 * @throws {RangeError} For a class that is not an integer 0-255, naming it.
 * @example
 * ```ts
 * const excluded = sclExclusionTable(DEFAULT_EXCLUDED_SCL_CLASSES);
 * excluded[9]; // 1 (cloud high probability)
 * excluded[4]; // 0 (vegetation)
 * ```
 */
export function sclExclusionTable(excludedClasses: readonly number[]): Uint8Array {
  const table = new Uint8Array(256);
  for (const value of excludedClasses) {
    if (!Number.isInteger(value) || value < 0 || value > 255) {
      throw new RangeError(`excludedSclClasses: ${String(value)} is not an SCL class 0-255`);
    }
    table[value] = 1;
  }
  return table;
}

/**
 * Whether each pixel of an SCL array is clear: its class is not excluded.
 *
 * @param scl - SCL classes, one per pixel.
 * @param excludedClasses - Classes to mask out (default {@link DEFAULT_EXCLUDED_SCL_CLASSES}).
 * @returns 1 for clear pixels, 0 for masked ones (classes above 255 are masked).
 * @example
 * ```ts
 * clearMaskFromScl(Uint8Array.of(4, 9, 5, 3)); // Uint8Array [1, 0, 1, 0]
 * ```
 */
export function clearMaskFromScl(
  scl: ArrayLike<number>,
  excludedClasses: readonly number[] = DEFAULT_EXCLUDED_SCL_CLASSES,
): Uint8Array {
  const table = sclExclusionTable(excludedClasses);
  const mask = new Uint8Array(scl.length);
  for (let k = 0; k < scl.length; k++) {
    const value = scl[k] ?? 0;
    mask[k] = value >= 0 && value <= 255 && table[value] === 0 ? 1 : 0;
  }
  return mask;
}
