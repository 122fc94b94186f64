import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readOnnx, setFloat32Initializer, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { seededRandom } from '../../src/inference/onnx/test-models.js';
import { floatInitializers } from '../../src/federation/delta-tensors.js';
import type { ModelCard } from '../../src/inference/model-card.js';
import { REPO_ROOT } from '../helpers/node-process.js';

/**
 * Federation test models built from the shipped demo model (128×128, 1 mm): a DEGRADED root
 * (weights with multiplicative noise, so there is something to learn back) and site updates that move
 * it towards the trained demo weights: honest deltas that really raise Dice on leg phantoms, and
 * poisoned ones (×100, sign-flipped, random) built from them. Cheap: no training needed.
 */
export const DEMO_DIR = path.join(REPO_ROOT, 'models/leg-demo');
export const demoOnnx = (): Buffer => readFileSync(path.join(DEMO_DIR, 'model.onnx'));
export const demoCardJson = (): ModelCard => JSON.parse(readFileSync(path.join(DEMO_DIR, 'model.json'), 'utf8')) as ModelCard;

const isBnStat = (name: string) => /\.bn\.(mean|var)$/.test(name);

function mapWeights(onnx: Uint8Array, f: (name: string, w: Float32Array, i: number) => number): Buffer {
  const m = readOnnx(onnx);
  for (const t of floatInitializers(m)) {
    if (isBnStat(t.name)) continue;
    const out = Float32Array.from(t.data, (_, i) => f(t.name, t.data, i));
    setFloat32Initializer(m, t.name, out);
  }
  return writeOnnx(m);
}

/** w · (1 + rel·U(−1, 1)): the demo model with noise, as a root that can be improved. */
export function degrade(onnx: Uint8Array, rel: number, seed: number): Buffer {
  const r = seededRandom(seed);
  return mapWeights(onnx, (_, w, i) => w[i]! * (1 + rel * (r() * 2 - 1)));
}

/** from + k·(to − from) on every trained weight (BN statistics kept). */
export function along(from: Uint8Array, to: Uint8Array, k: number): Buffer {
  const target = new Map(floatInitializers(readOnnx(to)).map((t) => [t.name, t.data]));
  return mapWeights(from, (name, w, i) => w[i]! + k * (target.get(name)![i]! - w[i]!));
}

/**
 * from + a random update with `scale` × the per-tensor norm of (to − from): a "random" poisoned delta
 * (at scale 1 a random direction barely changes this model; an attacker's noise is larger).
 */
export function randomLike(from: Uint8Array, to: Uint8Array, seed: number, scale = 10): Buffer {
  const target = new Map(floatInitializers(readOnnx(to)).map((t) => [t.name, t.data]));
  const r = seededRandom(seed);
  const m = readOnnx(from);
  for (const t of floatInitializers(m)) {
    if (isBnStat(t.name)) continue;
    const d = Float32Array.from(t.data, (v, i) => target.get(t.name)![i]! - v);
    const noise = Float32Array.from(d, () => r() * 2 - 1);
    const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
    const k = norm(noise) > 0 ? (scale * norm(d)) / norm(noise) : 0;
    setFloat32Initializer(m, t.name, Float32Array.from(t.data, (v, i) => v + k * noise[i]!));
  }
  return writeOnnx(m);
}
