import { tf } from './tf-backend.js';

type T4 = tf.Tensor4D;

/**
 * The differentiable building blocks of the ONNX interpreter (engine notes, "What worked"), NHWC.
 * tfjs-wasm has no correct Conv2DBackpropFilter (its Conv3D fallback is wrong for stride 2) and a slow
 * naive Conv2DBackpropInput, so every convolution gradient here is itself a forward convolution,
 * which XNNPACK runs fast. Everything else uses ops whose stock gradients are correct on wasm
 * (matMul, transpose, reshape, elementwise, maxPool).
 */

export interface Conv2dSpec {
  strides: [number, number];
  /** [top, left, bottom, right] (ONNX pads order x1_begin, x2_begin, x1_end, x2_end). */
  pads: [number, number, number, number];
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];
const explicit = (t: number, b: number, l: number, r: number): Explicit => [[0, 0], [t, b], [l, r], [0, 0]];

/** Inserts s−1 zeros between neighbours along H and W (the "dilated" gradient of a strided conv). */
function insertZeros(x: T4, sh: number, sw: number): T4 {
  const [n, h, w, c] = x.shape;
  let y = x;
  if (sh > 1) {
    y = tf.pad(y.reshape([n, h, 1, w * c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0]]).reshape([n, h * sh, w, c]).slice([0, 0, 0, 0], [n, (h - 1) * sh + 1, w, c]) as T4;
  }
  if (sw > 1) {
    const hh = y.shape[1];
    y = tf.pad(y.reshape([n * hh, w, 1, c]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]).reshape([n, hh, w * sw, c]).slice([0, 0, 0, 0], [n, hh, (w - 1) * sw + 1, c]) as T4;
  }
  return y;
}

/** Input gradient: full correlation of the (zero-inserted) output gradient with the flipped, transposed kernel. */
function convInputGrad(dy: T4, w: T4, xShape: number[], spec: Conv2dSpec): T4 {
  const [kh, kw] = w.shape;
  const [, H, W] = xShape as [number, number, number, number];
  const [sh, sw] = spec.strides;
  const [pt, pl] = spec.pads;
  const up = insertZeros(dy, sh, sw);
  const top = kh - 1 - pt, left = kw - 1 - pl;
  const bottom = H - up.shape[1] - top + kh - 1, right = W - up.shape[2] - left + kw - 1;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) throw new Error('conv2d: padding larger than kernel − 1 is not supported');
  const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as T4;
  return tf.conv2d(up, flipped, 1, explicit(top, bottom, left, right));
}

/**
 * Filter gradient: a forward convolution with batch and channel axes swapped — the input becomes
 * [Cin, H, W, N], the output gradient the "filter" [OH, OW, N, Cout], dilated by the stride.
 */
function convFilterGrad(x: T4, dy: T4, wShape: number[], spec: Conv2dSpec): T4 {
  const [kh, kw] = wShape as [number, number];
  const [sh, sw] = spec.strides;
  const [pt, pl] = spec.pads;
  const [, H, W] = x.shape;
  const [, oh, ow] = dy.shape;
  let xt = tf.transpose(x, [3, 1, 2, 0]) as T4;
  let bottom = kh + (oh - 1) * sh - H - pt;
  let right = kw + (ow - 1) * sw - W - pl;
  // Rows / columns the forward pass never read (extra end padding): drop them instead.
  if (bottom < 0 || right < 0) {
    xt = xt.slice([0, 0, 0, 0], [xt.shape[0], H + Math.min(0, bottom), W + Math.min(0, right), xt.shape[3]]);
    bottom = Math.max(0, bottom);
    right = Math.max(0, right);
  }
  const g = tf.transpose(dy, [1, 2, 0, 3]) as T4;
  const out = tf.conv2d(xt, g, 1, explicit(pt, bottom, pl, right), 'NHWC', [sh, sw]);
  return tf.transpose(out, [1, 2, 0, 3]) as T4;
}

const convCache = new Map<string, (x: T4, w: T4) => T4>();

/** 2D convolution (NHWC input, HWIO filter) whose gradients are fast forward convolutions. */
export function conv2d(x: T4, w: T4, spec: Conv2dSpec): T4 {
  const key = `${spec.strides.join(',')}|${spec.pads.join(',')}`;
  let op = convCache.get(key);
  if (!op) {
    const [pt, pl, pb, pr] = spec.pads;
    // customGrad's typing passes inputs and the save function as one rest list.
    op = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
      const xv = xi as T4, wv = wi as T4;
      save([xv, wv]);
      return {
        value: tf.conv2d(xv, wv, spec.strides, explicit(pt, pb, pl, pr)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ws] = saved as [T4, T4];
          return [convInputGrad(dy as T4, ws, xs.shape, spec), convFilterGrad(xs, dy as T4, ws.shape, spec)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T4, w: T4) => T4;
    convCache.set(key, op);
  }
  return op(x, w);
}

/**
 * 2D matMul whose gradients are plain (untransposed) matMuls of explicitly transposed operands:
 * tfjs-wasm's transposeA / transposeB paths, which matMul's stock gradient uses, are 7–15× slower
 * than the plain product (measured: [16384×32]ᵀ·[16384×64] 320 ms vs 21 ms with an explicit
 * transpose first; ×[64×32]ᵀ 164 ms vs 13 ms).
 */
const matMulOp = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(bs)), tf.matMul(tf.transpose(as), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulOp(a, b);
}

