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

// The back-projection and arg-max live in backproject.ts (the hot loop); re-exported for callers.
export { argmax, labelsToSource } from './backproject.js';
