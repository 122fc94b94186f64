import type { ModelCard } from './model-card.js';

/** x → (x − offset) / scale, the form every normalisation of the card reduces to. */
export interface Affine {
  offset: number;
  scale: number;
}

/**
 * Intensity statistics over the voxels that matter, from a strided sample so that a 50-million
 * voxel volume costs milliseconds, not seconds. Deterministic (fixed stride).
 */
function sample(data: Float32Array, start: number, end: number): Float32Array {
  const n = end - start;
  const stride = Math.max(1, Math.floor(n / 200_000));
  const out = new Float32Array(Math.ceil(n / stride));
  let j = 0;
  for (let i = start; i < end; i += stride) out[j++] = data[i]!;
  return out.subarray(0, j);
}

function percentile(sorted: Float32Array, p: number): number {
  if (sorted.length === 0) return 0;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The affine map for the voxels [start, end) (a slice or the whole volume), per the card. */
export function normalisationFor(card: ModelCard, data: Float32Array, start: number, end: number): Affine {
  const n = card.input.normalization;
  if (n.method === 'fixed') return { offset: n.offset, scale: n.scale };
  const s = sample(data, start, end);
  if (n.method === 'zscore') {
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += s[i]!;
    const mean = s.length ? sum / s.length : 0;
    let sq = 0;
    for (let i = 0; i < s.length; i++) sq += (s[i]! - mean) ** 2;
    const std = Math.sqrt(s.length ? sq / s.length : 0);
    return { offset: mean, scale: std > 1e-6 ? std : 1 };
  }
  s.sort();
  const low = percentile(s, n.low);
  const high = percentile(s, n.high);
  return { offset: low, scale: high - low > 1e-6 ? high - low : 1 };
}

/** Applies the map in place, clipping to [0, 1] for percentile normalisation (as the card says). */
export function applyNormalisation(card: ModelCard, a: Affine, data: Float32Array, start: number, end: number): void {
  const clip = card.input.normalization.method === 'percentile';
  const inv = 1 / a.scale;
  for (let i = start; i < end; i++) {
    const v = (data[i]! - a.offset) * inv;
    data[i] = clip ? (v < 0 ? 0 : v > 1 ? 1 : v) : v;
  }
}
