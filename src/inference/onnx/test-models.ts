import { floatAttr } from './attributes.js';
import { GraphBuilder, type DimSpec } from './builder.js';
import type { OnnxModel } from './onnx-types.js';
import { mulberry32 } from '../../random.js';

/**
 * Models built in code for tests and demos (no binary files in the repository). Both use only the
 * operators and attribute forms in SUPPORTED_OPS, so the learning engine can run and train them.
 */

export interface ThresholdModelOptions {
  /** Strictly ascending thresholds t1 < t2 < ... < tK (K ≥ 1), compared as float32. */
  thresholds: readonly number[];
  /** Fixed [H, W]; default symbolic 'H', 'W'. */
  size?: readonly [number, number];
}

/**
 * A segmentation "model" whose answer is known exactly: for every voxel value x of input `image`
 * (float32 [N,1,H,W]), the arg-max over the K+1 channels of output `logits` (float32 [N,K+1,H,W]) is
 *
 *     label(x) = #{ k : x >= fround(t_k) }      i.e. label k ⇔ t_k <= x < t_(k+1)
 *
 * with label 0 for x < t1 and label K for x >= tK. At equality (x === fround(t_k)) the voxel gets the
 * upper label k. This holds for every finite float32 x, also the float just below a threshold, and
 * for ±Infinity (label K for +∞, 0 for −∞); NaN gives no defined label. (A runtime that flushes
 * subnormals to zero treats a subnormal x as 0.)
 *
 * How it stays exact (each step is an ONNX operator the learning engine supports):
 *  1. Conv 1×1, weight −1, bias t_k → e_k = fl(t_k − x). Rounding is monotone and 0 is exact, so
 *     e_k > 0 ⇔ x < t_k and e_k = 0 ⇔ x = t_k exactly (IEEE 754; no fused rounding can change a sign).
 *  2. Relu → r_k = max(e_k, 0): zero exactly when x >= t_k, positive otherwise.
 *  3. Mul 2^64, Relu, Mul 2^64, Relu, Mul −2^64 → z_k = −2^192·r_k: −0 when x >= t_k, at most
 *     −2^43 otherwise (the smallest positive r_k is 2^−149), possibly −∞ (overflow is harmless: no
 *     0·∞ can occur). The factors are separate nodes with Relu between them so no optimiser folds
 *     them into one overflowing constant.
 *  4. Sigmoid → σ_k = 0.5 exactly when x >= t_k, ≈ 0 (< 2e-8 in ORT, which clamps at −18) otherwise.
 *  5. Conv 1×1 (K → K+1 channels), logit_c = 4·Σ_{k ≤ c} σ_k − c. With L = label(x) and sorted
 *     thresholds this is exactly min(c, 2L − c) + O(K·1e-7): c for c ≤ L, 2L − c above, so the
 *     arg-max is L with a margin of 1, and logit_L = L.
 */
