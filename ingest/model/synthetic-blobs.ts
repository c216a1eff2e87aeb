/** Synthetic training data for the model's tests. */
import type { TrainingSet } from './mlp.ts';
import { createRandom } from './random.ts';

/** Gaussian blobs around well separated centres, one per class. */
export function makeBlobs(
  samplesPerClass: number[],
  featureCount: number,
  seed: number,
): TrainingSet {
  const random = createRandom(seed);
  const centres = samplesPerClass.map(() =>
    Array.from({ length: featureCount }, () => random.normal() * 3 + 10),
  );
  const n = samplesPerClass.reduce((a, b) => a + b, 0);
  const features = new Float32Array(n * featureCount);
  const labels = new Int32Array(n);
  let i = 0;
  samplesPerClass.forEach((count, c) => {
    for (let k = 0; k < count; k++, i++) {
      labels[i] = c;
      for (let f = 0; f < featureCount; f++)
        features[i * featureCount + f] = (centres[c]?.[f] ?? 0) + random.normal() * 0.8;
    }
  });
  return { featureCount, classCount: samplesPerClass.length, features, labels };
}
