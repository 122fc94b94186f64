import test from 'ava';
import { argmax, labelsToSource } from '../../src/inference/backproject.js';
import { axisMap, centringOffset } from '../../src/inference/resample.js';
import { mulberry32 } from '../../src/random.js';
import { referenceArgmax, referenceInterpolated, referenceLabelsToSource } from './reference-backprojection.js';

/**
 * The cell-by-cell back-projection must give what the per-pixel version gave, on every
 * geometry the pipeline meets: coarser and finer model grids, equal spacing, a source larger than
 * the model's field (outside pixels), non-square grids, several items in one batch, and logits
 * quantised so that ties between labels actually happen.
 */
const cases: { name: string; H: number; W: number; R: number; C: number; ms: [number, number]; ss: [number, number] }[] = [
  { name: 'source 0.45 mm under a 1 mm model (bench geometry, scaled down)', H: 32, W: 32, R: 64, C: 64, ms: [1, 1], ss: [0.45, 0.45] },
  { name: 'source larger than the model field (outside pixels)', H: 16, W: 20, R: 50, C: 47, ms: [1, 1], ss: [0.45, 0.5] },
  { name: 'equal spacing', H: 24, W: 24, R: 17, C: 21, ms: [0.8, 0.8], ss: [0.8, 0.8] },
  { name: 'source coarser than the model', H: 40, W: 36, R: 13, C: 11, ms: [0.5, 0.6], ss: [1.7, 2.1] },
  { name: 'anisotropic, non-square', H: 20, W: 28, R: 37, C: 23, ms: [1.2, 0.9], ss: [0.6, 1.1] },
];

for (const k of cases) {
  for (const mode of ['speckled', 'smooth', 'ties'] as const) {
    test(`labelsToSource matches the per-pixel reference: ${k.name}, ${mode} logits`, (t) => {
      const rand = mulberry32(k.H * 131 + k.R + mode.length);
      const channels = 5;
      const N = 2;
      const plane = k.H * k.W;
      const logits = new Float32Array(N * channels * plane);
      for (let b = 0; b < N; b++) {
        for (let ch = 0; ch < channels; ch++) {
          // smooth: each channel peaks around its own centre, so labels form regions with edges.
          const cy = rand() * k.H;
          const cx = rand() * k.W;
          for (let y = 0; y < k.H; y++) {
            for (let x = 0; x < k.W; x++) {
              const i = (b * channels + ch) * plane + y * k.W + x;
              if (mode === 'smooth') logits[i] = -Math.hypot(y - cy, x - cx) / 4 + rand() * 0.2;
              else if (mode === 'ties') logits[i] = Math.floor(rand() * 3);
              else logits[i] = rand() * 4 - 2;
            }
          }
        }
      }
      const offY = centringOffset(k.R, k.ss[0], k.H, k.ms[0]);
      const offX = centringOffset(k.C, k.ss[1], k.W, k.ms[1]);
      const rows = axisMap(k.H, k.ms[0], k.R, k.ss[0], offY, false);
      const cols = axisMap(k.W, k.ms[1], k.C, k.ss[1], offX, false);
      const got = new Uint8Array(N * k.R * k.C).fill(99);
      const want = new Uint8Array(N * k.R * k.C).fill(77);
      const ml = new Uint8Array(plane);
      const rl = new Uint8Array(plane);
      let boundary = 0;
      for (let b = 0; b < N; b++) {
        argmax(logits, b * channels * plane, channels, plane, ml);
        referenceArgmax(logits, b * channels * plane, channels, plane, rl);
        t.deepEqual(ml, rl, 'model-grid arg-max');
        labelsToSource(ml, logits, b * channels * plane, plane, k.W, rows, cols, got, b * k.R * k.C);
        referenceLabelsToSource(rl, logits, b * channels * plane, plane, k.W, rows, cols, want, b * k.R * k.C);
        for (let y = 0; y < k.H - 1; y++) for (let x = 0; x < k.W - 1; x++) if (ml[y * k.W + x] !== ml[(y + 1) * k.W + x + 1]) boundary++;
      }
      t.true(boundary > 0, 'the case exercises label boundaries');
      let differ = 0;
      for (let i = 0; i < got.length; i++) {
        if (got[i] === want[i]) continue;
        differ++;
        const b = Math.floor(i / (k.R * k.C));
        const r = Math.floor((i % (k.R * k.C)) / k.C);
        const c = i % k.C;
        const value = (label: number) => referenceInterpolated(label, logits, b * channels * plane, plane, k.W, rows, cols, r, c);
        t.true(Math.abs(value(got[i]!) - value(want[i]!)) <= 1e-9, `pixel ${b}/${r}/${c}: ${got[i]} instead of ${want[i]} without a tie`);
      }
      t.log(`${differ} of ${got.length} pixels differ, all at ties`);
      t.true(differ <= got.length / 1000);
      t.true(new Set(got).size > 1);
    });
  }
}
