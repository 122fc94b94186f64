import test from 'ava';
import { readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../../src/inference/onnx/test-models.js';
import { ParallelTrainer } from '../../src/learning/parallel.js';
import { recipe } from '../../src/learning/recipe.js';
import { initTf } from '../../src/learning/tf-backend.js';
import { TrainableOnnx } from '../../src/learning/trainable-onnx.js';
import { fineTune } from '../../src/learning/trainer.js';
import { randomArray, relativeMaxDiff } from './helpers.js';

test('data-parallel steps over 2 worker threads give the weights of single-thread steps', async (t) => {
  await initTf('wasm');
  const onnx = writeOnnx(tinyUNet({ classes: 3, base: 4, depth: 2, seed: 5, batchNorm: 'random', size: [32, 32] }));
  const images = randomArray(4 * 32 * 32, 3);
  const batch = { images, masks: Uint8Array.from(images, (v) => (v > 0.3 ? 2 : v > -0.3 ? 1 : 0)), count: 4, height: 32, width: 32 };
  // Cross-entropy only: it is a mean over pixels, so shard gradients add up exactly to the batch's.
  // (Dice pools over the batch: with shards or micro-batches it is pooled per shard, an approximation.)
  const r = recipe({ batchSize: 4, epochs: 1, learningRate: 1e-2, diceWeight: 0 });
  const single = new TrainableOnnx(readOnnx(onnx));
  await fineTune(single, batch, 3, r); // one step: a single batch of 4
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
