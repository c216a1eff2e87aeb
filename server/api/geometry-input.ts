import { z } from '@hono/zod-openapi';
import {
  areaM2,
  bboxOf,
  validatePolygon,
  type Bbox,
  type PolygonalGeometry,
} from '../../geo/index.ts';
import { InvalidInputError } from '../errors.ts';

/** Most positions one farm boundary or parcel geometry may have (every ring, closing ones included). */
export const MAX_GEOMETRY_VERTICES = 50_000;

/** One reason an input was refused, or a warning about it: where, which rule, and a sentence. */
export interface FieldProblem {
  /** Path in the request: `json.boundary.coordinates[0][3]`, `features[2].properties.crop_code`. */
  readonly path: string;
  /** snake_case rule: `self_intersection`, `unknown_crop_code`, `outside_farm_boundary`... */
  readonly rule: string;
  readonly message: string;
}

export const fieldProblemSchema = z
  .object({
    path: z.string().openapi({ example: 'features[3].geometry.coordinates[0][2]' }),
    rule: z.string().openapi({ example: 'coordinate_out_of_range' }),
    message: z.string().openapi({
      example: 'features[3] ("P-04"): exterior ring position 3 latitude 91 out of range [-90, 90]',
    }),
  })
  .openapi('FieldProblem');

/** A geometry that passed `validatePolygon`, with what the server computes from it. */
export interface CheckedGeometry {
  /** The geometry as stored: fixes applied (RFC 7946 winding, repeated positions removed). */
  readonly geometry: PolygonalGeometry;
  /** Area on the WGS84 ellipsoid, in m²; never taken from the input. */
  readonly areaM2: number;
  readonly bbox: Bbox;
  /** One sentence per fix validatePolygon applied; empty when the input was already clean. */
  readonly fixes: readonly string[];
}

export type GeometryCheck =
  { ok: true; value: CheckedGeometry } | { ok: false; problems: FieldProblem[] };

/**
 * Checks an untrusted Polygon or MultiPolygon with geo's `validatePolygon` and computes its
 * ellipsoidal area and bbox. Problems carry `path` (where the geometry sits in the request) joined
 * with the path inside the geometry.
 *
 * @example
 * checkGeometry(body.boundary, { label: 'farm "F-01"', path: 'json.boundary' })
 * // { ok: false, problems: [{ path: 'json.boundary.coordinates[0][2]', rule: 'coordinate_out_of_range',
 * //   message: 'farm "F-01": exterior ring position 3 latitude 91 out of range [-90, 90]' }] }
 */
export function checkGeometry(
  geometry: unknown,
  options: { label: string; path: string },
): GeometryCheck {
  const result = validatePolygon(geometry, {
    featureLabel: options.label,
    maxVertices: MAX_GEOMETRY_VERTICES,
  });
  if (!result.ok) {
    return {
      ok: false,
      problems: result.problems.map((p) => ({
        path: joinPath(options.path, p.path),
        rule: p.rule,
        message: p.message,
      })),
    };
  }
  return {
    ok: true,
    value: {
      geometry: result.value,
      areaM2: areaM2(result.value),
      bbox: bboxOf(result.value),
      fixes: result.fixes,
    },
  };
}

/** Throws the 400 for a list of problems: message lists `path: message`, details the problems. */
export function refuseInput(problems: readonly FieldProblem[]): never {
  throw new InvalidInputError(problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
    details: problems,
  });
}

/** `json.boundary` + `coordinates[0][3]` → `json.boundary.coordinates[0][3]`; `''` is the geometry itself. */
export function joinPath(base: string, inner: string): string {
  if (inner === '') return base;
  return inner.startsWith('[') ? `${base}${inner}` : `${base}.${inner}`;
}
