/**
 * Classification on the real Flanders seasons (../shared/data, outside the repository): skipped
 * with a message when the data is absent. Uses the default model, fixtures/models/crop-type.onnx,
 * or, when it is not there, one trained here from the labelled parcels of both seasons.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Polygon } from '../../geo/index.ts';
import { openOnnxClassifier, type OnnxClassifier } from '../model/index.ts';
import type { CropSignatures } from '../simulate/crop-signatures.ts';
import { loadStac } from '../stac/load-stac.ts';
import { fitCropModel, readTrainingPixels } from '../train/index.ts';
import { classifyParcels } from './classify-parcels.ts';

const data = '../shared/data/sentinel2';
const seasons = ['flanders-2018', 'flanders-2019'].map((name) => ({
  stac: `${data}/${name}/catalog.json`,
  parcels: `${data}/${name}/labels/parcels.geojson`,
}));
const hasData = seasons.every((s) => existsSync(s.stac) && existsSync(s.parcels));
if (!hasData)
  console.warn(`skipping the Flanders classification tests: ${data} is absent (shared test data)`);
const defaultModel = 'fixtures/models/crop-type.onnx';

interface Feature {
  properties: Record<string, unknown>;
  geometry: Polygon;
}
const readFeatures = async (file: string): Promise<Feature[]> =>
  (JSON.parse(await readFile(file, 'utf8')) as { features: Feature[] }).features;

let classifier: OnnxClassifier;
let signatures: CropSignatures;

beforeAll(async () => {
  if (!hasData) return;
  signatures = JSON.parse(
    await readFile('fixtures/sentinel2/crop-signatures.json', 'utf8'),
  ) as CropSignatures;
  if (existsSync(defaultModel)) classifier = await openOnnxClassifier(defaultModel);
  else {
    console.warn(`${defaultModel} is absent: training a model from both Flanders seasons`);
    const pixels = await readTrainingPixels({ seasons });
    const { bytes } = await fitCropModel(pixels, { repeatedSplits: 0 });
    classifier = await openOnnxClassifier(bytes);
  }
}, 300_000);

afterAll(async () => {
  await classifier?.close();
});

describe.skipIf(!hasData)('classifyParcels on the Flanders seasons', () => {
  it('gives a crop for each 2019 parcel whose label is withheld', async () => {
    const { items } = await loadStac(seasons[1]?.stac ?? '');
    const features = await readFeatures(seasons[1]?.parcels ?? '');
    const started = performance.now();
    const { results, failures } = await classifyParcels(
      items,
      features.map((f) => ({
        id: String(f.properties.parcel_id),
        geometry: f.geometry,
        ...(typeof f.properties.crop_code === 'number'
          ? { declaredCropCode: f.properties.crop_code }
          : {}),
        declaredAreaM2: f.properties.area_m2 as number,
      })),
      { classifier, signatures },
    );
    const elapsedMs = performance.now() - started;
    expect(failures).toEqual([]);
    const withheld = features.filter((f) => f.properties.label_withheld === true);
    expect(withheld).toHaveLength(6);
    const summary = withheld.map((f) => {
      const result = results.find((r) => r.parcelId === f.properties.parcel_id);
      expect(result?.predictedCropCode).toEqual(expect.any(Number));
      expect(result?.predictedConfidence).toBeGreaterThan(0.3);
      expect(result?.status).not.toBe('cannot_verify');
      return `${result?.parcelId}: ${result?.predictedCropCode} ${result?.predictedCropName} (${result?.predictedConfidence?.toFixed(2)})`;
    });
    console.info(`withheld 2019 labels, ${Math.round(elapsedMs)} ms:\n  ${summary.join('\n  ')}`);
    // The labelled ones the model knows come out as labelled.
    const labelled = results.filter(
      (r) => r.declaredCropCode !== null && r.status !== 'cannot_verify',
    );
    const agree = labelled.filter((r) => r.predictedCropCode === r.declaredCropCode);
    expect(agree.length / labelled.length).toBeGreaterThanOrEqual(0.8);
    // Parcels too small to keep 8 whole pixels inside the buffer are not guessed.
    for (const r of results.filter((x) => x.wholePixels < 8)) {
      expect(r.status).toBe('cannot_verify');
      expect(r.predictedCropCode).toBeNull();
    }
  }, 120_000);

  it('measures the planted area of the reference maize parcel within 5 % of 25 215.5 m²', async () => {
    const { items } = await loadStac(seasons[0]?.stac ?? '');
    const [reference] = await readFeatures(`${data}/flanders-2018/labels/reference_parcel.geojson`);
    if (reference === undefined) throw new Error('reference parcel missing');
    const { results } = await classifyParcels(
      items,
      [{ id: 'reference', geometry: reference.geometry, declaredCropCode: 1200 }],
      { classifier, signatures },
    );
    const [result] = results;
    console.info(
      `reference maize parcel: planted ${result?.plantedAreaM2?.toFixed(1)} m² of ${result?.areaM2?.toFixed(1)} m², ${result?.status}`,
    );
    expect(result?.predictedCropCode).toBe(1200);
    // Ellipsoidal area; the 25 215.5 m² is planar in UTM 31N (scale factor ~0.9996 there).
    expect(Math.abs((result?.areaM2 ?? 0) / 25_215.5 - 1)).toBeLessThan(0.002);
    expect(Math.abs((result?.plantedAreaM2 ?? 0) / 25_215.5 - 1)).toBeLessThan(0.05);
    expect(result?.status).toBe('verified');
    expect(result?.clearObservations).toBeGreaterThanOrEqual(6);
    // Bare soil after sowing (about 0.24 on 2018-05-26) and a canopy in July (about 0.79).
    const on = (day: string) =>
      result?.ndviSeries.find((o) => o.date.toISOString().startsWith(day))?.mean;
    expect(on('2018-05-26')).toBeLessThan(0.35);
    expect(on('2018-07-18')).toBeGreaterThan(0.7);
  }, 120_000);
});
