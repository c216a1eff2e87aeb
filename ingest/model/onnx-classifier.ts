/**
 * Pixel classification with an ONNX model through one onnxruntime-node InferenceSession, created
 * once and reused for every batch (session creation costs tens of milliseconds; a batch of 65 536
 * pixels of a small MLP a few milliseconds).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

export interface OnnxClassifierOptions {
  /** Pixels per session run. Default 65 536. */
  readonly batchSize?: number;
  /** onnxruntime intra-op threads; default: onnxruntime's own choice (all cores). */
  readonly intraOpNumThreads?: number;
}

export interface OnnxClassifier {
  /** sha256 of the ONNX bytes (hex): the model version. */
  readonly version: string;
  readonly featureCount: number;
  readonly classCount: number;
  /** The model's `metadata_props`. */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Class probabilities for `count` pixels of `features` (`count x featureCount`, row-major).
   * @returns `count x classCount`, row-major.
   */
  predict(
    features: Float32Array,
    count: number,
    options?: { signal?: AbortSignal },
  ): Promise<Float32Array>;
  close(): Promise<void>;
}

function dimOf(info: onnxProto.onnx.IValueInfoProto | undefined, axis: number): number {
  const value = info?.type?.tensorType?.shape?.dim?.[axis]?.dimValue;
  const n = typeof value === 'number' ? value : Number(value ?? Number.NaN);
  if (!Number.isInteger(n) || n <= 0)
    throw new RangeError(`ONNX value ${info?.name ?? '?'}: dimension ${axis} is not a fixed size`);
  return n;
}

/**
 * Opens an ONNX pixel classifier (input `[pixels, F]`, output `[pixels, C]` probabilities).
 *
 * @param source a file path or the model's bytes.
 * @example
 * const classifier = await openOnnxClassifier('fixtures/models/crop-type.onnx');
 * const probabilities = await classifier.predict(features.values, features.pixelCount);
 * await classifier.close();
 */
export async function openOnnxClassifier(
  source: string | Uint8Array,
  options: OnnxClassifierOptions = {},
): Promise<OnnxClassifier> {
  const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
  let proto: onnxProto.onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(
      `${typeof source === 'string' ? source : 'model bytes'}: not an ONNX model (${String(error)})`,
      { cause: error },
    );
  }
  const input = proto.graph?.input?.[0];
  const output = proto.graph?.output?.[0];
  if (!input?.name || !output?.name) throw new Error('ONNX model has no graph input or output');
  const featureCount = dimOf(input, 1);
  const classCount = dimOf(output, 1);
  const metadata: Record<string, string> = {};
  for (const entry of proto.metadataProps) if (entry.key) metadata[entry.key] = entry.value ?? '';
  const session = await ort.InferenceSession.create(bytes, {
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    ...(options.intraOpNumThreads !== undefined
      ? { intraOpNumThreads: options.intraOpNumThreads }
      : {}),
  });
  const batchSize = options.batchSize ?? 65_536;
  const inputName = input.name;
  const outputName = output.name;

  return {
    version: createHash('sha256').update(bytes).digest('hex'),
    featureCount,
    classCount,
    metadata,
    async predict(features, count, runOptions = {}) {
      if (features.length < count * featureCount)
        throw new RangeError(`features length ${features.length} < ${count} x ${featureCount}`);
      const out = new Float32Array(count * classCount);
      for (let start = 0; start < count; start += batchSize) {
        runOptions.signal?.throwIfAborted();
        const size = Math.min(batchSize, count - start);
        const tensor = new ort.Tensor(
          'float32',
          features.subarray(start * featureCount, (start + size) * featureCount),
          [size, featureCount],
        );
        const result = await session.run({ [inputName]: tensor });
        const probabilities = result[outputName];
        if (probabilities === undefined) throw new Error(`ONNX model gave no ${outputName} output`);
        out.set(probabilities.data as Float32Array, start * classCount);
        tensor.dispose();
        probabilities.dispose();
      }
      return out;
    },
    close: () => session.release(),
  };
}
