import test from 'ava';
import { gateVerdict } from '../../src/federation/central/gate-rule.js';
import { PhantomScorer } from '../../src/federation/central/validation-set.js';
import { evaluateDice } from '../../src/learning/evaluate.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { demoCard } from '../../src/learning/demo-model.js';
import { demoOnnx } from './demo-fixtures.js';

const score = (mean: number, perContrast?: number[]) => ({ mean, perLabel: [], slices: 1, perContrast });

test('the gate holds the pooled mean to ε', (t) => {
  t.true(gateVerdict(score(0.8), score(0.796), 0.005).accepted);
  const v = gateVerdict(score(0.8), score(0.79), 0.005);
  t.false(v.accepted);
  t.regex(v.reason!, /loses more than ε 0.005/);
});

test('the gate holds every contrast to ε: a gain on one cannot hide a loss on another', (t) => {
  // Pooled mean +0.01, but contrast 2 loses 0.02.
  const v = gateVerdict(score(0.8, [0.7, 0.9]), score(0.81, [0.74, 0.88]), 0.005);
  t.false(v.accepted);
  t.deepEqual(v.worstContrast?.index, 1);
  t.is(Number(v.worstContrast!.loss.toFixed(4)), 0.02);
  t.regex(v.reason!, /loses 0\.0200 on contrast 2 of the validation set \(0\.9000 → 0\.8800\)/);
  const ok = gateVerdict(score(0.8, [0.7, 0.9]), score(0.81, [0.74, 0.897]), 0.005);
  t.true(ok.accepted);
  t.is(ok.reason, null);
});

test('PhantomScorer scores each contrast of a multi-contrast set on its own phantoms', async (t) => {
  const card = demoCard();
  const fs = { air: 0, skin: 260, fat: 90, fascia: 520, muscle: 330, cortex: 20, marrow: 110 };
  const opts = { seeds: [9001, 9002, 9003, 9004], contrasts: ['T1' as const, fs], slices: 3 };
  const onnx = demoOnnx();
  const s = await new PhantomScorer(opts).score(card, onnx);
  t.is(s.perContrast?.length, 2);
  // Seed i has contrast i mod 2: T1 = 9001, 9003; fat-suppressed = 9002, 9004.
  const t1 = await evaluateDice(onnx, phantomSet(card, { seeds: [9001, 9003], contrasts: ['T1'], slices: 3 }), card.labels.length);
  const other = await evaluateDice(onnx, phantomSet(card, { seeds: [9002, 9004], contrasts: [fs], slices: 3 }), card.labels.length);
  t.is(s.perContrast![0], t1.mean);
  t.is(s.perContrast![1], other.mean);
  t.true(s.perContrast![0]! > s.perContrast![1]!, 'the demo model (trained on T1/T2/PD) scores lower on the contrast it never saw');
  // The pooled score comes from the same pass: the Dice of the whole set, pixels pooled over every contrast.
  const whole = await evaluateDice(onnx, phantomSet(card, opts), card.labels.length);
  t.is(s.slices, whole.slices);
  t.true(Math.abs(s.mean - whole.mean) < 1e-9, `pooled ${s.mean} vs the whole set ${whole.mean}`);
  t.true(s.perLabel.every((d, i) => Math.abs(d - whole.perLabel[i]!) < 1e-9));
  const single = await new PhantomScorer({ ...opts, contrasts: ['T1'] }).score(card, onnx);
  t.is(single.perContrast, undefined);
});
