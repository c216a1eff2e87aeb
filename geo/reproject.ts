import proj4 from 'proj4';
import type { LinearRing, LngLat, MultiPolygon, Polygon, Position, Xy } from './types.ts';

/** A coordinate reference system that `geo/` can project to and from. */
export interface Projection {
  /** EPSG code, e.g. 32631. */
  readonly epsg: number;
  /** Human-readable name, e.g. `WGS 84 / UTM zone 31N`. */
  readonly name: string;
  /** The PROJ string the transformation is built from (no lookup, no network). */
  readonly proj4: string;
  /** Whether coordinates are `[lng, lat]` degrees (EPSG:4326) rather than metres. */
  readonly isGeographic: boolean;
}

const WGS84_PROJ4 = '+proj=longlat +datum=WGS84 +no_defs';
const WEB_MERCATOR_PROJ4 =
  '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs';
/** Web Mercator is only defined up to this latitude (the square world, EPSG:3857 area of use). */
const WEB_MERCATOR_MAX_LAT = 85.06;

const SUPPORTED =
  'EPSG:4326, EPSG:3857 and the WGS 84 / UTM zones EPSG:32601-32660 (north) and EPSG:32701-32760 (south)';

const projections = new Map<number, Projection>();
const converters = new Map<number, proj4.Converter>();

/**
 * The projection of an EPSG code: WGS 84 geographic (EPSG:4326), Web Mercator (EPSG:3857), or one
 * of the 120 WGS 84 / UTM zones (EPSG:326zz north, 327zz south, zz = 01…60), the CRSs of
 * Sentinel-2 tiles. UTM definitions are built from the zone number (`+proj=utm +zone=zz [+south]
 * +datum=WGS84`), so nothing is looked up and nothing touches the network.
 *
 * proj4js computes UTM with the extended transverse Mercator of Poder and Engsager (the algorithm
 * of PROJ's `etmerc`, Krüger series to n⁴), accurate to about a millimetre within 3900 km of the
 * central meridian; proj4js's own tests hold it to PROJ's results.
 *
 * @param epsg - EPSG code.
 * @returns The projection (the same object on every call).
 * @throws {RangeError} For any other code, naming it and the supported ones.
 * @example
 * ```ts
 * projectionFor(32631).name; // 'WGS 84 / UTM zone 31N'
 * projectionFor(32631).proj4; // '+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs'
 * ```
 */
export function projectionFor(epsg: number): Projection {
  const cached = projections.get(epsg);
  if (cached !== undefined) return cached;
  let projection: Projection;
  if (epsg === 4326) {
    projection = { epsg, name: 'WGS 84', proj4: WGS84_PROJ4, isGeographic: true };
  } else if (epsg === 3857) {
    projection = {
      epsg,
      name: 'WGS 84 / Pseudo-Mercator',
      proj4: WEB_MERCATOR_PROJ4,
      isGeographic: false,
    };
  } else if (
    Number.isInteger(epsg) &&
    epsg >= 32601 &&
    epsg <= 32760 &&
    epsg % 100 >= 1 &&
    epsg % 100 <= 60
  ) {
    const zone = epsg % 100;
    const south = epsg >= 32701;
    projection = {
      epsg,
      name: `WGS 84 / UTM zone ${zone}${south ? 'S' : 'N'}`,
      proj4: `+proj=utm +zone=${zone}${south ? ' +south' : ''} +datum=WGS84 +units=m +no_defs`,
      isGeographic: false,
    };
  } else {
    throw new RangeError(`EPSG:${String(epsg)} is not supported; geo/ knows ${SUPPORTED}`);
  }
  projections.set(epsg, projection);
  return projection;
}

/**
 * Projects a WGS84 `[lng, lat]` position into the CRS of `epsg`.
 *
 * See {@link projectionFor} for the supported CRSs and the algorithm.
 *
 * @param epsg - Target EPSG code.
 * @param lngLat - `[lng, lat]` in WGS84 degrees.
 * @returns `[x, y]` in the target CRS's units (metres; degrees for EPSG:4326, returned unchanged).
 * @throws {RangeError} For an unsupported code, a coordinate that is not finite or out of range
 *   (latitude beyond ±85.06° for Web Mercator), naming the value and the range.
 * @example
 * ```ts
 * toProjected(32631, [3.0193042, 50.8130873]); // ≈ [501360.0, 5629040.0]
 * ```
 */
export function toProjected(epsg: number, lngLat: LngLat | Position): Xy {
  const projection = projectionFor(epsg);
  const [lng, lat] = lngLat;
  const maxLat = epsg === 3857 ? WEB_MERCATOR_MAX_LAT : 90;
  checkRange(`toProjected(EPSG:${epsg}): longitude`, lng, -180, 180);
  checkRange(`toProjected(EPSG:${epsg}): latitude`, lat, -maxLat, maxLat);
  if (projection.isGeographic) return [lng, lat];
  const [x, y] = converterFor(projection).forward([lng, lat]);
  return checkResult(`toProjected(EPSG:${epsg}) of [${lng}, ${lat}]`, x, y);
}

