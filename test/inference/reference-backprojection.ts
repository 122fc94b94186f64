/**
 * The back-projection and arg-max exactly as the pipeline had them before the per-cell rewrite
 * (commit e1194d0), kept as the reference the faster versions must match: label for label, except
 * where two labels' interpolated logits tie to within rounding (referenceInterpolated tells).
 */
import type { AxisMap } from '../../src/inference/resample.js';

export function referenceLabelsToSource(
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
  const h = rows.lo.length;
  const wdt = cols.lo.length;
  for (let r = 0; r < h; r++) {
    const o = outOffset + r * wdt;
    if (!rows.inside[r]) {
      out.fill(0, o, o + wdt);
      continue;
    }
    const y0 = rows.lo[r]! * modelCols;
    const y1 = rows.hi[r]! * modelCols;
    const wy = rows.w[r]!;
    for (let c = 0; c < wdt; c++) {
      if (!cols.inside[c]) {
        out[o + c] = 0;
        continue;
      }
      const x0 = cols.lo[c]!;
      const x1 = cols.hi[c]!;
      const wx = cols.w[c]!;
      const a = modelLabels[y0 + x0]!;
      if (wx === 0 && wy === 0) {
        out[o + c] = a;
        continue;
      }
      const b = modelLabels[y0 + x1]!;
      const d = modelLabels[y1 + x0]!;
      const e = modelLabels[y1 + x1]!;
      if (a === b && a === d && a === e) {
        out[o + c] = a;
        continue;
      }
      // Arg-max of the interpolated logits among the (up to four) labels around this pixel,
      // written out without allocation: this runs for every boundary pixel of every slice.
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      const p00 = y0 + x0;
      const p01 = y0 + x1;
      const p10 = y1 + x0;
      const p11 = y1 + x1;
      let best = a;
      let base = logitsOffset + a * plane;
      let bestValue = w00 * logits[base + p00]! + w01 * logits[base + p01]! + w10 * logits[base + p10]! + w11 * logits[base + p11]!;
      if (b !== a) {
        base = logitsOffset + b * plane;
        const v = w00 * logits[base + p00]! + w01 * logits[base + p01]! + w10 * logits[base + p10]! + w11 * logits[base + p11]!;
        if (v > bestValue || (v === bestValue && b < best)) {
          bestValue = v;
          best = b;
        }
      }
      if (d !== a && d !== b) {
        base = logitsOffset + d * plane;
        const v = w00 * logits[base + p00]! + w01 * logits[base + p01]! + w10 * logits[base + p10]! + w11 * logits[base + p11]!;
        if (v > bestValue || (v === bestValue && d < best)) {
          bestValue = v;
          best = d;
        }
      }
      if (e !== a && e !== b && e !== d) {
        base = logitsOffset + e * plane;
        const v = w00 * logits[base + p00]! + w01 * logits[base + p01]! + w10 * logits[base + p10]! + w11 * logits[base + p11]!;
        if (v > bestValue || (v === bestValue && e < best)) best = e;
      }
      out[o + c] = best;
    }
  }
}

/** Arg-max over channels of one N×C×H×W item; ties go to the lower channel. */
export function referenceArgmax(logits: Float32Array, offset: number, channels: number, plane: number, out: Uint8Array): void {
  out.fill(0);
  const best = new Float32Array(plane);
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

/** The reference's bilinear logit of `label` at source pixel (r, c), inside the model field. */
export function referenceInterpolated(label: number, logits: Float32Array, logitsOffset: number, plane: number, modelCols: number, rows: AxisMap, cols: AxisMap, r: number, c: number): number {
  const wy = rows.w[r]!;
  const wx = cols.w[c]!;
  const base = logitsOffset + label * plane;
  const y0 = rows.lo[r]! * modelCols;
  const y1 = rows.hi[r]! * modelCols;
  const x0 = cols.lo[c]!;
  const x1 = cols.hi[c]!;
  return (1 - wx) * (1 - wy) * logits[base + y0 + x0]! + wx * (1 - wy) * logits[base + y0 + x1]! + (1 - wx) * wy * logits[base + y1 + x0]! + wx * wy * logits[base + y1 + x1]!;
}
