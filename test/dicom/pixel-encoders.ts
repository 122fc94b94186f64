/**
 * Test-only encoders producing compressed frames from known pixels, so decoders can be checked
 * for exact round trips: RLE (PS3.5 Annex G) and JPEG Lossless Process 14 (ISO 10918-1 Annex H)
 * written here, JPEG / JPEG-LS / JPEG 2000 through the codecs' own WASM encoders. Also builds Part
 * 10 files in any transfer syntax, with encapsulated Pixel Data (PS3.5 §A.4).
 */
import { deflateRawSync } from 'node:zlib';
import { codec, loadCodec, type CodecFrameInfo, type WasmEncoder } from '../../src/dicom/codecs.js';
import { encodeDataset, IMPLEMENTATION_CLASS_UID, type DataElement } from '../../src/dicom/part10-writer.js';

/** RLE Lossless: one segment per byte plane, MSB first, PackBits row by row (PS3.5 §G.3.1). */
export function encodeRle(samples: ArrayLike<number>, rows: number, columns: number, bytesPerSample: number): Buffer {
  const segments: Buffer[] = [];
  for (let b = 0; b < bytesPerSample; b++) {
    const shift = 8 * (bytesPerSample - 1 - b);
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = Array.from({ length: columns }, (_, c) => (samples[r * columns + c]! >>> shift) & 0xff);
      let i = 0;
      while (i < row.length) {
        let run = 1;
        while (i + run < row.length && run < 128 && row[i + run] === row[i]) run++;
        if (run >= 2) {
          out.push(257 - run, row[i]!);
          i += run;
          continue;
        }
        let lit = 1;
        while (i + lit < row.length && lit < 128 && !(i + lit + 1 < row.length && row[i + lit] === row[i + lit + 1])) lit++;
        out.push(lit - 1, ...row.slice(i, i + lit));
        i += lit;
      }
    }
    if (out.length % 2) out.push(0x80); // pad to even length with a no-op (G.4)
    segments.push(Buffer.from(out));
  }
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let offset = 64;
  segments.forEach((s, i) => {
    header.writeUInt32LE(offset, 4 + 4 * i);
    offset += s.length;
  });
  return Buffer.concat([header, ...segments]);
}

/**
 * JPEG Lossless, Huffman, one component (ISO 10918-1 Annex H), predictor `sv` (1..7, SV1 for
 * 1.2.840.10008.1.2.4.70), point transform 0. Samples are taken modulo 2^precision.
 */
export function encodeJpegLossless(samples: ArrayLike<number>, rows: number, columns: number, precision: number, sv = 1): Buffer {
  const mask = (1 << precision) - 1;
  const px = (r: number, c: number) => samples[r * columns + c]! & mask;
  const bytes: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) => bytes.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  segment(0xc3, [precision, rows >> 8, rows & 0xff, columns >> 8, columns & 0xff, 1, 1, 0x11, 0]);
  // DC table 0: the 17 difference categories 0..16, each with a 5-bit code (canonical: code = category).
  const bits = new Array(16).fill(0);
  bits[4] = 17;
  segment(0xc4, [0x00, ...bits, ...Array.from({ length: 17 }, (_, i) => i)]);
  segment(0xda, [1, 1, 0x00, sv, 0, 0]);
  let acc = 0;
  let nbits = 0;
  const put = (value: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >>> i) & 1);
      if (++nbits === 8) {
        bytes.push(acc);
        if (acc === 0xff) bytes.push(0); // byte stuffing (B.1.1.5)
        acc = 0;
        nbits = 0;
      }
    }
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      let p: number;
      if (r === 0 && c === 0) p = 1 << (precision - 1);
      else if (r === 0) p = px(r, c - 1);
      else if (c === 0) p = px(r - 1, c);
      else {
        const ra = px(r, c - 1), rb = px(r - 1, c), rc = px(r - 1, c - 1);
        p = [0, ra, rb, rc, ra + rb - rc, ra + ((rb - rc) >> 1), rb + ((ra - rc) >> 1), (ra + rb) >> 1][sv]!;
      }
      let diff = (px(r, c) - p) & 0xffff; // H.1.2.1: modulo 2^16
      if (diff > 0x8000) diff -= 0x10000;
      const ssss = diff === 0 ? 0 : diff === 0x8000 ? 16 : 32 - Math.clz32(Math.abs(diff));
      put(ssss, 5);
      if (ssss > 0 && ssss < 16) put(diff > 0 ? diff : diff - 1 + (1 << ssss), ssss);
    }
  }
  if (nbits > 0) put(0x7f, 8 - nbits); // pad with 1-bits (F.1.2.3)
  bytes.push(0xff, 0xd9);
  return Buffer.from(bytes);
}

/** Runs one of the codecs' WASM encoders over little-endian samples. */
async function wasmEncode(make: () => WasmEncoder, info: CodecFrameInfo, samples: Uint8Array, configure: (e: WasmEncoder) => void): Promise<Buffer> {
  const e = make();
  try {
    e.getDecodedBuffer(info).set(samples);
    configure(e);
    e.encode();
    return Buffer.from(e.getEncodedBuffer());
  } finally {
    e.delete();
  }
}

