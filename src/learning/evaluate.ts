import { OnnxRunner } from '../inference/onnx-runner.js';
import { argmax } from '../inference/resample.js';
import type { SliceSet } from './slice-set.js';

export interface DiceScores {
  /** Dice per label value (1..K), pooled over all pixels of the set; NaN when absent from both. */
  perLabel: number[];
  /** Mean over labels present in truth or prediction. */
  mean: number;
  slices: number;
}

/**
 * Scores a model (ONNX bytes, run by onnxruntime as in production) on slices of the model grid:
 * Dice per label pooled over the whole set (so large and small slices weigh by their pixels, like
 * Dafne's voxel-weighted Dice), then the mean over labels.
 */
export async function evaluateDice(onnx: Uint8Array, set: SliceSet, labels: number, batch = 8): Promise<DiceScores> {
  const runner = await OnnxRunner.create(onnx, { intraOpNumThreads: 2 });
  try {
    const c = await countLabels(runner, set, labels, batch);
    return summarise(c.inter, c.truth, c.pred, labels, set.count);
  } finally {
    await runner.close();
  }
}

/** Pixel counts per label value 0..K over a set: intersection, truth, prediction. */
export interface LabelCounts {
  inter: Float64Array;
  truth: Float64Array;
  pred: Float64Array;
}

/** Zero counts for label values 0..labels. */
export function emptyCounts(labels: number): LabelCounts {
  return { inter: new Float64Array(labels + 1), truth: new Float64Array(labels + 1), pred: new Float64Array(labels + 1) };
}

/**
 * The counts evaluateDice pools, for a caller that combines sets (the central gate scores each
 * contrast's subset and the whole set from one inference pass).
 */
export async function countLabels(runner: OnnxRunner, set: SliceSet, labels: number, batch = 8): Promise<LabelCounts> {
  const plane = set.height * set.width;
  const c = emptyCounts(labels);
  const out = new Uint8Array(plane);
  for (let s = 0; s < set.count; s += batch) {
    const n = Math.min(batch, set.count - s);
    const logits = await runner.run(set.images.subarray(s * plane, (s + n) * plane), n, set.height, set.width);
    for (let b = 0; b < n; b++) {
      argmax(logits, b * (labels + 1) * plane, labels + 1, plane, out);
      const m = set.masks.subarray((s + b) * plane, (s + b + 1) * plane);
      for (let i = 0; i < plane; i++) {
        const p = out[i]!, g = m[i]!;
        c.pred[p]++;
        c.truth[g]++;
        if (p === g) c.inter[p]++;
      }
    }
  }
  return c;
}

export function summarise(inter: ArrayLike<number>, truth: ArrayLike<number>, pred: ArrayLike<number>, labels: number, slices: number): DiceScores {
  const perLabel: number[] = [];
  for (let l = 1; l <= labels; l++) perLabel.push(truth[l]! + pred[l]! > 0 ? (2 * inter[l]!) / (truth[l]! + pred[l]!) : NaN);
  const present = perLabel.filter((d) => !Number.isNaN(d));
  return { perLabel, mean: present.length ? present.reduce((a, b) => a + b, 0) / present.length : NaN, slices };
}
