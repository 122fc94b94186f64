import type { ModelCard } from '../inference/model-card.js';
import { floatAttr } from '../inference/onnx/attributes.js';
import { GraphBuilder } from '../inference/onnx/builder.js';
import { seededRandom } from '../inference/onnx/test-models.js';
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

/** Normal samples (Box–Muller) times `std`, seeded. */
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
  const classes = legLabels('muscles').length + 1;
  const { base, depth } = DEMO_ARCH;
  const rand = seededRandom(seed);
  const [h, w] = DEMO_SIZE;
  const b = new GraphBuilder('leg-demo-unet');
  let x = b.input('image', ['N', 1, h, w]);
  const conv3 = (input: string, cin: number, cout: number, name: string): string => {
    const wt = b.initializer(`${name}.weight`, [cout, cin, 3, 3], normals(rand, cout * cin * 9, Math.sqrt(2 / (cin * 9))));
    const y = b.node('Conv', [input, wt], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }, { name });
    const vec = (v: number) => new Float32Array(cout).fill(v);
    const bn = [b.initializer(`${name}.bn.scale`, [cout], vec(1)), b.initializer(`${name}.bn.bias`, [cout], vec(0)), b.initializer(`${name}.bn.mean`, [cout], vec(0)), b.initializer(`${name}.bn.var`, [cout], vec(1))];
    const n = b.node('BatchNormalization', [y, ...bn], { epsilon: floatAttr(1e-5), momentum: floatAttr(0.9) }, { name: `${name}.bn` });
    return b.node('Relu', [n], {}, { name: `${name}.relu` });
  };
  const block = (input: string, cin: number, cout: number, name: string) => conv3(conv3(input, cin, cout, `${name}.conv1`), cout, cout, `${name}.conv2`);
  const skips: { value: string; channels: number }[] = [];
  let channels = 1;
  for (let level = 0; level < depth; level++) {
    const c = base * 2 ** level;
    x = block(x, channels, c, `down${level}`);
    skips.push({ value: x, channels: c });
    x = b.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, { name: `down${level}.pool` });
    channels = c;
  }
  x = block(x, channels, base * 2 ** depth, 'bottom');
  channels = base * 2 ** depth;
  let up0 = '';
  for (let level = depth - 1; level >= 0; level--) {
    const { value: skip, channels: c } = skips[level]!;
    const wt = b.initializer(`up${level}.weight`, [channels, c, 2, 2], normals(rand, channels * c * 4, Math.sqrt(2 / channels)));
    const upsampled = b.node('ConvTranspose', [x, wt, b.initializer(`up${level}.bias`, [c], new Float32Array(c))], { kernel_shape: [2, 2], strides: [2, 2] }, { name: `up${level}` });
    if (level === 0) up0 = upsampled;
    x = block(b.node('Concat', [upsampled, skip], { axis: 1 }, { name: `up${level}.concat` }), 2 * c, c, `up${level}`);
    channels = c;
  }
  const headIn = b.node('Concat', [x, up0], { axis: 1 }, { name: 'head.concat' });
  const wOut = b.initializer('head.weight', [classes, 2 * channels, 1, 1], normals(rand, classes * 2 * channels, Math.sqrt(1 / (2 * channels))));
  b.node('Conv', [headIn, wOut, b.initializer('head.bias', [classes], new Float32Array(classes))], { kernel_shape: [1, 1], pads: [0, 0, 0, 0], strides: [1, 1] }, { name: 'head', outputs: ['logits'] });
  b.output('logits', ['N', classes, h, w]);
  return b.build({ docString: `leg-demo U-Net: base ${base}, depth ${depth}, head on [last block, up0], seed ${seed}` });
}

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
      kind: '2d-slices', size: DEMO_SIZE, pixelSpacing: DEMO_SPACING,
      normalization: { method: 'zscore', scope: 'volume' },
      inputName: 'image', outputName: 'logits', output: 'logits', batchSize: 8,
    },
    labels: legLabels('muscles').map((l) => ({ value: l.value, name: l.name, category: { ...l.category }, type: { ...l.type }, color: l.color })),
    postprocessing: { largestComponent: true, fillHoles: false },
    laterality: { split: false },
    training: extra.training ?? { origin: 'built-in', software: 'dafne-node' },
    ...(extra.validation ? { validation: extra.validation } : {}),
  };
}
