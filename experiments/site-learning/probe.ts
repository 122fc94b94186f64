/**
 * Exploration (not the experiment): which recipe lets corrections of the second phantom style teach
 * the demo model, measured in process on model-grid slices. Prints per-muscle mean Dice.
 */
import { loadModelPackage } from '../../src/inference/model-package.js';
import { evaluateDice } from '../../src/learning/evaluate.js';
import { fineTuneCandidate } from '../../src/learning/learning-cycle.js';
import { labelledSlices } from '../../src/learning/review-data.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { recipe, type RecipeInput } from '../../src/learning/recipe.js';
import { concatSets, type SliceSet } from '../../src/learning/slice-set.js';
import { secondStylePhantom, type SecondStyleContrast } from '../../src/phantom/second-style/index.js';

const arg = (k: string, d: string): string => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const pkg = await loadModelPackage('models/leg-demo');
const card = pkg.card;
const contrasts = arg('contrasts', 'T1').split(',') as SecondStyleContrast[];

function series(seed: number, contrast: SecondStyleContrast): SliceSet {
  const p = secondStylePhantom({ seed, contrast, rows: 256, columns: 256, slices: 24, pixelSpacing: [0.66, 0.66], sliceSpacing: 5 });
  return labelledSlices(p.volume, p.labels, card);
}
const t0 = Date.now();
const nTrain = Number(arg('n', '8'));
const trainSeeds = Array.from({ length: nTrain }, (_, i) => 2000 + Number(arg('base', '0')) + i);
const heldSeeds = [3001, 3002, 3003, 3004];
const train = concatSets(trainSeeds.map((s, i) => series(s, contrasts[i % contrasts.length]!)));
const held = Object.fromEntries(contrasts.map((c) => [c, concatSets(heldSeeds.map((s) => series(s, c)))]));
const orig = phantomSet(card, { seeds: [9101, 9102, 9103], contrasts: ['T1', 'T2', 'PD'] });
const rehearsalSet = phantomSet(card, { seeds: Array.from({ length: Number(arg('rehN', '24')) }, (_, i) => 8101 + i), contrasts: ['T1', 'T2', 'PD'] });
console.log(`data ${train.count} train, held ${Object.values(held).map((h) => h.count)}, orig ${orig.count} (${(Date.now() - t0) / 1000}s)`);
const score = async (onnx: Uint8Array): Promise<string> => {
  const parts: string[] = [];
  for (const [c, s] of Object.entries(held)) parts.push(`${c} ${(await evaluateDice(onnx, s, 6)).mean.toFixed(3)}`);
  parts.push(`orig ${(await evaluateDice(onnx, orig, 6)).mean.toFixed(3)}`);
  return parts.join('  ');
};
console.log(`base: ${await score(pkg.onnx)}`);
const variants: Record<string, RecipeInput> = JSON.parse(arg('variants', '{"dafne":{}}'));
for (const [name, v] of Object.entries(variants)) {
  const t = Date.now();
  const r = recipe(v);
  const cand = await fineTuneCandidate(pkg, train, r, undefined, r.rehearsal > 0 ? rehearsalSet : undefined);
  console.log(`${name}: ${await score(cand.onnx)}  (${((Date.now() - t) / 1000).toFixed(0)} s, ${cand.training.steps} steps)`);
}
