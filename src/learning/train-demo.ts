import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateModelPackage } from '../inference/model-package.js';
import { readOnnx, writeOnnx } from '../inference/onnx/onnx-io.js';
import { legLabels } from '../phantom/leg-labels.js';
import { DEMO_ARCH, demoCard, demoNetwork } from './demo-model.js';
import { evaluateDice, type DiceScores } from './evaluate.js';
import { phantomSet } from './phantom-data.js';
import { recipe } from './recipe.js';
import { initTf } from './tf-backend.js';
import { TrainableOnnx } from './trainable-onnx.js';
import { fineTune } from './trainer.js';

/**
 * `npm run train:demo`: trains the demo model from scratch on synthetic leg phantoms with this
 * project's own trainer and writes models/leg-demo/{model.onnx, model.json, training-report.md}.
 * Seeded end to end; the time budget (minutes, argument 1, default 25) only cuts the run short.
 */
const CONTRASTS = ['T1', 'T2', 'PD'] as const;
const TRAIN_SEEDS = Array.from({ length: 48 }, (_, i) => 100 + i);
const HELD_OUT_SEEDS = [9001, 9002, 9003, 9004, 9005, 9006];

async function main(): Promise<void> {
  const budgetMin = Number(process.argv[2] ?? 25);
  const epochs = Number(process.argv[3] ?? 6);
  const outDir = path.resolve(process.argv[4] ?? 'models/leg-demo');
  await initTf('wasm');
  const card = demoCard();
  const classes = card.labels.length + 1;
  const t0 = performance.now();
  const train = phantomSet(card, { seeds: TRAIN_SEEDS, contrasts: CONTRASTS });
  const heldOut = CONTRASTS.map((c) => ({ contrast: c, set: phantomSet(card, { seeds: HELD_OUT_SEEDS, contrasts: [c] }) }));
  console.log(`data: ${train.count} training slices, ${heldOut.reduce((a, h) => a + h.set.count, 0)} held-out slices (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

  // Optional argument 4: continue from an earlier model.onnx instead of the seeded initial weights.
  const init = process.argv[5];
  const net = new TrainableOnnx(demoNetwork(1));
  if (init) console.log(`warm start from ${init}: ${warmStart(net, new TrainableOnnx(readOnnx(await readFile(init))))}`);
  const r = recipe({ learningRate: init ? 1e-3 : 3e-3, epochs, batchSize: 8, trainBatchNorm: true, augment: true, schedule: 'cosine', classBalance: 0.5, seed: 1 });
  const start = performance.now();
  const result = await fineTune(net, train, classes, r, {
    deadline: start + budgetMin * 60_000,
    onProgress: (p) => {
      if (p.step % 10 === 0) {
        const s = (performance.now() - start) / 1000;
        console.log(`epoch ${p.epoch + 1} step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} ${s.toFixed(0)} s (${((p.step * r.batchSize) / s).toFixed(2)} slices/s)`);
      }
    },
  });
  const onnx = writeOnnx(net.toOnnx());
  const scores: { contrast: string; dice: DiceScores }[] = [];
  for (const h of heldOut) scores.push({ contrast: h.contrast, dice: await evaluateDice(onnx, h.set, classes - 1) });
  const all = scores.flatMap((s) => s.dice.perLabel);
  const perLabel = card.labels.map((_, i) => scores.reduce((a, s) => a + s.dice.perLabel[i]!, 0) / scores.length);
  const mean = perLabel.reduce((a, b) => a + b, 0) / perLabel.length;
  console.log(`held-out mean Dice ${mean.toFixed(4)} (${all.length} label scores)`);

  const finalCard = demoCard({
    training: {
      origin: 'built-in', software: 'dafne-node train:demo', date: new Date().toISOString().slice(0, 10),
      dataset: `synthetic leg phantoms (src/phantom), seeds ${TRAIN_SEEDS[0]}–${TRAIN_SEEDS.at(-1)}, contrasts ${CONTRASTS.join('/')}`,
      slices: train.count, series: TRAIN_SEEDS.length,
      notes: `${init ? 'warm start from an earlier demo model, ' : ''}Adam lr ${r.learningRate} cosine, batch ${r.batchSize}, ${result.steps} steps, Dice + class-weighted CE (classBalance ${r.classBalance}), BatchNorm trained, intensity augmentation; held-out mean Dice ${mean.toFixed(3)}`,
    },
    validation: Object.fromEntries([['heldOutMeanDice', Number(mean.toFixed(4))], ...card.labels.map((l, i) => [`dice.${l.name}`, Number(perLabel[i]!.toFixed(4))])]),
  });
  validateModelPackage(onnx, finalCard); // refuse to write a package the node would not load
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'model.onnx'), onnx);
  await writeFile(path.join(outDir, 'model.json'), JSON.stringify(finalCard, null, 2) + '\n');
  await writeFile(path.join(outDir, 'training-report.md'), report(finalCard.training.notes!, scores, perLabel, mean, result, train.count, onnx.length));
  console.log(`wrote ${outDir} (${(onnx.length / 1e6).toFixed(2)} MB) in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
  net.dispose();
}

