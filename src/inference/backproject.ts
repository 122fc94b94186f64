import type { AxisMap } from './resample.js';

/**
 * Model-grid labels back onto the source grid, and the arg-max that makes those labels (issue 3
 * item 3). This is the pipeline's hottest code after the network itself: it runs on every pixel
 * of every source slice while onnxruntime's threads want both cores (docs/benchmarks.md).
 */

/** Runs of consecutive target indices that share the same source cell (lo, hi, inside). */
interface Runs {
  start: Int32Array;
  /** Exclusive. */
  end: Int32Array;
  count: number;
}

const runsCache = new WeakMap<AxisMap, Runs>();

function runsOf(m: AxisMap): Runs {
  const cached = runsCache.get(m);
  if (cached) return cached;
  const n = m.lo.length;
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (count > 0) {
      const s = start[count - 1]!;
      if (m.lo[s] === m.lo[i] && m.hi[s] === m.hi[i] && m.inside[s] === m.inside[i]) {
        end[count - 1] = i + 1;
        continue;
      }
    }
    start[count] = i;
    end[count] = i + 1;
    count++;
  }
  const runs = { start, end, count };
  runsCache.set(m, runs);
  return runs;
}

/**
 * Labels of one model-grid slice back onto the source slice. Where the four surrounding model
 * pixels agree, that label; at boundaries the logits are interpolated bilinearly and the arg-max
 * taken among the neighbouring labels, which gives smooth edges when the model grid is coarser.
 * Ties go to the lower label, like the model-grid arg-max.
 *
 * Works cell by cell (the source pixels that share the same four model pixels): labels, candidate
 * set and corner logits are read once per cell. Within a cell the bilinear value of a label is
 * linear along a row, L + wx·S, with L and S computed once per source row; where only two labels
 * meet (most boundary cells) only the sign of their difference matters, so a pixel costs one
 * multiply-add and a comparison. The result equals the per-pixel reference
 * (test/inference/reference-backprojection.ts) except where two labels' interpolated logits tie
 * to within rounding (the reference and this order of operations may then round the tie either
 * way): test/inference/backproject.test.ts checks that every differing pixel is such a tie.
 */