export function thresholdModel(options: ThresholdModelOptions): OnnxModel {
  const t = options.thresholds.map(Math.fround);
  const k = t.length;
  if (k < 1) throw new RangeError('thresholdModel: at least one threshold');
  for (let i = 0; i < k; i++) {
    if (!Number.isFinite(t[i]!)) throw new RangeError(`thresholdModel: threshold ${i} is not a finite float32`);
    if (i > 0 && !(t[i]! > t[i - 1]!)) throw new RangeError('thresholdModel: thresholds must be strictly ascending (as float32)');
  }
  const [h, w]: DimSpec[] = options.size ? [...options.size] : ['H', 'W'];
  const b = new GraphBuilder('threshold');
  const image = b.input('image', ['N', 1, h, w]);
  const conv = { kernel_shape: [1, 1], pads: [0, 0, 0, 0], strides: [1, 1] };

  const wDiff = b.initializer('diff.weight', [k, 1, 1, 1], new Float32Array(k).fill(-1));
  const bDiff = b.initializer('diff.bias', [k], t);
  const below = b.node('Relu', [b.node('Conv', [image, wDiff, bDiff], conv, { name: 'diff' })], {}, { name: 'below' });

  const up = b.initializer('gain.up', [], [2 ** 64]);
  const down = b.initializer('gain.neg', [], [-(2 ** 64)]);
  const g1 = b.node('Relu', [b.node('Mul', [below, up], {}, { name: 'gain1' })]);
  const g2 = b.node('Relu', [b.node('Mul', [g1, up], {}, { name: 'gain2' })]);
  const z = b.node('Mul', [g2, down], {}, { name: 'gain3' });
  const step = b.node('Sigmoid', [z], {}, { name: 'step' });

  const weights = new Float32Array((k + 1) * k);
  for (let c = 0; c <= k; c++) for (let j = 0; j < c; j++) weights[c * k + j] = 4;
  const wOut = b.initializer('logits.weight', [k + 1, k, 1, 1], weights);
  const bOut = b.initializer('logits.bias', [k + 1], Array.from({ length: k + 1 }, (_, c) => -c));
  b.node('Conv', [step, wOut, bOut], conv, { name: 'logits', outputs: ['logits'] });
  b.output('logits', ['N', k + 1, h, w]);
  return b.build({ docString: `threshold model: label = #{k : x >= t_k}, t = [${t.join(', ')}]`, metadata: { 'dafne.test-model': 'threshold' } });
}

/** The label thresholdModel assigns to x (the reference the tests compare ORT against). */
export function thresholdLabel(x: number, thresholds: readonly number[]): number {
  const xf = Math.fround(x);
  return thresholds.reduce((n, t) => n + (xf >= Math.fround(t) ? 1 : 0), 0);
}

export const seededRandom = mulberry32;

/** Normal samples (Box–Muller) times `std`. */
function pairedNormals(rand: () => number, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand())) * std;
    const phi = 2 * Math.PI * rand();
    out[i] = r * Math.cos(phi);
    if (i + 1 < count) out[i + 1] = r * Math.sin(phi);
  }
  return out;
}

export interface TinyUNetOptions {
  inChannels?: number;
  /** Output channels including background (= card labels.length + 1). */
  classes: number;
  /** Filters of the first level; level i has base·2^i. */
  base?: number;
  /** Number of 2× down-samplings; H and W must be multiples of 2^depth. */
  depth?: number;
  seed?: number;
  /** Fixed [H, W]; default symbolic 'H', 'W'. */
  size?: readonly [number, number];
  /**
   * 'identity': BatchNorm as freshly initialised (γ 1, β 0, mean 0, var 1); 'random': seeded running
   * statistics and affine parameters, so BatchNorm is not a no-op when runtimes are compared.
   */
  batchNorm?: 'identity' | 'random';
  /**
   * The 1×1 head also reads the linear (pre-Relu) output of the last ConvTranspose, so no pixel can
   * lose its gradient path to "dead" Relus (why: src/learning/demo-model.ts).
   */
  headReadsUpsampled?: boolean;
  /** Seeded normal samples for the He initialisation; default Box–Muller using both outputs of a pair. */
  normals?: (rand: () => number, count: number, std: number) => Float32Array;
  /** Graph name and doc string of a model that is not a test model (no `dafne.test-model` metadata). */
  graph?: { name: string; docString: string };
}

/**
 * A small 2D U-Net with He-initialised (seeded) weights:
 * per level two [Conv 3×3 pad 1 (no bias) → BatchNormalization → Relu], MaxPool 2×2 stride 2 down,
 * ConvTranspose 2×2 stride 2 (with bias) up, Concat [up, skip] on channels, final Conv 1×1 (with
 * bias) to `classes` logits. Input `image` [N, inChannels, H, W], output `logits` [N, classes, H, W].
 */
