/**
 * An `MlpModel` as an ONNX model, built with `onnx-proto` (no Python):
 *
 *   features [pixels, F] -> Sub(mean) -> Mul(1/std) -> MatMul(W1) -> Add(b1) -> Relu
 *     -> MatMul(W2) -> Add(b2) -> Softmax(axis -1) -> probabilities [pixels, C]
 *
 * The standardisation stays in the graph as Sub/Mul (rather than folded into W1) so the first
 * layer's weights read as in training. IR version 8 and opset 13 (the first opset whose Softmax
 * works on one axis), both loaded by onnxruntime-node 1.30. Free-form metadata (classes, feature
 * names, feature spec) goes into the model's `metadata_props` and is read back with
 * `readOnnxMetadata`.
 */
import onnxProto from 'onnx-proto';
import type { MlpModel } from './mlp.ts';

const { onnx } = onnxProto;

export const onnxInputName = 'features';
export const onnxOutputName = 'probabilities';
export const onnxOpsetVersion = 13;
export const onnxIrVersion = 8;

function floatTensor(
  name: string,
  dims: number[],
  data: Float32Array,
): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    floatData: Array.from(data),
  };
}

function valueInfo(name: string, columns: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'pixels' }, { dimValue: columns }] },
      },
    },
  };
}

/**
 * Serialises the model to ONNX bytes.
 *
 * @param metadata string key/values stored in `metadata_props`.
 * @example await writeFile('crop-type.onnx', exportMlpToOnnx(model, { classes: '[1200, 9120]' }));
 */
export function exportMlpToOnnx(
  model: MlpModel,
  metadata: Readonly<Record<string, string>> = {},
  options: { producerVersion?: string; graphName?: string } = {},
): Uint8Array {
  const { featureCount: F, hiddenSize: H, classCount: C } = model;
  const node = (
    opType: string,
    input: string[],
    output: string,
    attribute: onnxProto.onnx.IAttributeProto[] = [],
  ): onnxProto.onnx.INodeProto => ({ opType, input, output: [output], name: output, attribute });
  const graph: onnxProto.onnx.IGraphProto = {
    name: options.graphName ?? 'pledgewatch_mlp',
    input: [valueInfo(onnxInputName, F)],
    output: [valueInfo(onnxOutputName, C)],
    initializer: [
      floatTensor('mean', [F], model.mean),
      floatTensor('scale', [F], model.scale),
      floatTensor('w1', [F, H], model.w1),
      floatTensor('b1', [H], model.b1),
      floatTensor('w2', [H, C], model.w2),
      floatTensor('b2', [C], model.b2),
    ],
    node: [
      node('Sub', [onnxInputName, 'mean'], 'centered'),
      node('Mul', ['centered', 'scale'], 'standardized'),
      node('MatMul', ['standardized', 'w1'], 'hidden_linear'),
      node('Add', ['hidden_linear', 'b1'], 'hidden_biased'),
      node('Relu', ['hidden_biased'], 'hidden'),
      node('MatMul', ['hidden', 'w2'], 'logits_linear'),
      node('Add', ['logits_linear', 'b2'], 'logits'),
      node('Softmax', ['logits'], onnxOutputName, [
        { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 },
      ]),
    ],
  };
  const message = onnx.ModelProto.create({
    irVersion: onnxIrVersion,
    opsetImport: [{ domain: '', version: onnxOpsetVersion }],
    producerName: 'pledgewatch',
    producerVersion: options.producerVersion ?? '0.1.0',
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(message).finish();
}

/** The `metadata_props` of an ONNX model as a plain object. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  const out: Record<string, string> = {};
  for (const entry of model.metadataProps) if (entry.key) out[entry.key] = entry.value ?? '';
  return out;
}
