import test from 'ava';
import { floatAttr } from '../../src/inference/onnx/attributes.js';
import { GraphBuilder } from '../../src/inference/onnx/builder.js';
import { getFloat32Initializer, readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import type { OnnxModel } from '../../src/inference/onnx/onnx-types.js';
import { applyMerged, mergeDeltas, type MergeInput } from '../../src/federation/merge.js';

/** x → Conv(w, b) → BN(scale, bias, mean, var): two trained tensors and the two BN statistics. */
function tinyModel(w: number[], vars = [1, 4]): OnnxModel {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', ['N', 1, 2, 2]);
  const c = g.node('Conv', [x, g.initializer('w', [2, 1, 1, 1], w), g.initializer('b', [2], [0, 0])], { kernel_shape: [1, 1] });
  const bn = g.node('BatchNormalization', [c, g.initializer('s', [2], [1, 1]), g.initializer('beta', [2], [0, 0]), g.initializer('m', [2], [0, 0]), g.initializer('v', [2], vars)], { epsilon: floatAttr(1e-5) }, { outputs: ['y'] });
  void bn;
  g.output('y', ['N', 2, 2, 2]);
  return g.build();
}

const delta = (w: number[], extra: Record<string, number[]> = {}) => new Map(Object.entries({ w, ...extra }).map(([k, v]) => [k, Float32Array.from(v)]));
const root = tinyModel([1, 2]);
const input = (id: string, weight: number, w: number[], extra: Record<string, number[]> = {}, base = root): MergeInput => ({ id, weight, tensors: delta(w, extra), base });
const close = (t: import('ava').ExecutionContext, got: Float32Array | undefined, want: number[], msg?: string) => {
  t.truthy(got, msg);
  want.forEach((v, i) => t.true(Math.abs(got![i]! - v) < 1e-6, `${msg ?? ''}[${i}] ${got![i]} vs ${v}`));
};

test('several deltas arriving together: weighted mean of all of them, none lost', (t) => {
  // Three sites, each relative to its own base (site c trained on an older generation): the update
  // is Σ wᵢΔᵢ / Σ wᵢ = (10·[1,0] + 30·[0,1] + 60·[1,1]) / 100 = [0.7, 0.9].
  const older = tinyModel([0.5, 1.5]);
  const m = mergeDeltas(root, [input('a', 10, [1, 0]), input('b', 30, [0, 1]), input('c', 60, [1, 1], {}, older)], { aggregation: 'mean', clipMultiplier: 10 });
  close(t, m.add.get('w'), [0.7, 0.9]);
  t.deepEqual(m.report.used.map((u) => u.id), ['a', 'b', 'c']);
  const merged = readOnnx(applyMerged(writeOnnx(root), m));
  close(t, getFloat32Initializer(merged, 'w'), [1.7, 2.9], 'root + update');
});

test('trimmed mean drops the extremes of each coordinate by count, then weights the rest', (t) => {
  // Five deltas, trim 0.2 → one value dropped at each end of every coordinate.
  // coordinate 0: 1(w1) 2(w1) 3(w2) 4(w1) 100(w50) → keep 2,3,3 → (2 + 2·3 + 4)/4 = 3.
  // coordinate 1: -100(w1) 1(w1) 0(w2) 2(w1) 3(w50) → keep 0,1,2 → (2·0 + 1 + 2)/4 = 0.75.
  // The weight-50 site cannot protect its outlier 100 from the trim.
  const ins = [input('a', 1, [1, -100]), input('b', 1, [2, 1]), input('c', 2, [3, 0]), input('d', 1, [4, 2]), input('e', 50, [100, 3])];
  const m = mergeDeltas(root, ins, { aggregation: 'trimmed-mean', trimFraction: 0.2, clipMultiplier: 1e9 });
  close(t, m.add.get('w'), [3, 0.75]);
});

test('median ignores the declared weights', (t) => {
  const m = mergeDeltas(root, [input('a', 1, [1, 5]), input('b', 1, [2, 6]), input('c', 1000, [50, -50])], { aggregation: 'median', clipMultiplier: 1e9 });
  close(t, m.add.get('w'), [2, 5]);
});

test('norm clipping: a delta far above the median norm is scaled down to the limit', (t) => {
  // Norms 1, 1, 100 → median 1, limit 2: the big one is scaled by 2/100.
  const m = mergeDeltas(root, [input('a', 1, [1, 0]), input('b', 1, [0, 1]), input('c', 1, [100, 0])], { aggregation: 'mean', clipMultiplier: 2 });
  const c = m.report.used.find((u) => u.id === 'c')!;
  t.is(c.norm, 100);
  t.true(Math.abs(c.scaledBy - 0.02) < 1e-12);
  close(t, m.add.get('w'), [(1 + 0 + 2) / 3, 1 / 3]);
});

test('empty and weightless deltas are skipped with a reason; nothing at all gives an empty update', (t) => {
  const m = mergeDeltas(root, [input('zero', 10, [0, 0]), input('noslices', 0, [1, 1]), input('ok', 5, [2, 4])], { aggregation: 'mean' });
  t.deepEqual(m.report.skipped.map((s) => s.id), ['zero', 'noslices']);
  t.regex(m.report.skipped[0]!.reason, /empty/);
  close(t, m.add.get('w'), [2, 4]);
  const none = mergeDeltas(root, [input('zero', 10, [0, 0])]);
  t.is(none.report.used.length, 0);
  t.is(none.add.size, 0);
});

test('BatchNorm: running means are averaged apart from the weights, variances multiplicatively against each base', (t) => {
  // Site a: base var [1,4] → [2,4] (ratio 2, 1); site b trained on a base with var [2,2] → [2,1] (ratio 1, ½).
  // Equal weights, mean of logs: factor [√2, √½]; root var [1,4] → [√2, 4·√½].
  const otherBase = tinyModel([1, 2], [2, 2]);
  const m = mergeDeltas(
    root,
    [input('a', 1, [0, 0], { m: [0.2, 0], v: [1, 0] }), input('b', 1, [0, 0], { m: [0, 0.4], v: [0, -1] }, otherBase)],
    { aggregation: 'mean' },
  );
  close(t, m.scaleVar.get('v'), [Math.SQRT2, Math.SQRT1_2]);
  close(t, m.add.get('m'), [0.1, 0.2]);
  const merged = readOnnx(applyMerged(writeOnnx(root), m));
  close(t, getFloat32Initializer(merged, 'v'), [Math.SQRT2, 4 * Math.SQRT1_2]);
  // The BN statistics do not count in the weight norm (which would otherwise be clipped by them).
  t.deepEqual(m.report.used.map((u) => u.norm), [0, 0]);
  // A variance pushed to zero or below is refused, not clamped.
  const bad = mergeDeltas(root, [input('neg', 1, [1, 1], { v: [-1, 0] })]);
  t.regex(bad.report.skipped[0]!.reason, /variance/);
});

test('robust aggregation: four honest deltas and one sign-flipped ×100 — clipping + trimmed mean keep the honest direction, a plain mean does not', (t) => {
  const n = 400;
  const g = Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.01);
  const wide = (() => {
    const b = new GraphBuilder('wide');
    const x = b.input('x', ['N', 1, 1, 1]);
    b.node('Conv', [x, b.initializer('w', [n, 1, 1, 1], new Float32Array(n))], { kernel_shape: [1, 1] }, { outputs: ['y'] });
    b.output('y', ['N', n, 1, 1]);
    return b.build();
  })();
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const honest = (id: string): MergeInput => ({ id, weight: 10, base: wide, tensors: new Map([['w', Float32Array.from(g, (v) => v + 0.003 * rnd())]]) });
  const inputs = [honest('a'), honest('b'), honest('c'), honest('d'), { id: 'evil', weight: 1000, base: wide, tensors: new Map([['w', Float32Array.from(g, (v) => -100 * v)]]) }];
  const cos = (u: Float32Array) => {
    let d = 0, nu = 0, ng = 0;
    u.forEach((v, i) => ((d += v * g[i]!), (nu += v * v), (ng += g[i]! * g[i]!)));
    return d / Math.sqrt(nu * ng);
  };
  const robust = mergeDeltas(wide, inputs, { aggregation: 'trimmed-mean', trimFraction: 0.2, clipMultiplier: 2 });
  const evil = robust.report.used.find((u) => u.id === 'evil')!;
  t.true(evil.scaledBy < 0.03, `clipped by ${evil.scaledBy}`);
  t.true(cos(robust.add.get('w')!) > 0.95, `trimmed mean cos ${cos(robust.add.get('w')!)}`);
  t.true(cos(mergeDeltas(wide, inputs, { aggregation: 'median', clipMultiplier: 1e9 }).add.get('w')!) > 0.95);
  t.true(cos(mergeDeltas(wide, inputs, { aggregation: 'mean', clipMultiplier: 1e9 }).add.get('w')!) < 0, 'a plain weighted mean follows the attacker');
});
