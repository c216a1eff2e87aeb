/** Why a COG asset could not be read, as a `snake_case` code. */
export type TileErrorCode =
  | 'missing_asset'
  | 'cog_unreadable'
  | 'truncated_cog'
  | 'crs_mismatch'
  | 'crs_missing'
  | 'grid_mismatch'
  | 'shape_mismatch'
  | 'band_count'
  | 'nodata_mismatch'
  | 'window_outside_image'
  | 'read_failed';

/**
 * An error reading one asset of one scene. `readParcelSeason` turns it into an `ItemFailure` with
 * the same code and message; the message names the asset, the value and the rule.
 */
export class TileReadError extends Error {
  override readonly name = 'TileReadError';
  readonly code: TileErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: TileErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}
