/**
 * A multinomial multilayer perceptron, trained in TypeScript: standardise -> dense(hidden) ->
 * ReLU -> dense(classes) -> softmax.
 *
 * Training minimises the sample- and class-weighted cross-entropy plus L2 weight decay with Adam
 * (Kingma & Ba 2015) over shuffled mini-batches, in float64; the weights are stored as float32,
 * which is what the ONNX model carries. He initialisation for the hidden layer, Glorot for the
 * output. Everything random comes from one seed, so the same data and options give the same model.
 */
import { createRandom, shuffleInPlace } from './random.ts';

export interface MlpModel {
  readonly featureCount: number;
  readonly hiddenSize: number;
  readonly classCount: number;
  /** Per feature: the training mean, subtracted first. */
  readonly mean: Float32Array;
  /** Per feature: 1 / training standard deviation, multiplied next. */
  readonly scale: Float32Array;
  /** featureCount x hiddenSize, row-major (ONNX MatMul layout). */
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  /** hiddenSize x classCount, row-major. */
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

export interface TrainingSet {
  readonly featureCount: number;
  readonly classCount: number;
  /** `features[i * featureCount + f]`; no NaN. */
  readonly features: Float32Array;
  /** Class index (0 .. classCount - 1) per sample. */
  readonly labels: Int32Array;
  /** Per sample weight (e.g. the pixel's fraction inside its parcel); default 1. */
  readonly weights?: Float32Array;
}

export interface TrainMlpOptions {
  readonly hiddenSize?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** L2 penalty on the weight matrices (not the biases). */
  readonly weightDecay?: number;
  /**
   * Class weights are (total weight / (classes x class weight)) ^ power: 1 (the default) fully
   * balances the classes, so that a crop grown on a few parcels weighs as much as grassland;
   * 0 ignores imbalance.
   */
  readonly classWeightPower?: number;
  /**
   * Standard deviation of Gaussian noise added to each standardised feature every time a sample
   * is used (data augmentation against over-fitting a few fields); default 0.3, 0 turns it off.
   */
  readonly inputNoise?: number;
  readonly seed?: number;
  /** Called after each epoch with the mean weighted training loss. */
  readonly onEpoch?: (epoch: number, loss: number) => void;
  readonly signal?: AbortSignal;
}

export interface TrainMlpResult {
  readonly model: MlpModel;
  readonly lossPerEpoch: readonly number[];
  readonly classWeights: readonly number[];
  readonly options: Required<Omit<TrainMlpOptions, 'onEpoch' | 'signal'>>;
}

export const defaultTrainMlpOptions = Object.freeze({
  hiddenSize: 64,
  epochs: 40,
  batchSize: 128,
  learningRate: 2e-3,
  weightDecay: 1e-2,
  classWeightPower: 1,
  inputNoise: 0.3,
  seed: 1,
});

function checkTrainingSet(set: TrainingSet): number {
  const n = set.labels.length;
  if (set.features.length !== n * set.featureCount)
    throw new RangeError(
      `features length ${set.features.length} != samples ${n} x featureCount ${set.featureCount}`,
    );
  if (set.weights !== undefined && set.weights.length !== n)
    throw new RangeError(`weights length ${set.weights.length} != samples ${n}`);
  for (let i = 0; i < n; i++) {
    const y = set.labels[i] as number;
    if (!(y >= 0 && y < set.classCount))
      throw new RangeError(`label ${y} of sample ${i} out of range [0, ${set.classCount - 1}]`);
  }
  for (let i = 0; i < set.features.length; i++)
    if (!Number.isFinite(set.features[i]))
      throw new RangeError(
        `feature ${i % set.featureCount} of sample ${Math.floor(i / set.featureCount)} is not finite`,
      );
  return n;
}

/**
 * Trains an MLP on the samples.
 *
 * @example
 * const { model } = trainMlp({ featureCount: 2, classCount: 2, features, labels }, { seed: 7 });
 * predictMlp(model, features, labels.length); // probabilities, samples x classes
 */
export function trainMlp(set: TrainingSet, options: TrainMlpOptions = {}): TrainMlpResult {
  const opts = { ...defaultTrainMlpOptions, ...stripCallbacks(options) };
  const n = checkTrainingSet(set);
  if (n === 0) throw new RangeError('cannot train on an empty training set');
  const F = set.featureCount;
  const H = opts.hiddenSize;
  const C = set.classCount;
  const random = createRandom(opts.seed);

  // Standardisation from the training samples (unweighted).
  const mean = new Float64Array(F);
  const variance = new Float64Array(F);
  for (let i = 0; i < n; i++)
    for (let f = 0; f < F; f++) mean[f] = (mean[f] as number) + (set.features[i * F + f] as number);
  for (let f = 0; f < F; f++) mean[f] = (mean[f] as number) / n;
  for (let i = 0; i < n; i++)
    for (let f = 0; f < F; f++) {
      const d = (set.features[i * F + f] as number) - (mean[f] as number);
      variance[f] = (variance[f] as number) + d * d;
    }
  const mean32 = Float32Array.from(mean);
  const scale32 = new Float32Array(F);
  for (let f = 0; f < F; f++) {
    const sd = Math.sqrt((variance[f] as number) / n);
    scale32[f] = sd > 1e-9 ? 1 / sd : 1;
  }
  const x = new Float64Array(n * F);
  for (let i = 0; i < n; i++)
    for (let f = 0; f < F; f++)
      x[i * F + f] =
        ((set.features[i * F + f] as number) - (mean32[f] as number)) * (scale32[f] as number);

  // Class weights.
  const classTotals = new Float64Array(C);
  let total = 0;
  const sampleWeight = (i: number): number => (set.weights ? (set.weights[i] as number) : 1);
  for (let i = 0; i < n; i++) {
    const w = sampleWeight(i);
    classTotals[set.labels[i] as number] = (classTotals[set.labels[i] as number] as number) + w;
    total += w;
  }
  const present = classTotals.filter((t) => t > 0).length;
  const classWeights = Array.from(classTotals, (t) =>
    t > 0 ? Math.pow(total / (present * t), opts.classWeightPower) : 0,
  );
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++)
    weight[i] = sampleWeight(i) * (classWeights[set.labels[i] as number] ?? 0);

