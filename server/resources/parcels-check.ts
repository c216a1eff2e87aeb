/**
 * The rules a parcel must pass before it is stored, shared by `POST /api/parcels`, `PATCH` and the
 * bulk import. Pure: the database facts they need (the farm, its borrower's loans, the crop types)
 * are loaded once by the caller and passed in, so an import of thousands of features asks the
 * database three questions, not thousands.
 */
import { z } from '@hono/zod-openapi';
import {
  isPointInPolygon,
  type Bbox,
  type PolygonalGeometry,
  type Position,
} from '../../geo/index.ts';
import { checkGeometry, type CheckedGeometry, type FieldProblem } from '../api/geometry-input.ts';
import type { Queryable } from '../db/storage.ts';

/** A season as registers write it: `2018`, `2018/19`, `2019-winter`. */
export const seasonSchema = z
  .string()
  .regex(
    /^[0-9A-Za-z][0-9A-Za-z/._-]{0,31}$/,
    'must be 1-32 letters, digits and / . _ - such as "2018" or "2018/19"',
  )
  .openapi({ example: '2018' });

/** The farm a parcel goes into, with what the rules need of it. */
export interface ParcelFarm {
  readonly id: string;
  readonly code: string;
  readonly borrowerId: string;
  readonly borrowerRef: string;
  readonly branchId: string;
  readonly boundary: PolygonalGeometry;
  readonly bbox: Bbox;
}

/** Facts from the database the rules compare with. */
export interface ParcelLookups {
  /** Every crop type: code → name. */
  readonly cropNames: ReadonlyMap<number, string>;
  /** The loans of the farm's borrower: id → reference. */
  readonly loans: ReadonlyMap<string, string>;
}

/** A parcel's fields as given, before the rules that need the database. */
export interface ParcelDraft {
  readonly code: string;
  readonly loanId: string | null;
  /** The loan by its reference (imports); resolved against the borrower's loans. */
  readonly loanReference?: string | null;
  readonly declaredCropCode: number | null;
  readonly declaredAreaM2: number | null;
  readonly season: string;
  readonly seasonStart: string | null;
  readonly seasonEnd: string | null;
}

export type ParcelField = keyof ParcelDraft | 'geometry';

/** How problems name a field: the API says `json.loanId`, an import `features[3].properties.loan_id`. */
export interface ProblemNaming<Field extends string = ParcelField> {
  /** Names the item at the start of every message: `parcel "P-01"`, `features[3] ("P-01")`. */
  readonly label: string;
  readonly path: (field: Field) => string;
  /** The field as the caller wrote it, for messages: `loanId`, `properties.loan_id`. */
  readonly name: (field: Field) => string;
}

/** A parcel that passed every rule, ready to insert. */
export interface CheckedParcel extends ParcelDraft {
  readonly loanId: string | null;
  readonly geometry: CheckedGeometry;
  readonly declaredCropName: string | null;
}

export type ParcelCheck =
  | { ok: true; value: CheckedParcel; warnings: FieldProblem[] }
  | { ok: false; problems: FieldProblem[] };

/** Vertices tested against the farm boundary per parcel, evenly spread (bounds the cost). */
const MAX_VERTICES_TESTED = 256;

/** Every rule for a new parcel: geometry, loan, crop code, season dates. */
export function checkParcel(
  draft: ParcelDraft,
  geometry: unknown,
  farm: ParcelFarm,
  lookups: ParcelLookups,
  naming: ProblemNaming,
): ParcelCheck {
  const shape = checkParcelGeometry(geometry, farm, naming);
  const fields = checkParcelFields(draft, farm, lookups, naming);
  const problems = [...(shape.ok ? [] : shape.problems), ...(fields.ok ? [] : fields.problems)];
  if (!shape.ok || !fields.ok) return { ok: false, problems };
  return {
    ok: true,
    value: { ...draft, ...fields.value, geometry: shape.value },
    warnings: shape.warnings,
  };
}

/**
 * The geometry rules (geo's `validatePolygon`), and a warning, not a refusal, when the parcel is
 * not inside the farm boundary: a land register's fields often lie beyond the yard polygon.
 */
export function checkParcelGeometry(
  geometry: unknown,
  farm: ParcelFarm,
  naming: ProblemNaming,
):
  | { ok: true; value: CheckedGeometry; warnings: FieldProblem[] }
  | { ok: false; problems: FieldProblem[] } {
  const path = naming.path('geometry');
  const checked = checkGeometry(geometry, { label: naming.label, path });
  if (!checked.ok) return checked;
  const warning = outsideFarmWarning(checked.value, farm, naming.label, path);
  return { ok: true, value: checked.value, warnings: warning === null ? [] : [warning] };
}

