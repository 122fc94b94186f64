import type { OnnxModel } from '../inference/onnx/onnx-types.js';
import { getFloat32Initializer, readOnnx, setFloat32Initializer, writeOnnx } from '../inference/onnx/onnx-io.js';
import { batchNormStats, checkFits } from './delta-tensors.js';
import { aggregateCoordinates, type Aggregation } from './merge-aggregate.js';

/**
 * Merging a window of deltas into one update of the current root (docs/federation.md "Merge").
 *
 * Each delta is the difference against ITS OWN base generation, and the merge adds the aggregate of
 * those differences to the current root: a delta trained on an older generation is still an update
 * (as in asynchronous federated averaging), so no upload in the window overwrites another (Dafne's
 * server merges the latest upload into the latest root and loses concurrent ones).
 *
 * Steps: skip empty deltas → group the tensors (trained weights | BN running means | BN running
 * variances as log-ratios) → clip each delta's L2 norm per group to `clipMultiplier` × the window's
 * median norm → coordinate-wise weighted trimmed mean (or median) → root + update.
 */
export interface MergeInput {
  id: string;
  /** Training slices behind the delta (the manifest's trainingSlices); 0 = nothing was trained. */
  weight: number;
  tensors: ReadonlyMap<string, Float32Array>;
  /** The delta's base generation (decoded): needed for BN variances, whose change is relative. */
  base: OnnxModel;
}

export interface MergeOptions {
  aggregation?: Aggregation;
  /** Fraction of the window trimmed at EACH end of every coordinate (trimmed-mean); default 0.2. */
  trimFraction?: number;
  /** Norms above this multiple of the window's median norm are scaled down to it; default 2. */
  clipMultiplier?: number;
  /** An absolute ceiling on a delta's trained-weight norm (optional). */
  maxNorm?: number;
}

export interface MergeReport {
  used: { id: string; weight: number; norm: number; scaledBy: number }[];
  skipped: { id: string; reason: string }[];
  aggregation: Aggregation;
}

export interface MergedUpdate {
  /** Additive update of trained weights and BN running means. */
  add: Map<string, Float32Array>;
  /** Multiplicative update of BN running variances (root var × factor, always positive). */
  scaleVar: Map<string, Float32Array>;
  report: MergeReport;
}

type Group = 'weights' | 'bnMean' | 'bnVar';

export function mergeDeltas(root: OnnxModel, inputs: readonly MergeInput[], opts: MergeOptions = {}): MergedUpdate {
  const aggregation = opts.aggregation ?? 'trimmed-mean';
  const { means, vars } = batchNormStats(root);
  const groupOf = (name: string): Group => (vars.has(name) ? 'bnVar' : means.has(name) ? 'bnMean' : 'weights');
  const skipped: MergeReport['skipped'] = [];
  const live: { input: MergeInput; groups: Map<string, Float32Array>; norms: Record<Group, number> }[] = [];

  for (const input of inputs) {
    checkFits(root, input.tensors);
    if (!(input.weight > 0)) {
      skipped.push({ id: input.id, reason: 'no training slices declared (trainingSlices 0): nothing to merge' });
      continue;
    }
    const groups = new Map<string, Float32Array>();
    const norms: Record<Group, number> = { weights: 0, bnMean: 0, bnVar: 0 };
    let bad: string | undefined;
    for (const [name, d] of input.tensors) {
      let v = d;
      if (groupOf(name) === 'bnVar') {
        // Variances change multiplicatively: log(new/old) against the delta's own base.
        const old = getFloat32Initializer(input.base, name);
        v = new Float32Array(d.length);
        for (let i = 0; i < d.length; i++) {
          const next = old[i]! + d[i]!;
          if (!(next > 0) || !(old[i]! > 0)) bad = `BatchNorm variance "${name}" would not be positive`;
          v[i] = Math.log(next / old[i]!);
        }
      }
      groups.set(name, v);
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
      norms[groupOf(name)] += s;
    }
    if (bad) {
      skipped.push({ id: input.id, reason: bad });
      continue;
    }
    for (const g of Object.keys(norms) as Group[]) norms[g] = Math.sqrt(norms[g]);
    if (norms.weights === 0 && norms.bnMean === 0 && norms.bnVar === 0) {
      skipped.push({ id: input.id, reason: 'empty update (every weight difference is zero)' });
      continue;
    }
    live.push({ input, groups, norms });
  }

  // Norm clipping per group, against the window's median: an update 100× larger than its peers
  // counts no more than 2× the typical one.
  const multiplier = opts.clipMultiplier ?? 2;
  const scales = live.map(() => ({ weights: 1, bnMean: 1, bnVar: 1 }) as Record<Group, number>);
  for (const g of ['weights', 'bnMean', 'bnVar'] as Group[]) {
    const norms = live.map((l) => l.norms[g]);
    let limit = multiplier * median(norms);
    if (g === 'weights' && opts.maxNorm !== undefined) limit = Math.min(limit, opts.maxNorm);
    live.forEach((l, i) => {
      if (l.norms[g] > limit) scales[i]![g] = limit / l.norms[g];
    });
  }

  const add = new Map<string, Float32Array>(), scaleVar = new Map<string, Float32Array>();
  const names = new Set(live.flatMap((l) => [...l.groups.keys()]));
  const weights = live.map((l) => l.input.weight);
  for (const name of names) {
    const g = groupOf(name);
    const length = getFloat32Initializer(root, name).length;
    const columns = live.map((l, i) => ({ data: l.groups.get(name), scale: scales[i]![g] }));
    const merged = aggregateCoordinates(columns, weights, length, aggregation, opts.trimFraction ?? 0.2);
    if (g === 'bnVar') scaleVar.set(name, merged.map(Math.exp));
    else add.set(name, merged);
  }
  return {
    add,
    scaleVar,
    report: {
      aggregation,
      skipped,
      used: live.map((l, i) => ({ id: l.input.id, weight: l.input.weight, norm: l.norms.weights, scaledBy: scales[i]!.weights })),
    },
  };
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The candidate model: root + additive update, BN variances scaled. */
export function applyMerged(rootOnnx: Uint8Array, update: Pick<MergedUpdate, 'add' | 'scaleVar'>): Buffer {
  const model = readOnnx(rootOnnx);
  for (const [name, d] of update.add) {
    const w = getFloat32Initializer(model, name);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! + d[i]!;
    setFloat32Initializer(model, name, w);
  }
  for (const [name, f] of update.scaleVar) {
    const w = getFloat32Initializer(model, name);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * f[i]!;
    setFloat32Initializer(model, name, w);
  }
  return writeOnnx(model);
}
