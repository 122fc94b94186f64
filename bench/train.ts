/**
 * `npm run bench:train [net=256] [batch=4] [timed rounds=2]`: slices per second of one training step
 * (forward + backward + Adam), every variant in the SAME run, interleaved (one warm-up round, then
 * rounds of one settling + one timed step per variant), so all of them see the same load:
 *   - plain tfjs-wasm with its stock gradients (plus the minimal Conv2DBackpropFilter fallback it needs to run at all),
 *   - our tfjs engine (fast-ops.ts custom gradients), one thread and 2 worker threads,
 *   - our onnxruntime engine (grad-graph.ts training-step graph), one thread and 2 worker threads
 *     (what `dafne-node train` uses by default).
 * `net` is a slice size for the bench U-Net (4 levels, base 16, ≈ 1.9 M parameters, engine notes) or
 * `demo` for the shipped demo model's network (128², base 8, demo-model.ts).
 *
 * `npm run bench:train -- nightly [slices=100] [workers=2] [engines=onnxruntime,tfjs] [net=256]`: the
 * issue's nightly target — a whole fineTune with Dafne's default recipe (Adam 1e-3, 5 epochs, batch 5,
 * Dice + CE) on that many slices, wall-clock time from start to trained weights, once per engine in
 * the list (back to back, not interleaved: list one twice, e.g. onnxruntime,tfjs,onnxruntime, to see
 * the load drift). The machine is shared: the load average (os.loadavg) is printed with every result.
 */
import os from 'node:os';
import type { OnnxModel } from '../src/inference/onnx/onnx-types.js';
import { tinyUNet } from '../src/inference/onnx/test-models.js';
import { demoNetwork, DEMO_SIZE } from '../src/learning/demo-model.js';
import { ortStepper } from '../src/learning/ort-stepper.js';
import { recipe } from '../src/learning/recipe.js';
import type { SliceSet } from '../src/learning/slice-set.js';
import { registerStockConv2dFilterGrad } from '../src/learning/stock-wasm.js';
import { initTf, tf } from '../src/learning/tf-backend.js';
import { TrainableOnnx } from '../src/learning/trainable-onnx.js';
import { batchGradients, fineTune, tfjsStepper, type Stepper, type TrainEngine } from '../src/learning/trainer.js';

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');
const classes = 7;

/** The network and its slice size: `demo` or a size for the bench U-Net. */
function network(arg: string | undefined): { model: OnnxModel; size: number; label: string } {
  if (arg === 'demo') return { model: demoNetwork(), size: DEMO_SIZE[0], label: `demo model network (U-Net base 8 × 4 levels, head on the last up-sampling), ${DEMO_SIZE[0]}×${DEMO_SIZE[1]}` };
  const size = Number(arg ?? 256);
  return { model: tinyUNet({ classes, base: 16, depth: 4, seed: 1, size: [size, size], batchNorm: 'random' }), size, label: `bench U-Net (base 16 × 4 levels), ${size}×${size}` };
}

function slices(count: number, size: number, wave = 1): SliceSet {
  const images = Float32Array.from({ length: count * size * size }, (_, i) => Math.sin(i / 91) + Math.cos(i / 1234) + wave * Math.sin(i / 7919));
  const masks = Uint8Array.from(images, (v) => Math.min(classes - 1, Math.max(0, Math.floor((v + 3) * 1.2))));
  return { images, masks, count, height: size, width: size };
}

await initTf('wasm');

