/**
 * IEEE 754 binary16 conversion (Node 20 has no Float16Array). Round to nearest, ties to even, with
 * subnormals, so the error of a float16 delta is bounded: |x − f16(x)| ≤ 2⁻¹¹·|x| for |x| ≥ 2⁻¹⁴
 * (6.1e-5) and ≤ 2⁻²⁵ (half the smallest subnormal) below that; values beyond 65504 saturate to ±65504 instead of becoming
 * infinite (a delta that large is a poisoned one; the merge clips it, it must not become NaN).
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export const FLOAT16_MAX = 65504;

export function toFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  f32[0] = Math.max(-FLOAT16_MAX, Math.min(FLOAT16_MAX, value));
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp < 102) return sign; // below half the smallest subnormal (2⁻²⁵): ±0
  if (exp < 113) {
    // Subnormal half: value = mant' · 2⁻²⁴. Shift the full significand (with its implicit 1).
    mant |= 0x800000;
    const shift = 126 - exp; // 14..24
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half; // a carry into the exponent field gives the smallest normal: still correct
  }
  let e = exp - 112;
  let half = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) {
    half++;
    if (half === 0x400) {
      half = 0;
      e++;
    }
  }
  return sign | (e << 10) | half; // e ≤ 30 because of the saturation above
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** float32 values → little-endian binary16 bytes. */
export function encodeFloat16(values: Float32Array): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(toFloat16Bits(values[i]!), i * 2);
  return out;
}

export function decodeFloat16(bytes: Uint8Array, count: number, out = new Float32Array(count)): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = fromFloat16Bits(view.getUint16(i * 2, true));
  return out;
}
