/**
 * Labelled parcels for training: a GeoJSON FeatureCollection whose features carry a WorldCereal
 * crop-type code in `crop_code` (as in the bank's register and in the shared Flanders data).
 * Features marked `label_withheld: true` (kept back for evaluation) and features that cannot be
 * used are skipped, each with its reason; nothing is dropped silently.
 */
import { validatePolygon, type MultiPolygon, type Polygon } from '../../geo/index.ts';

export interface LabelledParcel {
  readonly id: string;
  readonly geometry: Polygon | MultiPolygon;
  readonly cropCode: number;
  /** `crop_name` when given, else null. */
  readonly cropName: string | null;
}

export interface SkippedParcel {
  readonly id: string;
  readonly reason: string;
}

export interface LabelledParcels {
  readonly parcels: LabelledParcel[];
  /** Withheld labels and unusable features, with the reason. */
  readonly skipped: SkippedParcel[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses a labelled-parcels FeatureCollection.
 *
 * @param source a name for messages (the file path).
 * @throws Error when the document is not a FeatureCollection.
 * @example parseLabelledParcels(JSON.parse(text), 'parcels.geojson').parcels[0]?.cropCode // 1200
 */
export function parseLabelledParcels(json: unknown, source: string): LabelledParcels {
  if (!isRecord(json) || json.type !== 'FeatureCollection' || !Array.isArray(json.features))
    throw new Error(`${source}: expected a GeoJSON FeatureCollection`);
  const parcels: LabelledParcel[] = [];
  const skipped: SkippedParcel[] = [];
  const seen = new Set<string>();
  json.features.forEach((feature: unknown, index) => {
    const properties = isRecord(feature) && isRecord(feature.properties) ? feature.properties : {};
    const rawId =
      properties.parcel_id ?? properties.code ?? (isRecord(feature) ? feature.id : undefined);
    const id =
      typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : `${source}#${index}`;
    if (properties.label_withheld === true) {
      skipped.push({ id, reason: 'label withheld (label_withheld: true)' });
      return;
    }
    const cropCode = properties.crop_code;
    if (typeof cropCode !== 'number' || !Number.isInteger(cropCode) || cropCode <= 0) {
      skipped.push({
        id,
        reason: `crop_code ${JSON.stringify(cropCode)} is not a positive integer`,
      });
      return;
    }
    if (seen.has(id)) {
      skipped.push({ id, reason: `parcel id ${id} appears more than once in ${source}` });
      return;
    }
    const checked = validatePolygon(isRecord(feature) ? feature.geometry : undefined, {
      featureLabel: `parcel ${id}`,
    });
    if (!checked.ok) {
      skipped.push({ id, reason: checked.problems.map((p) => p.message).join('; ') });
      return;
    }
    seen.add(id);
    parcels.push({
      id,
      geometry: checked.value,
      cropCode,
      cropName: typeof properties.crop_name === 'string' ? properties.crop_name : null,
    });
  });
  return { parcels, skipped };
}