  // Parameters and Adam state.
  const w1 = new Float64Array(F * H);
  const b1 = new Float64Array(H);
  const w2 = new Float64Array(H * C);
  const b2 = new Float64Array(C);
  const he = Math.sqrt(2 / F);
  for (let i = 0; i < w1.length; i++) w1[i] = random.normal() * he;
  const glorot = Math.sqrt(2 / (H + C));
  for (let i = 0; i < w2.length; i++) w2[i] = random.normal() * glorot;
  const params = [w1, b1, w2, b2];
  const grads = params.map((p) => new Float64Array(p.length));
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const decays = [opts.weightDecay, 0, opts.weightDecay, 0];
  const [g1, gb1, g2, gb2] = grads as [Float64Array, Float64Array, Float64Array, Float64Array];

  const B = opts.batchSize;
  const xb = new Float64Array(B * F);
  const z1 = new Float64Array(B * H);
  const a1 = new Float64Array(B * H);
  const dz2 = new Float64Array(B * C);
  const dz1 = new Float64Array(B * H);
  const logits = new Float64Array(C);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const lossPerEpoch: number[] = [];
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;

  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    options.signal?.throwIfAborted();
    shuffleInPlace(order, random);
    let epochLoss = 0;
    let epochWeight = 0;
    for (let start = 0; start < n; start += B) {
      const size = Math.min(B, n - start);
      let batchWeight = 0;
      for (let b = 0; b < size; b++) batchWeight += weight[order[start + b] as number] as number;
      if (batchWeight <= 0) continue;
      for (const g of grads) g.fill(0);
      // Forward and output gradient.
      for (let b = 0; b < size; b++) {
        const i = order[start + b] as number;
        const xo = i * F;
        for (let f = 0; f < F; f++)
          xb[b * F + f] =
            opts.inputNoise > 0
              ? (x[xo + f] as number) + opts.inputNoise * random.normal()
              : (x[xo + f] as number);
        for (let h = 0; h < H; h++) z1[b * H + h] = b1[h] as number;
        for (let f = 0; f < F; f++) {
          const xv = xb[b * F + f] as number;
          if (xv === 0) continue;
          const wo = f * H;
          for (let h = 0; h < H; h++)
            z1[b * H + h] = (z1[b * H + h] as number) + xv * (w1[wo + h] as number);
        }
        for (let h = 0; h < H; h++) {
          const z = z1[b * H + h] as number;
          a1[b * H + h] = z > 0 ? z : 0;
        }
        let max = -Infinity;
        for (let c = 0; c < C; c++) {
          let s = b2[c] as number;
          for (let h = 0; h < H; h++) s += (a1[b * H + h] as number) * (w2[h * C + c] as number);
          logits[c] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let c = 0; c < C; c++) {
          const e = Math.exp((logits[c] as number) - max);
          logits[c] = e;
          sum += e;
        }
        const y = set.labels[i] as number;
        const wi = (weight[i] as number) / batchWeight;
        epochLoss +=
          (weight[i] as number) * -Math.log(Math.max((logits[y] as number) / sum, 1e-12));
        epochWeight += weight[i] as number;
        for (let c = 0; c < C; c++)
          dz2[b * C + c] = wi * ((logits[c] as number) / sum - (c === y ? 1 : 0));
      }
      // Backward.
      for (let b = 0; b < size; b++) {
        for (let c = 0; c < C; c++) gb2[c] = (gb2[c] as number) + (dz2[b * C + c] as number);
        for (let h = 0; h < H; h++) {
          const a = a1[b * H + h] as number;
          let d = 0;
          for (let c = 0; c < C; c++) {
            const g = dz2[b * C + c] as number;
            if (a !== 0) g2[h * C + c] = (g2[h * C + c] as number) + a * g;
            d += g * (w2[h * C + c] as number);
          }
          dz1[b * H + h] = (z1[b * H + h] as number) > 0 ? d : 0;
        }
        for (let h = 0; h < H; h++) gb1[h] = (gb1[h] as number) + (dz1[b * H + h] as number);
        for (let f = 0; f < F; f++) {
          const xv = xb[b * F + f] as number;
          if (xv === 0) continue;
          const wo = f * H;
          for (let h = 0; h < H; h++)
            g1[wo + h] = (g1[wo + h] as number) + xv * (dz1[b * H + h] as number);
        }
      }
      // Adam with decoupled-from-loss L2 (added to the gradient).
      step++;
      const lr = (opts.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      for (let k = 0; k < params.length; k++) {
        const p = params[k] as Float64Array;
        const g = grads[k] as Float64Array;
        const mk = m[k] as Float64Array;
        const vk = v[k] as Float64Array;
        const decay = decays[k] as number;
        for (let j = 0; j < p.length; j++) {
          const gj = (g[j] as number) + decay * (p[j] as number);
          mk[j] = beta1 * (mk[j] as number) + (1 - beta1) * gj;
          vk[j] = beta2 * (vk[j] as number) + (1 - beta2) * gj * gj;
          p[j] = (p[j] as number) - (lr * (mk[j] as number)) / (Math.sqrt(vk[j] as number) + 1e-8);
        }
      }
    }
    const loss = epochWeight > 0 ? epochLoss / epochWeight : 0;
    lossPerEpoch.push(loss);
    options.onEpoch?.(epoch + 1, loss);
  }