if (process.argv[2] === 'nightly') {
  const count = Number(process.argv[3] ?? 100);
  const workers = Number(process.argv[4] ?? 2);
  const engines = (process.argv[5] ?? 'onnxruntime,tfjs').split(',') as TrainEngine[];
  const { model, size, label } = network(process.argv[6]);
  const data = slices(count, size);
  const r = recipe({ workers });
  console.log(`nightly: ${count} slices, ${label}, Dafne recipe (${r.epochs} epochs, batch ${r.batchSize}, lr ${r.learningRate}), ${workers} worker thread(s); engines ${engines.join(', ')}`);
  const rows: { engine: TrainEngine; min: number; rate: number; loads: string[]; loss: number; rss: number }[] = [];
  for (const engine of engines) {
    const net = new TrainableOnnx(model);
    const loads = [load()];
    let rss = 0; // the process's, so it includes the worker threads
    const t0 = performance.now();
    const res = await fineTune(net, data, classes, r, {
      engine,
      onProgress: (q) => {
        rss = Math.max(rss, process.memoryUsage().rss);
        if (q.step % 20 === 0) {
          loads.push(load());
          console.log(`  ${engine} step ${q.step}/${q.steps} ${((performance.now() - t0) / 1000).toFixed(0)} s, loss ${q.loss.toFixed(4)}, load ${load()}`);
        }
      },
    });
    const min = (performance.now() - t0) / 60000;
    rows.push({ engine, min, rate: res.slicesSeen / (min * 60), loads, loss: res.epochLosses.at(-1)!, rss });
    net.dispose();
  }
  const ref = rows.find((x) => x.engine === 'tfjs');
  console.log(`\n| nightly run, ${workers} worker(s) | slices × epochs | wall time | slices / s | vs the tfjs engine | last epoch's loss | peak RSS | load average (1 min) at start and every 20 steps |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const x of rows) console.log(`| ${x.engine} | ${count} × ${r.epochs} | ${x.min.toFixed(2)} min | ${x.rate.toFixed(2)} | ${ref ? `${(x.rate / ref.rate).toFixed(2)}×` : '–'} | ${x.loss.toFixed(4)} | ${(x.rss / 2 ** 30).toFixed(1)} GiB | ${x.loads.map((l) => l.split(' / ')[0]).join(' / ')} |`);
  process.exit(0);
}

const { model, size, label } = network(process.argv[2]);
const batchSize = Number(process.argv[3] ?? 4);
const timed = Number(process.argv[4] ?? 2);
const r = recipe({ batchSize, microBatch: batchSize });
const batch = slices(batchSize, size, 0);
console.log(`load average at start (1 / 5 / 15 min): ${load()}`);

/** Plain tfjs-wasm: stock gradients and tf.train.adam, one thread. */
function stock(): Stepper {
  const net = new TrainableOnnx(model, { gradients: 'stock' });
  const opt: tf.Optimizer = tf.train.adam(1e-3);
  return {
    engine: 'tfjs', chunk: batchSize, finish: () => {}, close: async () => opt.dispose(),
    step: async (chunks) => {
      const { loss, grads } = batchGradients(net, chunks[0]!.batch, classes, r, 1);
      opt.applyGradients(Object.fromEntries([...net.variables].map(([n, v]) => [v.name, grads[n]!])));
      for (const t of Object.values(grads)) t.dispose();
      return loss;
    },
  };
}

registerStockConv2dFilterGrad();
const params = [...new TrainableOnnx(model).variables.values()].reduce((a, v) => a + v.size, 0);
const variants: [string, Stepper][] = [
  ['tfjs-wasm, stock gradients (1 thread)', stock()],
  ['dafne-node tfjs engine, custom gradients (1 thread)', await tfjsStepper(new TrainableOnnx(model), classes, recipe({ ...r, workers: 1 }), size, size, undefined)],
  ['dafne-node tfjs engine, 2 worker threads', await tfjsStepper(new TrainableOnnx(model), classes, recipe({ ...r, workers: 2 }), size, size, undefined)],
  ['dafne-node onnxruntime engine (1 thread)', await ortStepper(new TrainableOnnx(model), classes, recipe({ ...r, workers: 1 }), size, size, undefined)],
  ['dafne-node onnxruntime engine, 2 worker threads (the default)', await ortStepper(new TrainableOnnx(model), classes, recipe({ ...r, workers: 2 }), size, size, undefined)],
];
const times = variants.map(() => [] as number[]);
for (let round = 0; round <= timed; round++) {
  for (const [i, [, s]] of variants.entries()) {
    // One untimed step after switching variants: the first step after another engine ran was up
    // to 1.45× slower (caches, pages), which a fineTune, whose steps run back to back, never pays.
    // Not for the stock variant: at ~60 s a step it would double the run for a negligible effect.
    if (i > 0 && round > 0) await s.step([{ batch, fraction: 1 }], 1e-3);
    const t0 = performance.now();
    await s.step([{ batch, fraction: 1 }], 1e-3);
    if (round > 0) times[i]!.push((performance.now() - t0) / 1000);
  }
  console.log(`round ${round}${round === 0 ? ' (warm-up)' : ''} done, load ${load()}`);
}
for (const [, s] of variants) await s.close();

const mean = times.map((t) => t.reduce((a, b) => a + b, 0) / t.length);
console.log(`\nTraining step, ${label} (${(params / 1e6).toFixed(2)} M parameters), batch ${batchSize}, Adam, Dice+CE; mean of ${timed} interleaved rounds after one warm-up\n`);
console.log('| variant | s / step | slices / s | vs stock tfjs-wasm | vs our tfjs engine, same threads |');
console.log('|---|---|---|---|---|');
variants.forEach(([name], i) => {
  const same = name.includes('2 worker') ? mean[2]! : mean[1]!;
  console.log(`| ${name} | ${mean[i]!.toFixed(3)} | ${(batchSize / mean[i]!).toFixed(2)} | ${(mean[0]! / mean[i]!).toFixed(1)}× | ${i >= 3 ? `${(same / mean[i]!).toFixed(2)}×` : '–'} |`);
});
console.log(`\nload average at end (1 / 5 / 15 min): ${load()}`);
process.exit(0);
