import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Position } from '../../geo/index.ts';
import { openOnnxClassifier, type OnnxClassifier } from '../model/index.ts';
import { loadStac } from '../stac/load-stac.ts';
import type { SceneItem } from '../types.ts';
import { classifyParcels, type ClassifyParcelsResult } from './classify-parcels.ts';
import {
  BROKEN_ITEMS,
  pixelSquare,
  TEST_PARCELS,
  writeSimulatedSeason,
  type SimulatedSeason,
} from './testing/simulated-season.ts';
import { classRasterToCog } from './write-class-raster.ts';

let root = '';
let season: SimulatedSeason;
let classifier: OnnxClassifier;
let items: SceneItem[];
let run: ClassifyParcelsResult;

const { maize, wheatDeclaredMaize, small, clouded, beet, grass, wheat } = TEST_PARCELS;
const inputs = [
  { id: maize.id, geometry: maize.geometry, declaredCropCode: 1200, declaredAreaM2: 19_600 },
  { id: wheatDeclaredMaize.id, geometry: wheatDeclaredMaize.geometry, declaredCropCode: 1110 },
  { id: small.id, geometry: small.geometry, declaredCropCode: 1200 },
  { id: clouded.id, geometry: clouded.geometry, declaredCropCode: 1200 },
  { id: beet.id, geometry: beet.geometry },
  // Declared twice its size: the planted area falls short.
  { id: grass.id, geometry: grass.geometry, declaredCropCode: 9120, declaredAreaM2: 39_200 },
  { id: wheat.id, geometry: wheat.geometry, declaredCropCode: 1110 },
];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pw-classify-'));
  season = await writeSimulatedSeason(root);
  classifier = await openOnnxClassifier(season.modelBytes);
  ({ items } = await loadStac(season.catalogPath));
  run = await classifyParcels(items, inputs, {
    classifier,
    signatures: season.signatures,
    raster: true,
    chunkSize: 3,
  });
}, 120_000);

afterAll(async () => {
  await classifier?.close();
  if (root !== '') await rm(root, { recursive: true, force: true });
});

const resultOf = (id: string) => {
  const result = run.results.find((r) => r.parcelId === id);
  if (result === undefined) throw new Error(`no result for ${id}`);
  return result;
};

