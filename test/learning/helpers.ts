import { floatAttr } from '../../src/inference/onnx/attributes.js';
import { GraphBuilder } from '../../src/inference/onnx/builder.js';
import { int64Tensor } from '../../src/inference/onnx/onnx-io.js';
import type { OnnxModel } from '../../src/inference/onnx/onnx-types.js';
import { seededRandom } from '../../src/inference/onnx/test-models.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { tf } from '../../src/learning/tf-backend.js';
import type { TrainableOnnx } from '../../src/learning/trainable-onnx.js';

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/**
 * A model using every other supported form the U-Net does not: strided Conv with pads, Resize
 * (linear half_pixel by scales, nearest asymmetric+floor by sizes), Add / Mul with broadcast
 * constants, Sigmoid, Softmax, Identity.
 */
export function kitchenSinkModel(size = 16): OnnxModel {
  const b = new GraphBuilder('kitchen-sink');
  const r = seededRandom(9);
  const rnd = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const x = b.input('image', ['N', 1, size, size]);
  const w1 = b.initializer('c1.weight', [4, 1, 3, 3], rnd(36, 0.5));
  const b1 = b.initializer('c1.bias', [4], rnd(4, 0.1));
  const c1 = b.node('Conv', [x, w1, b1], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { name: 'c1' });
  const bn = b.node('BatchNormalization', [c1, b.initializer('bn.s', [4], rnd(4, 0.3).map((v) => 1 + v)), b.initializer('bn.b', [4], rnd(4, 0.1)), b.initializer('bn.m', [4], rnd(4, 0.1)), b.initializer('bn.v', [4], rnd(4, 0.2).map((v) => 1 + v))], { epsilon: floatAttr(1e-5), momentum: floatAttr(0.9) }, { name: 'bn' });
  const a1 = b.node('Relu', [bn]);
  const scales = b.initializer('up.scales', [4], [1, 1, 2, 2]);
  const up = b.node('Resize', [a1, '', scales], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, { name: 'up' });
  const w2 = b.initializer('c2.weight', [4, 1, 3, 3], rnd(36, 0.5));
  const c2 = b.node('Conv', [x, w2], { kernel_shape: [3, 3], auto_pad: 'SAME_UPPER' }, { name: 'c2' });
  const sum = b.node('Add', [up, c2]);
  const gain = b.node('Mul', [sum, b.initializer('gain', [4, 1, 1], [1.5, 0.5, -1, 2])]);
  const sig = b.node('Identity', [b.node('Sigmoid', [gain])]);
  const pool = b.node('MaxPool', [sig], { kernel_shape: [2, 2], strides: [2, 2] });
  // sizes fix the batch dimension too: the parity tests run batches of 2.
  const sizes = b.tensor(int64Tensor('up2.sizes', [4], [2, 4, size, size]));
  const up2 = b.node('Resize', [pool, '', '', sizes], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, { name: 'up2' });
  const cat = b.node('Concat', [up2, sig], { axis: 1 });
  const wt = b.initializer('t.weight', [8, 3, 2, 2], rnd(96, 0.5));
  const pool2 = b.node('MaxPool', [cat], { kernel_shape: [2, 2], strides: [2, 2] });
  const tr = b.node('ConvTranspose', [pool2, wt, b.initializer('t.bias', [3], rnd(3, 0.1))], { kernel_shape: [2, 2], strides: [2, 2] });
  const head = b.node('Conv', [tr, b.initializer('h.weight', [3, 3, 1, 1], rnd(9, 1)), b.initializer('h.bias', [3], rnd(3, 0.1))], { kernel_shape: [1, 1] }, { name: 'head' });
  b.node('Softmax', [head], { axis: 1 }, { outputs: ['probs'] });
  b.output('probs', ['N', 3, size, size]);
  return b.build();
}

/** Output of the tfjs interpreter as NCHW Float32Array. */
export function tfjsNchw(net: TrainableOnnx, input: Float32Array, n: number, h: number, w: number): Float32Array {
  return tf.tidy(() => tf.transpose(net.forward(tf.tensor4d(input, [n, h, w, 1])), [0, 3, 1, 2]).dataSync() as Float32Array).slice();
}

export async function ortRun(bytes: Uint8Array, input: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
  const runner = await OnnxRunner.create(bytes, { intraOpNumThreads: 1 });
  try {
    return await runner.run(input, n, h, w);
  } finally {
    await runner.close();
  }
}

/** max |a − b| / max |b|. */
export function relativeMaxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / (m || 1);
}
