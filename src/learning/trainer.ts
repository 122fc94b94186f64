import { seededRandom } from '../inference/onnx/test-models.js';
import { classWeights, diceCeLoss, oneHotMasks } from './loss.js';
import { NotDifferentiableError } from './grad-graph.js';
import { ortStepper } from './ort-stepper.js';
import { GradientPool } from './parallel.js';
import { microBatchFor, workersFor, type Recipe } from './recipe.js';
import { concatSets, pick, type SliceSet } from './slice-set.js';
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
  /** Which engine computed the gradients. */
  engine: TrainEngine;
}

/**
 * Gradients of the batch loss (scaled by the micro-batch's `fraction` of the whole batch), by
 * initializer name, and the (unscaled) loss.
 */
export function batchGradients(net: TrainableOnnx, batch: SliceSet, classes: number, r: Recipe, fraction: number, ceWeights?: readonly number[]): { loss: number; grads: tf.NamedTensorMap } {
  const x = tf.tensor4d(batch.images, [batch.count, batch.height, batch.width, 1]);
  const y = oneHotMasks(batch.masks, batch.count, batch.height, batch.width, classes);
  const vars = [...net.variables.values()];
  const { value, grads } = tf.variableGrads(() => tf.mul(diceCeLoss(net.forward(x, { batchStats: r.trainBatchNorm }), y, { dice: r.diceWeight, crossEntropy: r.crossEntropyWeight, classWeights: ceWeights }), fraction) as tf.Scalar, vars);
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

/** The engine that computes gradients: onnxruntime's training-step graph, or the tfjs interpreter. */
export type TrainEngine = 'onnxruntime' | 'tfjs';

/**
 * One optimizer step per call. The loop below (shuffle, rehearsal, schedule, deadline) is shared;
 * the engines differ in where gradients are computed and where the weights live.
 */
export interface Stepper {
  readonly engine: TrainEngine;
  /** Slices handed over at once: the micro-batch × the workers sharing it. */
  readonly chunk: number;
  /** One step over the chunks of a batch (each with its fraction of the batch); returns the batch loss. */
  step(chunks: { batch: SliceSet; fraction: number }[], learningRate: number): Promise<number>;
  /** Leaves the trained weights in the net. */
  finish(): void;
  close(): Promise<void>;
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
  /**
   * Rehearsal buffer: earlier accepted training slices (never the frozen benchmark set). Each epoch
   * mixes a fresh random `recipe.rehearsal` × data.count of them into the shuffled corrections, so
   * the update keeps seeing what the model already did well (protection against forgetting).
   */
  rehearsal?: SliceSet;
  /**
   * 'auto' (default): onnxruntime (ort-stepper.ts; 3.8× the tfjs trainer per thread on the 256²
   * bench U-Net) unless BatchNorm is trained with batch statistics or the graph has an operator form
   * without a gradient rule (grad-graph.ts), then tfjs. The benchmark and the tests name one.
   */
  engine?: 'auto' | TrainEngine;
}

export async function fineTune(net: TrainableOnnx, data: SliceSet, classes: number, r: Recipe, opts: FineTuneOptions | ((p: TrainProgress) => void) = {}): Promise<TrainResult> {
  const { onProgress, deadline, rehearsal, engine = 'auto' } = typeof opts === 'function' ? { onProgress: opts } as FineTuneOptions : opts;
  if (data.count === 0) throw new Error('fineTune: no training slices');
  const corrections = data.count;
  const mixIn = rehearsal && rehearsal.count > 0 ? Math.min(rehearsal.count, Math.round(r.rehearsal * corrections)) : 0;
  if (mixIn > 0) data = concatSets([data, rehearsal!]);
  const t0 = performance.now();
  const ceWeights = r.classBalance > 0 ? classWeights(data.masks, classes, r.classBalance) : undefined;
  const stepper = await createStepper(net, data, classes, r, engine, ceWeights);
  try {
    const result = await train(stepper, data, corrections, mixIn, r, t0, onProgress, deadline);
    stepper.finish();
    return result;
  } finally {
    await stepper.close();
  }
}

async function createStepper(net: TrainableOnnx, data: SliceSet, classes: number, r: Recipe, engine: FineTuneOptions['engine'], ceWeights: readonly number[] | undefined): Promise<Stepper> {
  if (engine !== 'tfjs') {
    if (r.trainBatchNorm) {
      if (engine === 'onnxruntime') throw new Error('fineTune: the onnxruntime engine keeps BatchNorm frozen (trainBatchNorm needs tfjs)');
    } else {
      try {
        return await ortStepper(net, classes, r, data.height, data.width, ceWeights);
      } catch (e) {
        if (engine === 'onnxruntime' || !(e instanceof NotDifferentiableError)) throw e;
      }
    }
  }
  return tfjsStepper(net, classes, r, data.height, data.width, ceWeights);
}

async function train(stepper: Stepper, data: SliceSet, corrections: number, mixIn: number, r: Recipe, t0: number, onProgress: FineTuneOptions['onProgress'], deadline: number | undefined): Promise<TrainResult> {
  const rand = seededRandom(r.seed);
  const stepsPerEpoch = Math.ceil((corrections + mixIn) / r.batchSize);
  const epochLosses: number[] = [];
  let step = 0;
  let seen = 0;
  const totalSteps = stepsPerEpoch * r.epochs;
  training: for (let epoch = 0; epoch < r.epochs; epoch++) {
    const order = Array.from({ length: corrections }, (_, i) => i);
    if (mixIn > 0) order.push(...sample(rand, data.count - corrections, mixIn).map((k) => corrections + k));
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let lossSum = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const idx = order.slice(s * r.batchSize, (s + 1) * r.batchSize);
      let lr = r.learningRate;
      if (r.schedule === 'cosine') {
        // With a time budget the decay follows whichever runs out first, steps or time, so a run cut
        // short by its deadline still ends at the low learning rate (seen: a loaded machine).
        const done = Math.min(1, Math.max(step / totalSteps, deadline !== undefined ? (performance.now() - t0) / (deadline - t0) : 0));
        lr = r.learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * done)));
      }
      // Micro-batch chunks of the batch (each split over the workers when there are several).
      const chunks: { batch: SliceSet; fraction: number }[] = [];
      for (let m = 0; m < idx.length; m += stepper.chunk) {
        let batch = pick(data, idx.slice(m, m + stepper.chunk));
        if (r.augment) batch = augment(batch, rand);
        chunks.push({ batch, fraction: batch.count / idx.length });
      }
      const loss = await stepper.step(chunks, lr);
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
  return { epochLosses, steps: step, slicesSeen: seen, seconds: (performance.now() - t0) / 1000, engine: stepper.engine };
}

