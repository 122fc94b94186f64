/**
 * Frame encoders for the encapsulated transfer syntaxes the phantom writer offers (PS3.5 §8.2, §A.4):
 *
 * - RLE Lossless (PS3.5 Annex G): written here. One byte segment per byte of the sample, most
 *   significant first (§G.2), each row PackBits-coded on its own (§G.3.1), 64-byte header (§G.4).
 * - JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1,
 *   1.2.840.10008.1.2.4.70): written here from ITU-T T.81 Annex H (predictor Ra, point transform 0)
 *   with a Huffman table optimised for the frame (Annex K.2); no encoder package exists for it.
 * - JPEG-LS Lossless (CharLS), JPEG 2000 Lossless (OpenJPEG, reversible 5/3 wavelet) and 8-bit JPEG
 *   Baseline (libjpeg-turbo, lossy) through the WASM codecs of src/dicom/codecs.ts.
 *
 * Input frames are stored pixel values (unsigned), Uint16Array for Bits Allocated 16, Uint8Array for 8.
 */
import { endianness } from 'node:os';
import { codec, loadCodec, type WasmEncoder } from '../dicom/codecs.js';
import type { EncapsulatedSyntax } from '../dicom/part10-writer.js';

export interface FrameFormat {
  rows: number;
  columns: number;
  /** 8 or 16 */
  bitsAllocated: number;
  bitsStored: number;
}

/** PackBits (§G.3.1) of one row: runs of 3+ equal bytes replicated, everything else literal. */
function packBits(src: Uint8Array, out: number[]): void {
  const n = src.length;
  let i = 0;
  while (i < n) {
    let run = 1;
    while (i + run < n && run < 128 && src[i + run] === src[i]) run++;
    if (run >= 3) {
      out.push(257 - run, src[i]!); // header −(run − 1) as a signed byte
      i += run;
      continue;
    }
    const start = i;
    while (i < n && i - start < 128 && !(i + 2 < n && src[i] === src[i + 1] && src[i] === src[i + 2])) i++;
    out.push(i - start - 1);
    for (let k = start; k < i; k++) out.push(src[k]!);
  }
}

export function encodeRle(frame: Uint8Array | Uint16Array, f: FrameFormat): Uint8Array {
  const bytesPerSample = f.bitsAllocated / 8;
  const segments: number[][] = [];
  const row = new Uint8Array(f.columns);
  for (let b = bytesPerSample - 1; b >= 0; b--) {
    const seg: number[] = [];
    for (let r = 0; r < f.rows; r++) {
      for (let c = 0; c < f.columns; c++) row[c] = (frame[r * f.columns + c]! >>> (8 * b)) & 0xff;
      packBits(row, seg);
    }
    if (seg.length & 1) seg.push(0); // §G.4: each segment padded to even length
    segments.push(seg);
  }
  const total = 64 + segments.reduce((a, s) => a + s.length, 0);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(segments.length, 0);
  let offset = 64;
  segments.forEach((s, i) => {
    out.writeUInt32LE(offset, 4 + 4 * i);
    out.set(s, offset);
    offset += s.length;
  });
  return out;
}

/** Huffman code lengths (T.81 Annex K.2, Figures K.1–K.4) for symbols 0..16; returns BITS and HUFFVAL. */
function huffmanTable(freq: number[]): { bits: number[]; values: number[] } {
  const n = 18; // 17 categories + one reserved symbol so that no code is all ones
  const f = [...freq, 1];
  const size = new Array<number>(n).fill(0), others = new Array<number>(n).fill(-1);
  for (;;) {
    let v1 = -1, v2 = -1;
    for (let v = 0; v < n; v++) if (f[v]! > 0 && (v1 < 0 || f[v]! <= f[v1]!)) v1 = v;
    for (let v = 0; v < n; v++) if (v !== v1 && f[v]! > 0 && (v2 < 0 || f[v]! <= f[v2]!)) v2 = v;
    if (v2 < 0) break;
    f[v1]! += f[v2]!;
    f[v2] = 0;
    for (let v = v1; ; v = others[v]!) { size[v]!++; if (others[v] === -1) { others[v] = v2; break; } }
    for (let v = v2; v !== -1; v = others[v]!) size[v]!++;
  }
  const bits = new Array<number>(33).fill(0);
  for (const s of size) if (s > 0) bits[s]!++;
  for (let i = 32; i > 16; i--) {
    while (bits[i]! > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i]! -= 2; bits[i - 1]!++; bits[j + 1]! += 2; bits[j]!--;
    }
  }
  let last = 16;
  while (bits[last] === 0) last--;
  bits[last]!--; // drop the reserved symbol's code
  const values: number[] = [];
  for (let s = 1; s <= 32; s++) for (let v = 0; v < n - 1; v++) if (size[v] === s) values.push(v);
  return { bits: bits.slice(1, 17), values };
}