/**
 * Unprojects `[x, y]` from the CRS of `epsg` to WGS84 `[lng, lat]`.
 *
 * @param epsg - Source EPSG code.
 * @param xy - `[x, y]` in the source CRS's units (metres; degrees for EPSG:4326).
 * @returns `[lng, lat]` in WGS84 degrees.
 * @throws {RangeError} For an unsupported code, or a coordinate that is not finite or has no
 *   position on the globe.
 * @example
 * ```ts
 * toLngLat(32631, [501360, 5629040]); // ≈ [3.0193042, 50.8130873]
 * ```
 */
export function toLngLat(epsg: number, xy: Xy | Position): LngLat {
  const projection = projectionFor(epsg);
  const [x, y] = xy;
  checkRange(`toLngLat(EPSG:${epsg}): x`, x, -Infinity, Infinity);
  checkRange(`toLngLat(EPSG:${epsg}): y`, y, -Infinity, Infinity);
  if (projection.isGeographic) return [x, y];
  const [lng, lat] = converterFor(projection).inverse([x, y]);
  const [checkedLng, checkedLat] = checkResult(`toLngLat(EPSG:${epsg}) of [${x}, ${y}]`, lng, lat);
  if (Math.abs(checkedLat) > 90) {
    throw new RangeError(`toLngLat(EPSG:${epsg}) of [${x}, ${y}]: no position on the globe`);
  }
  return [checkedLng, checkedLat];
}

/**
 * Reprojects every position of a Polygon or MultiPolygon from one supported CRS to another.
 *
 * Positions are transformed one by one through WGS84 (every supported CRS is on the WGS84 datum, so
 * no datum shift is involved); edges stay straight lines between the transformed vertices. A
 * GeoJSON edge is straight in `[lng, lat]` (RFC 7946 §3.1.1), and its image in a conformal
 * projection such as UTM bows away from that chord by about tan φ · L² · sin²θ / 8R (L its length,
 * θ its bearing, R ≈ 6 371 km): 1 mm for a 300 m diagonal edge at 51° N, 1 cm at 1 km. Altitudes
 * are kept; other members (`bbox`) are not copied. The input is not modified.
 *
 * @param geometry - Polygon or MultiPolygon in the `fromEpsg` CRS.
 * @param fromEpsg - EPSG code of the input coordinates.
 * @param toEpsg - EPSG code of the output coordinates.
 * @returns A new geometry of the same type with coordinates in `toEpsg` (its axis order east,
 *   north: `[x, y]`, or `[lng, lat]` for EPSG:4326).
 * @throws {RangeError} As {@link toProjected} and {@link toLngLat}.
 * @example
 * ```ts
 * const utm = reprojectPolygon(parcel, 4326, 32631); // coordinates in metres
 * ```
 */
export function reprojectPolygon<T extends Polygon | MultiPolygon>(
  geometry: T,
  fromEpsg: number,
  toEpsg: number,
): T {
  projectionFor(fromEpsg);
  projectionFor(toEpsg);
  const move = (position: Position): Position => {
    const lngLat = fromEpsg === 4326 ? position : toLngLat(fromEpsg, position);
    const [x, y] = toEpsg === 4326 ? [lngLat[0], lngLat[1]] : toProjected(toEpsg, lngLat);
    return position.length > 2 && position[2] !== undefined ? [x, y, position[2]] : [x, y];
  };
  const moveRings = (rings: LinearRing[]): LinearRing[] => rings.map((ring) => ring.map(move));
  // Only type and coordinates: a foreign member such as `bbox` would still be in the old CRS.
  const moved: Polygon | MultiPolygon =
    geometry.type === 'Polygon'
      ? { type: 'Polygon', coordinates: moveRings(geometry.coordinates) }
      : { type: 'MultiPolygon', coordinates: geometry.coordinates.map(moveRings) };
  return moved as T;
}

function converterFor(projection: Projection): proj4.Converter {
  let converter = converters.get(projection.epsg);
  if (converter === undefined) {
    converter = proj4(WGS84_PROJ4, projection.proj4);
    converters.set(projection.epsg, converter);
  }
  return converter;
}

function checkRange(field: string, value: number, min: number, max: number): void {
  if (Number.isFinite(value) && value >= min && value <= max) return;
  throw new RangeError(
    Number.isFinite(min)
      ? `${field} ${String(value)} out of range [${min}, ${max}]`
      : `${field} ${String(value)} is not a finite number`,
  );
}

function checkResult(what: string, a: number, b: number): Xy {
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    throw new RangeError(`${what} gave [${a}, ${b}], which is not finite`);
  }
  return [a, b];
}
