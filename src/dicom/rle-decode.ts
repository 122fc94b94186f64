/**
 * RLE Lossless (1.2.840.10008.1.2.5), PS3.5 Annex G, for monochrome frames.
 *
 * A frame is one fragment: a 64-byte header (G.5: number of segments, then 15 segment offsets, all
 * 32-bit little endian), then the segments. Each segment holds one byte plane of the frame, most
 * significant byte first (G.2: for 16-bit samples segment 1 is the high bytes, segment 2 the low
 * bytes), compressed with the PackBits scheme of G.3.1: a header byte n, then
 *   0 ≤ n ≤ 127: the next n + 1 bytes literally;  -127 ≤ n ≤ -1: the next byte 1 - n times;  -128: nothing.
 * A segment may end with a padding byte (G.4), ignored once its plane is complete.
 */

export class RleError extends Error {
  override name = 'RleError';
}

/**
 * Decodes an RLE frame of `pixels` samples of `bytesPerSample` bytes into `out` as raw bit
 * patterns (byte plane b lands at bits 8·(bytesPerSample − 1 − b)).
 */
export function decodeRle(frame: Uint8Array, pixels: number, bytesPerSample: number, out: Int32Array): void {
  if (frame.length < 64) throw new RleError(`the RLE header needs 64 bytes, the frame has ${frame.length} (PS3.5 §G.5)`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== bytesPerSample) {
    throw new RleError(`the RLE header lists ${segments} segments; a ${8 * bytesPerSample}-bit monochrome frame has ${bytesPerSample} (PS3.5 §G.2)`);
  }
  out.fill(0, 0, pixels);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end < start || end > frame.length) {
      throw new RleError(`RLE segment ${s + 1} has offsets ${start}..${end} outside the ${frame.length}-byte frame (PS3.5 §G.5)`);
    }
    const got = unpack(frame, start, end, out, pixels, 8 * (bytesPerSample - 1 - s));
    if (got !== pixels) throw new RleError(`RLE segment ${s + 1} decodes to ${got} bytes, expected ${pixels} (PS3.5 §G.3)`);
  }
}

/** PackBits-decodes `src[p, end)` into byte plane `shift` of `out`; returns the bytes produced. */
function unpack(src: Uint8Array, p: number, end: number, out: Int32Array, pixels: number, shift: number): number {
  let i = 0;
  while (i < pixels && p < end) {
    const n = src[p++]!;
    if (n < 128) {
      const count = n + 1;
      if (i + count > pixels) return overrun(pixels);
      if (p + count > end) return i; // truncated: the caller reports the short plane
      for (let q = 0; q < count; q++) out[i++]! |= src[p++]! << shift;
    } else if (n > 128) {
      const count = 257 - n;
      if (p >= end) return i;
      if (i + count > pixels) return overrun(pixels);
      const v = src[p++]! << shift;
      for (let q = 0; q < count; q++) out[i++]! |= v;
    }
    // n = 128 (-128): no operation (PS3.5 §G.3.1).
  }
  return i;
}

function overrun(pixels: number): never {
  throw new RleError(`an RLE run goes past the ${pixels} bytes of its segment (PS3.5 §G.3)`);
}
