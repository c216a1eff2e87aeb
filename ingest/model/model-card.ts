/**
 * The model card written beside a model: what it predicts, from which features, trained on what,
 * and how well it did on parcels it never saw. JSON for programs, Markdown for people.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClassificationMetrics } from './metrics.ts';

export interface ModelCardClass {
  readonly index: number;
  /** WorldCereal crop-type (CT) code, e.g. 1200. */
  readonly code: number;
  readonly name: string;
  readonly trainParcels: number;
  readonly testParcels: number;
  readonly trainPixels: number;
  readonly testPixels: number;
}

export interface ModelCardSeason {
  readonly catalog: string;
  readonly harvestYear: number;
  readonly firstDate: string | null;
  readonly lastDate: string | null;
  readonly sceneCount: number;
  readonly failedItems: number;
}

export interface ModelCard {
  readonly schema: 'pledgewatch.model-card/1';
  readonly name: string;
  /** sha256 of the ONNX bytes, hex. */
  readonly modelVersion: string;
  readonly modelFile: string;
  readonly createdAt: string;
  readonly command: string | null;
  readonly task: string;
  readonly format: {
    readonly onnxIrVersion: number;
    readonly onnxOpset: number;
    readonly input: { readonly name: string; readonly shape: readonly (string | number)[] };
    readonly output: { readonly name: string; readonly shape: readonly (string | number)[] };
  };
  readonly architecture: Readonly<Record<string, unknown>>;
  readonly classes: readonly ModelCardClass[];
  readonly features: {
    readonly description: string;
    readonly spec: Readonly<Record<string, unknown>>;
    readonly names: readonly string[];
  };
  readonly trainingData: {
    readonly catalogs: readonly string[];
    readonly parcelFiles: readonly string[];
    readonly seasons: readonly ModelCardSeason[];
    readonly pixelSelection: string;
    readonly labelledParcels: number;
    readonly usedParcels: number;
    readonly skippedParcels: readonly { readonly id: string; readonly reason: string }[];
    readonly trainPixels: number;
    readonly testPixels: number;
  };
  readonly split: {
    readonly method: string;
    readonly seed: number;
    readonly testFraction: number;
    readonly trainParcelIds: readonly string[];
    readonly testParcelIds: readonly string[];
    readonly trainOnlyClassCodes: readonly number[];
  };
  readonly metrics: {
    readonly pixel: ClassificationMetrics;
    readonly parcelMeanProbability: ClassificationMetrics;
    readonly parcelMajority: ClassificationMetrics;
    /** The same training procedure over further seeded splits. */
    readonly repeatedSplits?: {
      readonly description: string;
      readonly overallAccuracies: readonly number[];
      readonly meanOverallAccuracy: number;
      readonly minOverallAccuracy: number;
      readonly maxOverallAccuracy: number;
      readonly runs: readonly Readonly<Record<string, unknown>>[];
    };
    readonly note: string;
  };
  readonly trainingTimeMs: number;
}

/** sha256 (hex) of the model bytes: the model version the card and the results name. */
export function modelVersionOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `dir/name.onnx` -> `dir/name.card.json` and `dir/name.card.md`. */
export function modelCardPaths(modelPath: string): { json: string; markdown: string } {
  const dir = path.dirname(modelPath);
  const base = path.basename(modelPath).replace(/\.onnx$/i, '');
  return { json: path.join(dir, `${base}.card.json`), markdown: path.join(dir, `${base}.card.md`) };
}

const pct = (value: number | null): string => (value === null ? '-' : (value * 100).toFixed(1));

function confusionTable(card: ModelCard, metrics: ClassificationMetrics): string[] {
  const codes = card.classes.map((c) => String(c.code));
  const lines = [
    `| true \\ predicted | ${codes.join(' | ')} |`,
    `|---|${codes.map(() => '---:').join('|')}|`,
  ];
  metrics.confusion.forEach((row, i) => {
    const klass = card.classes[i];
    lines.push(
      `| ${klass?.code ?? i} ${klass?.name ?? ''} | ${row.map((v) => String(Math.round(v * 100) / 100)).join(' | ')} |`,
    );
  });
  return lines;
}

