/**
 * Reads the features of a bank's land register (a GeoJSON FeatureCollection) into parcel and farm
 * drafts. Pure: every property problem of a feature is collected with its path in the request body
 * (`features[3].properties.crop_code`) and a message naming the feature, the value and the rule.
 *
 * Parcel properties: `code` or `parcel_id` → code; `crop_code` → declared crop; `declared_area_m2`
 * or else `area_m2` → declared area; `season` (required); `season_start`, `season_end`
 * (YYYY-MM-DD); `loan_id` or `loan_reference`. Farm properties: `code`, `name`, `borrower_id` or
 * `borrower_ref`. Other properties are ignored; a `kind` of the other sort (our own export marks
 * each feature `farm` or `parcel`) is refused.
 */
import { z } from '@hono/zod-openapi';
import type { FieldProblem } from '../api/geometry-input.ts';
import { codeSchema } from '../api/schemas.ts';
import { calendarDateSchema } from './field-rules.ts';
import {
  seasonSchema,
  type ParcelDraft,
  type ParcelField,
  type ProblemNaming,
} from './parcels-check.ts';

/** One feature read: its draft and geometry (checked later), or every property problem. */
export type MappedFeature<T, Field extends string> =
  | {
      readonly ok: true;
      readonly index: number;
      readonly code: string;
      readonly value: T;
      readonly geometry: unknown;
      readonly naming: ProblemNaming<Field>;
    }
  | MappingFailure;

export interface MappingFailure {
  readonly ok: false;
  readonly index: number;
  readonly code: string | null;
  readonly problems: FieldProblem[];
}

/** The fields of a farm feature problems may name. */
export type FarmImportField = 'code' | 'name' | 'borrower_id' | 'borrower_ref' | 'geometry';

export interface FarmImportDraft {
  readonly code: string;
  readonly name: string;
  readonly borrowerId: string | null;
  readonly borrowerRef: string | null;
}

type Properties = Record<string, unknown>;

/** Which property feeds each parcel field, first present name wins. */
const parcelProperties: Record<Exclude<ParcelField, 'geometry'>, readonly string[]> = {
  code: ['code', 'parcel_id'],
  declaredCropCode: ['crop_code'],
  declaredAreaM2: ['declared_area_m2', 'area_m2'],
  season: ['season'],
  seasonStart: ['season_start'],
  seasonEnd: ['season_end'],
  loanId: ['loan_id'],
  loanReference: ['loan_reference'],
};

/** Reads a parcel feature of a land register. */
export function mapParcelFeature(
  feature: unknown,
  index: number,
): MappedFeature<ParcelDraft, ParcelField> {
  const reader = new FeatureReader(feature, index, 'parcel');
  if (reader.properties === null) return reader.failed();
  const chosen = (field: Exclude<ParcelField, 'geometry'>): string =>
    parcelProperties[field].find((name) => reader.has(name)) ?? parcelProperties[field][0] ?? field;
  const names = {
    code: chosen('code'),
    declaredCropCode: chosen('declaredCropCode'),
    declaredAreaM2: chosen('declaredAreaM2'),
    season: chosen('season'),
    seasonStart: chosen('seasonStart'),
    seasonEnd: chosen('seasonEnd'),
    loanId: chosen('loanId'),
    loanReference: chosen('loanReference'),
  };
  const code = reader.code(names.code, { alternatives: parcelProperties.code });
  const draft: ParcelDraft = {
    code: code ?? '',
    declaredCropCode: reader.optionalInteger(names.declaredCropCode, 'a crop code'),
    declaredAreaM2: reader.optionalPositive(names.declaredAreaM2, 'an area in m²'),
    season: reader.season(names.season),
    seasonStart: reader.optionalDate(names.seasonStart),
    seasonEnd: reader.optionalDate(names.seasonEnd),
    loanId: reader.optionalUuid(names.loanId),
    loanReference: reader.optionalText(names.loanReference),
  };
  if (reader.problems.length > 0 || code === null) return reader.failed();
  const base = `features[${index}]`;
  return {
    ok: true,
    index,
    code,
    value: draft,
    geometry: reader.geometry,
    naming: {
      label: reader.label(),
      path: (field) =>
        field === 'geometry' ? `${base}.geometry` : `${base}.properties.${names[field]}`,
      name: (field) => (field === 'geometry' ? 'geometry' : `properties.${names[field]}`),
    },
  };
}

