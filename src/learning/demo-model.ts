import type { ModelCard } from '../inference/model-card.js';
import { tinyUNet } from '../inference/onnx/test-models.js';
import type { OnnxModel } from '../inference/onnx/onnx-types.js';
import { legLabels } from '../phantom/leg-labels.js';

/**
 * The demo model (issue 6 item 7): a small 2D U-Net declared here, trained by this project's own
 * trainer on synthetic leg phantoms (train-demo.ts), shipped as models/leg-demo. 128×128 at 1.0 mm
 * (Dafne resamples to 1.037 mm) covers a single calf (≈ 105 mm across) with margin and keeps
 * inference and fine-tuning cheap; base 8 filters over 4 levels gives context of the whole section.
 */
export const DEMO_MODEL_ID = 'leg-demo';
export const DEMO_SIZE: [number, number] = [128, 128];
export const DEMO_SPACING: [number, number] = [1.0, 1.0];
export const DEMO_ARCH = { base: 8, depth: 4 } as const;

/**
 * Normal samples (Box–Muller, one per pair of draws) times `std`, seeded: the sampler the demo model
 * and the federation experiment's root were initialised with, kept so their runs reproduce.
 */
function normals(rand: () => number, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()) * std;
  return out;
}

/**
 * The U-Net: per level two [Conv 3×3 → BatchNorm → Relu], MaxPool down, ConvTranspose 2×2 up,
 * Concat with the skip; He-initialised, seeded. One change from the plain U-Net (src/inference/onnx/
 * test-models.ts tinyUNet), found training the first demo model: its 1×1 head read only the last
 * block's 8 ReLU channels, which were almost silent over the gastrocnemius medialis (mean ≤ 0.06 in
 * seven channels there, 3–9 elsewhere), so its logits stayed near the biases, the ReLUs passed almost
 * no gradient from those pixels, and the class stayed background (held-out Dice 0). Here the head
 * also reads the linear (pre-ReLU) output of the last ConvTranspose, which cannot be "dead": every
 * pixel keeps a gradient path into the decoder.
 */
export function demoNetwork(seed = 1): OnnxModel {
  const { base, depth } = DEMO_ARCH;
  return tinyUNet({
    classes: legLabels('muscles').length + 1, base, depth, seed, size: DEMO_SIZE, headReadsUpsampled: true, normals,
    graph: { name: 'leg-demo-unet', docString: `leg-demo U-Net: base ${base}, depth ${depth}, head on [last block, up0], seed ${seed}` },
  });
}

/**
 * Coarsest source sampling inside the axial plane the demo model is given (mm): measured in
 * docs/segmentation.md ("Any acquisition plane"), Dice of reformatted coronal / sagittal series
 * against their slice spacing.
 */
export const DEMO_MAX_THROUGH_PLANE = 3;

/**
 * The demo model's reference data: its own generator (src/phantom/leg-phantom.ts) on seeds that
 * train:demo never used (training 100–147, held-out 9001–9006). 24 phantoms × 14 slices to rehearse
 * and 24 to check. The check's size is its precision: one candidate's change of per-series Dice
 * has sd ≈ 0.014 over phantoms (experiments/site-learning/forgetting-probe.ts), so the mean of 12
 * is known to ±0.004 — near the gate's ε 0.005 — and of 24 to ±0.003 (6 let a loss on one contrast
 * through). The rehearsal measured in docs/learning.md ("Learning the site's own data") kept the
 * original style within 0.01 with 24 phantoms and lost 0.04 with 6.
 */
export const DEMO_REFERENCE = { generator: 'leg-phantom', contrasts: ['T1', 'T2', 'PD'], rehearsal: [8101, 24], check: [9101, 24] } as const satisfies NonNullable<ModelCard['reference']>;

/** The card of the demo model (labels 1–6: the phantom's muscles with their codes). */
export function demoCard(extra: Partial<Pick<ModelCard, 'training' | 'validation' | 'description'>> = {}): ModelCard {
  return {
    schema: 'dafne-model-card/1',
    id: DEMO_MODEL_ID,
    name: 'Lower leg muscles (demo, synthetic phantoms)',
    description: extra.description ?? 'Six lower-leg muscles on axial MR slices. Trained only on synthetic phantoms: a demonstration model, not for clinical use.',
    generation: 0,
    parentHash: null,
    input: {
      kind: '2d-slices', plane: 'axial', maxThroughPlaneSpacing: DEMO_MAX_THROUGH_PLANE, size: DEMO_SIZE, pixelSpacing: DEMO_SPACING,
      normalization: { method: 'zscore', scope: 'volume' },
      inputName: 'image', outputName: 'logits', output: 'logits', batchSize: 8,
    },
    labels: legLabels('muscles').map((l) => ({ value: l.value, name: l.name, category: { ...l.category }, type: { ...l.type }, color: l.color })),
    postprocessing: { largestComponent: true, fillHoles: false },
    laterality: { split: false },
    training: extra.training ?? { origin: 'built-in', software: 'dafne-node' },
    reference: DEMO_REFERENCE,
    ...(extra.validation ? { validation: extra.validation } : {}),
  };
}
