/**
 * `pledgewatch train`: trains the crop-type model from labelled parcels over STAC catalogs and
 * writes the ONNX model with its card. The training code is imported only when the command runs,
 * so `--help` loads nothing else.
 */
import { parseArgs } from 'node:util';
import { numberOption } from './number-option.ts';
import { CliUsageError } from './usage-error.ts';

export const trainUsage = `pledgewatch train --stac CATALOG [--stac CATALOG2 ...] --parcels GEOJSON [--parcels GEOJSON2 ...]
                  --out MODEL.onnx [--seed N] [--test-fraction F] [--buffer-m M] [--epochs N]

Trains the crop-type classifier (an MLP over monthly Sentinel-2 season features, in TypeScript)
from labelled parcels and writes it as ONNX, with its model card beside it (MODEL.card.json and
MODEL.card.md: classes, features, training data, and metrics on a parcel-wise split).

  --stac CATALOG       a season's STAC catalog, collection, item or folder (path or URL)
  --parcels GEOJSON    that season's labelled parcels: a FeatureCollection with crop_code (WorldCereal
                       crop-type code) per feature; features with label_withheld: true are skipped.
                       Give one --parcels per --stac (paired in order), or one for all.
  --out MODEL.onnx     where to write the model
  --seed N             seed of the split and of the training (default 1)
  --test-fraction F    share of each class's parcels held out for the metrics (default 0.3)
  --buffer-m M         inward parcel buffer before pixels are taken, m (default 10)
  --epochs N           training epochs (default 40)

The default model, from both Flanders seasons:

  pledgewatch train \\
    --stac ../shared/data/sentinel2/flanders-2018/catalog.json \\
    --parcels ../shared/data/sentinel2/flanders-2018/labels/parcels.geojson \\
    --stac ../shared/data/sentinel2/flanders-2019/catalog.json \\
    --parcels ../shared/data/sentinel2/flanders-2019/labels/parcels.geojson \\
    --out fixtures/models/crop-type.onnx

Progress goes to stderr; a summary (JSON) to stdout.`;

export interface TrainArgs {
  readonly seasons: readonly { readonly stac: string; readonly parcels: string }[];
  readonly out: string;
  readonly seed: number;
  readonly testFraction: number;
  readonly bufferM: number;
  readonly epochs: number | undefined;
  /** The command line as typed, for the model card. */
  readonly command: string;
}

const quote = (arg: string): string =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;

export function parseTrainArgs(args: readonly string[]): TrainArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        stac: { type: 'string', multiple: true },
        parcels: { type: 'string', multiple: true },
        out: { type: 'string' },
        seed: { type: 'string' },
        'test-fraction': { type: 'string' },
        'buffer-m': { type: 'string' },
        epochs: { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message, { cause: error });
  }
  const stac = (values.stac ?? []).map((s) => s.trim()).filter((s) => s !== '');
  const parcels = (values.parcels ?? []).map((s) => s.trim()).filter((s) => s !== '');
  if (stac.length === 0) throw new CliUsageError('--stac is required');
  if (parcels.length === 0) throw new CliUsageError('--parcels is required');
  if (parcels.length !== 1 && parcels.length !== stac.length)
    throw new CliUsageError(
      `give one --parcels per --stac or a single one: got ${stac.length} --stac and ${parcels.length} --parcels`,
    );
  const out = values.out?.trim();
  if (out === undefined || out === '') throw new CliUsageError('--out is required');
  if (!out.toLowerCase().endsWith('.onnx'))
    throw new CliUsageError(`--out ${JSON.stringify(out)} must end with .onnx`);
  return {
    seasons: stac.map((s, i) => ({
      stac: s,
      parcels: parcels[parcels.length === 1 ? 0 : i] ?? '',
    })),
    out,
    seed: numberOption(values.seed, 'seed', 1, { min: 0, max: 2 ** 32 - 1, integer: true }),
    testFraction: numberOption(values['test-fraction'], 'test-fraction', 0.3, {
      min: 0.05,
      max: 0.95,
      integer: false,
    }),
    bufferM: numberOption(values['buffer-m'], 'buffer-m', 10, { min: 0, max: 100, integer: false }),
    epochs:
      values.epochs === undefined
        ? undefined
        : numberOption(values.epochs, 'epochs', 40, { min: 1, max: 10_000, integer: true }),
    command: ['pledgewatch', 'train', ...args].map(quote).join(' '),
  };
}

/** Trains and writes the model; progress on stderr. Returns the summary printed on stdout. */
export async function runTrain(
  args: TrainArgs,
  stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Promise<Record<string, unknown>> {
  const { trainCropModel } = await import('../../ingest/index.ts');
  let lastRead = '';
  const result = await trainCropModel({
    seasons: args.seasons,
    outPath: args.out,
    seed: args.seed,
    testFraction: args.testFraction,
    bufferM: args.bufferM,
    ...(args.epochs !== undefined ? { mlp: { epochs: args.epochs } } : {}),
    command: args.command,
    onProgress: (event) => {
      if (event.stage === 'read') {
        const line = `reading ${event.done}/${event.total} ${event.message}`;
        if (stderr.isTTY === true) stderr.write(`\r\x1b[K${line}`);
        else if (event.done === event.total || event.done % 20 === 0) stderr.write(`${line}\n`);
        lastRead = line;
        return;
      }
      if (lastRead !== '' && stderr.isTTY === true) stderr.write('\n');
      lastRead = '';
      if (event.stage === 'train' && event.epoch > 0 && event.epoch % 10 !== 0) return;
      stderr.write(`${event.message}\n`);
    },
  });
  const { card } = result;
  return {
    model: result.modelPath,
    card: result.cardPaths,
    modelVersion: card.modelVersion,
    classes: card.classes.map((c) => `${c.code} ${c.name}`),
    overallPixelAccuracy: card.metrics.pixel.overallAccuracy,
    parcelAccuracy: card.metrics.parcelMeanProbability.overallAccuracy,
    perClassF1: Object.fromEntries(
      card.metrics.pixel.perClass
        .filter((m) => m.f1 !== null)
        .map((m) => [String(card.classes[m.classIndex]?.code ?? m.classIndex), m.f1]),
    ),
    trainingTimeMs: card.trainingTimeMs,
  };
}
