/**
 * `pledgewatch classify`: crop type, planted area, status and markers of the parcels of a GeoJSON
 * file over a season of Sentinel-2 L2A scenes from STAC. Each input feature is written back with
 * its own properties kept and the results added. The imagery code is imported only when the
 * command runs, so `--help` loads nothing else.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { numberOption } from './number-option.ts';
import { CliUsageError } from './usage-error.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const defaultModelPath = `${projectRoot}fixtures/models/crop-type.onnx`;
const signaturesPath = `${projectRoot}fixtures/sentinel2/crop-signatures.json`;

export const classifyUsage = `pledgewatch classify --stac CATALOG --parcels GEOJSON --out GEOJSON
                     [--from DATE] [--to DATE] [--model MODEL.onnx] [--buffer-m M]
                     [--raster-out CLASSES.tif] [--chunk-size N]

Classifies each parcel's crop from a season of Sentinel-2 L2A scenes and checks it against what
was declared: writes every input feature back, its properties kept, with predicted_crop_code,
predicted_crop_name, predicted_confidence, class_fractions, planted_area_m2, clear_observations,
ndvi_series, status (verified, mismatch, area_shortfall, cannot_verify), status_reason, markers
(vegetation_loss, early_harvest) and observations (per-scene statistics).

  --stac CATALOG        STAC catalog, collection, item or folder of items (path or URL)
  --parcels GEOJSON     a FeatureCollection of parcels (Polygon or MultiPolygon, WGS84); the id is
                        parcel_id, code or the feature id; the declared crop is crop_code (a
                        WorldCereal crop-type code) and the declared area declared_area_m2 or area_m2
  --out GEOJSON         where to write the parcels with their results
  --from DATE           only scenes on or after DATE (YYYY-MM-DD or ISO 8601)
  --to DATE             only scenes on or before DATE (a day counts whole)
  --model MODEL.onnx    crop-type model (default fixtures/models/crop-type.onnx)
  --buffer-m M          inward parcel buffer before pixels are taken, m (default 10)
  --raster-out FILE     also write the predicted crop codes per pixel as a uint16 COG (0 = nodata)
  --chunk-size N        parcels read together (default 500)

Example:

  pledgewatch classify --stac ../shared/data/sentinel2/flanders-2019/catalog.json \\
    --parcels ../shared/data/sentinel2/flanders-2019/labels/parcels.geojson \\
    --out classified-2019.geojson --raster-out classes-2019.tif

Progress and every failed item (id and reason) go to stderr; a summary (JSON) to stdout. Exits 0
when the run completed, even with failed items; 1 on bad arguments or unreadable inputs.`;

export interface ClassifyArgs {
  readonly stac: string;
  readonly parcels: string;
  readonly out: string;
  readonly from: Date | undefined;
  readonly to: Date | undefined;
  readonly model: string;
  readonly bufferM: number;
  readonly rasterOut: string | undefined;
  readonly chunkSize: number;
}

function parseDate(raw: string | undefined, name: string, endOfDay: boolean): Date | undefined {
  if (raw === undefined) return undefined;
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw.trim());
  const date = new Date(dayOnly ? `${raw.trim()}T00:00:00Z` : raw.trim());
  if (Number.isNaN(date.getTime()))
    throw new CliUsageError(
      `--${name} ${JSON.stringify(raw)} is not a date (YYYY-MM-DD or ISO 8601)`,
    );
  return dayOnly && endOfDay ? new Date(date.getTime() + 86_399_999) : date;
}

export function parseClassifyArgs(args: readonly string[]): ClassifyArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        stac: { type: 'string' },
        parcels: { type: 'string' },
        out: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        model: { type: 'string' },
        'buffer-m': { type: 'string' },
        'raster-out': { type: 'string' },
        'chunk-size': { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message, { cause: error });
  }
  const required = (name: 'stac' | 'parcels' | 'out'): string => {
    const value = values[name]?.trim();
    if (value === undefined || value === '') throw new CliUsageError(`--${name} is required`);
    return value;
  };
  const stac = required('stac');
  const parcels = required('parcels');
  const out = required('out');
  const from = parseDate(values.from, 'from', false);
  const to = parseDate(values.to, 'to', true);
  if (from !== undefined && to !== undefined && from > to)
    throw new CliUsageError(`--from ${values.from ?? ''} is after --to ${values.to ?? ''}`);
  const rasterOut = values['raster-out']?.trim();
  if (rasterOut !== undefined && !/\.tiff?$/i.test(rasterOut))
    throw new CliUsageError(
      `--raster-out ${JSON.stringify(rasterOut)} must end with .tif or .tiff`,
    );
  return {
    stac,
    parcels,
    out,
    from,
    to,
    model: values.model?.trim() || defaultModelPath,
    bufferM: numberOption(values['buffer-m'], 'buffer-m', 10, { min: 0, max: 100, integer: false }),
    rasterOut: rasterOut === '' ? undefined : rasterOut,
    chunkSize: numberOption(values['chunk-size'], 'chunk-size', 500, {
      min: 1,
      max: 100_000,
      integer: true,
    }),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A finite positive number from a number or a numeric string, else undefined. */
function positiveNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));
const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

type Writable = NodeJS.WritableStream & { isTTY?: boolean };

/** Classifies and writes the output; progress and failures on stderr. Returns the summary. */
export async function runClassify(
  args: ClassifyArgs,
  stderr: Writable = process.stderr,
): Promise<Record<string, unknown>> {
  const started = performance.now();
  const { blockInflater, classifyParcels, classRasterToCog, loadStac } =
    await import('../../ingest/index.ts');
  type ClassifyParcelInput = import('../../ingest/index.ts').ClassifyParcelInput;
  type ParcelCropResult = import('../../ingest/index.ts').ParcelCropResult;
  type CropSignatures = import('../../ingest/index.ts').CropSignatures;

  // 1. Inputs: parcels, model, scenes. Any of them unreadable ends the run (exit 1).
  let document: unknown;
  try {
    document = JSON.parse(await readFile(args.parcels, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`--parcels ${args.parcels}: ${(error as Error).message}`, { cause: error });
  }
  if (
    !isRecord(document) ||
    document.type !== 'FeatureCollection' ||
    !Array.isArray(document.features)
  )
    throw new Error(`--parcels ${args.parcels}: expected a GeoJSON FeatureCollection`);
  const features = document.features as unknown[];
  const inputs: ClassifyParcelInput[] = [];
  const idOf: string[] = [];
  const rejected = new Map<number, string>();
  const seen = new Set<string>();
  features.forEach((feature, index) => {
    const properties = isRecord(feature) && isRecord(feature.properties) ? feature.properties : {};
    const rawId =
      properties.parcel_id ?? properties.code ?? (isRecord(feature) ? feature.id : undefined);
    let id =
      typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : `feature ${index}`;
    if (seen.has(id)) id = `${id} (feature ${index})`;
    seen.add(id);
    idOf[index] = id;
    const geometry = isRecord(feature) ? feature.geometry : undefined;
    if (!isRecord(geometry) || (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon')) {
      rejected.set(
        index,
        `geometry ${isRecord(geometry) ? JSON.stringify(geometry.type) : 'missing'} is not a Polygon or MultiPolygon`,
      );
      return;
    }
    const cropCode = positiveNumber(properties.crop_code);
    const area = positiveNumber(properties.declared_area_m2) ?? positiveNumber(properties.area_m2);
    inputs.push({
      id,
      geometry: geometry as unknown as ClassifyParcelInput['geometry'],
      ...(cropCode !== undefined && Number.isInteger(cropCode)
        ? { declaredCropCode: cropCode }
        : {}),
      ...(area !== undefined ? { declaredAreaM2: area } : {}),
      properties,
    });
  });

  let signatures: CropSignatures | undefined;
  try {
    signatures = JSON.parse(await readFile(signaturesPath, 'utf8')) as CropSignatures;
  } catch (error) {
    stderr.write(
      `crop signatures ${signaturesPath} unreadable (${(error as Error).message}): no markers\n`,
    );
  }

  const { items, failures: loadFailures } = await loadStac(args.stac, {
    ...(args.from ? { from: args.from } : {}),
    ...(args.to ? { to: args.to } : {}),
  });
  for (const failure of loadFailures)
    stderr.write(`failed: item ${failure.itemId}: ${failure.code}: ${failure.reason}\n`);
  if (items.length === 0)
    throw new Error(
      `--stac ${args.stac}: no usable scene${args.from || args.to ? ' in the date range' : ''}${loadFailures[0] ? ` (${loadFailures.length} failed, first: ${loadFailures[0].reason})` : ''}`,
    );
  stderr.write(`${items.length} scenes, ${inputs.length} parcels\n`);
  const inflater = blockInflater();
  if (inflater.kind === 'zlib') stderr.write(`note: inflating with zlib: ${inflater.reason}\n`);

  // 2. Classification, with progress.
  let progressLine = '';
  const tty = stderr.isTTY === true;
  const result = await classifyParcels(items, inputs, {
    classifier: args.model,
    ...(signatures ? { signatures } : {}),
    bufferM: args.bufferM,
    chunkSize: args.chunkSize,
    raster: args.rasterOut !== undefined,
    onProgress: (event) => {
      const line =
        event.stage === 'read'
          ? `reading chunk ${event.chunk}/${event.chunkCount}: scene ${event.done}/${event.total} ${event.itemId}`
          : `classified ${event.parcelsDone}/${event.parcelCount} parcels`;
      if (tty) stderr.write(`\r\x1b[K${line}`);
      else if (event.stage === 'classify' || event.done === event.total || event.done % 20 === 0)
        stderr.write(`${line}\n`);
      progressLine = line;
    },
  });
  if (tty && progressLine !== '') stderr.write('\n');
  const failures = [...loadFailures, ...result.failures];
  for (const failure of result.failures)
    stderr.write(
      `failed: ${failure.parcelId !== undefined ? `parcel ${failure.parcelId}` : `item ${failure.itemId}`}: ${failure.code}: ${failure.reason}\n`,
    );

  // 3. Output: every input feature, its properties kept, the results added.
  const byId = new Map(result.results.map((r) => [r.parcelId, r]));
  const resultProperties = (r: ParcelCropResult): Record<string, unknown> => ({
    predicted_crop_code: r.predictedCropCode,
    predicted_crop_name: r.predictedCropName,
    predicted_confidence: r.predictedConfidence === null ? null : round(r.predictedConfidence, 3),
    class_fractions: Object.fromEntries(
      Object.entries(r.classFractions).map(([code, share]) => [code, round(share, 4)]),
    ),
    planted_crop_code: r.plantedCropCode,
    planted_area_m2: r.plantedAreaM2 === null ? null : round(r.plantedAreaM2, 1),
    whole_pixels: r.wholePixels,
    classified_pixels: r.classifiedPixels,
    clear_observations: r.clearObservations,
    ndvi_series: r.ndviSeries.map((o) => ({
      date: isoDay(o.date),
      mean: round(o.mean, 4),
      clear_pixels: o.clearPixels,
    })),
    status: r.status,
    status_reason: r.statusReason,
    markers: r.markers.map((m) => ({
      type: m.type,
      date: isoDay(m.date),
      scene_id: m.sceneId,
      ndvi: round(m.ndvi, 4),
      expected_ndvi: round(m.expectedNdvi, 4),
      crop_code: m.cropCode,
      reason: m.reason,
    })),
    observations: r.observations.map((o) => ({
      scene_id: o.sceneId,
      date: o.date.toISOString(),
      clear_pixels: o.clearPixels,
      total_pixels: o.totalPixels,
      ndvi_mean: o.ndviMean === null ? null : round(o.ndviMean, 4),
      ndwi_mean: o.ndwiMean === null ? null : round(o.ndwiMean, 4),
      ndre_mean: o.ndreMean === null ? null : round(o.ndreMean, 4),
    })),
    model_version: r.modelVersion,
  });
  const statuses: Record<string, number> = {};
  const outFeatures = features.map((feature, index) => {
    const base = isRecord(feature) ? feature : {};
    const properties = isRecord(base.properties) ? base.properties : {};
    const r = byId.get(idOf[index] ?? '');
    const added =
      r === undefined
        ? {
            status: 'cannot_verify',
            status_reason: rejected.get(index) ?? 'not classified',
            model_version: result.modelVersion,
          }
        : resultProperties(r);
    statuses[added.status as string] = (statuses[added.status as string] ?? 0) + 1;
    return { ...base, type: 'Feature', properties: { ...properties, ...added } };
  });
  const output = {
    ...document,
    features: outFeatures,
    pledgewatch: {
      command: 'classify',
      model_version: result.modelVersion,
      harvest_year: result.harvestYear,
      scenes: items.length,
      failures: failures.map((f) => ({
        item_id: f.itemId,
        ...(f.parcelId !== undefined ? { parcel_id: f.parcelId } : {}),
        code: f.code,
        reason: f.reason,
      })),
    },
  };
  await writeFile(args.out, `${JSON.stringify(output)}\n`);
  let raster: Record<string, unknown> | null = null;
  if (args.rasterOut !== undefined) {
    if (result.raster === null) stderr.write('no pixel was classified: no raster written\n');
    else {
      await writeFile(args.rasterOut, classRasterToCog(result.raster));
      raster = {
        path: args.rasterOut,
        width: result.raster.width,
        height: result.raster.height,
        epsg: result.raster.epsg,
        legend: result.raster.legend,
      };
    }
  }
  return {
    out: args.out,
    raster,
    parcels: features.length,
    statuses,
    scenes: items.length,
    failedItems: failures.length,
    modelVersion: result.modelVersion,
    harvestYear: result.harvestYear,
    elapsedMs: Math.round(performance.now() - started),
  };
}
