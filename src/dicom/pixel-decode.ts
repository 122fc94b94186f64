/**
 * One frame of Pixel Data → stored pixel values, for the transfer syntaxes PACS send MR in:
 *
 * - native (PS3.5 §8.1.1): Implicit / Explicit VR Little Endian, Deflated Explicit VR Little Endian
 *   (the data set is inflated when the file is opened, so its frames are native), Explicit VR Big
 *   Endian (16- and 32-bit words byte-swapped; 8-bit data is OB and is not, PS3.5 §7.3 and §A.3);
 * - RLE Lossless (PS3.5 Annex G, rle-decode.ts);
 * - JPEG (PS3.5 §8.2.1, §A.4.1): 8-bit Baseline / Extended with libjpeg-turbo, Lossless Process 14
 *   (any predictor, and SV1) with jpeg-lossless-decoder-js. The decoder is picked by the codestream's
 *   SOF marker (ISO 10918-1 B.2.2), so 12-bit Extended is refused with a clear error;
 * - JPEG-LS Lossless / Near-Lossless (PS3.5 §8.2.3) with CharLS;
 * - JPEG 2000 Lossless / lossy (PS3.5 §8.2.4) with OpenJPEG.
 * Anything else (HTJ2K, JPEG XL, MPEG, ...) is an UnsupportedTransferSyntaxError.
 *
 * Values are the stored values of PS3.3 §C.7.6.3.1: bits above Bits Stored are masked off and, for
 * Pixel Representation 1, the value is sign-extended from bit High Bit (two's complement, PS3.5
 * §8.1.1). The codecs' decoded samples are taken as bit patterns too, so a codestream's own
 * signedness cannot disagree with Pixel Representation. MONOCHROME1 frames are NOT inverted: the
 * stored values are returned as they are (inversion is a display matter, PS3.3 §C.7.6.3.1.2),
 * which is what a segmentation model trained on stored values must see. Colour (Samples per Pixel
 * > 1) is out of scope for MR and refused.
 *
 * The WASM codecs must be initialised first: `await codecsFor(transferSyntaxUid)` (codecs.ts).
 */
import { clearCodecMessages, codec, codecFailure, losslessJpegDecoder, type WasmDecoder } from './codecs.js';
import { decodeRle, RleError } from './rle-decode.js';
import { describeSyntax } from './transfer-syntax-names.js';
import { TS } from './uids.js';

export interface FramePixelInfo {
  transferSyntaxUid: string;
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  /** High Bit (0028,0102); default bitsStored − 1, the only value PS3.3 §C.7.6.3.1 now allows. */
  highBit?: number;
  /** 0 unsigned, 1 two's complement (PS3.3 §C.7.6.3.1). */
  pixelRepresentation: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
  planarConfiguration?: number;
}

export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
const JPEG_TS = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70']);
const JPEG_LS_TS = new Set(['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81']);
const J2K_TS = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']);

/** Every transfer syntax decodeFrame accepts. */
export const DECODABLE_TRANSFER_SYNTAXES: readonly string[] = [TS.implicitLE, TS.explicitLE, TS.deflatedLE, TS.explicitBE, RLE_LOSSLESS, ...JPEG_TS, ...JPEG_LS_TS, ...J2K_TS];

export class UnsupportedTransferSyntaxError extends Error {
  override name = 'UnsupportedTransferSyntaxError';
  readonly code = 'unsupported-transfer-syntax';
  constructor(
    readonly transferSyntaxUid: string,
    detail = 'no decoder for it',
  ) {
    super(`cannot decode pixel data in ${describeSyntax(transferSyntaxUid)}: ${detail}`);
  }
}

export type PixelDecodeErrorCode = 'colour' | 'bits' | 'truncated' | 'corrupt' | 'size-mismatch';

