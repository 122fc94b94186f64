import { seededRandom } from '../inference/onnx/test-models.js';
import { diceCeLoss, oneHotMasks } from './loss.js';
import { microBatchFor, type Recipe } from './recipe.js';
import { pick, type SliceSet } from './slice-set.js';
import { tf } from './tf-backend.js';
import type { TrainableOnnx } from './trainable-onnx.js';

export interface TrainProgress {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
}

export interface TrainResult {
  /** Mean loss per epoch. */
  epochLosses: number[];
  steps: number;
  slicesSeen: number;
  seconds: number;
}

/**
 * Gradients of the batch loss (scaled by the micro-batch's `fraction` of the whole batch), by
 * initializer name, and the (unscaled) loss.
 */
export function batchGradients(net: TrainableOnnx, batch: SliceSet, classes: number, r: Recipe, fraction: number): { loss: number; grads: tf.NamedTensorMap } {
  const x = tf.tensor4d(batch.images, [batch.count, batch.height, batch.width, 1]);
  const y = oneHotMasks(batch.masks, batch.count, batch.height, batch.width, classes);
  const vars = [...net.variables.values()];
  const { value, grads } = tf.variableGrads(() => tf.mul(diceCeLoss(net.forward(x, { batchStats: r.trainBatchNorm }), y, { dice: r.diceWeight, crossEntropy: r.crossEntropyWeight }), fraction) as tf.Scalar, vars);
  const loss = value.dataSync()[0]! / fraction;
  value.dispose();
  x.dispose();
  y.dispose();
  // variableGrads keys by variable name (`onnx<k>/w/<initializer>`); map back to initializer names.
  const out: tf.NamedTensorMap = {};
  for (const [name, v] of net.variables) out[name] = grads[v.name]!;
  return { loss, grads: out };
}

/**
 * A ±10 % intensity gain and ±0.1 shift per slice: cheap and label-exact. No flips: a mirrored leg
 * swaps which side is medial, and the two heads of gastrocnemius are told apart by that side.
 */
function augment(batch: SliceSet, rand: () => number): SliceSet {
  const plane = batch.height * batch.width;
  const images = new Float32Array(batch.images.length);
  for (let k = 0; k < batch.count; k++) {
    const gain = 0.9 + 0.2 * rand();
    const shift = (rand() - 0.5) * 0.2;
    for (let i = k * plane; i < (k + 1) * plane; i++) images[i] = batch.images[i]! * gain + shift;
  }
  return { ...batch, images };
}

/**
 * Trains `net` in place on `data` with the recipe: seeded shuffles, batches of `batchSize` with
 * gradient accumulation over micro-batches, Adam, optional L2 pull toward the weights `net` had at
 * the start. The caller writes the result back with net.toOnnx().
 */
export interface FineTuneOptions {
  onProgress?: (p: TrainProgress) => void;
  /** Stop after the step during which performance.now() passes this (a time budget). */
  deadline?: number;
}

export async function fineTune(net: TrainableOnnx, data: SliceSet, classes: number, r: Recipe, opts: FineTuneOptions | ((p: TrainProgress) => void) = {}): Promise<TrainResult> {
  const { onProgress, deadline } = typeof opts === 'function' ? { onProgress: opts, deadline: undefined } : opts;
  if (data.count === 0) throw new Error('fineTune: no training slices');
  const t0 = performance.now();
  const rand = seededRandom(r.seed);
  const optimizer = tf.train.adam(r.learningRate);
  const base = r.l2Pull > 0 ? new Map([...net.variables].map(([n, v]) => [n, tf.clone(v)])) : undefined;
  const micro = microBatchFor(r, data.height, data.width);
  const stepsPerEpoch = Math.ceil(data.count / r.batchSize);
  const epochLosses: number[] = [];
  let step = 0;
  let seen = 0;
  const totalSteps = stepsPerEpoch * r.epochs;
  training: for (let epoch = 0; epoch < r.epochs; epoch++) {
    const order = Array.from({ length: data.count }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let lossSum = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const idx = order.slice(s * r.batchSize, (s + 1) * r.batchSize);
      if (r.schedule === 'cosine') {
        // AdamOptimizer reads its public learningRate on every step.
        (optimizer as unknown as { learningRate: number }).learningRate = r.learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)));
      }
      const loss = applyStep(net, optimizer, data, idx, classes, r, micro, base, rand);
      lossSum += loss;
      seen += idx.length;
      step++;
      onProgress?.({ epoch, step, steps: totalSteps, loss });
      // Yield to the event loop between steps: a long training must not starve the server.
      await new Promise((resolve) => setImmediate(resolve));
      if (deadline !== undefined && performance.now() > deadline) {
        epochLosses.push(lossSum / (s + 1));
        break training;
      }
    }
    epochLosses.push(lossSum / stepsPerEpoch);
  }
  optimizer.dispose();
  if (base) for (const t of base.values()) t.dispose();
  return { epochLosses, steps: step, slicesSeen: seen, seconds: (performance.now() - t0) / 1000 };
}

function applyStep(net: TrainableOnnx, optimizer: tf.Optimizer, data: SliceSet, idx: number[], classes: number, r: Recipe, micro: number, base: Map<string, tf.Tensor> | undefined, rand: () => number): number {
  let sum: tf.NamedTensorMap | undefined;
  let loss = 0;
  for (let m = 0; m < idx.length; m += micro) {
    let batch = pick(data, idx.slice(m, m + micro));
    if (r.augment) batch = augment(batch, rand);
    const fraction = batch.count / idx.length;
    const { loss: l, grads } = batchGradients(net, batch, classes, r, fraction);
    loss += l * fraction;
    if (!sum) sum = grads;
    else {
      for (const k of Object.keys(grads)) {
        const next = tf.add(sum[k]!, grads[k]!);
        sum[k]!.dispose();
        grads[k]!.dispose();
        sum[k] = next;
      }
    }
  }
  if (base) {
    for (const [n, v] of net.variables) {
      const next = tf.tidy(() => tf.add(sum![n]!, tf.mul(tf.sub(v, base.get(n)!), 2 * r.l2Pull)));
      sum![n]!.dispose();
      sum![n] = next;
    }
  }
  // Optimizers key gradients by the tf.Variable's registered name.
  optimizer.applyGradients(Object.fromEntries([...net.variables].map(([n, v]) => [v.name, sum![n]!])));
  for (const t of Object.values(sum!)) t.dispose();
  return loss;
}
