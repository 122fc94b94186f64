import test from 'ava';
import { readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../../src/inference/onnx/test-models.js';
import { recipe } from '../../src/learning/recipe.js';
import { initTf, tf } from '../../src/learning/tf-backend.js';
import { TrainableOnnx } from '../../src/learning/trainable-onnx.js';
import { batchGradients, fineTune } from '../../src/learning/trainer.js';
import { kitchenSinkModel, ortRun, randomArray, relativeMaxDiff, tfjsNchw } from './helpers.js';

test.before(async () => {
  await initTf('wasm');
});

const H = 32, W = 32, N = 2, CLASSES = 4;
const unet = () => tinyUNet({ classes: CLASSES, base: 4, depth: 2, seed: 3, batchNorm: 'random', size: [H, W] });

function toySet(n: number, seed: number) {
  // A learnable task: label = intensity band of a smooth image.
  const images = randomArray(n * H * W, seed);
  for (let i = 0; i < images.length; i++) images[i] = Math.sin(i / 37 + seed) + 0.2 * images[i]!;
  const masks = Uint8Array.from(images, (v) => Math.min(CLASSES - 1, Math.max(0, Math.floor((v + 1.2) * 1.6))));
  return { images, masks, count: n, height: H, width: W };
}

test('parity: ORT and the tfjs interpreter agree on a U-Net, before and after an update written back to ONNX', async (t) => {
  const model = unet();
  const bytes = writeOnnx(model);
  const input = randomArray(N * H * W, 5, 2);
  const net = new TrainableOnnx(readOnnx(bytes));
  const before = relativeMaxDiff(tfjsNchw(net, input, N, H, W), await ortRun(bytes, input, N, H, W));
  t.log(`before: max |Δlogit| / max |logit| = ${before.toExponential(2)}`);
  t.true(before <= 1e-4);

  await fineTune(net, toySet(6, 1), CLASSES, recipe({ learningRate: 1e-2, epochs: 2, batchSize: 3 }));
  const updated = net.toBytes();
  t.notDeepEqual(updated, bytes, 'weights changed');
  const ortAfter = await ortRun(updated, input, N, H, W);
  t.true(relativeMaxDiff(ortAfter, await ortRun(bytes, input, N, H, W)) > 1e-2, 'the update changes the logits');
  const after = relativeMaxDiff(tfjsNchw(net, input, N, H, W), ortAfter);
  t.log(`after: ${after.toExponential(2)}`);
  t.true(after <= 1e-4);
  // Re-importing the written model gives the same network.
  const again = new TrainableOnnx(readOnnx(updated));
  t.true(relativeMaxDiff(tfjsNchw(again, input, N, H, W), ortAfter) <= 1e-4);
  // Only initializer values changed: same graph, same names.
  t.deepEqual(readOnnx(updated).graph!.node, readOnnx(bytes).graph!.node);
  net.dispose();
  again.dispose();
});

test('parity on every other supported form (strided conv, Resize, Add/Mul broadcast, Sigmoid, Softmax)', async (t) => {
  const bytes = writeOnnx(kitchenSinkModel(16));
  const input = randomArray(N * 16 * 16, 7, 2);
  const net = new TrainableOnnx(readOnnx(bytes));
  const d = relativeMaxDiff(tfjsNchw(net, input, N, 16, 16), await ortRun(bytes, input, N, 16, 16));
  t.log(`kitchen sink: ${d.toExponential(2)}`);
  t.true(d <= 1e-4);
  net.dispose();
});

/** Gradients of the Dice+CE loss by initializer name. */
function gradients(net: TrainableOnnx, set: ReturnType<typeof toySet>, classes: number): Map<string, Float32Array> {
  const { grads } = batchGradients(net, set, classes, recipe(), 1);
  const out = new Map<string, Float32Array>();
  for (const [k, v] of Object.entries(grads)) {
    out.set(k, v.dataSync() as Float32Array);
    v.dispose();
  }
  return out;
}

for (const [name, build, classes, size] of [
  ['U-Net', unet, CLASSES, H],
  ['kitchen-sink model (stride-2 conv, resize)', () => kitchenSinkModel(16), 3, 16],
] as const) {
  test.serial(`custom gradients on wasm match tfjs's stock gradients on the cpu backend: ${name}`, async (t) => {
    const bytes = writeOnnx(build());
    const set = { ...toySet(3, 2), height: size, width: size };
    set.images = set.images.subarray(0, 3 * size * size);
    set.masks = Uint8Array.from(set.masks.subarray(0, 3 * size * size), (v) => Math.min(classes - 1, v));
    const fast = new TrainableOnnx(readOnnx(bytes));
    const ours = gradients(fast, set, classes);
    fast.dispose();
    await initTf('cpu');
    try {
      const stock = new TrainableOnnx(readOnnx(bytes), { gradients: 'stock' });
      const reference = gradients(stock, set, classes);
      stock.dispose();
      let worst = 0;
      for (const [k, ref] of reference) worst = Math.max(worst, relativeMaxDiff(ours.get(k)!, ref));
      t.log(`worst relative gradient error over ${reference.size} initializers: ${worst.toExponential(2)}`);
      t.true(worst <= 2e-3);
    } finally {
      await initTf('wasm');
    }
    t.is(tf.getBackend(), 'wasm');
  });
}