export function labelsToSource(
  modelLabels: Uint8Array,
  logits: Float32Array,
  logitsOffset: number,
  plane: number,
  modelCols: number,
  rows: AxisMap,
  cols: AxisMap,
  out: Uint8Array,
  outOffset: number,
): void {
  const wdt = cols.lo.length;
  const rr = runsOf(rows);
  const cr = runsOf(cols);
  const rw = rows.w;
  const cw = cols.w;
  for (let i = 0; i < rr.count; i++) {
    const r0 = rr.start[i]!;
    const r1 = rr.end[i]!;
    if (!rows.inside[r0]) {
      out.fill(0, outOffset + r0 * wdt, outOffset + r1 * wdt);
      continue;
    }
    const y0 = rows.lo[r0]! * modelCols;
    const y1 = rows.hi[r0]! * modelCols;
    for (let j = 0; j < cr.count; j++) {
      const c0 = cr.start[j]!;
      const c1 = cr.end[j]!;
      if (!cols.inside[c0]) {
        for (let r = r0; r < r1; r++) out.fill(0, outOffset + r * wdt + c0, outOffset + r * wdt + c1);
        continue;
      }
      const x0 = cols.lo[c0]!;
      const x1 = cols.hi[c0]!;
      const p00 = y0 + x0;
      const p01 = y0 + x1;
      const p10 = y1 + x0;
      const p11 = y1 + x1;
      const a = modelLabels[p00]!;
      const b = modelLabels[p01]!;
      const d = modelLabels[p10]!;
      const e = modelLabels[p11]!;
      if (a === b && a === d && a === e) {
        // A loop, not TypedArray.fill: for 2–3 pixels the call costs more than the stores.
        for (let r = r0; r < r1; r++) {
          const o = outOffset + r * wdt;
          for (let c = c0; c < c1; c++) out[o + c] = a;
        }
        continue;
      }
      const q = b !== a ? b : d !== a ? d : e;
      if ((b === a || b === q) && (d === a || d === q) && (e === a || e === q)) {
        // Two labels meet: the sign of their interpolated difference, lower label first so that
        // an exact tie (difference 0) goes to it.
        const lo = a < q ? a : q;
        const step = (a < q ? q : a) - lo;
        const bl = logitsOffset + lo * plane;
        const bh = logitsOffset + (lo + step) * plane;
        const d00 = logits[bl + p00]! - logits[bh + p00]!;
        const d01 = logits[bl + p01]! - logits[bh + p01]!;
        const d10 = logits[bl + p10]! - logits[bh + p10]!;
        const d11 = logits[bl + p11]! - logits[bh + p11]!;
        const s0 = d01 - d00;
        const s1 = d11 - d10;
        for (let r = r0; r < r1; r++) {
          const wy = rw[r]!;
          const l = d00 + wy * (d10 - d00);
          const s = s0 + wy * (s1 - s0);
          const o = outOffset + r * wdt;
          for (let c = c0; c < c1; c++) out[o + c] = lo + step * bit(l + cw[c]! * s < 0);
        }
        continue;
      }
      // Three or four labels: sorted (a ≤ b ≤ d ≤ e, a repeat is harmless) so that a strict
      // comparison keeps the lower label on a tie; then a tournament, (a, b) and (d, e), then the
      // winners, all without branches.
      const s1 = imin(a, b), s2 = imax(a, b), s3 = imin(d, e), s4 = imax(d, e);
      const t2 = imin(s2, s4), t3 = imax(s1, s3);
      const ka = imin(s1, s3), kb = imin(t2, t3), kd = imax(t2, t3), ke = imax(s2, s4);
      let base = logitsOffset + ka * plane;
      const a00 = logits[base + p00]!, a01 = logits[base + p01]!, a10 = logits[base + p10]!, a11 = logits[base + p11]!;
      base = logitsOffset + kb * plane;
      const b00 = logits[base + p00]!, b01 = logits[base + p01]!, b10 = logits[base + p10]!, b11 = logits[base + p11]!;
      base = logitsOffset + kd * plane;
      const d00 = logits[base + p00]!, d01 = logits[base + p01]!, d10 = logits[base + p10]!, d11 = logits[base + p11]!;
      base = logitsOffset + ke * plane;
      const e00 = logits[base + p00]!, e01 = logits[base + p01]!, e10 = logits[base + p10]!, e11 = logits[base + p11]!;
      const ba = kb - ka;
      const ed = ke - kd;
      for (let r = r0; r < r1; r++) {
        const wy = rw[r]!;
        const la = a00 + wy * (a10 - a00), sa = a01 - a00 + wy * (a11 - a10 - (a01 - a00));
        const lb = b00 + wy * (b10 - b00), sb = b01 - b00 + wy * (b11 - b10 - (b01 - b00));
        const ld = d00 + wy * (d10 - d00), sd = d01 - d00 + wy * (d11 - d10 - (d01 - d00));
        const le = e00 + wy * (e10 - e00), se = e01 - e00 + wy * (e11 - e10 - (e01 - e00));
        const o = outOffset + r * wdt;
        for (let c = c0; c < c1; c++) {
          const wx = cw[c]!;
          const va = la + wx * sa;
          const vb = lb + wx * sb;
          const vd = ld + wx * sd;
          const ve = le + wx * se;
          // m·x + (1 − m)·y with m ∈ {0, 1} is exactly x or y.
          const mab = bit(vb > va);
          const vab = vb * mab + va * (1 - mab);
          const mde = bit(ve > vd);
          const vde = ve * mde + vd * (1 - mde);
          const lab = ka + ba * mab;
          const lde = kd + ed * mde;
          out[o + c] = lab + (lde - lab) * bit(vde > vab);
        }
      }
    }
  }
}

/**
 * 1 when the comparison holds, else 0. V8 compiles a conditional expression on a coin-toss
 * comparison into a branch that the predictor keeps missing (6 ns per pixel against 0.9 ns for
 * this arithmetic form, measured on this machine), and a speckled output is all coin tosses.
 */
const bit = Number;
/** min / max of two small non-negative integers without a branch. */
const imin = (x: number, y: number): number => y + ((x - y) & ((x - y) >> 31));
const imax = (x: number, y: number): number => x - ((x - y) & ((x - y) >> 31));

let scratch = new Float32Array(0);

/** Arg-max over channels of one N×C×H×W item; ties go to the lower channel. */
export function argmax(logits: Float32Array, offset: number, channels: number, plane: number, out: Uint8Array): void {
  if (scratch.length < plane) scratch = new Float32Array(plane);
  const best = scratch;
  out.fill(0, 0, plane);
  best.set(logits.subarray(offset, offset + plane));
  for (let ch = 1; ch < channels; ch++) {
    const base = offset + ch * plane;
    for (let p = 0; p < plane; p++) {
      const v = logits[base + p]!;
      if (v > best[p]!) {
        best[p] = v;
        out[p] = ch;
      }
    }
  }
}