/**
 * Copies the weights of an earlier demo model into `net`: every initializer of the same name and
 * shape; a head with fewer input channels (the first model's, before the head also read up0) goes
 * into the first channels, the new inputs starting at 0 — the same function, and a gradient path.
 */
function warmStart(net: TrainableOnnx, from: TrainableOnnx): string {
  const old = from.weights(true);
  const next = new Map<string, Float32Array>();
  let copied = 0, widened = 0;
  for (const [name, v] of [...net.variables, ...net.state]) {
    const src = old.get(name);
    if (!src) continue;
    if (src.length === v.size) { next.set(name, src); copied++; continue; }
    const [cout, cin] = v.shape as number[];
    const oldIn = src.length / cout!;
    if (name === 'head.weight' && Number.isInteger(oldIn) && oldIn < cin!) {
      const w = new Float32Array(v.size);
      for (let o = 0; o < cout!; o++) w.set(src.subarray(o * oldIn, (o + 1) * oldIn), o * cin!);
      next.set(name, w);
      widened++;
    }
  }
  net.setWeights(next);
  from.dispose();
  return `${copied} initializers copied, ${widened} widened`;
}

function report(notes: string, scores: { contrast: string; dice: DiceScores }[], perLabel: number[], mean: number, result: { steps: number; slicesSeen: number; seconds: number; epochLosses: number[] }, trainSlices: number, bytes: number): string {
  const labels = legLabels('muscles');
  const rows = labels.map((l, i) => `| ${l.value} | ${l.name} (${l.abbreviation}) | ${scores.map((s) => s.dice.perLabel[i]!.toFixed(3)).join(' | ')} | **${perLabel[i]!.toFixed(3)}** |`);
  return [
    '# leg-demo: training report',
    '',
    'Generated by `npm run train:demo` (src/learning/train-demo.ts); seeded, reproducible.',
    '',
    `- Network: 2D U-Net (\`demoNetwork\` in src/learning/demo-model.ts: base ${DEMO_ARCH.base} filters, ${DEMO_ARCH.depth} levels, BatchNorm, ConvTranspose up, 1×1 head on [last block, up0]), ONNX opset 17, ${(bytes / 1e6).toFixed(2)} MB.`,
    '- Input: 128×128 axial slices at 1.0 mm, z-score normalised over the volume (the inference pipeline\'s own preprocessing, src/learning/model-grid.ts).',
    `- Data: ${trainSlices} slices from ${TRAIN_SEEDS.length} synthetic phantoms (T1 / T2 / PD, right legs, random anatomy, source grid 0.66–1.1 mm, noise, bias field, intensity scale).`,
    `- Training: ${notes}; ${result.slicesSeen} slices seen in ${(result.seconds / 60).toFixed(1)} min on the 2-core node (tfjs-wasm, custom gradients).`,
    `- Loss per epoch: ${result.epochLosses.map((l) => l.toFixed(4)).join(', ')}.`,
    '',
    `## Held-out Dice (${HELD_OUT_SEEDS.length} unseen phantoms per contrast, seeds ${HELD_OUT_SEEDS.join(', ')}; pooled per label, onnxruntime)`,
    '',
    `| value | label | ${scores.map((s) => s.contrast).join(' | ')} | mean |`,
    `|---|---|${scores.map(() => '---|').join('')}---|`,
    ...rows,
    `| | **mean** | ${scores.map((s) => s.dice.mean.toFixed(3)).join(' | ')} | **${mean.toFixed(3)}** |`,
    '',
    'Synthetic data only: this model demonstrates the node end to end; it is not for clinical use.',
    '',
  ].join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
