import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelCard } from '../inference/model-card.js';
import { readOnnx, setFloat32Initializer, writeOnnx } from '../inference/onnx/onnx-io.js';
import { seededRandom } from '../inference/onnx/test-models.js';
import { evaluateDice } from '../learning/evaluate.js';
import { phantomSet } from '../learning/phantom-data.js';
import { recipe } from '../learning/recipe.js';
import { initTf } from '../learning/tf-backend.js';
import { TrainableOnnx } from '../learning/trainable-onnx.js';
import { fineTune } from '../learning/trainer.js';
import { applyDelta, makeDelta, readDelta, type DeltaManifest } from './delta.js';
import { floatInitializers } from './delta-tensors.js';
import { generateKeyPair, publicKeyPemOf } from './signing.js';

/**
 * Measures delta encodings (docs/federation.md "Deltas"): file size against the full model and the
 * float32 delta, and the mean Dice the decoded model loses against the exact update, on two updates
 * of the demo model:
 *  - "fine-tune": the real trainer, a few epochs on phantoms of one contrast (a site's night);
 *  - "recovery": a large update (a noisy root pulled half-way back to the trained weights), where
 *    lossy coding has the most to lose.
 * Run: npx tsc -p tsconfig.json && node dist/src/federation/delta-measure.js
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes('/dist/') ? '../../..' : '../..');

type Enc = { encoding: DeltaManifest['encoding']; keepFraction?: number };
const ENCODINGS: Enc[] = [
  { encoding: 'float32-zlib' },
  { encoding: 'float16-zlib' },
  { encoding: 'sparse-float16-zlib', keepFraction: 0.3 },
  { encoding: 'sparse-float16-zlib', keepFraction: 0.1 },
  { encoding: 'sparse-float16-zlib', keepFraction: 0.03 },
  { encoding: 'sparse-float16-zlib', keepFraction: 0.01 },
];

async function main(): Promise<void> {
  const dir = path.join(REPO, 'models/leg-demo');
  const demo = readFileSync(path.join(dir, 'model.onnx'));
  const card = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelCard;
  const labels = card.labels.length;
  const heldOut = phantomSet(card, { seeds: [9101, 9102, 9103], contrasts: ['T1', 'T2', 'PD'], slices: 6 });
  const key = createPrivateKey(generateKeyPair().privateKeyPem);
  const publicKeyPem = publicKeyPemOf(key);

  await initTf('wasm');
  const net = new TrainableOnnx(readOnnx(demo));
  // A site's night: new phantoms (other seeds: anatomy, noise, bias field) of the usual contrasts.
  const train = phantomSet(card, { seeds: [501, 502, 503], contrasts: ['T1', 'T2', 'PD'], slices: 4 });
  const t0 = performance.now();
  await fineTune(net, train, labels + 1, recipe({ epochs: 2, batchSize: 4 }));
  const fineTuned = net.toBytes();
  net.dispose();
  process.stderr.write(`fine-tune: ${train.count} slices, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  const r = seededRandom(11);
  const noisy = readOnnx(demo);
  for (const t of floatInitializers(noisy)) if (!/\.bn\.(mean|var)$/.test(t.name)) setFloat32Initializer(noisy, t.name, t.data.map((w) => w * (1 + 0.3 * (r() * 2 - 1))));
  const root = writeOnnx(noisy);
  const half = readOnnx(root);
  const target = new Map(floatInitializers(readOnnx(demo)).map((t) => [t.name, t.data]));
  for (const t of floatInitializers(half)) if (!/\.bn\.(mean|var)$/.test(t.name)) setFloat32Initializer(half, t.name, t.data.map((w, i) => w + 0.5 * (target.get(t.name)![i]! - w)));
  const recovered = writeOnnx(half);

  const rows: Record<string, unknown>[] = [];
  for (const [update, base, updated] of [['fine-tune', demo, fineTuned], ['recovery', root, recovered]] as const) {
    const exact = (await evaluateDice(updated, heldOut, labels)).mean;
    const before = (await evaluateDice(base, heldOut, labels)).mean;
    let f32 = 0;
    for (const e of ENCODINGS) {
      const file = makeDelta(base, updated, { modelId: 'leg-demo', siteId: 'm', trainingSlices: 1, trainingSeries: 1, localGate: { heldOut: null, benchmark: null, corrections: null }, software: 'measure', ...e }, key);
      if (e.encoding === 'float32-zlib') f32 = file.length;
      const decoded = applyDelta(base, readDelta(file, publicKeyPem).tensors);
      const dice = (await evaluateDice(decoded, heldOut, labels)).mean;
      rows.push({ update, encoding: e.encoding + (e.keepFraction ? ` keep ${e.keepFraction}` : ''), bytes: file.length, ofModel: file.length / demo.length, ofFloat32Delta: file.length / f32, diceBase: before, diceExact: exact, dice, diceLost: exact - dice, updateGain: exact - before });
    }
  }
  process.stdout.write(JSON.stringify({ modelBytes: demo.length, heldOutSlices: heldOut.count, rows }, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
