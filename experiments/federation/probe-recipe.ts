/** Probe (not part of the run): one round of each site's fine-tune on the simulation root, local gate and the alone-change on the central set. */
import { evaluateDice } from '../../src/learning/evaluate.js';
import { runGate } from '../../src/learning/gate.js';
import { fineTuneCandidate } from '../../src/learning/learning-cycle.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { recipe } from '../../src/learning/recipe.js';
import { loadModelPackage } from '../../src/inference/model-package.js';
import { CENTRAL_VALIDATION, SITES } from './sites.js';

const active = await loadModelPackage(process.argv[2]!);
const { onnx, card } = active;
const labels = card.labels.length;
const lr = Number(process.env.P_LR ?? 1e-3), l2 = Number(process.env.P_L2 ?? 30), epochs = Number(process.env.P_EP ?? 2);
const central = phantomSet(card, { seeds: CENTRAL_VALIDATION.seeds, contrasts: CENTRAL_VALIDATION.contrasts, slices: 6 });
const c0 = (await evaluateDice(onnx, central, labels)).mean;
for (const spec of SITES.filter((s) => !process.env.P_SITE || s.name === process.env.P_SITE)) {
  const setOpts = { contrasts: [spec.contrast], anatomyVariation: spec.anatomyVariation };
  const heldOut = phantomSet(card, { ...setOpts, seeds: [0, 1, 2].map((i) => spec.seedBase + i), slices: 8 });
  const corrections = phantomSet(card, { ...setOpts, contrasts: [spec.contrast, ...(spec.alsoScans ?? [])], seeds: [spec.seedBase + 110, spec.seedBase + 111], slices: 6 });
  const cand = await fineTuneCandidate(active, corrections, recipe({ seed: 1, epochs, learningRate: lr, l2Pull: l2 }));
  const gate = await runGate(onnx, cand.onnx, { heldOut, corrections }, labels);
  const c1 = (await evaluateDice(cand.onnx, central, labels)).mean;
  console.log(`${spec.name} lr ${lr} l2 ${l2} ep ${epochs}: heldOut ${gate.active.heldOut?.toFixed(3)}→${gate.candidate.heldOut?.toFixed(3)} corr ${gate.active.corrections?.toFixed(3)}→${gate.candidate.corrections?.toFixed(3)} ${gate.accepted ? 'ACCEPT' : 'reject'}; central ${c0.toFixed(4)}→${c1.toFixed(4)}`);
}
process.exit(0);