describe('classifyParcels on a simulated season', () => {
  it('finds maize on a maize parcel, with the planted area near its area', () => {
    const result = resultOf(maize.id);
    expect(result.predictedCropCode).toBe(1200);
    expect(result.predictedCropName).toBe('Maize');
    expect(result.predictedConfidence).toBeGreaterThan(0.6);
    expect(result.status).toBe('verified');
    expect(result.statusReason).toMatch(/declared crop confirmed/);
    expect(result.areaM2).toBeGreaterThan(19_500);
    expect(Math.abs((result.plantedAreaM2 ?? 0) / maize.squareAreaM2 - 1)).toBeLessThan(0.05);
    expect(result.classFractions['1200']).toBeGreaterThan(0.9);
    expect(result.modelVersion).toBe(classifier.version);
    expect(run.modelVersion).toBe(classifier.version);
    expect(run.harvestYear).toBe(2024);
  });

  it('reports a parcel declared wheat that grows maize as a mismatch', () => {
    const result = resultOf(wheatDeclaredMaize.id);
    expect(result.predictedCropCode).toBe(1200);
    expect(result.status).toBe('mismatch');
    expect(result.statusReason).toMatch(/declared 1110 .*predicted 1200 Maize/);
    expect(result.plantedCropCode).toBe(1110);
    expect(result.plantedAreaM2).toBeLessThan(0.1 * wheatDeclaredMaize.squareAreaM2);
  });

  it('gives a crop and checks the area of a parcel with no declared crop', () => {
    const result = resultOf(beet.id);
    expect(result.predictedCropCode).toBe(8100);
    expect(result.plantedCropCode).toBe(8100);
    expect(result.status).toBe('verified');
    expect(result.statusReason).toMatch(/no crop declared/);
  });

  it('reports an area shortfall when the declared area is larger than what is planted', () => {
    const result = resultOf(grass.id);
    expect(result.predictedCropCode).toBe(9120);
    expect(result.status).toBe('area_shortfall');
    expect(result.statusReason).toMatch(/against a declared 39200 m²/);
  });

  it('does not guess for a parcel too small to keep 8 whole pixels inside the buffer', () => {
    const result = resultOf(small.id);
    expect(result.status).toBe('cannot_verify');
    expect(result.statusReason).toMatch(/only \d whole 10 m pixels after a 10 m inward buffer/);
    expect(result.predictedCropCode).toBeNull();
    expect(result.plantedAreaM2).toBeNull();
  });

  it('does not guess for a parcel clouded in every scene', () => {
    const result = resultOf(clouded.id);
    expect(result.status).toBe('cannot_verify');
    expect(result.statusReason).toMatch(
      /only 0 of 28 scenes saw at least 50 % of the parcel clear/,
    );
    expect(result.clearObservations).toBe(0);
    expect(result.predictedCropCode).toBeNull();
    expect(result.observations).toHaveLength(28);
    expect(result.observations.every((o) => o.clearPixels === 0 && o.ndviMean === null)).toBe(true);
  });

  it('reports each broken item once, by id and reason, and classifies from the others', () => {
    const byId = Object.fromEntries(run.failures.map((f) => [f.itemId, f]));
    expect(byId[BROKEN_ITEMS.truncated]?.code).toBe('truncated_cog');
    expect(byId[BROKEN_ITEMS.truncated]?.reason).toMatch(/nir\.tif is truncated/);
    expect(byId[BROKEN_ITEMS.missingAsset]?.code).toBe('missing_asset');
    expect(byId[BROKEN_ITEMS.missingAsset]?.reason).toMatch(/swir16/);
    expect(byId[BROKEN_ITEMS.wrongCrs]?.code).toBe('crs_mismatch');
    expect(byId[BROKEN_ITEMS.elsewhere]?.code).toBe('no_parcel_inside');
    expect(run.failures).toHaveLength(4);
    expect(resultOf(wheat.id).observations).toHaveLength(28);
  });

  it('keeps per-scene statistics, the NDVI series and markers for each parcel', () => {
    const result = resultOf(wheat.id);
    expect(result.predictedCropCode).toBe(1110);
    expect(result.clearObservations).toBeGreaterThanOrEqual(20);
    expect(result.ndviSeries).toHaveLength(result.clearObservations);
    const july = result.observations.find((o) => o.date.toISOString().startsWith('2024-05'));
    expect(july?.ndviMean).toBeGreaterThan(0.6);
    expect(july?.ndwiMean).not.toBeNull();
    expect(july?.ndreMean).not.toBeNull();
    expect(july?.clearPixels).toBe(july?.totalPixels);
    // A crop that follows its own curve raises no marker.
    expect(result.markers).toEqual([]);
  });

  it('returns the results in input order whatever the chunking', async () => {
    expect(run.results.map((r) => r.parcelId)).toEqual(inputs.map((p) => p.id));
    const single = await classifyParcels(items, inputs.slice(0, 2), { classifier, chunkSize: 1 });
    expect(single.results.map((r) => r.predictedCropCode)).toEqual([1200, 1200]);
    expect(single.failures.map((f) => f.itemId).sort()).toEqual(Object.values(BROKEN_ITEMS).sort());
  });

  it('reports an invalid parcel and a parcel outside every scene without guessing', async () => {
    const [ul, ll, lr, ur] = pixelSquare(20, 60, 10).coordinates[0] ?? [];
    const bowtie = [ul, lr, ll, ur, ul].map((p) => p ?? [0, 0]) as Position[];
    const { results, failures } = await classifyParcels(
      items,
      [
        { id: 'bowtie', geometry: { type: 'Polygon', coordinates: [bowtie] } },
        {
          id: 'far',
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [5, 51],
                [5.001, 51],
                [5.001, 51.001],
                [5, 51.001],
                [5, 51],
              ],
            ],
          },
        },
      ],
      { classifier },
    );
    expect(results.map((r) => r.status)).toEqual(['cannot_verify', 'cannot_verify']);
    expect(results[1]?.statusReason).toMatch(/outside every scene/);
    expect(results[0]?.statusReason).toMatch(/^invalid parcel: parcel bowtie: /);
    expect(failures.find((f) => f.parcelId === 'bowtie')?.code).toBe('invalid_parcel');
  });

  it('builds the classified raster over the parcels, 0 where nothing was classified', async () => {
    const raster = run.raster;
    expect(raster).not.toBeNull();
    if (raster === null) return;
    const bytes = classRasterToCog(raster);
    const tiff = await fromArrayBuffer(new Uint8Array(bytes).buffer);
    const image = await tiff.getImage();
    expect([image.getWidth(), image.getHeight()]).toEqual([raster.width, raster.height]);
    const [data] = (await image.readRasters()) as unknown as [Uint16Array];
    const counts = new Map<number, number>();
    for (const code of data) counts.set(code, (counts.get(code) ?? 0) + 1);
    expect(counts.get(0)).toBeGreaterThan(0);
    expect(counts.get(1200)).toBeGreaterThan(200);
    expect(Object.keys(raster.legend)).toContain('1200');
    const [a, , originX, , , originY] = raster.transform;
    expect(image.getOrigin()).toEqual([originX, originY, 0]);
    expect(image.getResolution()[0]).toBe(a);
  });

  it('stops with the signal reason when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      classifyParcels(items, inputs, { classifier, signal: controller.signal }),
    ).rejects.toThrow('stop');
  });
});
