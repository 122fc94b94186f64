/**
 * Label volume → BINARY segmentation frames, bit-packed (PS3.5 §8.1.1; PS3.3 C.8.20.2.1): with Bits
 * Allocated 1, pixel n of the Pixel Data is bit (n mod 8) of byte ⌊n / 8⌋ (least significant bit
 * first), and frames follow each other with no padding, so a frame may start mid-byte. The whole
 * value is padded to an even length (PS3.5 §7.1.1).
 */

/** The frames of a SEG in order: frame f shows segment `segment[f]` on slice `slice[f]`. */
export interface FramePlan {
  count: number;
  segment: Uint16Array;
  slice: Uint32Array;
  /** frame index of (label v, slice k) at v·slices + k, or -1 */
  frameOf: Int32Array;
}

/**
 * The voxel loops below go slice by slice, read 32 bits at a time where the slice is 4-byte aligned
 * and skip all-background words; they are written out inline (no per-voxel calls or divisions).
 */
function wordView(data: Uint8Array, start: number, length: number): Uint32Array | undefined {
  if (((data.byteOffset + start) & 3) !== 0 || (length & 3) !== 0) return undefined;
  return new Uint32Array(data.buffer, data.byteOffset + start, length >>> 2);
}

/** presence[v·slices + k] = 1 when label v occurs on slice k. */
export function labelPresence(data: Uint8Array, pixelsPerSlice: number, slices: number): Uint8Array {
  const presence = new Uint8Array(256 * slices);
  const seen = new Uint8Array(256);
  for (let k = 0; k < slices; k++) {
    const base = k * pixelsPerSlice;
    seen.fill(0);
    const w = wordView(data, base, pixelsPerSlice);
    if (w) {
      for (let q = 0; q < w.length; q++) {
        const a = w[q]!;
        if (a === 0) continue;
        const v = a & 0xff;
        if (a === v * 0x01010101) {
          seen[v] = 1;
          continue;
        }
        const i = base + (q << 2);
        seen[data[i]!] = 1;
        seen[data[i + 1]!] = 1;
        seen[data[i + 2]!] = 1;
        seen[data[i + 3]!] = 1;
      }
    } else {
      for (let i = base, e = base + pixelsPerSlice; i < e; i++) seen[data[i]!] = 1;
    }
    for (let v = 1; v < 256; v++) if (seen[v]) presence[v * slices + k] = 1;
  }
  return presence;
}

/**
 * Frames ordered by segment number, then slice (PS3.3 C.7.6.17: the order is the writer's choice;
 * readers place frames by their functional groups). With `omitEmpty`, only (segment, slice) pairs
 * with at least one voxel; if that leaves none, one empty frame keeps the SEG valid (Number of
 * Frames ≥ 1).
 */
export function planFrames(presence: Uint8Array, slices: number, segmentNumbers: readonly number[], omitEmpty: boolean): FramePlan {
  const seg: number[] = [];
  const sl: number[] = [];
  const frameOf = new Int32Array(256 * slices).fill(-1);
  for (const s of segmentNumbers) {
    for (let k = 0; k < slices; k++) {
      if (omitEmpty && presence[s * slices + k] === 0) continue;
      frameOf[s * slices + k] = seg.length;
      seg.push(s);
      sl.push(k);
    }
  }
  if (seg.length === 0) {
    seg.push(segmentNumbers[0]!);
    sl.push(0);
  }
  return { count: seg.length, segment: Uint16Array.from(seg), slice: Uint32Array.from(sl), frameOf };
}

/** Bytes needed for `frames` bit-packed frames, padded to even length. */
export function packedLength(frames: number, pixelsPerFrame: number): number {
  const bytes = Math.ceil((frames * pixelsPerFrame) / 8);
  return bytes + (bytes & 1);
}

/** Packs each voxel of label v on slice k into frame frameOf[v·slices + k]. */
export function packBinaryFrames(data: Uint8Array, pixelsPerSlice: number, slices: number, plan: FramePlan): Uint8Array {
  const totalBits = plan.count * pixelsPerSlice;
  // Bit offsets are handled as uint32 (`>>> 3`); 2^32 bits is a 512 MiB Pixel Data value.
  if (totalBits >= 2 ** 32) throw new RangeError(`SEG too large: ${plan.count} frames of ${pixelsPerSlice} pixels`);
  const out = new Uint8Array(packedLength(plan.count, pixelsPerSlice));
  // Bit offset of each label's frame on the current slice, or -1 (no frame: label 0, or a label
  // without a segment definition, which writeSeg rejects earlier).
  const frameBit = new Float64Array(256);
  for (let k = 0; k < slices; k++) {
    for (let v = 0; v < 256; v++) {
      const f = v === 0 ? -1 : plan.frameOf[v * slices + k]!;
      frameBit[v] = f < 0 ? -1 : f * pixelsPerSlice;
    }
    const base = k * pixelsPerSlice;
    const w = wordView(data, base, pixelsPerSlice);
    if (w && (pixelsPerSlice & 7) === 0) {
      // Every frame starts on a byte boundary, so 8 pixels of one label fill one output byte.
      for (let q = 0; q < w.length; q += 2) {
        const a = w[q]!, b = w[q + 1]!;
        if ((a | b) === 0) continue;
        const v = a & 0xff;
        if (a === b && a === v * 0x01010101) {
          const fb = frameBit[v]!;
          if (fb >= 0) out[(fb + (q << 2)) >>> 3] = 0xff;
        } else {
          packRange(out, data, frameBit, base, q << 2, (q << 2) + 8);
        }
      }
    } else if (w) {
      for (let q = 0; q < w.length; q++) if (w[q] !== 0) packRange(out, data, frameBit, base, q << 2, (q << 2) + 4);
    } else {
      packRange(out, data, frameBit, base, 0, pixelsPerSlice);
    }
  }
  return out;
}

/** Sets the bits of slice pixels [from, to) (slice starting at `base`) in their labels' frames. */
function packRange(out: Uint8Array, data: Uint8Array, frameBit: Float64Array, base: number, from: number, to: number): void {
  for (let p = from; p < to; p++) {
    const fb = frameBit[data[base + p]!]!;
    if (fb < 0) continue;
    const bit = fb + p;
    out[bit >>> 3]! |= 1 << (bit & 7);
  }
}
