import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateModelPackage } from '../../src/inference/model-package.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { DEMO_REFERENCE, demoCard, demoNetwork } from '../../src/learning/demo-model.js';
import { evaluateDice } from '../../src/learning/evaluate.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { recipe } from '../../src/learning/recipe.js';
import { initTf } from '../../src/learning/tf-backend.js';
import { TrainableOnnx } from '../../src/learning/trainable-onnx.js';
import { fineTune } from '../../src/learning/trainer.js';

/**
 * The simulation's ROOT generation (docs/federation.md "Simulation"): the demo architecture trained
 * briefly from its seeded initial weights by this project's own trainer on T1 phantoms only, so it is
 * a realistic weak first model (Dafne's consortium root started at 0.688 held-out Dice) that has never
 * seen T2, PD or a fat-suppressed contrast. models/leg-demo (fully trained, T1/T2/PD) is not used.
 * Seeded end to end (initial weights, phantom seeds, batch order); no time budget, so the same steps
 * run on a loaded machine. Written as a model package the central CLI registers as generation 0.
 */
export const ROOT_SPEC = {
  seeds: Array.from({ length: Number(process.env.FED_ROOT_PHANTOMS ?? 24) }, (_, i) => 500 + i),
  slicesPerPhantom: 10,
  epochs: Number(process.env.FED_ROOT_EPOCHS ?? 4),
  /** train-demo's from-scratch recipe (cosine from 3e-3, batch 8, BatchNorm trained, augmentation). */
  recipe: { learningRate: 3e-3, epochs: 0, batchSize: 8, trainBatchNorm: true, augment: true, schedule: 'cosine' as const, classBalance: 0.5, seed: 1 },
  /** T1 phantoms never trained on, to record the root's own score. */
  heldOutSeeds: [7001, 7002, 7003],
};

export interface RootInfo {
  dir: string;
  sha256: string;
  steps: number;
  slices: number;
  seconds: number;
  heldOutT1: number;
  spec: typeof ROOT_SPEC;
}

const withReference = (card: ReturnType<typeof demoCard>) => ({ ...card, reference: { ...DEMO_REFERENCE, contrasts: ['T1' as const] } });

export async function trainRoot(dir: string): Promise<RootInfo> {
  const infoFile = path.join(dir, 'root-info.json');
  // Reuse a root this same code already produced in this work dir (FED_WORK): identical seeds, identical weights.
  if (existsSync(infoFile)) {
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as RootInfo;
    if (JSON.stringify(info.spec) === JSON.stringify(ROOT_SPEC)) return info;
  }
  await initTf('wasm');
  const card = demoCard();
  const classes = card.labels.length + 1;
  const train = phantomSet(card, { seeds: ROOT_SPEC.seeds, contrasts: ['T1'], slices: ROOT_SPEC.slicesPerPhantom });
  const net = new TrainableOnnx(demoNetwork(1));
  const t0 = performance.now();
  const result = await fineTune(net, train, classes, recipe({ ...ROOT_SPEC.recipe, epochs: ROOT_SPEC.epochs }));
  const seconds = (performance.now() - t0) / 1000;
  const onnx = writeOnnx(net.toOnnx());
  net.dispose();
  const heldOut = phantomSet(card, { seeds: ROOT_SPEC.heldOutSeeds, contrasts: ['T1'], slices: 8 });
  const heldOutT1 = (await evaluateDice(onnx, heldOut, classes - 1)).mean;
  // The root's reference data is what it was trained on (T1 only): the sites rehearse it and their
  // gates check it, as the learning service does with any card's `reference` (docs/learning.md).
  const rootCard = withReference(demoCard({
    description: 'Federation simulation root: the demo architecture trained briefly on T1 phantoms only (experiments/federation/root.ts).',
    training: {
      origin: 'built-in', software: 'dafne-node experiments/federation/root.ts',
      dataset: `synthetic leg phantoms, seeds ${ROOT_SPEC.seeds[0]}–${ROOT_SPEC.seeds.at(-1)}, T1 only`,
      slices: train.count, series: ROOT_SPEC.seeds.length,
      notes: `from seeded initial weights, ${result.steps} steps (${ROOT_SPEC.epochs} epochs, batch 8, lr 3e-3 cosine); held-out T1 Dice ${heldOutT1.toFixed(3)}`,
    },
    validation: { heldOutMeanDiceT1: Number(heldOutT1.toFixed(4)) },
  }));
  validateModelPackage(onnx, rootCard);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), onnx);
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(rootCard, null, 2) + '\n');
  const info: RootInfo = { dir, sha256: createHash('sha256').update(onnx).digest('hex'), steps: result.steps, slices: train.count, seconds, heldOutT1, spec: ROOT_SPEC };
  writeFileSync(infoFile, JSON.stringify(info, null, 2));
  return info;
}

// `node dist-federation/experiments/federation/root.js DIR`: the root alone (to probe its size).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const info = await trainRoot(path.resolve(process.argv[2] ?? 'fed-root'));
  console.log(JSON.stringify({ ...info, spec: undefined }));
  process.exit(0);
}