/** `k` distinct indices of [0, n), seeded (partial Fisher–Yates). */
function sample(rand: () => number, n: number, k: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

/**
 * The tfjs engine: gradients by the tfjs interpreter (in this thread, or over a pool of wasm
 * workers when the recipe asks for more than one), L2 pull and tf.train.adam on the net's variables.
 */
export async function tfjsStepper(net: TrainableOnnx, classes: number, r: Recipe, height: number, width: number, ceWeights: readonly number[] | undefined): Promise<Stepper> {
  const workers = workersFor(r);
  const pool = workers > 1 ? await GradientPool.create(net.toBytes(), classes, r, { workers, engine: 'tfjs', outputName: net.outputName }) : undefined;
  const optimizer: tf.Optimizer = tf.train.adam(r.learningRate);
  const base = r.l2Pull > 0 ? new Map([...net.variables].map(([n, v]) => [n, tf.clone(v)])) : undefined;
  const micro = microBatchFor(r, height, width);
  return {
    engine: 'tfjs',
    chunk: micro * (pool?.size ?? 1),
    step: async (chunks, learningRate) => {
      // AdamOptimizer reads its public learningRate on every step.
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      const sum = new Map<string, tf.Tensor>();
      const add = (k: string, g: tf.Tensor) => {
        const prev = sum.get(k);
        if (!prev) return void sum.set(k, g);
        sum.set(k, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      };
      let loss = 0;
      for (const { batch, fraction } of chunks) {
        if (pool) {
          const { loss: l, grads, state } = await pool.gradients(batch, fraction, ceWeights);
          loss += l * fraction;
          for (const [k, v] of net.variables) add(k, tf.tensor(grads.get(k)!, v.shape));
          if (state.size) net.setWeights(state);
        } else {
          const { loss: l, grads } = batchGradients(net, batch, classes, r, fraction, ceWeights);
          loss += l * fraction;
          for (const k of Object.keys(grads)) add(k, grads[k]!);
        }
      }
      if (base) {
        for (const [n, v] of net.variables) add(n, tf.tidy(() => tf.mul(tf.sub(v, base.get(n)!), 2 * r.l2Pull)));
      }
      // Optimizers key gradients by the tf.Variable's registered name.
      optimizer.applyGradients(Object.fromEntries([...net.variables].map(([n, v]) => [v.name, sum.get(n)!])));
      for (const t of sum.values()) t.dispose();
      if (pool) await pool.setWeights(net.weights(r.trainBatchNorm));
      return loss;
    },
    finish: () => {},
    close: async () => {
      optimizer.dispose();
      if (base) for (const t of base.values()) t.dispose();
      await pool?.close();
    },
  };
}