/** Reads a farm feature: `code`, `name`, and `borrower_id` or `borrower_ref`. */
export function mapFarmFeature(
  feature: unknown,
  index: number,
): MappedFeature<FarmImportDraft, FarmImportField> {
  const reader = new FeatureReader(feature, index, 'farm');
  if (reader.properties === null) return reader.failed();
  const code = reader.code('code', { alternatives: ['code'] });
  const name = reader.name('name');
  const borrowerId = reader.optionalUuid('borrower_id');
  const borrowerRef = reader.optionalText('borrower_ref');
  if (!reader.has('borrower_id') && !reader.has('borrower_ref')) {
    reader.report(
      'borrower_id',
      'missing_property',
      'properties.borrower_id or properties.borrower_ref is required: the farm’s borrower',
    );
  }
  if (reader.problems.length > 0 || code === null || name === null) return reader.failed();
  const base = `features[${index}]`;
  return {
    ok: true,
    index,
    code,
    value: { code, name, borrowerId, borrowerRef },
    geometry: reader.geometry,
    naming: {
      label: reader.label(),
      path: (field) => (field === 'geometry' ? `${base}.geometry` : `${base}.properties.${field}`),
      name: (field) => (field === 'geometry' ? 'geometry' : `properties.${field}`),
    },
  };
}

/** `features[3] ("P-01")`, or `features[3]` while the code is unknown. */
export function featureLabel(index: number, code: string | null): string {
  return code === null ? `features[${index}]` : `features[${index}] (${JSON.stringify(code)})`;
}

/** Reads one feature's properties, collecting problems instead of stopping at the first. */
class FeatureReader {
  readonly problems: FieldProblem[] = [];
  readonly properties: Properties | null;
  readonly geometry: unknown;
  private readonly index: number;
  private readonly kind: 'farm' | 'parcel';
  private readonly base: string;
  private featureCode: string | null = null;

  constructor(feature: unknown, index: number, kind: 'farm' | 'parcel') {
    this.index = index;
    this.kind = kind;
    this.base = `features[${index}]`;
    const f = feature as { type?: unknown; properties?: unknown; geometry?: unknown } | null;
    if (typeof f !== 'object' || f === null || Array.isArray(f) || f.type !== 'Feature') {
      this.properties = null;
      this.geometry = undefined;
      this.problems.push({
        path: this.base,
        rule: 'not_feature',
        message: `${this.base}: ${describe(feature)} is not a GeoJSON Feature (type "Feature" with geometry and properties)`,
      });
      return;
    }
    this.geometry = f.geometry;
    const props = f.properties;
    if (
      props !== null &&
      props !== undefined &&
      (typeof props !== 'object' || Array.isArray(props))
    ) {
      this.properties = null;
      this.problems.push({
        path: `${this.base}.properties`,
        rule: 'invalid_property',
        message: `${this.base}: properties is ${describe(props)}, expected an object`,
      });
      return;
    }
    this.properties = (props ?? {}) as Properties;
    const declared = this.properties['kind'];
    if (declared !== undefined && declared !== null && declared !== kind) {
      this.problems.push({
        path: `${this.base}.properties.kind`,
        rule: 'wrong_kind',
        message: `${this.base}: properties.kind ${describe(declared)} is not "${kind}": this route imports ${kind}s`,
      });
    }
  }

  has(name: string): boolean {
    return this.properties !== null && this.properties[name] !== undefined;
  }

  label(): string {
    return featureLabel(this.index, this.featureCode);
  }