/**
 * ConvTranspose 2×2 stride 2 (ONNX weight [Cin, Cout, 2, 2]) as one matmul plus a pixel shuffle:
 * every output pixel sees exactly one input pixel, so y[n, 2h+a, 2w+b] = x[n, h, w] · W[:, :, a, b].
 * Only 4D transposes (the wasm backend's limit); matMul above, reshape and transpose have exact gradients.
 */
export function convTranspose2x2(x: T4, wOnnx: tf.Tensor, bias?: tf.Tensor): T4 {
  const [n, h, w, cin] = x.shape;
  const cout = wOnnx.shape[1]!;
  const wm = tf.transpose(wOnnx, [0, 2, 3, 1]).reshape([cin, 4 * cout]); // [Cin, (a, b, Cout)]
  const y = matMul(x.reshape([n * h * w, cin]), wm as tf.Tensor2D).reshape([n * h, w, 2, 2 * cout]); // [(n,h), w, a, (b,c)]
  const out = tf.transpose(y, [0, 2, 1, 3]).reshape([n, 2 * h, 2 * w, cout]);
  return (bias ? tf.add(out, bias) : out) as T4;
}

/**
 * BatchNormalization written out elementwise (the stock fused op's gradient is slow on wasm).
 * Inference form (running statistics; what ONNX computes) unless `batchStats`, which normalises with
 * the batch's own mean / variance and returns them so the caller can update the running values.
 */
export function batchNorm(x: T4, scale: tf.Tensor, bias: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, epsilon: number, batchStats = false): { y: T4; mean?: tf.Tensor; variance?: tf.Tensor } {
  if (!batchStats) {
    const a = tf.mul(scale, tf.rsqrt(tf.add(variance, epsilon)));
    const b = tf.sub(bias, tf.mul(mean, a));
    return { y: tf.add(tf.mul(x, a), b) as T4 };
  }
  const m = tf.moments(x, [0, 1, 2]);
  const y = tf.add(tf.mul(tf.sub(x, m.mean), tf.mul(scale, tf.rsqrt(tf.add(m.variance, epsilon)))), bias) as T4;
  return { y, mean: m.mean, variance: m.variance };
}

export interface ResizeAxis {
  /** ONNX coordinate_transformation_mode. */
  coord: string;
  mode: 'nearest' | 'linear';
  nearestMode: string;
}

/**
 * The [out, in] interpolation matrix of one axis, following Operators.md "Resize". Resize is
 * separable and linear in its input, so two matmuls with these matrices compute it exactly and give
 * exact gradients (tfjs's own resize gradients are wrong on cpu / wasm, engine notes).
 */
export function resizeMatrix(inSize: number, outSize: number, scale: number, a: ResizeAxis): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    let x: number;
    switch (a.coord) {
      case 'asymmetric': x = o / scale; break;
      case 'align_corners': x = outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1); break;
      case 'pytorch_half_pixel': x = outSize > 1 ? (o + 0.5) / scale - 0.5 : 0; break;
      default: x = (o + 0.5) / scale - 0.5; // half_pixel
    }
    if (a.mode === 'nearest') {
      let i: number;
      switch (a.nearestMode) {
        case 'floor': i = Math.floor(x); break;
        case 'ceil': i = Math.ceil(x); break;
        case 'round_prefer_ceil': i = Math.floor(x + 0.5); break;
        default: i = x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x); // round_prefer_floor
      }
      m[o * inSize + Math.min(inSize - 1, Math.max(0, i))] = 1;
    } else {
      const c = Math.min(inSize - 1, Math.max(0, x));
      const lo = Math.floor(c), hi = Math.min(lo + 1, inSize - 1), f = c - lo;
      m[o * inSize + lo] += 1 - f;
      m[o * inSize + hi] += f;
    }
  }
  return m;
}

/** Resizes H and W of an NHWC tensor with per-axis matrices ([out, in]). */
export function resizeSeparable(x: T4, rows: tf.Tensor2D, cols: tf.Tensor2D): T4 {
  const [n, , w, c] = x.shape;
  const hOut = rows.shape[0], wOut = cols.shape[0];
  const byRows = matMul(tf.transpose(x, [0, 2, 3, 1]).reshape([n * w * c, x.shape[1]]), tf.transpose(rows)); // [(n,w,c), hOut]
  const y = tf.transpose(byRows.reshape([n, w, c, hOut]), [0, 3, 1, 2]); // [n, hOut, w, c]
  const byCols = matMul(tf.transpose(y, [0, 1, 3, 2]).reshape([n * hOut * c, w]), tf.transpose(cols)); // [(n,h,c), wOut]
  return tf.transpose(byCols.reshape([n, hOut, c, wOut]), [0, 1, 3, 2]) as T4;
}