  return {
    model: {
      featureCount: F,
      hiddenSize: H,
      classCount: C,
      mean: mean32,
      scale: scale32,
      w1: Float32Array.from(w1),
      b1: Float32Array.from(b1),
      w2: Float32Array.from(w2),
      b2: Float32Array.from(b2),
    },
    lossPerEpoch,
    classWeights,
    options: opts,
  };
}

function stripCallbacks(options: TrainMlpOptions): Partial<typeof defaultTrainMlpOptions> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options))
    if (key !== 'onEpoch' && key !== 'signal' && value !== undefined) out[key] = value;
  return out as Partial<typeof defaultTrainMlpOptions>;
}

/**
 * Class probabilities of the model for `count` samples, computed in float64 from the float32
 * weights (the reference the ONNX model is checked against).
 *
 * @returns `count x classCount`, row-major.
 */
export function predictMlp(model: MlpModel, features: Float32Array, count: number): Float32Array {
  const { featureCount: F, hiddenSize: H, classCount: C } = model;
  if (features.length < count * F)
    throw new RangeError(`features length ${features.length} < ${count} x ${F}`);
  const out = new Float32Array(count * C);
  const xs = new Float64Array(F);
  const hidden = new Float64Array(H);
  const logits = new Float64Array(C);
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < F; f++)
      xs[f] = Math.fround(
        Math.fround((features[i * F + f] as number) - (model.mean[f] as number)) *
          (model.scale[f] as number),
      );
    hidden.set(model.b1);
    for (let f = 0; f < F; f++) {
      const xv = xs[f] as number;
      const wo = f * H;
      for (let h = 0; h < H; h++)
        hidden[h] = (hidden[h] as number) + xv * (model.w1[wo + h] as number);
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = model.b2[c] as number;
      for (let h = 0; h < H; h++) {
        const a = hidden[h] as number;
        if (a > 0) s += a * (model.w2[h * C + c] as number);
      }
      logits[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp((logits[c] as number) - max);
      logits[c] = e;
      sum += e;
    }
    for (let c = 0; c < C; c++) out[i * C + c] = (logits[c] as number) / sum;
  }
  return out;
}
