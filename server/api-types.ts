/**
 * Shapes of the HTTP API's answers, shared with the web app as type-only imports.
 */
export type {
  CollateralHerd,
  CollateralParcel,
  CoveragePoint,
  CoverageSeries,
  LoanCollateral,
  ParcelObservationSummary,
  UnvaluedReason,
} from './collateral/types.ts';
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

/** A page of a plain (non-GeoJSON) list: `GET /api/borrowers`, `/api/loans`, `/api/herds`. */
export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** `GET /api/borrowers` items. */
export interface Borrower {
  id: string;
  branchId: string;
  ref: string;
  name: string;
  registrationNo: string | null;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/loans` items; money as decimal strings. */
export interface Loan {
  id: string;
  branchId: string;
  borrowerId: string;
  officerId: string | null;
  reference: string;
  amount: string;
  balance: string;
  currency: string;
  status: 'active' | 'closed' | 'defaulted';
  disbursedOn: string | null;
  maturesOn: string | null;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/herds` items. */
export interface Herd {
  id: string;
  branchId: string;
  farmId: string;
  loanId: string | null;
  code: string;
  name: string;
  species: 'cattle' | 'sheep' | 'goat' | 'pig' | 'horse';
  pledgedHeadCount: number;
  valuePerHead: string | null;
  currency: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The part of `GET /api/herds/{id}/state` the map shows (the full shape is in the OpenAPI document). */
export interface HerdStateSummary {
  herdId: string;
  herdCode: string;
  farmId: string;
  at: string;
  pledgedHeadCount: number;
  /** Pledged tags whose latest fix is fresh and inside the geofence. */
  headCount: number;
  shortfall: number;
  reconciliation: {
    missing: { tagCode: string; lastSeenAt: string | null }[];
    outside: { tagCode: string; distanceM: number }[];
    silent: { tagCode: string; lastSeenAt: string | null }[];
  };
}

/**
 * A parcel's collateral status as the map shows it: the satellite check's verdict, or
 * `no_observation` while there is none yet.
 */
export type ParcelStatus =
  'verified' | 'mismatch' | 'area_shortfall' | 'cannot_verify' | 'no_observation';

/** `GET /api/map-config`: what the map needs from the service's configuration. */
export interface MapConfig {
  /** null: no basemap; the map makes no request outside the service. */
  basemap:
    | { type: 'xyz'; url: string; attribution: string | null }
    | { type: 'wmts'; url: string; layer: string; attribution: string | null }
    | null;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

/** `GET /api/alerts` items (and `GET /api/alerts/{id}` without its `events`). */
export interface Alert {
  id: string;
  kind: string;
  subjectType: string;
  subjectId: string;
  branchId: string;
  loanId: string | null;
  farmId: string | null;
  severity: AlertSeverity;
  status: AlertStatus;
  title: string;
  /** What raised it: readings, positions, counts, missing tags, scenes. */
  evidence: Record<string, unknown>;
  raisedAt: string;
  updatedAt: string;
  assignedTo: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  ackDeadlineAt: string | null;
  escalatedAt: string | null;
  escalatedTo: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolvedBySystem: boolean | null;
}

/** One change in an alert's history. */
export interface AlertEvent {
  id: string;
  at: string;
  type:
    | 'raised'
    | 'updated'
    | 'acknowledged'
    | 'assigned'
    | 'commented'
    | 'escalated'
    | 'resolved'
    | 'reopened';
  actorKind: 'user' | 'system';
  actorUserId: string | null;
  actorEmail: string | null;
  comment: string | null;
  payload?: unknown;
}

/** `GET /api/alerts/{id}` and the answer of its actions. */
export interface AlertWithHistory extends Alert {
  events: AlertEvent[];
}

/** The `data` of one `event: alert` on `GET /api/alerts/stream` (`id:` is `event.id`). */
export interface AlertStreamMessage {
  event: {
    id: string;
    type: string;
    at: string;
    actorKind: 'user' | 'system';
    actorUserId: string | null;
    comment: string | null;
    payload: unknown;
  };
  alert: Pick<
    Alert,
    | 'id'
    | 'kind'
    | 'subjectType'
    | 'subjectId'
    | 'branchId'
    | 'loanId'
    | 'farmId'
    | 'severity'
    | 'status'
    | 'title'
  >;
}

/** `GET /api/auth/me` and `GET /api/users` items (the part the map uses). */
export interface UserSummary {
  id: string;
  email: string;
  displayName: string;
  role: 'officer' | 'supervisor' | 'admin';
  branchId: string | null;
  disabled: boolean;
}

/** `GET /api/animal-positions`: the latest fix of each tag seen on the caller's farms. */
export interface AnimalPositions {
  at: string;
  items: {
    tagCode: string;
    lng: number;
    lat: number;
    observedAt: string;
    farmId: string;
    herdId: string | null;
  }[];
}

/** `GET /api/herds/{id}/counts`: distinct pledged tags inside the geofence, per hour. */
export interface HerdCounts {
  herdId: string;
  pledgedHeadCount: number;
  bucketMs: number;
  buckets: { start: string; headCount: number }[];
}

/** `GET /api/parcels/{id}/observations` (the part the details panel shows). */
export interface ParcelObservations {
  parcelId: string;
  code: string;
  status: string;
  reason: string | null;
  observations: {
    observedAt: string;
    sceneId: string;
    clearPixels: number;
    totalPixels: number;
    ndviMean: number | null;
    predictedCropCode: number | null;
    predictedConfidence: number | null;
    plantedAreaM2: number | null;
  }[];
  ndviSeries: { date: string; sceneId: string; ndvi: number; clearPixels: number }[];
  markers: { type: string; date: string; ndvi: number; expectedNdvi: number; reason: string }[];
}

/** `GET /api/parcels/status.geojson` feature properties (the part the map shows). */
export interface ParcelStatusProperties {
  code: string;
  status: 'verified' | 'mismatch' | 'area_shortfall' | 'cannot_verify' | 'no_observation';
  reason: string | null;
  declaredCropCode: number | null;
  declaredCropName: string | null;
  predictedCropCode: number | null;
  predictedCropName: string | null;
  predictedConfidence: number | null;
  declaredAreaM2: number | null;
  plantedAreaM2: number | null;
  areaM2: number;
  clearObservations: number;
  lastClearAt: string | null;
}

/** `GET /api/tiles/{crop|ndvi}/legend`. */
export interface TileLegend {
  layer: 'crop' | 'ndvi';
  description: string;
  entries: { label: string; colour: string; cropCode?: number; ndvi?: number }[];
}
