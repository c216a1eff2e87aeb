/**
 * Trains on the real Flanders 2018 season (../shared/data, outside the repository): skipped with
 * a message when the data is absent.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openOnnxClassifier, parseCropModelMetadata, type ModelCard } from '../model/index.ts';
import { trainCropModel } from './train-crop-model.ts';

const season2018 = '../shared/data/sentinel2/flanders-2018';
const hasData = existsSync(path.join(season2018, 'catalog.json'));
if (!hasData)
  console.warn(`skipping the crop-model training test: ${season2018} is absent (shared test data)`);

describe.skipIf(!hasData)('trainCropModel on Flanders 2018', () => {
  it('writes a model whose card reports a parcel-wise split and metrics', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-train-'));
    try {
      const outPath = path.join(dir, 'crop-type.onnx');
      const stages = new Set<string>();
      const { card, cardPaths } = await trainCropModel({
        seasons: [
          { stac: `${season2018}/catalog.json`, parcels: `${season2018}/labels/parcels.geojson` },
        ],
        outPath,
        mlp: { epochs: 10 },
        repeatedSplits: 1,
        command: 'test',
        onProgress: (event) => stages.add(event.stage),
      });
      expect([...stages]).toEqual(['load', 'read', 'train', 'evaluate', 'write']);
      expect(card.classes.map((c) => c.code)).toEqual([1200, 2130, 5100, 7900, 9120]);
      const train = new Set(card.split.trainParcelIds);
      expect(card.split.testParcelIds.some((id) => train.has(id))).toBe(false);
      expect(card.split.testParcelIds.length).toBeGreaterThan(0);
      expect(card.trainingData.seasons[0]).toMatchObject({ harvestYear: 2018, sceneCount: 108 });
      expect(card.metrics.pixel.overallAccuracy).toBeGreaterThan(0.5);
      const json = JSON.parse(await readFile(cardPaths.json, 'utf8')) as ModelCard;
      expect(json.modelVersion).toBe(card.modelVersion);
      const classifier = await openOnnxClassifier(outPath);
      try {
        expect(classifier.version).toBe(card.modelVersion);
        const metadata = parseCropModelMetadata(classifier.metadata);
        expect(metadata.featureNames).toEqual(card.features.names);
        expect(metadata.classes.map((c) => c.code)).toEqual([1200, 2130, 5100, 7900, 9120]);
      } finally {
        await classifier.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
