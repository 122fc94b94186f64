import test from 'ava';
import { argmax, axisMap, centringOffset, labelsToSource, resampleSlice } from '../../src/inference/resample.js';
import { mulberry32 } from '../../src/random.js';

const rng = mulberry32;

test('equal spacing maps pixel centres exactly: resampling there and back is the identity', (t) => {
  const R = 5;
  const C = 7;
  const H = 9;
  const W = 10;
  const src = Float32Array.from({ length: R * C }, (_, i) => i * 1.5);
  const offY = centringOffset(R, 1.2, H, 1.2);
  const offX = centringOffset(C, 0.8, W, 0.8);
  const out = new Float32Array(H * W);
  resampleSlice(src, 0, C, axisMap(R, 1.2, H, 1.2, offY, true), axisMap(C, 0.8, W, 0.8, offX, true), out, 0, -1);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) t.is(out[(r + offY) * W + c + offX], src[r * C + c]);
  t.is(out.filter((v) => v === -1).length, H * W - R * C, 'everything else is padding');
});

test('labels back onto a finer source grid: agreeing neighbours give their label, boundaries the arg-max of interpolated logits among them', (t) => {
  const H = 12;
  const W = 12;
  const K = 4;
  const plane = H * W;
  const rand = rng(9);
  const logits = Float32Array.from({ length: K * plane }, () => rand() * 4);
  const labels = new Uint8Array(plane);
  argmax(logits, 0, K, plane, labels);
  const R = 29; // source 29×29 at 0.4 mm under a 12×12 model grid at 1 mm
  const rows = axisMap(H, 1, R, 0.4, centringOffset(R, 0.4, H, 1), false);
  const cols = axisMap(W, 1, R, 0.4, centringOffset(R, 0.4, W, 1), false);
  const out = new Uint8Array(R * R);
  labelsToSource(labels, logits, 0, plane, W, rows, cols, out, 0);
  let checked = 0;
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < R; c++) {
      if (!rows.inside[r] || !cols.inside[c]) {
        t.is(out[r * R + c], 0);
        continue;
      }
      const y = [rows.lo[r]!, rows.hi[r]!];
      const x = [cols.lo[c]!, cols.hi[c]!];
      const wy = rows.w[r]!;
      const wx = cols.w[c]!;
      const w = [(1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy, wx * wy];
      const at = [y[0]! * W + x[0]!, y[0]! * W + x[1]!, y[1]! * W + x[0]!, y[1]! * W + x[1]!];
      // Reference: interpolate every neighbouring label's logit, take the best (ties → lower label).
      const candidates = [...new Set(at.map((p) => labels[p]!))].sort((a, b) => a - b);
      let best = -1;
      let bestValue = -Infinity;
      for (const l of candidates) {
        const v = at.reduce((s, p, i) => s + w[i]! * logits[l * plane + p]!, 0);
        if (v > bestValue + 1e-6) {
          bestValue = v;
          best = l;
        }
      }
      if (candidates.length === 1) t.is(out[r * R + c], candidates[0]);
      else t.is(out[r * R + c], best, `pixel ${r},${c}`);
      checked++;
    }
  }
  t.true(checked > 500);
});
