/**
 * Probe (not part of the run): how finely a set of N phantoms reads a Dice CHANGE. One fat-suppressed
 * site round (2 phantoms × 6 slices, own contrast + T1, 2 epochs, lr 5e-5) from the root in DIR, then
 * candidate − root on 24 single phantoms of T1 (variation 0.6) and of the fat-suppressed contrast
 * (0.9): the standard deviation between phantoms / √N is how well N phantoms read the change.
 * `node dist-federation/experiments/federation/probe-noise.js ROOT_DIR`
 */
import { evaluateDice } from '../../src/learning/evaluate.js';
import { fineTuneCandidate } from '../../src/learning/learning-cycle.js';
import { loadModelPackage } from '../../src/inference/model-package.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { recipe } from '../../src/learning/recipe.js';
import type { MrContrast, TissueIntensities } from '../../src/phantom/leg-phantom.js';
import { SITES } from './sites.js';

const active = await loadModelPackage(process.argv[2]!);
const card = active.card, labels = card.labels.length;
const fs = SITES.find((s) => s.name === 'site-fs')!;
const corrections = phantomSet(card, { contrasts: [fs.contrast, 'T1'], anatomyVariation: fs.anatomyVariation, seeds: [fs.seedBase + 110, fs.seedBase + 111], slices: 6 });
const cand = await fineTuneCandidate(active, corrections, recipe({ seed: 1, epochs: 2, learningRate: 5e-5, l2Pull: 0 }));
const cases: [string, MrContrast | TissueIntensities, number][] = [['T1, variation 0.6', 'T1', 0.6], ['fat-suppressed, variation 0.9', fs.contrast, 0.9]];
for (const [name, contrast, anatomyVariation] of cases) {
  const diffs: number[] = [];
  for (let i = 0; i < 24; i++) {
    const set = phantomSet(card, { contrasts: [contrast], anatomyVariation, seeds: [60_000 + i], slices: 8 });
    diffs.push((await evaluateDice(cand.onnx, set, labels)).mean - (await evaluateDice(active.onnx, set, labels)).mean);
  }
  const m = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - m) ** 2, 0) / (diffs.length - 1));
  console.log(`${name}: mean change ${m.toFixed(4)}, sd between phantoms ${sd.toFixed(4)}; ±1 SE with 3 / 10 / 20 / 30 phantoms: ${[3, 10, 20, 30].map((n) => (sd / Math.sqrt(n)).toFixed(4)).join(' / ')}`);
}
process.exit(0);
