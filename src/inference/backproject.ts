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
 * Works cell by cell (the source pixels that share the same four model pixels): the labels, the
 * candidate set and the candidates' corner logits are read once per cell instead of once per
 * pixel, and the per-pixel branches become predictable. The arithmetic per pixel is the same
 * expression, in the same order, as the per-pixel version (test/inference/reference-
 * backprojection.ts), so the result is bit for bit the same.
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
        for (let r = r0; r < r1; r++) {
          const o = outOffset + r * wdt;
          for (let c = c0; c < c1; c++) out[o + c] = a;
        }
        continue;
      }
      // Candidates in the order a, b, d, e without repeats, with their four corner logits.
      const hasB = b !== a;
      const hasD = d !== a && d !== b;
      const hasE = e !== a && e !== b && e !== d;
      let base = logitsOffset + a * plane;
      const a00 = logits[base + p00]!, a01 = logits[base + p01]!, a10 = logits[base + p10]!, a11 = logits[base + p11]!;
      base = logitsOffset + b * plane;
      const b00 = logits[base + p00]!, b01 = logits[base + p01]!, b10 = logits[base + p10]!, b11 = logits[base + p11]!;
      base = logitsOffset + d * plane;
      const d00 = logits[base + p00]!, d01 = logits[base + p01]!, d10 = logits[base + p10]!, d11 = logits[base + p11]!;
      base = logitsOffset + e * plane;
      const e00 = logits[base + p00]!, e01 = logits[base + p01]!, e10 = logits[base + p10]!, e11 = logits[base + p11]!;
      for (let r = r0; r < r1; r++) {
        const o = outOffset + r * wdt;
        const wy = rw[r]!;
        for (let c = c0; c < c1; c++) {
          const wx = cw[c]!;
          if (wx === 0 && wy === 0) {
            out[o + c] = a;
            continue;
          }
          const w00 = (1 - wx) * (1 - wy);
          const w01 = wx * (1 - wy);
          const w10 = (1 - wx) * wy;
          const w11 = wx * wy;
          let best = a;
          let bestValue = w00 * a00 + w01 * a01 + w10 * a10 + w11 * a11;
          if (hasB) {
            const v = w00 * b00 + w01 * b01 + w10 * b10 + w11 * b11;
            if (v > bestValue || (v === bestValue && b < best)) {
              bestValue = v;
              best = b;
            }
          }
          if (hasD) {
            const v = w00 * d00 + w01 * d01 + w10 * d10 + w11 * d11;
            if (v > bestValue || (v === bestValue && d < best)) {
              bestValue = v;
              best = d;
            }
          }
          if (hasE) {
            const v = w00 * e00 + w01 * e01 + w10 * e10 + w11 * e11;
            if (v > bestValue || (v === bestValue && e < best)) best = e;
          }
          out[o + c] = best;
        }
      }
    }
  }
}

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
