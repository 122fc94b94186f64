import { createHash } from 'node:crypto';
import { getFloat32Initializer, readOnnx, setFloat32Initializer, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { seededRandom, tinyUNet } from '../../src/inference/onnx/test-models.js';
import { floatInitializers } from '../../src/federation/delta-tensors.js';

/** A tiny U-Net (≈ 6k weights) as ONNX bytes: small enough for fast federation unit tests. */
export function tinyModelBytes(seed = 1): Buffer {
  return writeOnnx(tinyUNet({ classes: 3, base: 4, depth: 1, seed, size: [16, 16], batchNorm: 'random' }));
}

/**
 * A "fine-tuned" copy of `base`: every trained weight moved by a seeded perturbation of relative size
 * `scale` (a realistic fine-tune changes weights by ~1e-3 relative), BN running stats left alone
 * unless `bnStats`.
 */
export function perturbed(base: Buffer, seed: number, scale = 1e-3, opts: { bnStats?: boolean } = {}): Buffer {
  const model = readOnnx(base);
  const r = seededRandom(seed);
  for (const t of floatInitializers(model)) {
    if (!opts.bnStats && /\.bn\.(mean|var)$/.test(t.name)) continue;
    const w = getFloat32Initializer(model, t.name);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! + (r() * 2 - 1) * scale * (Math.abs(w[i]!) + 0.01);
    setFloat32Initializer(model, t.name, w);
  }
  return writeOnnx(model);
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
