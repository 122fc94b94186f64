/**
 * In-plane resampling between a source slice grid and the model's grid (issue 3 item 3).
 *
 * Both grids are centred on each other with a whole number of model pixels of offset, so that a
 * model spacing equal to the source spacing maps pixel centres exactly onto pixel centres (no
 * interpolation at all), which is what makes voxel-exact pipeline tests possible. Model pixel y
 * has its centre at (y − off + 0.5)·modelSpacing from the source image's top edge.
 */
export interface AxisMap {
  /** For each target index: lower source index, upper source index, weight of the upper one. */
  lo: Int32Array;
  hi: Int32Array;
  w: Float32Array;
  /** 1 where the target index falls inside the source extent (± half a pixel), else 0. */
  inside: Uint8Array;
}

/** Offset in model pixels that centres `srcCount·srcSpacing` mm inside `dstCount·dstSpacing` mm. */
export function centringOffset(srcCount: number, srcSpacing: number, dstCount: number, dstSpacing: number): number {
  return Math.round((dstCount * dstSpacing - srcCount * srcSpacing) / (2 * dstSpacing));
}

/**
 * For each of `dstCount` target pixels: where its centre falls on the source axis. `forward`
 * maps model → source (dst = model); otherwise source → model (dst = source, src = model).
 */
export function axisMap(srcCount: number, srcSpacing: number, dstCount: number, dstSpacing: number, offset: number, forward: boolean): AxisMap {
  const lo = new Int32Array(dstCount);
  const hi = new Int32Array(dstCount);
  const w = new Float32Array(dstCount);
  const inside = new Uint8Array(dstCount);
  const ratio = dstSpacing / srcSpacing;
  for (let d = 0; d < dstCount; d++) {
    // forward: position of model pixel d in source pixels; backward: of source pixel d in model pixels.
    const pos = forward ? (d - offset + 0.5) * ratio - 0.5 : (d + 0.5) * ratio - 0.5 + offset;
    inside[d] = pos > -0.5 - 1e-9 && pos < srcCount - 0.5 + 1e-9 ? 1 : 0;
    const p = Math.min(Math.max(pos, 0), srcCount - 1);
    const f = Math.floor(p);
    lo[d] = f;
    hi[d] = Math.min(f + 1, srcCount - 1);
    // Snap tiny float noise so an exact grid match stays exact.
    const frac = p - f;
    w[d] = frac < 1e-6 ? 0 : frac > 1 - 1e-6 ? 1 : frac;
  }
  return { lo, hi, w, inside };
}

/** Bilinear resampling of one slice onto the model grid; outside the source: `pad`. */
export function resampleSlice(src: Float32Array, srcOffset: number, srcCols: number, rows: AxisMap, cols: AxisMap, out: Float32Array, outOffset: number, pad: number): void {
  const h = rows.lo.length;
  const wdt = cols.lo.length;
  for (let y = 0; y < h; y++) {
    const o = outOffset + y * wdt;
    if (!rows.inside[y]) {
      out.fill(pad, o, o + wdt);
      continue;
    }
    const r0 = srcOffset + rows.lo[y]! * srcCols;
    const r1 = srcOffset + rows.hi[y]! * srcCols;
    const wy = rows.w[y]!;
    for (let x = 0; x < wdt; x++) {
      if (!cols.inside[x]) {
        out[o + x] = pad;
        continue;
      }
      const c0 = cols.lo[x]!;
      const c1 = cols.hi[x]!;
      const wx = cols.w[x]!;
      const top = wx === 0 ? src[r0 + c0]! : src[r0 + c0]! * (1 - wx) + src[r0 + c1]! * wx;
      if (wy === 0) out[o + x] = top;
      else {
        const bottom = wx === 0 ? src[r1 + c0]! : src[r1 + c0]! * (1 - wx) + src[r1 + c1]! * wx;
        out[o + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
}

/**
 * Labels of one model-grid slice back onto the source slice. Where the four surrounding model
 * pixels agree, that label; at boundaries the logits are interpolated bilinearly and the arg-max
 * taken among the neighbouring labels, which gives smooth edges when the model grid is coarser.
 * Ties go to the lower label, like the model-grid arg-max.
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
export function argmax(logits: Float32Array, offset: number, channels: number, plane: number, out: Uint8Array): void {
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
