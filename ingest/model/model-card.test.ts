import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classificationMetrics } from './metrics.ts';
import {
  formatModelCardMarkdown,
  modelCardPaths,
  modelVersionOf,
  writeModelCard,
  type ModelCard,
} from './model-card.ts';

function sampleCard(): ModelCard {
  const pixel = classificationMetrics(Int32Array.of(0, 0, 1), Int32Array.of(0, 1, 1), 2);
  return {
    schema: 'pledgewatch.model-card/1',
    name: 'crop-type',
    modelVersion: modelVersionOf(Uint8Array.of(1, 2, 3)),
    modelFile: 'crop-type.onnx',
    createdAt: '2026-11-22T12:00:00.000Z',
    command: 'pledgewatch train --stac a --parcels b --out crop-type.onnx',
    task: 'crop type',
    format: {
      onnxIrVersion: 8,
      onnxOpset: 13,
      input: { name: 'features', shape: ['pixels', 4] },
      output: { name: 'probabilities', shape: ['pixels', 2] },
    },
    architecture: { type: 'mlp' },
    classes: [
      {
        index: 0,
        code: 1200,
        name: 'Maize',
        trainParcels: 3,
        testParcels: 1,
        trainPixels: 30,
        testPixels: 2,
      },
      {
        index: 1,
        code: 9120,
        name: 'Permanent grass crops',
        trainParcels: 2,
        testParcels: 1,
        trainPixels: 20,
        testPixels: 1,
      },
    ],
    features: { description: 'monthly', spec: {}, names: ['a', 'b', 'c', 'd'] },
    trainingData: {
      catalogs: ['a'],
      parcelFiles: ['b'],
      seasons: [
        {
          catalog: 'a',
          harvestYear: 2018,
          firstDate: '2017-10-03',
          lastDate: '2018-11-27',
          sceneCount: 108,
          failedItems: 0,
        },
      ],
      pixelSelection: 'all',
      labelledParcels: 7,
      usedParcels: 7,
      skippedParcels: [{ id: 'x', reason: 'label withheld' }],
      trainPixels: 50,
      testPixels: 3,
    },
    split: {
      method: 'parcel-wise',
      seed: 1,
      testFraction: 0.3,
      trainParcelIds: ['p1'],
      testParcelIds: ['p2'],
      trainOnlyClassCodes: [],
    },
    metrics: { pixel, parcelMeanProbability: pixel, parcelMajority: pixel, note: 'small' },
    trainingTimeMs: 1234,
  };
}

describe('model card', () => {
  it('names its files after the model', () => {
    expect(modelCardPaths('fixtures/models/crop-type.onnx')).toEqual({
      json: path.join('fixtures/models', 'crop-type.card.json'),
      markdown: path.join('fixtures/models', 'crop-type.card.md'),
    });
  });

  it('versions a model by the sha256 of its bytes', () => {
    expect(modelVersionOf(Uint8Array.of(1, 2, 3))).toBe(
      '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81',
    );
  });

  it('writes JSON and Markdown with classes, metrics, split and command', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-card-'));
    try {
      const card = sampleCard();
      const paths = await writeModelCard(path.join(dir, 'crop-type.onnx'), card);
      const json = JSON.parse(await readFile(paths.json, 'utf8')) as ModelCard;
      expect(json.modelVersion).toBe(card.modelVersion);
      expect(json.classes.map((c) => c.code)).toEqual([1200, 9120]);
      expect(json.metrics.pixel.overallAccuracy).toBeCloseTo(2 / 3);
      expect(json.metrics.pixel.confusion).toEqual([
        [1, 1],
        [0, 1],
      ]);
      const markdown = await readFile(paths.markdown, 'utf8');
      expect(markdown).toBe(formatModelCardMarkdown(card));
      expect(markdown).toContain('| 1200 | Maize |');
      expect(markdown).toContain('Overall pixel accuracy: **66.7 %**');
      expect(markdown).toContain(card.command ?? '');
      expect(markdown).toContain('skipped x: label withheld');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