  failed(): MappingFailure {
    return { ok: false, index: this.index, code: this.featureCode, problems: this.problems };
  }

  report(name: string, rule: string, text: string): void {
    this.problems.push({
      path: `${this.base}.properties.${name}`,
      rule,
      // The code is read first, so every later message names the feature by it.
      message: `${this.label()}: ${text}`,
    });
  }

  private value(name: string): unknown {
    return this.properties?.[name];
  }

  code(name: string, options: { alternatives: readonly string[] }): string | null {
    const raw = this.value(name);
    if (raw === undefined || raw === null || raw === '') {
      this.report(
        name,
        'missing_property',
        `properties.${options.alternatives.join(' or properties.')} is required: the ${this.kind}’s code`,
      );
      return null;
    }
    const text = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : raw;
    const parsed = codeSchema.safeParse(text);
    if (!parsed.success) {
      this.report(
        name,
        'invalid_property',
        `properties.${name} ${describe(raw)} ${firstIssue(parsed.error)}`,
      );
      return null;
    }
    this.featureCode = parsed.data;
    return parsed.data;
  }

  name(name: string): string | null {
    const raw = this.value(name);
    if (typeof raw !== 'string' || raw.trim() === '' || raw.length > 300) {
      this.report(
        name,
        raw === undefined || raw === null ? 'missing_property' : 'invalid_property',
        `properties.${name} ${describe(raw)} must be a text of 1-300 characters`,
      );
      return null;
    }
    return raw;
  }

  season(name: string): string {
    const raw = this.value(name);
    if (raw === undefined || raw === null || raw === '') {
      this.report(name, 'missing_property', `properties.${name} is required, e.g. 2018`);
      return '';
    }
    const text = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : raw;
    const parsed = seasonSchema.safeParse(text);
    if (!parsed.success) {
      this.report(
        name,
        'invalid_property',
        `properties.${name} ${describe(raw)} ${firstIssue(parsed.error)}`,
      );
      return '';
    }
    return parsed.data;
  }

  optionalInteger(name: string, what: string): number | null {
    const raw = this.value(name);
    if (raw === undefined || raw === null || raw === '') return null;
    const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.report(
        name,
        'invalid_property',
        `properties.${name} ${describe(raw)} is not ${what}: expected an integer >= 0`,
      );
      return null;
    }
    return value;
  }

  optionalPositive(name: string, what: string): number | null {
    const raw = this.value(name);
    if (raw === undefined || raw === null || raw === '') return null;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.report(
        name,
        'invalid_property',
        `properties.${name} ${describe(raw)} is not ${what}: expected a number > 0`,
      );
      return null;
    }
    return value;
  }

  optionalDate(name: string): string | null {
    const raw = this.value(name);
    if (raw === undefined || raw === null || raw === '') return null;
    const parsed = calendarDateSchema.safeParse(raw);
    if (!parsed.success) {
      this.report(
        name,
        'invalid_property',
        `properties.${name} ${describe(raw)} ${firstIssue(parsed.error)}`,
      );
      return null;
    }
    return parsed.data;
  }

  optionalUuid(name: string): string | null {
    const raw = this.value(name);
    if (raw === undefined || raw === null || raw === '') return null;
    const parsed = z.string().uuid().safeParse(raw);
    if (!parsed.success) {
      this.report(name, 'invalid_property', `properties.${name} ${describe(raw)} is not a UUID`);
      return null;
    }
    return parsed.data.toLowerCase();
  }

  optionalText(name: string): string | null {
    const raw = this.value(name);
    if (raw === undefined || raw === null || raw === '') return null;
    if (typeof raw !== 'string' || raw.length > 300) {
      this.report(
        name,
        'invalid_property',
        `properties.${name} ${describe(raw)} must be a text of 1-300 characters`,
      );
      return null;
    }
    return raw;
  }
}

function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'is invalid';
}

/** A value from the input, short, for a message. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return 'an object';
}