/** A short human-readable version of the card. */
export function formatModelCardMarkdown(card: ModelCard): string {
  const pixel = card.metrics.pixel;
  const lines = [
    `# Model card: ${card.name}`,
    '',
    `- Model file: \`${card.modelFile}\`, version (sha256) \`${card.modelVersion}\``,
    `- Created: ${card.createdAt}; training time ${(card.trainingTimeMs / 1000).toFixed(1)} s`,
    `- Task: ${card.task}`,
    `- Format: ONNX IR ${card.format.onnxIrVersion}, opset ${card.format.onnxOpset}; input \`${card.format.input.name}\` [${card.format.input.shape.join(', ')}], output \`${card.format.output.name}\` [${card.format.output.shape.join(', ')}]`,
    ...(card.command ? ['', 'Trained with:', '', '```sh', card.command, '```'] : []),
    '',
    '## Classes',
    '',
    '| index | code | name | train parcels | test parcels | train px | test px | test F1 |',
    '|---:|---:|---|---:|---:|---:|---:|---:|',
    ...card.classes.map(
      (c) =>
        `| ${c.index} | ${c.code} | ${c.name} | ${c.trainParcels} | ${c.testParcels} | ${c.trainPixels} | ${c.testPixels} | ${pct(pixel.perClass[c.index]?.f1 ?? null)} |`,
    ),
    '',
    '## Features',
    '',
    card.features.description,
    '',
    `${card.features.names.length} features: ${card.features.names.slice(0, 6).join(', ')}, ...`,
    '',
    '## Training data',
    '',
    ...card.trainingData.seasons.map(
      (s) =>
        `- \`${s.catalog}\`: harvest year ${s.harvestYear}, ${s.sceneCount} scenes ${s.firstDate ?? '?'} to ${s.lastDate ?? '?'}${s.failedItems > 0 ? `, ${s.failedItems} items failed` : ''}`,
    ),
    ...card.trainingData.parcelFiles.map((file) => `- parcels: \`${file}\``),
    `- ${card.trainingData.usedParcels} of ${card.trainingData.labelledParcels} labelled parcels used; ${card.trainingData.trainPixels} train pixels, ${card.trainingData.testPixels} test pixels`,
    `- Pixels: ${card.trainingData.pixelSelection}`,
    ...card.trainingData.skippedParcels.map((s) => `- skipped ${s.id}: ${s.reason}`),
    '',
    '## Split',
    '',
    `${card.split.method}; seed ${card.split.seed}, test fraction ${card.split.testFraction}.`,
    `Test parcels: ${card.split.testParcelIds.join(', ') || '(none)'}.`,
    card.split.trainOnlyClassCodes.length > 0
      ? `Classes with a single parcel (trained on, not tested): ${card.split.trainOnlyClassCodes.join(', ')}.`
      : 'Every class is tested.',
    '',
    '## Metrics (test parcels)',
    '',
    `- Overall pixel accuracy: **${pct(pixel.overallAccuracy)} %** over ${pixel.sampleCount} pixels; macro F1 ${pct(pixel.macroF1)} %`,
    `- Parcel accuracy (mean-probability vote): ${pct(card.metrics.parcelMeanProbability.overallAccuracy)} % over ${card.metrics.parcelMeanProbability.sampleCount} parcels; (majority vote): ${pct(card.metrics.parcelMajority.overallAccuracy)} %`,
    ...(card.metrics.repeatedSplits
      ? [
          `- Over ${card.metrics.repeatedSplits.overallAccuracies.length} seeded splits (${card.metrics.repeatedSplits.description}): pixel accuracy mean ${pct(card.metrics.repeatedSplits.meanOverallAccuracy)} %, min ${pct(card.metrics.repeatedSplits.minOverallAccuracy)} %, max ${pct(card.metrics.repeatedSplits.maxOverallAccuracy)} %`,
        ]
      : []),
    '',
    '| code | name | precision % | recall % | F1 % | test pixels |',
    '|---:|---|---:|---:|---:|---:|',
    ...pixel.perClass.map((m) => {
      const c = card.classes[m.classIndex];
      return `| ${c?.code ?? m.classIndex} | ${c?.name ?? ''} | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} | ${m.support} |`;
    }),
    '',
    'Pixel confusion matrix (rows: true class, columns: predicted class):',
    '',
    ...confusionTable(card, pixel),
    '',
    card.metrics.note,
    '',
  ];
  return lines.join('\n');
}

/**
 * Writes `name.card.json` and `name.card.md` beside `name.onnx`.
 * @returns the paths written.
 */
export async function writeModelCard(
  modelPath: string,
  card: ModelCard,
): Promise<{ json: string; markdown: string }> {
  const paths = modelCardPaths(modelPath);
  await writeFile(paths.json, JSON.stringify(card, null, 2) + '\n');
  await writeFile(paths.markdown, formatModelCardMarkdown(card));
  return paths;
}