export function encodeJpegLossless(frame: Uint8Array | Uint16Array, f: FrameFormat): Uint8Array {
  const { rows, columns } = f;
  const p = f.bitsStored;
  const diffs = new Int32Array(rows * columns);
  const freq = new Array<number>(17).fill(0);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++, i++) {
      // H.1.2.1: first sample 2^(P−1), first row from the left, first column from above, else Ra.
      const pred = r === 0 ? (c === 0 ? 1 << (p - 1) : frame[i - 1]!) : c === 0 ? frame[i - columns]! : frame[i - 1]!;
      let d = (frame[i]! - pred) & 0xffff; // differences are modulo 2^16 (H.1.2.1)
      if (d >= 0x8000) d -= 0x10000;
      diffs[i] = d;
      freq[d === -0x8000 ? 16 : d === 0 ? 0 : 32 - Math.clz32(Math.abs(d))]!++;
    }
  }
  const { bits, values } = huffmanTable(freq);
  const code = new Array<number>(17).fill(0), length = new Array<number>(17).fill(0);
  for (let s = 1, k = 0, c = 0; s <= 16; s++, c <<= 1) {
    for (let j = 0; j < bits[s - 1]!; j++, k++, c++) { code[values[k]!] = c; length[values[k]!] = s; }
  }
  const out: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) => out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  segment(0xc3, [p, rows >> 8, rows & 0xff, columns >> 8, columns & 0xff, 1, 1, 0x11, 0]); // SOF3
  segment(0xc4, [0x00, ...bits, ...values]); // DHT, DC table 0
  segment(0xda, [1, 1, 0x00, 1, 0, 0]); // SOS: Ss = predictor 1, Se = 0, Ah/Al = 0
  let acc = 0, nbits = 0;
  const put = (v: number, n: number) => {
    for (let b = n - 1; b >= 0; b--) {
      acc = (acc << 1) | ((v >>> b) & 1);
      if (++nbits === 8) { out.push(acc); if (acc === 0xff) out.push(0); acc = 0; nbits = 0; } // F.1.2.3 stuffing
    }
  };
  for (const d of diffs) {
    const s = d === -0x8000 ? 16 : d === 0 ? 0 : 32 - Math.clz32(Math.abs(d));
    put(code[s]!, length[s]!);
    if (s > 0 && s < 16) put(d > 0 ? d : d + (1 << s) - 1, s);
  }
  if (nbits > 0) put(0xff, 8 - nbits); // pad the last byte with 1 bits
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}

const littleHost = endianness() === 'LE';

/** Runs one WASM encoder over a frame and copies its codestream out of WASM memory. */
function runWasm(enc: WasmEncoder, frame: Uint8Array | Uint16Array, f: FrameFormat, configure?: (e: WasmEncoder) => void): Uint8Array {
  try {
    const info = { width: f.columns, height: f.rows, bitsPerSample: f.bitsStored, componentCount: 1, isSigned: false };
    const input = enc.getDecodedBuffer(info);
    let bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
    if (!littleHost && frame.BYTES_PER_ELEMENT === 2) bytes = Buffer.from(bytes).swap16();
    input.set(bytes);
    configure?.(enc);
    enc.encode();
    return Uint8Array.from(enc.getEncodedBuffer());
  } finally {
    enc.delete();
  }
}

/** Encodes each frame for an encapsulated transfer syntax (lossless except 'jpeg-baseline'). */
export async function encodeFrames(ts: EncapsulatedSyntax, frames: readonly (Uint8Array | Uint16Array)[], f: FrameFormat): Promise<Uint8Array[]> {
  switch (ts) {
    case 'rle': return frames.map((fr) => encodeRle(fr, f));
    case 'jpeg-lossless-sv1': return frames.map((fr) => encodeJpegLossless(fr, f));
    case 'jpeg-ls-lossless':
      await loadCodec('jpegls');
      return frames.map((fr) => runWasm(new (codec('jpegls').JpegLSEncoder)(), fr, f, (e) => e.setNearLossless?.(0)));
    case 'jpeg2000-lossless':
      // OpenJPEG's encoder defaults to the reversible 5/3 wavelet, i.e. lossless (PS3.5 §8.2.4).
      await loadCodec('j2k');
      return frames.map((fr) => runWasm(new (codec('j2k').J2KEncoder)(), fr, f));
    case 'jpeg-baseline':
      if (f.bitsStored !== 8) throw new RangeError('JPEG Baseline needs 8-bit samples (PS3.5 §8.2.1)');
      await loadCodec('jpeg');
      // Known limit: this libjpeg-turbo binding encodes progressive JPEG (SOF2) by default, which
      // .50 (baseline, SOF0) does not allow; its setProgressive(false) corrupts the WebAssembly
      // heap for widths that are not a multiple of 16 (seen with 36 columns). The frames are for
      // lossy-decode tests only: our decoder and libjpeg read both; other readers may not.
      return frames.map((fr) => runWasm(new (codec('jpeg').JPEGEncoder)(), fr, f));
  }
}
