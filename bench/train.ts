/**
 * `npm run bench:train`: slices per second of one training step (forward + backward + Adam) of a
 * 4-level U-Net (base 16, ≈ 1.9 M parameters, engine notes) on 256×256 slices, batch 4:
 *   - plain tfjs-wasm with its stock gradients (plus the minimal Conv2DBackpropFilter fallback it needs to run at all),
 *   - our trainer (fast-ops.ts custom gradients), one thread,
 *   - our trainer data-parallel over 2 worker threads (gradients averaged).
 * Prints a markdown table. Arguments: [size=256] [batch=4] [timed steps=2].
 *
 * `npm run bench:train -- nightly [slices=100] [workers=2]`: the nightly target instead — a
 * whole fineTune with Dafne's default recipe (Adam 1e-3, 5 epochs, batch 5, Dice + CE) on that many
 * 256×256 slices of the same network, wall-clock time from start to trained weights.
 * The machine is shared: the load average (os.loadavg) is printed with every result.
 */
import os from 'node:os';
import { writeOnnx } from '../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../src/inference/onnx/test-models.js';
import { ParallelTrainer } from '../src/learning/parallel.js';
import { recipe } from '../src/learning/recipe.js';
import type { SliceSet } from '../src/learning/slice-set.js';
import { registerStockConv2dFilterGrad } from '../src/learning/stock-wasm.js';
import { initTf, tf } from '../src/learning/tf-backend.js';
import { TrainableOnnx } from '../src/learning/trainable-onnx.js';
import { batchGradients, fineTune } from '../src/learning/trainer.js';

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');

if (process.argv[2] === 'nightly') {
  const slices = Number(process.argv[3] ?? 100);
  const workers = Number(process.argv[4] ?? 2);
  const size = 256, p = size * size, classes = 7;
  await initTf('wasm');
  const model = tinyUNet({ classes, base: 16, depth: 4, seed: 1, size: [size, size], batchNorm: 'random' });
  const images = Float32Array.from({ length: slices * p }, (_, i) => Math.sin(i / 91) + Math.cos(i / 1234) + Math.sin(i / 7919));
  const masks = Uint8Array.from(images, (v) => Math.min(classes - 1, Math.max(0, Math.floor((v + 3) * 1.2))));
  const net = new TrainableOnnx(model);
  const r = recipe({ workers });
  console.log(`nightly: ${slices} slices ${size}×${size}, Dafne recipe (${r.epochs} epochs, batch ${r.batchSize}, lr ${r.learningRate}), ${workers} worker thread(s); load average at start ${load()}`);
  const t0 = performance.now();
  const res = await fineTune(net, { images, masks, count: slices, height: size, width: size }, classes, r, {
    onProgress: (q) => {
      if (q.step % 20 === 0) console.log(`  step ${q.step}/${q.steps} ${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()}`);
    },
  });
  const min = (performance.now() - t0) / 60000;
  console.log(`\n| nightly run | slices × epochs | wall time | slices / s | load average at end (1 / 5 / 15 min) |`);
  console.log('|---|---|---|---|---|');
  console.log(`| ${slices} × ${size}², ${workers} worker(s) | ${res.slicesSeen} | ${min.toFixed(1)} min | ${(res.slicesSeen / (min * 60)).toFixed(2)} | ${load()} |`);
  net.dispose();
  process.exit(0);
}

console.log(`load average at start (1 / 5 / 15 min): ${load()}`);
const size = Number(process.argv[2] ?? 256);
const batchSize = Number(process.argv[3] ?? 4);
const timed = Number(process.argv[4] ?? 2);
const classes = 7;
const model = tinyUNet({ classes, base: 16, depth: 4, seed: 1, size: [size, size], batchNorm: 'random' });
const onnx = writeOnnx(model);
const r = recipe({ batchSize, microBatch: batchSize });

function batch(): SliceSet {
  const p = size * size;
  const images = Float32Array.from({ length: batchSize * p }, (_, i) => Math.sin(i / 91) + Math.cos(i / 1234));
  const masks = Uint8Array.from(images, (v) => Math.min(classes - 1, Math.max(0, Math.floor((v + 2) * 1.75))));
  return { images, masks, count: batchSize, height: size, width: size };
}

async function timeSteps(step: () => Promise<void>): Promise<number> {
  await step(); // warm-up: kernel setup, first allocation
  const t0 = performance.now();
  for (let i = 0; i < timed; i++) await step();
  return (performance.now() - t0) / 1000 / timed;
}

function singleThread(gradients: 'fast' | 'stock'): () => Promise<void> {
  const net = new TrainableOnnx(model, { gradients });
  const opt = tf.train.adam(1e-3);
  const b = batch();
  return async () => {
    const { grads } = batchGradients(net, b, classes, r, 1);
    opt.applyGradients(Object.fromEntries([...net.variables].map(([n, v]) => [v.name, grads[n]!])) as unknown as Parameters<typeof opt.applyGradients>[0]);
    for (const t of Object.values(grads)) t.dispose();
  };
}

await initTf('wasm');
registerStockConv2dFilterGrad();
const params = [...new TrainableOnnx(model).variables.values()].reduce((a, v) => a + v.size, 0);
const rows: [string, number][] = [];
rows.push(['tfjs-wasm, stock gradients (1 thread)', await timeSteps(singleThread('stock'))]);
rows.push(['dafne-node trainer, custom gradients (1 thread)', await timeSteps(singleThread('fast'))]);
const par = await ParallelTrainer.create(onnx, classes, r, 2);
const b = batch();
rows.push(['dafne-node trainer, 2 worker threads (data-parallel)', await timeSteps(async () => void (await par.step(b)))]);
await par.close();

const base = rows[0]![1];
console.log(`\nTraining step, U-Net base 16 × 4 levels (${(params / 1e6).toFixed(2)} M parameters), ${size}×${size}, batch ${batchSize}, Adam, Dice+CE; mean of ${timed} steps after one warm-up\n`);
console.log('| variant | s / step | slices / s | speed-up |');
console.log('|---|---|---|---|');
for (const [name, s] of rows) console.log(`| ${name} | ${s.toFixed(2)} | ${(batchSize / s).toFixed(2)} | ${(base / s).toFixed(1)}× |`);
console.log(`\nload average at end (1 / 5 / 15 min): ${load()}`);
console.log(`\n100 corrected slices × 5 epochs at the best rate: ≈ ${((500 * Math.min(...rows.map(([, s]) => s))) / batchSize / 60).toFixed(1)} min`);