export function tinyUNet(options: TinyUNetOptions): OnnxModel {
  const { classes, inChannels = 1, base = 8, depth = 2, seed = 1, batchNorm = 'identity', normals = pairedNormals } = options;
  if (classes < 1 || inChannels < 1 || base < 1 || depth < 0) throw new RangeError('tinyUNet: bad options');
  const rand = seededRandom(seed);
  const [h, w]: DimSpec[] = options.size ? [...options.size] : ['H', 'W'];
  const b = new GraphBuilder(options.graph?.name ?? 'tiny-unet');
  let x = b.input('image', ['N', inChannels, h, w]);

  // He (Kaiming) normal: std = sqrt(2 / fan_in) keeps activation variance through Relu layers.
  const conv3 = (input: string, cin: number, cout: number, name: string): string => {
    const wt = b.initializer(`${name}.weight`, [cout, cin, 3, 3], normals(rand, cout * cin * 9, Math.sqrt(2 / (cin * 9))));
    const y = b.node('Conv', [input, wt], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }, { name });
    const random = batchNorm === 'random';
    const vec = (f: () => number) => Float32Array.from({ length: cout }, f);
    const bn = [
      b.initializer(`${name}.bn.scale`, [cout], vec(() => (random ? 0.8 + 0.4 * rand() : 1))),
      b.initializer(`${name}.bn.bias`, [cout], vec(() => (random ? 0.2 * rand() - 0.1 : 0))),
      b.initializer(`${name}.bn.mean`, [cout], vec(() => (random ? 0.2 * rand() - 0.1 : 0))),
      b.initializer(`${name}.bn.var`, [cout], vec(() => (random ? 0.5 + rand() : 1))),
    ];
    const n = b.node('BatchNormalization', [y, ...bn], { epsilon: floatAttr(1e-5), momentum: floatAttr(0.9) }, { name: `${name}.bn` });
    return b.node('Relu', [n], {}, { name: `${name}.relu` });
  };
  const block = (input: string, cin: number, cout: number, name: string) => conv3(conv3(input, cin, cout, `${name}.conv1`), cout, cout, `${name}.conv2`);

  const skips: { value: string; channels: number }[] = [];
  let channels = inChannels;
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
    // Each output pixel of a 2×2 stride-2 transposed conv sees exactly one input pixel per input
    // channel, so fan_in is the input channel count.
    const wt = b.initializer(`up${level}.weight`, [channels, c, 2, 2], normals(rand, channels * c * 4, Math.sqrt(2 / channels)));
    const bias = b.initializer(`up${level}.bias`, [c], new Float32Array(c));
    const upsampled = b.node('ConvTranspose', [x, wt, bias], { kernel_shape: [2, 2], strides: [2, 2] }, { name: `up${level}` });
    if (level === 0) up0 = upsampled;
    const cat = b.node('Concat', [upsampled, skip], { axis: 1 }, { name: `up${level}.concat` });
    x = block(cat, 2 * c, c, `up${level}`);
    channels = c;
  }
  const headIn = options.headReadsUpsampled && up0 ? b.node('Concat', [x, up0], { axis: 1 }, { name: 'head.concat' }) : x;
  const headChannels = headIn === x ? channels : 2 * channels;
  const wOut = b.initializer('head.weight', [classes, headChannels, 1, 1], normals(rand, classes * headChannels, Math.sqrt(1 / headChannels)));
  const bOut = b.initializer('head.bias', [classes], new Float32Array(classes));
  b.node('Conv', [headIn, wOut, bOut], { kernel_shape: [1, 1], pads: [0, 0, 0, 0], strides: [1, 1] }, { name: 'head', outputs: ['logits'] });
  b.output('logits', ['N', classes, h, w]);
  if (options.graph) return b.build({ docString: options.graph.docString });
  return b.build({ docString: `tiny U-Net: base ${base}, depth ${depth}, seed ${seed}`, metadata: { 'dafne.test-model': 'tiny-unet' } });
}
