import { decodeFloat16, encodeFloat16 } from './delta-float16.js';

/**
 * How one delta tensor is laid out in the (decompressed) payload. zlib then compresses the whole
 * payload; the measurements behind the choice of default are in docs/federation.md "Deltas".
 *  - float32: 4 bytes per value, exact.
 *  - float16: 2 bytes per value, relative error ≤ 2⁻¹¹.
 *  - sparse-float16: the largest-magnitude `keepFraction` of entries: u32 count k, k u32 index gaps
 *    (first index, then differences: small numbers that zlib compresses well), k float16 values.
 *    The dropped entries are the client's to carry forward (error feedback) if it wants to.
 */
export type TensorEncoding = 'float32' | 'float16' | 'sparse-float16';

export function encodeTensor(data: Float32Array, encoding: TensorEncoding, keepFraction = 0.1): Buffer {
  if (encoding === 'float32') return Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (encoding === 'float16') return encodeFloat16(data);
  const keep = topMagnitudeIndices(data, keepFraction);
  const out = Buffer.alloc(4 + keep.length * 6);
  out.writeUInt32LE(keep.length, 0);
  let prev = 0;
  keep.forEach((idx, i) => {
    out.writeUInt32LE(idx - prev, 4 + i * 4);
    prev = idx;
  });
  encodeFloat16(Float32Array.from(keep, (i) => data[i]!)).copy(out, 4 + keep.length * 4);
  return out;
}

/** Decodes `count` values; throws RangeError when the bytes do not fit (the caller maps it to bad-format). */
export function decodeTensor(bytes: Uint8Array, count: number, encoding: TensorEncoding): Float32Array {
  if (encoding === 'float32') {
    if (bytes.length !== count * 4) throw new RangeError(`float32 tensor: ${bytes.length} bytes for ${count} values`);
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  if (encoding === 'float16') {
    if (bytes.length !== count * 2) throw new RangeError(`float16 tensor: ${bytes.length} bytes for ${count} values`);
    return decodeFloat16(bytes, count);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) throw new RangeError('sparse tensor: no count');
  const k = buf.readUInt32LE(0);
  if (k > count || buf.length !== 4 + k * 6) throw new RangeError(`sparse tensor: ${k} entries do not fit ${buf.length} bytes / ${count} values`);
  const values = decodeFloat16(buf.subarray(4 + k * 4), k);
  const out = new Float32Array(count);
  let idx = 0;
  for (let i = 0; i < k; i++) {
    idx += buf.readUInt32LE(4 + i * 4);
    if (idx >= count || (i > 0 && buf.readUInt32LE(4 + i * 4) === 0)) throw new RangeError('sparse tensor: index out of range or repeated');
    out[idx] = values[i]!;
  }
  return out;
}

/** Indices of the ⌈fraction·n⌉ largest |values| (non-zero only), ascending. */
function topMagnitudeIndices(data: Float32Array, fraction: number): number[] {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`keepFraction must be in (0, 1], got ${fraction}`);
  const k = Math.min(data.length, Math.ceil(fraction * data.length));
  const order = Array.from({ length: data.length }, (_, i) => i).filter((i) => data[i] !== 0);
  if (order.length > k) {
    order.sort((a, b) => Math.abs(data[b]!) - Math.abs(data[a]!));
    order.length = k;
  }
  return order.sort((a, b) => a - b);
}