export class PixelDecodeError extends Error {
  override name = 'PixelDecodeError';
  constructor(
    readonly code: PixelDecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decodes one frame into stored values, row by row (index = row · columns + column). Returns an
 * Int32Array, or a Float32Array for unsigned 32-bit data (which Int32 cannot hold; exact below 2^24).
 * `out`, when given with room for the frame, receives the values instead of a new array.
 */
export function decodeFrame(info: FramePixelInfo, frame: Uint8Array, out?: Int32Array): Int32Array | Float32Array {
  checkInfo(info);
  const n = info.rows * info.columns;
  const raw = out && out.length >= n ? out.subarray(0, n) : new Int32Array(n);
  const ts = info.transferSyntaxUid;
  if (ts === TS.implicitLE || ts === TS.explicitLE || ts === TS.deflatedLE || ts === TS.explicitBE) {
    readNative(frame, info, ts !== TS.explicitBE, raw);
  } else if (ts === RLE_LOSSLESS) {
    try {
      decodeRle(frame, n, info.bitsAllocated / 8, raw);
    } catch (e) {
      if (e instanceof RleError) throw new PixelDecodeError('corrupt', e.message);
      throw e;
    }
  } else if (JPEG_TS.has(ts)) {
    decodeJpeg(frame, info, raw);
  } else if (JPEG_LS_TS.has(ts)) {
    decodeWasm(() => new (codec('jpegls').JpegLSDecoder)(), frame, info, raw);
  } else if (J2K_TS.has(ts)) {
    decodeWasm(() => new (codec('j2k').J2KDecoder)(), frame, info, raw);
  } else {
    throw new UnsupportedTransferSyntaxError(ts, `supported are ${DECODABLE_TRANSFER_SYNTAXES.map(describeSyntax).join(', ')}`);
  }
  return storedValues(raw, info);
}

/**
 * Decodes one frame straight into `out` (rows × columns Float32 values) as
 * stored value × slope + intercept (Rescale Slope / Intercept, PS3.3 §C.11.1.1.2). Native 8- and
 * 16-bit frames take one fused pass; others go through decodeFrame, into `scratch` when given.
 */
export function decodeFrameInto(info: FramePixelInfo, frame: Uint8Array, out: Float32Array, slope = 1, intercept = 0, scratch?: Int32Array): void {
  checkInfo(info);
  const n = info.rows * info.columns;
  if (out.length < n) throw new RangeError(`decodeFrameInto: room for ${out.length} values, the frame has ${n}`);
  const ts = info.transferSyntaxUid;
  const little = ts === TS.implicitLE || ts === TS.explicitLE || ts === TS.deflatedLE;
  const { bitsAllocated: ba, bitsStored: bs } = info;
  if (little && HOST_LE && (info.highBit ?? bs - 1) === bs - 1 && (ba === 8 || (ba === 16 && frame.byteOffset % 2 === 0)) && frame.length >= n * (ba / 8)) {
    const signed = info.pixelRepresentation === 1;
    if (ba === 8) nativeInto(signed ? new Int8Array(frame.buffer, frame.byteOffset, n) : frame.subarray(0, n), out, n, bs, signed);
    else nativeInto(signed ? new Int16Array(frame.buffer, frame.byteOffset, n) : new Uint16Array(frame.buffer, frame.byteOffset, n), out, n, bs, signed);
    if (slope !== 1 || intercept !== 0) for (let i = 0; i < n; i++) out[i] = out[i]! * slope + intercept;
    return;
  }
  const values = decodeFrame(info, frame, scratch);
  if (slope === 1 && intercept === 0) out.set(values.subarray(0, n));
  else for (let i = 0; i < n; i++) out[i] = values[i]! * slope + intercept;
}

/** Stored values of a native frame viewed as a typed array of its Bits Allocated (one pass). */
function nativeInto(src: Uint8Array | Int8Array | Uint16Array | Int16Array, out: Float32Array, n: number, bs: number, signed: boolean): void {
  const ba = src.BYTES_PER_ELEMENT * 8;
  if (bs === ba) {
    out.set(src); // the typed array already reads the value (signed or not): a fast native copy
  } else if (signed) {
    const up = 32 - bs;
    for (let i = 0; i < n; i++) out[i] = (src[i]! << up) >> up;
  } else {
    const mask = (1 << bs) - 1;
    if (src instanceof Uint16Array && cleanAbove(src, n, mask)) out.set(src);
    else for (let i = 0; i < n; i++) out[i] = src[i]! & mask;
  }
}

/**
 * True when no 16-bit sample has bits above `mask` — the usual case, so masking can become a
 * native copy. Reads two samples per step (an OR over 32-bit words is ~2× cheaper than masking).
 */
function cleanAbove(src: Uint16Array, n: number, mask: number): boolean {
  let acc = 0;
  if (src.byteOffset % 4 === 0) {
    const words = new Int32Array(src.buffer, src.byteOffset, n >> 1);
    for (let i = 0; i < words.length; i++) acc |= words[i]!;
    if (n & 1) acc |= src[n - 1]!;
  } else {
    for (let i = 0; i < n; i++) acc |= src[i]!;
  }
  return (acc & ~(mask | (mask << 16))) === 0;
}

function checkInfo(info: FramePixelInfo): void {
  const { rows, columns, bitsAllocated: ba, bitsStored: bs, samplesPerPixel, photometricInterpretation: pi } = info;
  if (samplesPerPixel !== 1 || (pi !== 'MONOCHROME1' && pi !== 'MONOCHROME2')) {
    throw new PixelDecodeError('colour', `only monochrome images are decoded (Samples per Pixel 1, MONOCHROME1/2); this frame has ${samplesPerPixel} sample(s) per pixel, ${pi || 'no Photometric Interpretation'} (PS3.3 §C.7.6.3.1.2)`);
  }
  const hb = info.highBit ?? bs - 1;
  if (!(rows > 0 && columns > 0) || (ba !== 8 && ba !== 16 && ba !== 32) || !(bs >= 1 && bs <= ba) || hb < bs - 1 || hb >= ba) {
    throw new PixelDecodeError('bits', `unsupported pixel layout: ${rows}×${columns}, Bits Allocated ${ba}, Bits Stored ${bs}, High Bit ${hb} (PS3.3 §C.7.6.3.1; Bits Allocated must be 8, 16 or 32)`);
  }
}

/** Native frames (PS3.5 §8.1.1): samples of Bits Allocated bits, contiguous, in the data set's byte order. */
function readNative(frame: Uint8Array, info: FramePixelInfo, little: boolean, raw: Int32Array): void {
  const n = raw.length;
  const bytes = info.bitsAllocated / 8;
  if (frame.length < n * bytes) {
    throw new PixelDecodeError('truncated', `a ${info.rows}×${info.columns} frame of ${info.bitsAllocated}-bit samples needs ${n * bytes} bytes, Pixel Data holds ${frame.length}`);
  }
  if (bytes === 1) {
    raw.set(frame.subarray(0, n));
  } else if (bytes === 2 && little && HOST_LE && frame.byteOffset % 2 === 0) {
    raw.set(new Uint16Array(frame.buffer, frame.byteOffset, n)); // no per-sample work when aligned
  } else if (bytes === 2) {
    const [lo, hi] = little ? [0, 1] : [1, 0];
    for (let i = 0, p = 0; i < n; i++, p += 2) raw[i] = frame[p + lo]! | (frame[p + hi]! << 8);
  } else {
    const dv = new DataView(frame.buffer, frame.byteOffset, n * 4);
    for (let i = 0; i < n; i++) raw[i] = dv.getInt32(4 * i, little);
  }
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Masks and sign-extends bit patterns in place (PS3.3 §C.7.6.3.1, PS3.5 §8.1.1). */
function storedValues(raw: Int32Array, info: FramePixelInfo): Int32Array | Float32Array {
  const bs = info.bitsStored;
  const shift = (info.highBit ?? bs - 1) + 1 - bs;
  const signed = info.pixelRepresentation === 1;
  if (bs === 32) {
    if (signed) return raw;
    const f = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) f[i] = raw[i]! >>> 0;
    return f;
  }
  const up = 32 - bs;
  const mask = (1 << bs) - 1;
  if (signed) for (let i = 0; i < raw.length; i++) raw[i] = ((raw[i]! >>> shift) << up) >> up;
  else for (let i = 0; i < raw.length; i++) raw[i] = (raw[i]! >>> shift) & mask;
  return raw;
}

interface JpegHeader {
  /** The SOF marker's second byte: 0xC0 baseline, 0xC1 extended, 0xC3 lossless, ... */
  sof: number;
  precision: number;
  rows: number;
  columns: number;
  components: number;
}

/** Finds the frame header (ISO 10918-1 B.2.2) by walking marker segments from SOI. */
export function readJpegHeader(frame: Uint8Array): JpegHeader {
  if (frame[0] !== 0xff || frame[1] !== 0xd8) throw new PixelDecodeError('corrupt', 'the frame is not a JPEG codestream (no SOI marker, PS3.5 §A.4.1)');
  let p = 2;
  while (p + 4 <= frame.length) {
    if (frame[p] !== 0xff) throw new PixelDecodeError('corrupt', `JPEG: expected a marker at byte ${p}`);
    const m = frame[p + 1]!;
    if (m === 0xff) { p++; continue; } // fill byte (B.1.1.2)
    const length = (frame[p + 2]! << 8) | frame[p + 3]!;
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof && p + 10 <= frame.length) {
      return { sof: m, precision: frame[p + 4]!, rows: (frame[p + 5]! << 8) | frame[p + 6]!, columns: (frame[p + 7]! << 8) | frame[p + 8]!, components: frame[p + 9]! };
    }
    if (m === 0xda || m === 0xd9) break;
    p += 2 + length;
  }
  throw new PixelDecodeError('corrupt', 'JPEG: no frame header (SOF) before the scan');
}

function decodeJpeg(frame: Uint8Array, info: FramePixelInfo, raw: Int32Array): void {
  const h = readJpegHeader(frame);
  checkSize(info, h.columns, h.rows || info.rows, h.components);
  if (h.sof === 0xc3) {
    let decoded: Uint8Array | Uint16Array;
    try {
      decoded = losslessJpegDecoder().decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.byteLength, h.precision > 8 ? 2 : 1);
    } catch (e) {
      throw new PixelDecodeError('corrupt', `cannot decode JPEG Lossless frame: ${codecFailure(e)}`);
    }
    if (decoded.length < raw.length) throw new PixelDecodeError('corrupt', `JPEG Lossless frame decodes to ${decoded.length} samples, expected ${raw.length}`);
    raw.set(decoded.subarray(0, raw.length));
    return;
  }
  if (h.sof === 0xc7 || h.sof === 0xcb || h.sof === 0xcf) {
    throw new UnsupportedTransferSyntaxError(info.transferSyntaxUid, 'the codestream is hierarchical or arithmetic-coded lossless JPEG, which no decoder here reads');
  }
  if (h.precision !== 8) {
    throw new UnsupportedTransferSyntaxError(info.transferSyntaxUid, `the codestream has ${h.precision}-bit samples; only 8-bit lossy JPEG is decoded (libjpeg-turbo 8-bit); ask the sender for a lossless transfer syntax`);
  }
  decodeWasm(() => new (codec('jpeg').JPEGDecoder)(), frame, info, raw);
}

