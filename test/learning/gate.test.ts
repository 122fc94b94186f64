import test from 'ava';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdModel } from '../../src/inference/onnx/test-models.js';
import { runGate } from '../../src/learning/gate.js';
import type { SliceSet } from '../../src/learning/slice-set.js';

// Models with exactly known output: label 1 where x ≥ t.
const model = (t: number) => writeOnnx(thresholdModel({ thresholds: [t] }));
// Pixel values 0..0.99 in steps of 0.01; truth: label 1 where x ≥ 0.5.
const set = (): SliceSet => {
  const images = Float32Array.from({ length: 100 }, (_, i) => i / 100);
  return { images, masks: Uint8Array.from(images, (x) => (x >= 0.5 ? 1 : 0)), count: 1, height: 10, width: 10 };
};

test('accepts a candidate that improves on the corrections and holds elsewhere', async (t) => {
  const d = await runGate(model(0.45), model(0.5), { corrections: set(), heldOut: set(), benchmark: set() }, 1);
  t.true(d.accepted, d.reasons.join('; '));
  t.is(d.candidate.corrections, 1);
  t.true(d.active.corrections! < 1);
});

test('rejects a candidate that loses more than ε on the benchmark, naming the check', async (t) => {
  const d = await runGate(model(0.5), model(0.4), { corrections: set(), benchmark: set() }, 1);
  t.false(d.accepted);
  t.regex(d.reasons.join('\n'), /benchmark: 1\.0000 → 0\.9091 \(−0\.0909, loses more than ε 0\.005\)/);
  t.regex(d.reasons.join('\n'), /heldOut: no slices/);
});

test('rejects a candidate that does not improve on the corrections, and one with no corrections', async (t) => {
  const same = await runGate(model(0.5), model(0.5), { corrections: set() }, 1);
  t.false(same.accepted);
  t.regex(same.reasons.find((r) => r.startsWith('corrections'))!, /must improve/);
  const none = await runGate(model(0.5), model(0.45), { corrections: { ...set(), count: 0 } }, 1);
  t.false(none.accepted);
});

test('judges the original skill on the reference set: a gain on the corrections does not hide a loss there', async (t) => {
  // Truth of the corrections: x ≥ 0.45; of the reference set: x ≥ 0.5 (the model as installed).
  const corrections = { ...set(), masks: Uint8Array.from(set().images, (x) => (x >= 0.45 ? 1 : 0)) };
  const d = await runGate(model(0.5), model(0.45), { corrections, reference: set() }, 1);
  t.false(d.accepted);
  t.is(d.active.reference, 1);
  t.regex(d.reasons.join('\n'), /reference: 1\.0000 → 0\.9524 \(−0\.0476, loses more than ε 0\.005\)/);
  t.regex(d.reasons.join('\n'), /corrections: 0\.9615 → 0\.9908 \(\+0\.0293, improves\)/);
});

test("with the installed model's reference score, ε bounds the forgetting of all runs together", async (t) => {
  const corrections = { ...set(), masks: Uint8Array.from(set().images, (x) => (x >= 0.45 ? 1 : 0)) };
  // The active model equals the candidate on the reference set (0.9524 each): per run nothing is
  // lost, but the model as installed scored 1.0 there — the candidate is 0.0476 below it.
  const drift = await runGate(model(0.45), model(0.45), { corrections, reference: set() }, 1, { referenceFloor: 1, minImprovement: -1 });
  t.false(drift.accepted);
  t.regex(drift.reasons.join('\n'), /reference: 1\.0000 \(as installed\) → 0\.9524 \(−0\.0476, loses more than ε 0\.005\)/);
  t.is(drift.active.reference, drift.candidate.reference);
  // Within ε of the installed score it passes, even if the active model was better.
  const ok = await runGate(model(0.5), model(0.45), { corrections, reference: set() }, 1, { referenceFloor: 0.955 });
  t.regex(ok.reasons.join('\n'), /reference: 0\.9550 \(as installed\) → 0\.9524 \(−0\.0026, within ε 0\.005\)/);
  t.true(ok.accepted, ok.reasons.join('; '));
});
