import test from 'ava';
import { floatAttr, type AttrInput } from '../../src/inference/onnx/attributes.js';
import { GraphBuilder } from '../../src/inference/onnx/builder.js';
import { readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import type { OnnxModel } from '../../src/inference/onnx/onnx-types.js';
import { checkSupportedOps, SUPPORTED_OPS, UnsupportedModelError } from '../../src/inference/onnx/supported-ops.js';
import { tinyUNet } from '../../src/inference/onnx/test-models.js';

/** image → one node under test → out; the model goes through the wire so attributes are decoded ones. */
function oneNode(op: string, attrs: Record<string, AttrInput>, opts: { weight?: number[]; name?: string; extraInputs?: string[]; opset?: number } = {}): OnnxModel {
  const b = new GraphBuilder('g', opts.opset);
  const x = b.input('image', ['N', 1, 8, 8]);
  const inputs = [x];
  if (opts.weight) inputs.push(b.initializer('w', opts.weight, new Float32Array(opts.weight.reduce((a, c) => a * c, 1))));
  for (const name of opts.extraInputs ?? []) inputs.push(name);
  b.output(b.node(op, inputs, attrs, { name: opts.name ?? 'conv7', outputs: ['out'] }), ['N', 1, 8, 8]);
  return readOnnx(writeOnnx(b.build()));
}

const rejects = (t: import('ava').ExecutionContext, model: OnnxModel, message: string) => {
  const e = t.throws(() => checkSupportedOps(model), { instanceOf: UnsupportedModelError });
  t.is(e?.message, message);
};

test('a dilated Conv is rejected, naming the node and the attribute', (t) => {
  rejects(t, oneNode('Conv', { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] }, { weight: [1, 1, 3, 3] }), 'node "conv7" (Conv): dilations [2,2] not supported (only 1)');
});

test('an unsupported operator (LSTM) is rejected by name', (t) => {
  const e = t.throws(() => checkSupportedOps(oneNode('LSTM', { hidden_size: 4 }, { name: 'lstm1' })), { instanceOf: UnsupportedModelError });
  t.regex(e!.message, /^node "lstm1" \(LSTM\): operator not supported \(supported: Conv, ConvTranspose, MaxPool, /);
  t.is(e!.node, 'lstm1');
  t.is(e!.opType, 'LSTM');
});

test('Conv: group, asymmetric pads, SAME_LOWER, 3D kernels are rejected; symmetric pads and SAME_UPPER pass', (t) => {
  const w = { weight: [1, 1, 3, 3] };
  rejects(t, oneNode('Conv', { group: 2 }, w), 'node "conv7" (Conv): group 2 not supported (only 1)');
  rejects(t, oneNode('Conv', { pads: [0, 0, 1, 1] }, w), 'node "conv7" (Conv): pads [0,0,1,1] not supported (symmetric pads only)');
  rejects(t, oneNode('Conv', { auto_pad: 'SAME_LOWER' }, w), 'node "conv7" (Conv): auto_pad SAME_LOWER not supported (only NOTSET, SAME_UPPER, VALID)');
  rejects(t, oneNode('Conv', {}, { weight: [1, 1, 3, 3, 3] }), 'node "conv7" (Conv): weight rank 5 not supported (2D only)');
  rejects(t, oneNode('Conv', { alpha: floatAttr(1) }, w), 'node "conv7" (Conv): attribute alpha not supported');
  t.notThrows(() => checkSupportedOps(oneNode('Conv', { kernel_shape: [3, 3], pads: [1, 2, 1, 2], strides: [1, 1], dilations: [1, 1], group: 1 }, w)));
  t.notThrows(() => checkSupportedOps(oneNode('Conv', { auto_pad: 'SAME_UPPER' }, w)));
});

test('ConvTranspose, MaxPool and BatchNormalization constraints', (t) => {
  rejects(t, oneNode('ConvTranspose', { kernel_shape: [2, 2], strides: [2, 2], output_padding: [1, 1] }, { weight: [1, 1, 2, 2] }), 'node "conv7" (ConvTranspose): output_padding [1,1] not supported (no output_padding)');
  rejects(t, oneNode('ConvTranspose', { kernel_shape: [3, 3], strides: [2, 2] }, { weight: [1, 1, 3, 3] }), 'node "conv7" (ConvTranspose): kernel_shape [3,3] not supported (only [2,2])');
  rejects(t, oneNode('ConvTranspose', {}, { weight: [1, 1, 2, 2] }), 'node "conv7" (ConvTranspose): strides [1,1] (default) not supported (only [2,2])');
  rejects(t, oneNode('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), 'node "conv7" (MaxPool): ceil_mode 1 not supported (only 0)');
  rejects(t, oneNode('MaxPool', { kernel_shape: [3, 3], strides: [2, 2] }), 'node "conv7" (MaxPool): kernel_shape [3,3] not supported (only [2,2])');
  rejects(t, oneNode('BatchNormalization', { training_mode: 1 }), 'node "conv7" (BatchNormalization): training_mode 1 not supported (only 0)');
  t.notThrows(() => checkSupportedOps(oneNode('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 0, pads: [0, 0, 0, 0] })));
});

test('Softmax, Concat and Resize constraints, with ONNX defaults applied', (t) => {
  rejects(t, oneNode('Softmax', {}), 'node "conv7" (Softmax): axis -1 (default) not supported (only 1 or -3, the channel axis)');
  rejects(t, oneNode('Concat', { axis: 2 }), 'node "conv7" (Concat): axis 2 not supported (only 1 or -3)');
  rejects(t, oneNode('Resize', { mode: 'cubic' }), 'node "conv7" (Resize): mode cubic not supported (only nearest, linear)');
  rejects(t, oneNode('Resize', { mode: 'nearest' }), 'node "conv7" (Resize): nearest with coordinate_transformation_mode half_pixel and nearest_mode round_prefer_floor not supported (asymmetric+floor, half_pixel+round_prefer_ceil, align_corners+round_prefer_ceil)');
  rejects(t, oneNode('Resize', { mode: 'linear', antialias: 1 }), 'node "conv7" (Resize): antialias 1 not supported (only 0)');
  t.notThrows(() => checkSupportedOps(oneNode('Softmax', { axis: 1 })));
  t.notThrows(() => checkSupportedOps(oneNode('Resize', { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' })));
  t.notThrows(() => checkSupportedOps(oneNode('Resize', { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel', cubic_coeff_a: -0.75 })));
});

test('opset range, foreign domains and unnamed nodes', (t) => {
  rejects(t, oneNode('Relu', {}, { opset: 11 }), 'opset_import: ai.onnx version 11 not supported (13..23)');
  const model = oneNode('Relu', {});
  model.graph!.node![0]!.domain = 'com.microsoft';
  rejects(t, model, 'node "conv7" (Relu): domain "com.microsoft" not supported (only ai.onnx)');
  const unnamed = oneNode('Gemm', {});
  unnamed.graph!.node![0]!.name = '';
  rejects(t, unnamed, 'node "#0" (Gemm): operator not supported (supported: ' + Object.keys(SUPPORTED_OPS).join(', ') + ')');
});

test('the test models pass', (t) => {
  t.notThrows(() => checkSupportedOps(tinyUNet({ classes: 2, depth: 3 })));
});
