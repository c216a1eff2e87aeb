/**
 * Shapes of the HTTP API's answers, shared with the web app as type-only imports.
 */
export interface FarmProperties {
  code: string;
  name: string;
  areaM2: number;
  borrowerId: string;
  borrowerName: string;
  branchCode: string;
  parcelCount: number;
  herdCount: number;
  pledgedHeadCount: number;
}

export interface FarmFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown };
  properties: FarmProperties;
}

export interface FarmCollection {
  type: 'FeatureCollection';
  features: FarmFeature[];
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
