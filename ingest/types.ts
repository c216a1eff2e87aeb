/**
 * Types shared by `ingest/`: Sentinel-2 L2A scenes as parsed from STAC, and the per-parcel pixel
 * time series read from them.
 */
import type { AffineTransform, MultiPolygon, Polygon } from '../geo/index.ts';

/** The ten Sentinel-2 reflectance bands, by their Earth Search v1 asset keys. */
export type BandName =
  | 'blue'
  | 'green'
  | 'red'
  | 'rededge1'
  | 'rededge2'
  | 'rededge3'
  | 'nir'
  | 'nir08'
  | 'swir16'
  | 'swir22';

/** Every asset `ingest/` reads: the ten bands plus the scene classification layer. */
export type AssetKey = BandName | 'scl';

/** The bands in a fixed order (10 m bands first, then 20 m). */
export const BAND_NAMES: readonly BandName[] = Object.freeze([
  'blue',
  'green',
  'red',
  'nir',
  'rededge1',
  'rededge2',
  'rededge3',
  'nir08',
  'swir16',
  'swir22',
]);

/** One COG asset of a scene, as its STAC Item describes it. */
export interface SceneAsset {
  readonly key: AssetKey;
  /** Absolute URL (`file:` for local files, `http(s):` for remote ones). */
  readonly href: string;
  /** `proj:transform` of the asset (or of the item when the asset has none); may be absent. */
  readonly transform?: AffineTransform;
  /** `proj:shape` as `[rows, cols]`; may be absent. */
  readonly shape?: readonly [rows: number, cols: number];
  /** `raster:bands[0].scale`, else 0.0001 for bands and 1 for SCL. */
  readonly scale: number;
  /**
   * Reflectance offset added after scaling: `raster:bands[0].offset` when given, else -0.1 for
   * bands of a scene with processing baseline >= 04.00 and 0 otherwise (see `offsetRule`).
   */
  readonly offset: number;
  /** Raw nodata value: `raster:bands[0].nodata`, else 0 (the Sentinel-2 L2A convention). */
  readonly nodata: number;
}

/** Where a scene's reflectance offset comes from. */
export type OffsetRule =
  /** `raster:bands` gives scale and offset for every band: used as given. */
  | 'raster_bands'
  /** No `raster:bands` offset, processing baseline >= 04.00: the -1000 DN (-0.1) BOA offset. */
  | 'baseline_04_offset'
  /** No `raster:bands` offset and an older (or unknown) baseline: no offset. */
  | 'none';

/** A Sentinel-2 L2A scene parsed from a STAC Item. */
export interface SceneItem {
  readonly id: string;
  readonly datetime: Date;
  /** EPSG code of the scene's grid (`proj:epsg` or `proj:code`). */
  readonly epsg: number;
  /** The assets found, by Earth Search key; B02-style keys are mapped (B02 -> blue, SCL -> scl). */
  readonly assets: Readonly<Partial<Record<AssetKey, SceneAsset>>>;
  /** Item-level `proj:transform` and `proj:shape`, when given. */
  readonly transform?: AffineTransform;
  readonly shape?: readonly [rows: number, cols: number];
  /** `s2:processing_baseline`, e.g. `'04.00'`; null when the item does not say. */
  readonly processingBaseline: string | null;
  readonly offsetRule: OffsetRule;
  /** URL of the item document. */
  readonly href: string;
}

/** A parcel to read: its id and its boundary in WGS84 `[lng, lat]`. */
export interface ParcelInput {
  readonly id: string;
  readonly geometry: Polygon | MultiPolygon;
}

/** One parcel's pixels over a season: each band's reflectance per date per pixel. */
export interface PixelSeries {
  /** Ascending, one per scene that covered the parcel. */
  readonly dates: readonly Date[];
  /** Same order as `dates`. */
  readonly sceneIds: readonly string[];
  readonly pixelCount: number;
  /** Reflectance; index `d * pixelCount + p`; NaN where masked (cloud, shadow, snow, nodata). */
  readonly bands: Readonly<Record<BandName, Float32Array>>;
}

/** One scene's view of a parcel. */
export interface ParcelObservation {
  readonly sceneId: string;
  readonly date: Date;
  /** Pixels that are neither masked by SCL nor nodata in any band. 0 = no observation. */
  readonly clearPixels: number;
  /** The parcel's pixel count. */
  readonly totalPixels: number;
}

/** A parcel's season as read by `readParcelSeason`. */
export interface ParcelSeason {
  readonly parcelId: string;
  /** EPSG code of the season grid (the first item's CRS). */
  readonly epsg: number;
  /** 10. */
  readonly pixelSizeM: number;
  /** `proj:transform` of the season grid that `rows`/`cols` index (the first item's 10 m grid). */
  readonly transform: AffineTransform;
  /** The parcel's pixels (fraction > 0 after the inward buffer) on the season's 10 m grid. */
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  /** Fraction of each pixel inside the (buffered) parcel, 0 < f <= 1. */
  readonly fractions: Float32Array;
  /** Pixels with fraction >= 0.999. */
  readonly wholePixelCount: number;
  /** Ellipsoidal area of the parcel as given (no buffer), m². */
  readonly areaM2: number;
  readonly series: PixelSeries;
  readonly observations: readonly ParcelObservation[];
}

/** Why an item (or a STAC document, or a parcel) could not be used; the run went on without it. */
export interface ItemFailure {
  /** The item's id, or the document's URL when no id could be read. */
  readonly itemId: string;
  /** A sentence naming the asset, the value and the rule. */
  readonly reason: string;
  /** `snake_case`, e.g. `missing_asset`, `crs_mismatch`, `truncated_cog`. */
  readonly code: string;
  /** The document's URL, for STAC loading failures. */
  readonly href?: string;
  /** Set when the failure concerns one parcel rather than an item (`invalid_parcel`). */
  readonly parcelId?: string;
}
