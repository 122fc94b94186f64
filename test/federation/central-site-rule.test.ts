import test from 'ava';
import type { SiteReport } from '../../src/federation/central/proposal-store.js';
import { reportFits, siteVerdict } from '../../src/federation/central/site-report-rule.js';

/**
 * The publication rule with site validation (site-report-rule.ts) on hand-made reports: the first
 * configured step no reporting site loses more than ε on, on any of its sets, is chosen.
 */
const steps = [1, 0.5, 0.25];
const rep = (root: number, ...s: number[]): SiteReport => ({ heldOut: { slices: 180, root, steps: s } });

test('every site improves at the full step: the full step is chosen', (t) => {
  const v = siteVerdict(steps, new Map([['a', rep(0.8, 0.82, 0.81, 0.805)], ['b', rep(0.5, 0.6, 0.55, 0.52)]]), 0.005);
  t.is(v.chosen, 0);
  t.true(v.steps[0]!.publishable);
  t.regex(v.reason, /^site validation by a, b: full step: worst a heldOut 0\.8000 → 0\.8200 \(\+0\.0200\)$/);
});

test('one site loses 0.009 at the full step and 0.004 at half: half is chosen, the full step names the site', (t) => {
  const v = siteVerdict(steps, new Map([['pd', rep(0.85, 0.841, 0.846, 0.849)], ['fs', rep(0.2, 0.4, 0.3, 0.25)]]), 0.005);
  t.is(v.chosen, 1);
  t.is(v.steps[0]!.worst!.siteId, 'pd');
  t.true(Math.abs(v.steps[0]!.worst!.loss - 0.009) < 1e-12);
  t.regex(v.reason, /full step: worst pd heldOut 0\.8500 → 0\.8410 \(−0\.0090\), loses more than ε 0\.005; server step 0\.5: worst pd heldOut 0\.8500 → 0\.8460 \(−0\.0040\)$/);
});

test('a loss on the benchmark set counts like one on the held-out set', (t) => {
  const r: SiteReport = { heldOut: { slices: 10, root: 0.8, steps: [0.9, 0.85, 0.82] }, benchmark: { slices: 10, root: 0.9, steps: [0.89, 0.893, 0.899] } };
  const v = siteVerdict(steps, new Map([['a', r]]), 0.005);
  // benchmark: −0.010 at the full step, −0.007 at half, −0.001 at a quarter (held-out gains at every step)
  t.is(v.chosen, 2);
  t.is(v.steps[1]!.worst!.set, 'benchmark');
});

test('a loss at every step: nothing is chosen and every step is in the reason', (t) => {
  const v = siteVerdict(steps, new Map([['t1', rep(0.86, 0.8, 0.83, 0.85)]]), 0.005);
  t.is(v.chosen, null);
  t.is(v.reason.split('; ').length, 3);
  t.regex(v.reason, /server step 0\.25: worst t1 heldOut 0\.8600 → 0\.8500 \(−0\.0100\), loses more than ε 0\.005$/);
});

test('a loss of exactly ε is allowed (the gate is "at most ε")', (t) => {
  // Binary-exact numbers (0.5 − 0.4921875 = 2⁻⁷): a loss equal to ε, not one rounding error above it.
  t.is(siteVerdict([1], new Map([['a', rep(0.5, 0.4921875)]]), 0.0078125).chosen, 0);
  t.is(siteVerdict([1], new Map([['a', rep(0.5, 0.4921875 - 2 ** -20)]]), 0.0078125).chosen, null);
});

test('no reports: nothing is publishable', (t) => {
  const v = siteVerdict(steps, new Map(), 0.005);
  t.is(v.chosen, null);
  t.is(v.reason, 'no site reported a validation of the proposal');
});

test('reportFits: the report must score exactly the proposed steps, on at least one set, with finite numbers', (t) => {
  t.true(reportFits(rep(0.8, 0.8, 0.8, 0.8), 3));
  t.false(reportFits(rep(0.8, 0.8, 0.8), 3), 'one step missing');
  t.false(reportFits({}, 3), 'no set');
  t.false(reportFits({ heldOut: { slices: 0, root: 0.8, steps: [0.8, 0.8, 0.8] } }, 3), 'no slices');
  t.false(reportFits(rep(0.8, 0.8, Number.NaN, 0.8), 3), 'not finite');
});
