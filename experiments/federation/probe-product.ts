/**
 * Probe (not part of the run): one round of each site with the PRODUCT's learning settings
 * (config/default.yaml learning.recipe + epsilon, the root card's reference data rehearsed and
 * checked as the learning service does), to see whether the shipped recipe learns on the simulation
 * root before a full run is spent on it. `node …/probe-product.js ROOT_DIR [recipe JSON overrides]`.
 */
import { loadConfig } from '../../src/config/load.js';
import { loadModelPackage } from '../../src/inference/model-package.js';
import { evaluateDice } from '../../src/learning/evaluate.js';
import { runGate } from '../../src/learning/gate.js';
import { fineTuneCandidate } from '../../src/learning/learning-cycle.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { recipe, type RecipeInput } from '../../src/learning/recipe.js';
import { referenceSets } from '../../src/learning/reference-data.js';
import { SITES } from './sites.js';

const active = await loadModelPackage(process.argv[2]!);
const { onnx, card } = active;
const labels = card.labels.length;
const cfg = loadConfig({ DAFNE_CONFIG: process.env.DAFNE_CONFIG });
const r = recipe({ ...(cfg.learning.recipe as RecipeInput), ...(JSON.parse(process.argv[3] ?? '{}') as RecipeInput) });
const ref = referenceSets(card, { rehearsal: r.rehearsal > 0, check: true });
const perRound = Number(process.env.P_PHANTOMS ?? 2);
for (const spec of SITES.filter((s) => !process.env.P_SITE || s.name === process.env.P_SITE)) {
  const setOpts = { contrasts: [spec.contrast], anatomyVariation: spec.anatomyVariation };
  const heldOut = phantomSet(card, { ...setOpts, seeds: Array.from({ length: 10 }, (_, i) => spec.seedBase + i), slices: 6 });
  const corrections = phantomSet(card, { ...setOpts, contrasts: [spec.contrast, ...(spec.alsoScans ?? [])], seeds: Array.from({ length: perRound }, (_, i) => spec.seedBase + 110 + i), slices: 6 });
  const t0 = performance.now();
  const cand = await fineTuneCandidate(active, corrections, r, undefined, ref?.rehearsal);
  const s = ((performance.now() - t0) / 1000).toFixed(0);
  const floor = ref?.check ? (await evaluateDice(onnx, ref.check, labels)).mean : undefined;
  const gate = await runGate(onnx, cand.onnx, { heldOut, corrections, ...(ref?.check ? { reference: ref.check } : {}) }, labels, { epsilon: cfg.learning.epsilon, referenceFloor: floor });
  console.log(`${spec.name} lr ${r.learningRate} ep ${r.epochs} reh ${r.rehearsal} (${s} s): ${gate.accepted ? 'ACCEPT' : 'reject'} ${gate.reasons.join('; ')}`);
}
process.exit(0);
