/**
 * Domain types shared by everything in `geo/`.
 *
 * Coordinates are always `[lng, lat]` in decimal degrees on WGS84 (GeoJSON order, RFC 7946 §3.1.1).
 * These are deliberately minimal GeoJSON geometry types so that `geo/` needs no `@types/geojson`.
 */

/** A WGS84 position `[longitude, latitude]` in decimal degrees. */
export type LngLat = [lng: number, lat: number];

/**
 * A GeoJSON position. RFC 7946 allows an optional third element (altitude in metres); `geo/`
 * functions read only the first two.
 */
export type Position = LngLat | [lng: number, lat: number, altitudeM: number];

/**
 * A linear ring: closed (first position equals last), at least four positions. Exterior rings are
 * counter-clockwise and holes clockwise per RFC 7946 §3.1.6, although `geo/` functions accept either.
 */
export type LinearRing = Position[];

/** A GeoJSON Polygon: `coordinates[0]` is the exterior ring, any further rings are holes. */
export interface Polygon {
  type: 'Polygon';
  coordinates: LinearRing[];
}

/** A GeoJSON MultiPolygon: a list of polygon coordinate arrays. */
export interface MultiPolygon {
  type: 'MultiPolygon';
  coordinates: LinearRing[][];
}

/** Any areal geometry `geo/` works with. */
export type PolygonalGeometry = Polygon | MultiPolygon;

/** A bounding box `[minLng, minLat, maxLng, maxLat]` in decimal degrees (RFC 7946 §5). */
export type Bbox = [minLng: number, minLat: number, maxLng: number, maxLat: number];

/**
 * A projected position `[x, y]` in the units of its CRS (metres for UTM and Web Mercator), in the
 * CRS's axis order east, north.
 */
export type Xy = [x: number, y: number];

/**
 * A GDAL geotransform reordered as in STAC `proj:transform` (and rasterio's `Affine`):
 * `[a, b, c, d, e, f]` with `x = c + a·col + b·row` and `y = f + d·col + e·row`, where `(col, row)`
 * is a pixel corner (`(0, 0)` is the outer corner of the first pixel). For a north-up 10 m grid:
 * `[10, 0, xmin, 0, -10, ymax]`.
 */
export type AffineTransform = [a: number, b: number, c: number, d: number, e: number, f: number];

/** A raster grid: its CRS (an EPSG code), its pixel-to-CRS transform and its size in pixels. */
export interface TileGrid {
  /** EPSG code of the grid's CRS, e.g. 32631 for WGS 84 / UTM 31N. */
  epsg: number;
  transform: AffineTransform;
  /** Columns. */
  width: number;
  /** Rows. */
  height: number;
}

/** A block of pixels of a grid: columns `col0 … col0+cols-1`, rows `row0 … row0+rows-1`. */
export interface PixelWindow {
  col0: number;
  row0: number;
  cols: number;
  rows: number;
}

/** The rule a geometry breaks, as a `snake_case` code (see `validatePolygon`). */
export type GeometryRule =
  | 'not_polygon'
  | 'empty_geometry'
  | 'unclosed_ring'
  | 'too_few_positions'
  | 'coordinate_out_of_range'
  | 'invalid_coordinate'
  | 'self_intersection'
  | 'zero_area'
  | 'too_many_vertices'
  | 'too_complex'
  | 'hole_outside_shell'
  | 'holes_overlap';

/** Why a geometry was rejected. */
export interface GeometryProblem {
  rule: GeometryRule;
  /**
   * Where, as a path inside the geometry object with 0-based indexes: `coordinates[0][3]` is the
   * fourth position of a Polygon's exterior ring, `coordinates[1][0]` a MultiPolygon's second
   * exterior ring; `type` or `coordinates` for the whole member, `''` for the geometry itself.
   */
  path: string;
  /** One sentence naming the feature, the ring, the offending value and the rule. */
  message: string;
}