/** The loan (a loan of the farm's borrower), the crop code (a known crop type), season dates. */
export function checkParcelFields(
  draft: ParcelDraft,
  farm: ParcelFarm,
  lookups: ParcelLookups,
  naming: ProblemNaming,
):
  | { ok: true; value: { loanId: string | null; declaredCropName: string | null } }
  | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const report = (field: ParcelField, rule: string, text: string): void => {
    problems.push({ path: naming.path(field), rule, message: `${naming.label}: ${text}` });
  };
  const borrower = `farm ${JSON.stringify(farm.code)}’s borrower ${farm.borrowerRef}`;

  let loanId = draft.loanId;
  if (draft.loanId !== null && !lookups.loans.has(draft.loanId)) {
    // Said the same way whether the loan exists elsewhere or not at all: no hint across branches.
    report(
      'loanId',
      'loan_not_of_borrower',
      `${naming.name('loanId')} ${draft.loanId} is not a loan of ${borrower}`,
    );
  }
  if (draft.loanReference != null) {
    const byReference = [...lookups.loans].find(
      ([, reference]) => reference === draft.loanReference,
    )?.[0];
    if (byReference === undefined) {
      report(
        'loanReference',
        'loan_not_of_borrower',
        `${naming.name('loanReference')} ${JSON.stringify(draft.loanReference)} is not a loan of ${borrower}`,
      );
    } else if (draft.loanId !== null && draft.loanId !== byReference) {
      report(
        'loanReference',
        'loan_mismatch',
        `${naming.name('loanReference')} ${JSON.stringify(draft.loanReference)} is loan ${byReference}, not ${naming.name('loanId')} ${draft.loanId}`,
      );
    } else {
      loanId = byReference;
    }
  }

  let declaredCropName: string | null = null;
  if (draft.declaredCropCode !== null) {
    declaredCropName = lookups.cropNames.get(draft.declaredCropCode) ?? null;
    if (declaredCropName === null) {
      report(
        'declaredCropCode',
        'unknown_crop_code',
        `${naming.name('declaredCropCode')} ${draft.declaredCropCode} is not a known crop type (WorldCereal codes, e.g. 1200 Maize)`,
      );
    }
  }

  if (
    draft.seasonStart !== null &&
    draft.seasonEnd !== null &&
    draft.seasonEnd <= draft.seasonStart
  ) {
    report(
      'seasonEnd',
      'season_dates',
      `${naming.name('seasonEnd')} ${draft.seasonEnd} must be after ${naming.name('seasonStart')} ${draft.seasonStart}`,
    );
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, value: { loanId, declaredCropName } };
}

/**
 * A warning when vertices of the parcel's exterior rings lie outside the farm boundary (on the
 * boundary counts as inside). At most 256 vertices, evenly spread, are tested per parcel.
 */
export function outsideFarmWarning(
  parcel: CheckedGeometry,
  farm: ParcelFarm,
  label: string,
  path: string,
): FieldProblem | null {
  const vertices = sampleExteriorVertices(parcel.geometry, MAX_VERTICES_TESTED);
  const [minLng, minLat, maxLng, maxLat] = farm.bbox;
  const outside = vertices.filter(
    ([lng, lat]) =>
      lng < minLng ||
      lng > maxLng ||
      lat < minLat ||
      lat > maxLat ||
      !isPointInPolygon([lng, lat], farm.boundary),
  ).length;
  if (outside === 0) return null;
  const where = `farm ${JSON.stringify(farm.code)}’s boundary`;
  return {
    path,
    rule: 'outside_farm_boundary',
    message:
      outside === vertices.length
        ? `${label}: lies outside ${where} (stored anyway: a register’s parcels may lie beyond the yard)`
        : `${label}: ${outside} of ${vertices.length} tested vertices lie outside ${where} (stored anyway)`,
  };
}

function sampleExteriorVertices(geometry: PolygonalGeometry, max: number): Position[] {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  // The closing position repeats the first: leave it out.
  const all = polygons.flatMap((rings) => (rings[0] ?? []).slice(0, -1));
  if (all.length <= max) return all;
  const step = all.length / max;
  return Array.from({ length: max }, (_, k) => all[Math.floor(k * step)]).filter(
    (p): p is Position => p !== undefined,
  );
}

/** The farm a parcel goes into, read from the database. */
export async function loadParcelFarm(tx: Queryable, farmId: string): Promise<ParcelFarm | null> {
  const { rows } = await tx.query<{
    id: string;
    code: string;
    borrower_id: string;
    borrower_ref: string;
    branch_id: string;
    boundary: PolygonalGeometry;
    min_lng: number;
    min_lat: number;
    max_lng: number;
    max_lat: number;
  }>(
    `select f.id, f.code, f.borrower_id, b.ref as borrower_ref, b.branch_id, f.boundary,
            f.min_lng, f.min_lat, f.max_lng, f.max_lat
     from farms f join borrowers b on b.id = f.borrower_id
     where f.id = $1`,
    [farmId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    id: row.id,
    code: row.code,
    borrowerId: row.borrower_id,
    borrowerRef: row.borrower_ref,
    branchId: row.branch_id,
    boundary: row.boundary,
    bbox: [row.min_lng, row.min_lat, row.max_lng, row.max_lat],
  };
}

/** The crop types and the loans of the farm's borrower. */
export async function loadParcelLookups(tx: Queryable, farm: ParcelFarm): Promise<ParcelLookups> {
  const crops = await tx.query<{ code: number; name: string }>('select code, name from crop_types');
  const loans = await tx.query<{ id: string; reference: string }>(
    'select id, reference from loans where borrower_id = $1',
    [farm.borrowerId],
  );
  return {
    cropNames: new Map(crops.rows.map((r) => [Number(r.code), r.name])),
    loans: new Map(loans.rows.map((r) => [r.id, r.reference])),
  };
}

/** Inserts a checked parcel; returns its id. */
export async function insertParcel(
  tx: Queryable,
  farmId: string,
  parcel: CheckedParcel,
): Promise<string> {
  const [minLng, minLat, maxLng, maxLat] = parcel.geometry.bbox;
  const { rows } = await tx.query<{ id: string }>(
    `insert into parcels (farm_id, loan_id, code, geometry, area_m2, min_lng, min_lat, max_lng, max_lat,
                          declared_crop_code, declared_area_m2, season, season_start, season_end)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning id`,
    [
      farmId,
      parcel.loanId,
      parcel.code,
      JSON.stringify(parcel.geometry.geometry),
      parcel.geometry.areaM2,
      minLng,
      minLat,
      maxLng,
      maxLat,
      parcel.declaredCropCode,
      parcel.declaredAreaM2,
      parcel.season,
      parcel.seasonStart,
      parcel.seasonEnd,
    ],
  );
  return String(rows[0]?.id);
}
