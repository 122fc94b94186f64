import test from 'ava';
import { floatAttr } from '../../src/inference/onnx/attributes.js';
import { GraphBuilder } from '../../src/inference/onnx/builder.js';
import { readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../../src/inference/onnx/test-models.js';
import { validateModelPackage } from '../../src/inference/model-package.js';
import { Adam } from '../../src/learning/adam.js';
import { demoCard, demoNetwork } from '../../src/learning/demo-model.js';
import { fineTuneInThread } from '../../src/learning/fine-tune-thread.js';
import { fineTuneCandidate } from '../../src/learning/learning-cycle.js';
import { gradGraph, NotDifferentiableError } from '../../src/learning/grad-graph.js';
import { OrtGradients } from '../../src/learning/ort-gradients.js';
import { recipe } from '../../src/learning/recipe.js';
import { initTf, tf } from '../../src/learning/tf-backend.js';
import { TrainableOnnx } from '../../src/learning/trainable-onnx.js';
import { batchGradients, fineTune } from '../../src/learning/trainer.js';
import { kitchenSinkModel, randomArray, relativeMaxDiff } from './helpers.js';

/**
 * The onnxruntime engine (grad-graph.ts, ort-gradients.ts, ort-stepper.ts, adam.ts) against the
 * references: tfjs's stock gradients on the cpu backend, tf.train.adam, and the tfjs engine's
 * fineTune.
 */

function bandSet(n: number, size: number, classes: number, seed: number) {
  const images = randomArray(n * size * size, seed);
  for (let i = 0; i < images.length; i++) images[i] = Math.sin(i / 37 + seed) + 0.2 * images[i]!;
  const masks = Uint8Array.from(images, (v) => Math.min(classes - 1, Math.max(0, Math.floor((v + 1.2) * 1.6))));
  return { images, masks, count: n, height: size, width: size };
}

/** conv1 (no bias) feeds both a BatchNorm and the Add after it, so the BatchNorm stays a separate node. */
function unfoldedBnModel(size: number) {
  const b = new GraphBuilder('unfolded-bn');
  const w = (n: number, seed: number) => randomArray(n, seed, 0.5);
  const x = b.input('image', ['N', 1, size, size]);
  const c1 = b.node('Conv', [x, b.initializer('c1.weight', [4, 1, 3, 3], w(36, 31))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const bnInit = (k: string, f: (i: number) => number) => b.initializer(`bn.${k}`, [4], Array.from({ length: 4 }, (_, i) => f(i)));
  const bn = b.node('BatchNormalization', [c1, bnInit('s', (i) => 0.8 + 0.1 * i), bnInit('b', (i) => 0.05 * i), bnInit('m', (i) => 0.1 - 0.05 * i), bnInit('v', (i) => 0.6 + 0.2 * i)], { epsilon: floatAttr(1e-5) });
  const sum = b.node('Relu', [b.node('Add', [bn, c1])]);
  b.node('Conv', [sum, b.initializer('head.weight', [3, 4, 1, 1], w(12, 32)), b.initializer('head.bias', [3], [0.1, 0, -0.1])], { kernel_shape: [1, 1] }, { outputs: ['logits'] });
  b.output('logits', ['N', 3, size, size]);
  return b.build();
}

const worst = (a: Map<string, Float32Array>, ref: Map<string, Float32Array>) => Math.max(...[...ref].map(([k, v]) => relativeMaxDiff(a.get(k)!, v)));

for (const [name, build, classes, size, n] of [
  ['U-Net', () => tinyUNet({ classes: 4, base: 4, depth: 2, seed: 3, batchNorm: 'random', size: [32, 32] }), 4, 32, 3],
  ['kitchen-sink model (stride-2 conv, SAME_UPPER, Resize, Add/Mul broadcast, Sigmoid, Softmax, MaxPool, ConvTranspose)', () => kitchenSinkModel(16), 3, 16, 2],
  ['BatchNorm that cannot be folded (its Conv output has a second consumer), Conv without bias, Add of activations', () => unfoldedBnModel(16), 3, 16, 2],
] as const) {
  test.serial(`training-step graph on onnxruntime: loss and gradients match tfjs's stock gradients on the cpu backend: ${name}`, async (t) => {
    const bytes = writeOnnx(build());
    const set = bandSet(n, size, classes, 2);
    const ceWeights = Array.from({ length: classes }, (_, c) => 0.5 + c * 0.5);
    await initTf('cpu');
    try {
      const stock = new TrainableOnnx(readOnnx(bytes), { gradients: 'stock' });
      const ref = batchGradients(stock, set, classes, recipe(), 0.7, ceWeights);
      const refGrads = new Map(Object.entries(ref.grads).map(([k, v]) => [k, v.dataSync() as Float32Array]));
      const ort = await OrtGradients.create(readOnnx(bytes), { height: size, width: size, diceWeight: 1, crossEntropyWeight: 1, threads: 1 });
      const res = await ort.gradients(stock.weights(false), set, 0.7, ceWeights);
      await ort.close();
      stock.dispose();
      const w = worst(res.grads, refGrads);
      t.log(`loss ${res.loss.toFixed(6)} vs ${ref.loss.toFixed(6)}; worst relative gradient error over ${refGrads.size} initializers: ${w.toExponential(2)}`);
      t.true(Math.abs(res.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss));
      t.is(res.grads.size, refGrads.size);
      t.true(w <= 1e-4);
    } finally {
      await initTf('wasm');
    }
  });
}

test('Adam on arrays follows tf.train.adam step by step', async (t) => {
  await initTf('wasm');
  const w0 = randomArray(50, 11), grads = [1, 2, 3, 4].map((s) => randomArray(50, 20 + s, 0.1 * s));
  const v = tf.variable(tf.tensor1d(w0), true, 'adam-test');
  const opt: tf.Optimizer = tf.train.adam(1e-2);
  const ours = new Adam(1e-2);
  const w = new Map([['w', w0.slice()]]);
  for (const g of grads) {
    opt.applyGradients({ 'adam-test': tf.tensor1d(g) });
    ours.apply(w, new Map([['w', g]]));
  }
  const d = relativeMaxDiff(w.get('w')!, v.dataSync() as Float32Array);
  t.log(`after 4 steps: ${d.toExponential(2)}`);
  t.true(d < 1e-6);
  v.dispose();
  opt.dispose();
});

test('fineTune on onnxruntime (1 thread and 2 workers) gives the weights of the tfjs engine: Dice + CE, class balance, L2 pull, 2 epochs', async (t) => {
  await initTf('wasm');
  const onnx = writeOnnx(tinyUNet({ classes: 3, base: 4, depth: 2, seed: 7, batchNorm: 'random', size: [32, 32] }));
  const data = bandSet(6, 32, 3, 4);
  const r = recipe({ batchSize: 3, epochs: 2, learningRate: 1e-2, l2Pull: 0.1, classBalance: 0.5, workers: 1 });
  const runs = { tfjs: new TrainableOnnx(readOnnx(onnx)), ort: new TrainableOnnx(readOnnx(onnx)) };
  try {
    const a = await fineTune(runs.tfjs, data, 3, r, { engine: 'tfjs' });
    const b = await fineTune(runs.ort, data, 3, r, { engine: 'onnxruntime' });
    t.is(a.engine, 'tfjs');
    t.is(b.engine, 'onnxruntime');
    t.is(b.steps, 4);
    const d = worst(runs.ort.weights(false), runs.tfjs.weights(false));
    t.log(`onnxruntime vs tfjs after 4 steps: worst relative weight difference ${d.toExponential(2)}; losses ${b.epochLosses.map((l) => l.toFixed(4)).join(', ')} vs ${a.epochLosses.map((l) => l.toFixed(4)).join(', ')}`);
    t.true(d < 1e-4);
    b.epochLosses.forEach((l, i) => t.true(Math.abs(l - a.epochLosses[i]!) < 1e-4));
    // Data-parallel: cross-entropy only, whose shard gradients add up exactly (Dice pools per shard).
    const ce = recipe({ ...r, diceWeight: 0 });
    const one = new TrainableOnnx(readOnnx(onnx)), two = new TrainableOnnx(readOnnx(onnx));
    await fineTune(one, data, 3, ce, { engine: 'onnxruntime' });
    await fineTune(two, data, 3, recipe({ ...ce, workers: 2 }), { engine: 'onnxruntime' });
    const d2 = worst(two.weights(false), one.weights(false));
    t.log(`onnxruntime 2 workers vs 1 thread: ${d2.toExponential(2)}`);
    t.true(d2 < 1e-4);
    one.dispose();
    two.dispose();
  } finally {
    runs.tfjs.dispose();
    runs.ort.dispose();
  }
});

test('engine auto: onnxruntime by default, tfjs when BatchNorm trains or a form has no gradient rule; engine onnxruntime refuses both', async (t) => {
  await initTf('wasm');
  const data = bandSet(2, 16, 3, 5);
  const plain = () => new TrainableOnnx(tinyUNet({ classes: 3, base: 2, depth: 1, seed: 2, batchNorm: 'random', size: [16, 16] }));
  const r = recipe({ batchSize: 2, epochs: 1, workers: 1 });
  t.is((await fineTune(plain(), data, 3, r)).engine, 'onnxruntime');
  t.is((await fineTune(plain(), data, 3, recipe({ ...r, trainBatchNorm: true }))).engine, 'tfjs');
  await t.throwsAsync(fineTune(plain(), data, 3, recipe({ ...r, trainBatchNorm: true }), { engine: 'onnxruntime' }), { message: /trainBatchNorm/ });
  // A constant that broadcasts along the batch axis: valid ONNX, no rule in grad-graph.ts.
  const b = new GraphBuilder('batch-gain');
  const x = b.input('image', [2, 1, 16, 16]);
  const c = b.node('Conv', [x, b.initializer('c.weight', [3, 1, 1, 1], [1, -1, 0.5]), b.initializer('c.bias', [3], [0, 0, 0])], { kernel_shape: [1, 1] });
  const bn = b.node('BatchNormalization', [c, ...['s', 'b', 'm', 'v'].map((k) => b.initializer(`bn.${k}`, [3], k === 's' || k === 'v' ? [1, 1, 1] : [0, 0, 0]))], { epsilon: floatAttr(1e-5) });
  b.node('Mul', [b.node('Relu', [bn]), b.initializer('gain', [2, 1, 1, 1], [1, 2])], {}, { outputs: ['logits'] });
  b.output('logits', [2, 3, 16, 16]);
  const model = b.build();
  t.throws(() => gradGraph(model, { height: 16, width: 16, diceWeight: 1 }), { instanceOf: NotDifferentiableError });
  t.is((await fineTune(new TrainableOnnx(readOnnx(writeOnnx(model))), data, 3, r)).engine, 'tfjs');
  await t.throwsAsync(fineTune(new TrainableOnnx(readOnnx(writeOnnx(model))), data, 3, r, { engine: 'onnxruntime' }), { instanceOf: NotDifferentiableError });
});

test('the product path: fineTuneInThread (what dafne-node train runs) trains the demo model on onnxruntime with 2 workers nested in its thread, and gives the candidate of fineTuneCandidate in this thread', async (t) => {
  await initTf('wasm');
  const pkg = validateModelPackage(writeOnnx(demoNetwork()), demoCard());
  const data = bandSet(4, 128, pkg.outputChannels, 6);
  const r = recipe({ epochs: 1, batchSize: 4, workers: 2 });
  const inThread = await fineTuneInThread(pkg, data, r);
  const here = await fineTuneCandidate(pkg, data, r);
  t.is(inThread.training.engine, 'onnxruntime');
  t.is(here.training.engine, 'onnxruntime');
  const a = new TrainableOnnx(readOnnx(inThread.onnx)), b = new TrainableOnnx(readOnnx(here.onnx));
  const d = worst(a.weights(false), b.weights(false));
  t.log(`worker thread vs this thread: ${d.toExponential(2)} (${inThread.training.seconds.toFixed(2)} s vs ${here.training.seconds.toFixed(2)} s)`);
  t.true(d < 1e-6);
  t.true(worst(b.weights(false), new TrainableOnnx(demoNetwork()).weights(false)) > 1e-4, 'the weights changed');
  a.dispose();
  b.dispose();
});
