import test from 'ava';
import { readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../../src/inference/onnx/test-models.js';
import { ParallelTrainer } from '../../src/learning/parallel.js';
import { recipe } from '../../src/learning/recipe.js';
import { initTf } from '../../src/learning/tf-backend.js';
import { TrainableOnnx } from '../../src/learning/trainable-onnx.js';
import { fineTune } from '../../src/learning/trainer.js';
import { randomArray, relativeMaxDiff } from './helpers.js';

test('tfjs engine: data-parallel steps over 2 worker threads give the weights of single-thread steps', async (t) => {
  await initTf('wasm');
  const onnx = writeOnnx(tinyUNet({ classes: 3, base: 4, depth: 2, seed: 5, batchNorm: 'random', size: [32, 32] }));
  const images = randomArray(4 * 32 * 32, 3);
  const batch = { images, masks: Uint8Array.from(images, (v) => (v > 0.3 ? 2 : v > -0.3 ? 1 : 0)), count: 4, height: 32, width: 32 };
  // Cross-entropy only: it is a mean over pixels, so shard gradients add up exactly to the batch's.
  // (Dice pools over the batch: with shards or micro-batches it is pooled per shard, an approximation.)
  const r = recipe({ batchSize: 4, epochs: 1, learningRate: 1e-2, diceWeight: 0, workers: 1 });
  const single = new TrainableOnnx(readOnnx(onnx));
  await fineTune(single, batch, 3, r, { engine: 'tfjs' }); // one step: a single batch of 4
  const par = await ParallelTrainer.create(onnx, 3, r, 2);
  try {
    await par.step(batch);
    const a = single.weights(false), b = par.net.weights(false);
    let worst = 0;
    for (const [k, v] of a) worst = Math.max(worst, relativeMaxDiff(b.get(k)!, v));
    t.log(`worst relative weight difference: ${worst.toExponential(2)}`);
    t.true(worst < 1e-4);
  } finally {
    await par.close();
    single.dispose();
  }
});

test('tfjs engine: fineTune with workers: 2 (data-parallel, BatchNorm trained per shard) matches one thread for cross-entropy with frozen BatchNorm, and trains with batch statistics', async (t) => {
  await initTf('wasm');
  const onnx = writeOnnx(tinyUNet({ classes: 3, base: 4, depth: 2, seed: 7, batchNorm: 'random', size: [32, 32] }));
  const images = randomArray(6 * 32 * 32, 4);
  const data = { images, masks: Uint8Array.from(images, (v) => (v > 0.3 ? 2 : v > -0.3 ? 1 : 0)), count: 6, height: 32, width: 32 };
  const r = recipe({ batchSize: 3, epochs: 2, learningRate: 1e-2, diceWeight: 0, l2Pull: 0.1, workers: 1 });
  const single = new TrainableOnnx(readOnnx(onnx));
  const par = new TrainableOnnx(readOnnx(onnx));
  const withBn = new TrainableOnnx(readOnnx(onnx));
  try {
    // The tfjs engine's pool (the onnxruntime engine's: ort-engine.test.ts).
    await fineTune(single, data, 3, r, { engine: 'tfjs' });
    const res = await fineTune(par, data, 3, recipe({ ...r, workers: 2 }), { engine: 'tfjs' });
    t.is(res.steps, 4);
    const a = single.weights(false), b = par.weights(false);
    let worst = 0;
    for (const [k, v] of a) worst = Math.max(worst, relativeMaxDiff(b.get(k)!, v));
    t.log(`fineTune 1 vs 2 workers, worst relative weight difference: ${worst.toExponential(2)}`);
    t.true(worst < 1e-4);
    // Batch statistics per shard: the running statistics come back from the workers and change.
    const before = withBn.weights(true);
    await fineTune(withBn, data, 3, recipe({ ...r, workers: 2, trainBatchNorm: true }));
    const after = withBn.weights(true);
    const stat = [...withBn.state.keys()][0]!;
    t.notDeepEqual(Array.from(after.get(stat)!), Array.from(before.get(stat)!));
    t.true([...after.values()].every((v) => v.every(Number.isFinite)));
  } finally {
    single.dispose();
    par.dispose();
    withBn.dispose();
  }
});
