import { tf } from './tf-backend.js';

export interface LossWeights {
  /** Weight of the soft Dice term (1 − mean foreground Dice). */
  dice: number;
  /** Weight of the pixel-mean cross-entropy. */
  crossEntropy: number;
  /**
   * Per-class weights of the cross-entropy (length = classes), normalised by the caller so that the
   * mean weight over the training pixels is 1 (classWeights()); absent = unweighted.
   */
  classWeights?: readonly number[];
}

/**
 * Dice + cross-entropy (Dafne's newer models), on NHWC logits and a one-hot target of the same
 * shape. Dice is pooled over the batch per foreground class (smoothing 1, so a class absent from
 * batch and prediction scores 1) and averaged over classes; cross-entropy is averaged over pixels.
 */
export function diceCeLoss(logits: tf.Tensor4D, onehot: tf.Tensor4D, w: LossWeights): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits, -1);
    const target = w.classWeights ? tf.mul(onehot, tf.tensor1d(w.classWeights as number[])) : onehot;
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(target, logp), -1)));
    const classes = logits.shape[3];
    if (w.dice === 0 || classes < 2) return tf.mul(ce, w.crossEntropy) as tf.Scalar;
    const p = tf.exp(logp);
    const inter = tf.sum(tf.mul(p, onehot), [0, 1, 2]);
    const denom = tf.add(tf.sum(p, [0, 1, 2]), tf.sum(onehot, [0, 1, 2]));
    const dice = tf.div(tf.add(tf.mul(inter, 2), 1), tf.add(denom, 1)).slice([1], [classes - 1]);
    return tf.add(tf.mul(ce, w.crossEntropy), tf.mul(tf.sub(1, tf.mean(dice)), w.dice)) as tf.Scalar;
  });
}

/** One-hot NHWC target from a label map ([n, h, w] values 0..classes−1). */
export function oneHotMasks(masks: Uint8Array, n: number, h: number, w: number, classes: number): tf.Tensor4D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(masks), 'int32'), classes).reshape([n, h, w, classes]) as tf.Tensor4D);
}

/**
 * Cross-entropy class weights ∝ frequency^−power (power 0 = unweighted, 0.5 = inverse square root,
 * 1 = inverse frequency), scaled so that the mean weight over the set's pixels is 1 — the loss keeps
 * its scale, only the balance between classes changes. A class absent from the set gets weight 1.
 */
export function classWeights(masks: Uint8Array, classes: number, power: number): number[] {
  const count = new Float64Array(classes);
  for (let i = 0; i < masks.length; i++) count[masks[i]!]++;
  const raw = Array.from(count, (c) => (c > 0 ? (c / masks.length) ** -power : 0));
  const mean = raw.reduce((a, r, c) => a + r * (count[c]! / masks.length), 0);
  return raw.map((r) => (r > 0 ? r / mean : 1));
}