function checkSize(info: FramePixelInfo, width: number, height: number, components: number): void {
  // OpenJPEG can "succeed" on a damaged codestream and report an empty image.
  if (!width || !height || !components) throw new PixelDecodeError('corrupt', `the codestream could not be read (the codec reports a ${width}×${height} image with ${components} components)`);
  if (components !== 1) throw new PixelDecodeError('colour', `the codestream has ${components} components; only monochrome frames are decoded`);
  if (width !== info.columns || height !== info.rows) {
    throw new PixelDecodeError('size-mismatch', `the codestream is ${width}×${height} but Columns × Rows is ${info.columns}×${info.rows}`);
  }
}

/** Runs an embind decoder over `frame` and copies its samples (8- or 16-bit, little endian) out. */
function decodeWasm(make: () => WasmDecoder, frame: Uint8Array, info: FramePixelInfo, raw: Int32Array): void {
  clearCodecMessages();
  const d = make();
  try {
    try {
      d.getEncodedBuffer(frame.length).set(frame);
      d.decode();
    } catch (e) {
      throw new PixelDecodeError('corrupt', `cannot decode ${describeSyntax(info.transferSyntaxUid)} frame: ${codecFailure(e)}`);
    }
    const fi = d.getFrameInfo();
    checkSize(info, fi.width, fi.height, fi.componentCount);
    if (fi.bitsPerSample > 16) throw new PixelDecodeError('bits', `the codestream has ${fi.bitsPerSample}-bit samples; at most 16 are decoded`);
    const out = d.getDecodedBuffer();
    const n = raw.length;
    if (fi.bitsPerSample <= 8) {
      if (out.length < n) throw new PixelDecodeError('corrupt', `decoded ${out.length} bytes, expected ${n}`);
      raw.set(out.subarray(0, n));
    } else {
      if (out.length < 2 * n) throw new PixelDecodeError('corrupt', `decoded ${out.length} bytes, expected ${2 * n}`);
      if (out.byteOffset % 2 === 0 && HOST_LE) raw.set(new Uint16Array(out.buffer, out.byteOffset, n));
      else for (let i = 0; i < n; i++) raw[i] = out[2 * i]! | (out[2 * i + 1]! << 8);
    }
  } finally {
    d.delete();
  }
}
