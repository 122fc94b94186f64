import { tf } from './tf-backend.js';

export interface LossWeights {
  /** Weight of the soft Dice term (1 − mean foreground Dice). */
  dice: number;
  /** Weight of the pixel-mean cross-entropy. */
  crossEntropy: number;
}

/**
 * Dice + cross-entropy (Dafne's newer models), on NHWC logits and a one-hot target of the same
 * shape. Dice is pooled over the batch per foreground class (smoothing 1, so a class absent from
 * batch and prediction scores 1) and averaged over classes; cross-entropy is averaged over pixels.
 */
export function diceCeLoss(logits: tf.Tensor4D, onehot: tf.Tensor4D, w: LossWeights): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits, -1);
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), -1)));
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
