/**
 * Shapes of the HTTP API's answers, shared with the web app as type-only imports.
 */
/** `GET /api/farms` items: a farm is a GeoJSON Feature whose geometry is its boundary. */
export interface FarmProperties {
  code: string;
  name: string;
  borrowerId: string;
  borrowerRef: string;
  borrowerName: string;
  branchId: string;
  branchCode: string;
  /** Area of the boundary on the WGS84 ellipsoid, computed by the server. */
  areaM2: number;
  parcelCount: number;
  herdCount: number;
  pledgedHeadCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface PolygonalGeometry {
  type: 'Polygon' | 'MultiPolygon';
  coordinates: unknown;
}

export interface FarmFeature {
  type: 'Feature';
  id: string;
  /** [minLng, minLat, maxLng, maxLat] */
  bbox: [number, number, number, number];
  geometry: PolygonalGeometry;
  properties: FarmProperties;
}

/** A page of farms; `nextCursor` (a foreign member) fetches the next page, null on the last. */
export interface FarmCollection {
  type: 'FeatureCollection';
  features: FarmFeature[];
  nextCursor: string | null;
}

/** `GET /api/parcels` items. */
export interface ParcelProperties {
  farmId: string;
  farmCode: string;
  borrowerId: string;
  branchId: string;
  loanId: string | null;
  loanReference: string | null;
  code: string;
  declaredCropCode: number | null;
  declaredCropName: string | null;
  /** As the borrower declared it. */
  declaredAreaM2: number | null;
  /** Measured: the geometry on the WGS84 ellipsoid. */
  areaM2: number;
  season: string;
  seasonStart: string | null;
  seasonEnd: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ParcelFeature {
  type: 'Feature';
  id: string;
  bbox: [number, number, number, number];
  geometry: PolygonalGeometry;
  properties: ParcelProperties;
}

export interface ParcelCollection {
  type: 'FeatureCollection';
  features: ParcelFeature[];
  nextCursor: string | null;
}

export interface Health {
  status: 'ok' | 'unavailable';
  backend: 'timescaledb' | 'postgres' | 'pglite';
  versions: { postgres: string; timescaledb: string | null; postgis: string | null };
  startedAt: string;
  uptimeS: number;
  schemaVersion?: string | null;
  reason?: string;
}