const le = (samples: ArrayLike<number>, bitsPerSample: number): Uint8Array =>
  bitsPerSample <= 8 ? Uint8Array.from(samples, (v) => v & 0xff) : new Uint8Array(Uint16Array.from(samples, (v) => v & 0xffff).buffer);

export async function encodeJpegLs(samples: ArrayLike<number>, rows: number, columns: number, bitsPerSample: number, near = 0): Promise<Buffer> {
  await loadCodec('jpegls');
  const info = { width: columns, height: rows, bitsPerSample, componentCount: 1, isSigned: false };
  return wasmEncode(() => new (codec('jpegls').JpegLSEncoder)(), info, le(samples, bitsPerSample), (e) => e.setNearLossless!(near));
}

export async function encodeJ2k(samples: ArrayLike<number>, rows: number, columns: number, bitsPerSample: number, isSigned: boolean, lossless = true): Promise<Buffer> {
  await loadCodec('j2k');
  const info = { width: columns, height: rows, bitsPerSample, componentCount: 1, isSigned };
  return wasmEncode(() => new (codec('j2k').J2KEncoder)(), info, le(samples, bitsPerSample), (e) => e.setQuality!(lossless, lossless ? 0 : 0.01));
}

export async function encodeJpegBaseline(samples: ArrayLike<number>, rows: number, columns: number, quality = 95): Promise<Buffer> {
  await loadCodec('jpeg');
  const info = { width: columns, height: rows, bitsPerSample: 8, componentCount: 1, isSigned: false };
  return wasmEncode(() => new (codec('jpeg').JPEGEncoder)(), info, le(samples, 8), (e) => {
    (e as WasmEncoder & { setProgressive(p: boolean): void }).setProgressive(false); // baseline, as .50 requires
    e.setQuality!(quality);
  });
}

/** Encapsulated Pixel Data (PS3.5 §A.4): OB of undefined length, Basic Offset Table, one fragment per frame. */
export function encapsulatedPixelData(frames: readonly Uint8Array[], withOffsetTable = true): Buffer {
  const item = (value: Uint8Array) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0xfffe, 0);
    h.writeUInt16LE(0xe000, 2);
    h.writeUInt32LE(value.length + (value.length & 1), 4);
    return Buffer.concat([h, value, Buffer.alloc(value.length & 1)]);
  };
  const fragments = frames.map(item);
  const table = Buffer.alloc(withOffsetTable ? 4 * frames.length : 0);
  let off = 0;
  fragments.forEach((f, i) => {
    if (withOffsetTable) table.writeUInt32LE(off, 4 * i);
    off += f.length;
  });
  const head = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const end = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([head, item(table), ...fragments, end]);
}

/**
 * A Part 10 file in transfer syntax `tsUid`: `elements` (no Pixel Data) encoded in Explicit VR
 * Little Endian (Implicit for 1.2.840.10008.1.2), then `tail` (e.g. encapsulated Pixel Data);
 * the data set deflated for 1.2.840.10008.1.2.1.99 (PS3.5 §A.5).
 */
export function part10(elements: readonly DataElement[], tsUid: string, tail: Buffer = Buffer.alloc(0)): Buffer {
  const sopClass = elements.find((e) => e.tag === 0x00080016)!.value as string;
  const sop = elements.find((e) => e.tag === 0x00080018)!.value as string;
  const meta: DataElement[] = [
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: sopClass },
    { tag: 0x00020003, vr: 'UI', value: sop },
    { tag: 0x00020010, vr: 'UI', value: tsUid },
    { tag: 0x00020012, vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
  ];
  const metaBytes = encodeDataset(meta);
  const groupLength = encodeDataset([{ tag: 0x00020000, vr: 'UL', value: metaBytes.length }]);
  let dataset = Buffer.concat([encodeDataset(elements, tsUid === '1.2.840.10008.1.2' ? 'implicit-le' : 'explicit-le'), tail]);
  if (tsUid === '1.2.840.10008.1.2.1.99') dataset = deflateRawSync(dataset);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, metaBytes, dataset]);
}

/** Explicit VR Big Endian (retired, PS3.5 §A.3) data set of a few VRs; the File Meta stays LE. */
export function bigEndianDataset(elements: readonly DataElement[]): Buffer {
  const out: Buffer[] = [];
  for (const e of [...elements].sort((a, b) => a.tag - b.tag)) {
    let value: Buffer;
    if (e.vr === 'US') value = Buffer.from([(e.value as number) >> 8, (e.value as number) & 0xff]);
    else if (e.vr === 'OW') value = Buffer.from(e.value as Uint8Array).swap16();
    else {
      const s = Array.isArray(e.value) ? e.value.join('\\') : String(e.value);
      value = Buffer.from(s.length % 2 ? s + (e.vr === 'UI' ? '\0' : ' ') : s, 'latin1');
    }
    const long = e.vr === 'OW';
    const h = Buffer.alloc(long ? 12 : 8);
    h.writeUInt16BE(e.tag >>> 16, 0);
    h.writeUInt16BE(e.tag & 0xffff, 2);
    h.write(e.vr, 4, 'latin1');
    if (long) h.writeUInt32BE(value.length, 8);
    else h.writeUInt16BE(value.length, 6);
    out.push(h, value);
  }
  return Buffer.concat(out);
}
