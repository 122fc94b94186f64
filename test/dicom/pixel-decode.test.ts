import test from 'ava';
import { codecsFor } from '../../src/dicom/codecs.js';
import { decodeFrame, decodeFrameInto, PixelDecodeError, UnsupportedTransferSyntaxError, type FramePixelInfo } from '../../src/dicom/pixel-decode.js';
import { encodeJ2k, encodeJpegBaseline, encodeJpegLossless, encodeJpegLs, encodeRle } from './pixel-encoders.js';
import { mulberry32 } from '../../src/random.js';

const R = 37; // odd sizes catch row/stride mix-ups
const C = 53;

const prng = mulberry32;

/** Smooth image plus noise in [lo, hi], with flat runs (RLE) and the extremes present. */
function image(lo: number, hi: number, seed = 1): Int32Array {
  const rnd = prng(seed);
  const px = new Int32Array(R * C);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const smooth = (Math.sin(r / 5) * Math.cos(c / 7) + 1) / 2;
      const v = r < 3 ? lo + ((hi - lo) >> 1) : Math.round(lo + smooth * (hi - lo) * 0.9 + rnd() * (hi - lo) * 0.1);
      px[r * C + c] = Math.max(lo, Math.min(hi, v));
    }
  }
  px[R * C - 1] = hi;
  px[R * C - 2] = lo;
  return px;
}

const info = (transferSyntaxUid: string, bitsAllocated: number, bitsStored: number, pixelRepresentation = 0): FramePixelInfo => ({
  transferSyntaxUid, rows: R, columns: C, bitsAllocated, bitsStored, pixelRepresentation, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2',
});

/** Bit patterns as stored: two's complement masked to `bits`. */
const patterns = (px: Int32Array, bits: number) => Array.from(px, (v) => v & ((1 << bits) - 1));

const unsigned12 = image(0, 4095, 2);
const signed12 = image(-2048, 2047, 3);
const unsigned16 = image(0, 65535, 4);
const signed16 = image(-32768, 32767, 5);
const unsigned8 = image(0, 255, 6);

function native16(values: ArrayLike<number>, little: boolean): Buffer {
  const b = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) little ? b.writeUInt16LE(values[i]! & 0xffff, 2 * i) : b.writeUInt16BE(values[i]! & 0xffff, 2 * i);
  return b;
}

test('native little endian: implicit, explicit, deflated (inflated file) give the stored values', (t) => {
  for (const ts of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99']) {
    t.deepEqual(Array.from(decodeFrame(info(ts, 16, 12), native16(unsigned12, true))), Array.from(unsigned12), ts);
    t.deepEqual(Array.from(decodeFrame(info(ts, 16, 16), native16(unsigned16, true))), Array.from(unsigned16), ts);
    t.deepEqual(Array.from(decodeFrame(info(ts, 8, 8), Buffer.from(unsigned8))), Array.from(unsigned8), ts);
  }
  // An odd byte offset (a frame inside a file) takes the unaligned path.
  const shifted = Buffer.concat([Buffer.alloc(1), native16(unsigned16, true)]).subarray(1);
  t.deepEqual(Array.from(decodeFrame(info('1.2.840.10008.1.2.1', 16, 16), shifted)), Array.from(unsigned16));
});

test('explicit VR big endian: 16-bit words are byte-swapped, signed values sign-extended', (t) => {
  const be = '1.2.840.10008.1.2.2';
  t.deepEqual(Array.from(decodeFrame(info(be, 16, 16), native16(unsigned16, false))), Array.from(unsigned16));
  t.deepEqual(Array.from(decodeFrame(info(be, 16, 12, 1), native16(signed12, false))), Array.from(signed12));
  t.deepEqual(Array.from(decodeFrame(info(be, 8, 8), Buffer.from(unsigned8))), Array.from(unsigned8), '8-bit OB is not swapped');
});

test('signed 12 bits in 16: the high bits are masked off and bit 11 is the sign (PS3.5 §8.1.1)', (t) => {
  const words = native16(signed12, true);
  // Garbage above Bits Stored (e.g. old overlay bits) must not leak into values.
  for (let i = 1; i < words.length; i += 2) words[i] = (words[i]! & 0x0f) | 0xa0;
  t.deepEqual(Array.from(decodeFrame(info('1.2.840.10008.1.2.1', 16, 12, 1), words)), Array.from(signed12));
  t.deepEqual(Array.from(decodeFrame(info('1.2.840.10008.1.2.1', 16, 16, 1), native16(signed16, true))), Array.from(signed16));
  const unsignedView = decodeFrame(info('1.2.840.10008.1.2.1', 16, 12, 0), words);
  t.deepEqual(Array.from(unsignedView), patterns(signed12, 12), 'unsigned: masked, no sign');
});

test('a high bit above bits stored shifts the value down (retired PS3.5 §8.1.1 layouts)', (t) => {
  const words = native16(Array.from(unsigned12, (v) => v << 4), true);
  t.deepEqual(Array.from(decodeFrame({ ...info('1.2.840.10008.1.2.1', 16, 12), highBit: 15 }, words)), Array.from(unsigned12));
});

test('32-bit: signed as Int32, unsigned as Float32', (t) => {
  const vals = [0, 1, 2 ** 31 + 5, 2 ** 32 - 1];
  const b = Buffer.alloc(16);
  vals.forEach((v, i) => b.writeUInt32LE(v, 4 * i));
  const i4 = { ...info('1.2.840.10008.1.2.1', 32, 32), rows: 2, columns: 2 };
  const u = decodeFrame(i4, b);
  t.true(u instanceof Float32Array);
  t.deepEqual(Array.from(u), vals.map((v) => Math.fround(v)));
  const s = decodeFrame({ ...i4, pixelRepresentation: 1 }, b);
  t.true(s instanceof Int32Array);
  t.deepEqual(Array.from(s), [0, 1, -(2 ** 31) + 5, -1]);
});

test('RLE Lossless: exact for 8 and 16 bits, unsigned and signed (PS3.5 Annex G)', (t) => {
  const rle = '1.2.840.10008.1.2.5';
  t.deepEqual(Array.from(decodeFrame(info(rle, 8, 8), encodeRle(unsigned8, R, C, 1))), Array.from(unsigned8));
  t.deepEqual(Array.from(decodeFrame(info(rle, 16, 16), encodeRle(unsigned16, R, C, 2))), Array.from(unsigned16));
  t.deepEqual(Array.from(decodeFrame(info(rle, 16, 12, 1), encodeRle(patterns(signed12, 16), R, C, 2))), Array.from(signed12));
  t.deepEqual(Array.from(decodeFrame(info(rle, 16, 16, 1), encodeRle(signed16, R, C, 2))), Array.from(signed16));
});

test('RLE: wrong segment count, truncation and overruns are PixelDecodeErrors', (t) => {
  const rle = '1.2.840.10008.1.2.5';
  const good = encodeRle(unsigned16, R, C, 2);
  const e1 = t.throws(() => decodeFrame(info(rle, 8, 8), good), { instanceOf: PixelDecodeError });
  t.is(e1.code, 'corrupt');
  t.regex(e1.message, /2 segments; a 8-bit monochrome frame has 1/);
  const e2 = t.throws(() => decodeFrame(info(rle, 16, 16), good.subarray(0, good.length - 40)), { instanceOf: PixelDecodeError });
  t.regex(e2.message, /segment 2 decodes to \d+ bytes, expected 1961/);
  t.throws(() => decodeFrame(info(rle, 16, 16), good.subarray(0, 20)), { message: /64 bytes/ });
  const overrun = Buffer.alloc(66);
  overrun.writeUInt32LE(1, 0);
  overrun.writeUInt32LE(64, 4);
  overrun.set([257 - 6, 9], 64); // a run of 6 in a plane of 4 bytes
  t.throws(() => decodeFrame({ ...info(rle, 8, 8), rows: 2, columns: 2 }, overrun), { instanceOf: PixelDecodeError, message: /goes past the 4 bytes/ });
});

test('JPEG Lossless process 14 (.57, every predictor) and SV1 (.70): exact', (t) => {
  for (const sv of [1, 2, 3, 4, 5, 6, 7]) {
    const ts = sv === 1 ? '1.2.840.10008.1.2.4.70' : '1.2.840.10008.1.2.4.57';
    t.deepEqual(Array.from(decodeFrame(info(ts, 16, 12), encodeJpegLossless(unsigned12, R, C, 12, sv))), Array.from(unsigned12), `12-bit SV${sv}`);
    t.deepEqual(Array.from(decodeFrame(info(ts, 16, 16), encodeJpegLossless(unsigned16, R, C, 16, sv))), Array.from(unsigned16), `16-bit SV${sv}`);
    // Signed 16-bit patterns jump by more than 2^15 between -1 and 0: differences wrap modulo 2^16.
    t.deepEqual(Array.from(decodeFrame(info(ts, 16, 16, 1), encodeJpegLossless(signed16, R, C, 16, sv))), Array.from(signed16), `signed 16-bit SV${sv}`);
  }
  // Signed data: the codestream holds the 12-bit patterns; Pixel Representation sign-extends them.
  t.deepEqual(Array.from(decodeFrame(info('1.2.840.10008.1.2.4.70', 16, 12, 1), encodeJpegLossless(signed12, R, C, 12))), Array.from(signed12));
  t.deepEqual(Array.from(decodeFrame(info('1.2.840.10008.1.2.4.70', 8, 8), encodeJpegLossless(unsigned8, R, C, 8))), Array.from(unsigned8));
});

test('JPEG-LS lossless (.80) exact, near-lossless (.81) within NEAR', async (t) => {
  await codecsFor('1.2.840.10008.1.2.4.80');
  const ls = '1.2.840.10008.1.2.4.80';
  t.deepEqual(Array.from(decodeFrame(info(ls, 16, 12), await encodeJpegLs(unsigned12, R, C, 12))), Array.from(unsigned12));
  t.deepEqual(Array.from(decodeFrame(info(ls, 16, 16), await encodeJpegLs(unsigned16, R, C, 16))), Array.from(unsigned16));
  t.deepEqual(Array.from(decodeFrame(info(ls, 16, 12, 1), await encodeJpegLs(patterns(signed12, 12), R, C, 12))), Array.from(signed12));
  t.deepEqual(Array.from(decodeFrame(info(ls, 8, 8), await encodeJpegLs(unsigned8, R, C, 8))), Array.from(unsigned8));
  const near = decodeFrame(info('1.2.840.10008.1.2.4.81', 16, 12), await encodeJpegLs(unsigned12, R, C, 12, 3));
  t.true(near.every((v, i) => Math.abs(v - unsigned12[i]!) <= 3));
});

test('JPEG 2000 lossless (.90) exact, signed and unsigned; lossy (.91) close', async (t) => {
  await codecsFor('1.2.840.10008.1.2.4.90');
  const j2k = '1.2.840.10008.1.2.4.90';
  t.deepEqual(Array.from(decodeFrame(info(j2k, 16, 12), await encodeJ2k(unsigned12, R, C, 12, false))), Array.from(unsigned12));
  t.deepEqual(Array.from(decodeFrame(info(j2k, 16, 16), await encodeJ2k(unsigned16, R, C, 16, false))), Array.from(unsigned16));
  t.deepEqual(Array.from(decodeFrame(info(j2k, 16, 12, 1), await encodeJ2k(signed12, R, C, 12, true))), Array.from(signed12));
  t.deepEqual(Array.from(decodeFrame(info(j2k, 16, 16, 1), await encodeJ2k(signed16, R, C, 16, true))), Array.from(signed16));
  // A codestream whose own signedness disagrees with Pixel Representation: bits win (PS3.5 §8.2.4).
  t.deepEqual(Array.from(decodeFrame(info(j2k, 16, 12, 1), await encodeJ2k(patterns(signed12, 12), R, C, 12, false))), Array.from(signed12));
  const lossy = decodeFrame(info('1.2.840.10008.1.2.4.91', 16, 12), await encodeJ2k(unsigned12, R, C, 12, false, false));
  const mae = Array.from(lossy).reduce((s, v, i) => s + Math.abs(v - unsigned12[i]!), 0) / lossy.length;
  t.true(mae < 40, `mean absolute error ${mae}`);
});

test('JPEG baseline (.50) 8-bit decodes within lossy tolerance', async (t) => {
  await codecsFor('1.2.840.10008.1.2.4.50');
  for (const ts of ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51']) {
    const out = decodeFrame(info(ts, 8, 8), await encodeJpegBaseline(unsigned8, R, C, 95));
    const mae = Array.from(out).reduce((s, v, i) => s + Math.abs(v - unsigned8[i]!), 0) / out.length;
    t.true(mae < 4, `${ts}: mean absolute error ${mae}`);
    t.true(out.every((v, i) => Math.abs(v - unsigned8[i]!) < 40));
  }
});

test('12-bit JPEG Extended is an UnsupportedTransferSyntaxError naming the syntax', async (t) => {
  await codecsFor('1.2.840.10008.1.2.4.51');
  const jpeg8 = await encodeJpegBaseline(unsigned8, R, C);
  const sof = jpeg8.indexOf(Buffer.from([0xff, 0xc0]));
  const jpeg12 = Buffer.from(jpeg8);
  jpeg12[sof + 1] = 0xc1;
  jpeg12[sof + 4] = 12; // SOF1, P = 12 (ISO 10918-1 B.2.2)
  const e = t.throws(() => decodeFrame(info('1.2.840.10008.1.2.4.51', 16, 12), jpeg12), { instanceOf: UnsupportedTransferSyntaxError });
  t.is(e.transferSyntaxUid, '1.2.840.10008.1.2.4.51');
  t.is(e.code, 'unsupported-transfer-syntax');
  t.regex(e.message, /JPEG Extended \(Process 2 & 4\) \(1\.2\.840\.10008\.1\.2\.4\.51\).*12-bit/);
});

test('HTJ2K, MPEG and unknown syntaxes are UnsupportedTransferSyntaxErrors', (t) => {
  const e = t.throws(() => decodeFrame(info('1.2.840.10008.1.2.4.201', 16, 16), Buffer.alloc(10)), { instanceOf: UnsupportedTransferSyntaxError });
  t.regex(e.message, /HTJ2K Lossless \(1\.2\.840\.10008\.1\.2\.4\.201\)/);
  t.regex(e.message, /supported are .*RLE Lossless/);
  t.throws(() => decodeFrame(info('1.2.840.10008.1.2.4.102', 16, 16), Buffer.alloc(10)), { message: /MPEG-4 AVC\/H\.264 High Profile \/ Level 4\.1 \(1\.2\.840\.10008\.1\.2\.4\.102\)/ });
  t.throws(() => decodeFrame(info('1.2.3.4', 16, 16), Buffer.alloc(10)), { instanceOf: UnsupportedTransferSyntaxError, message: /1\.2\.3\.4/ });
});

test('colour, odd bit depths, short frames and corrupt codestreams are clear errors', async (t) => {
  const rgb = { ...info('1.2.840.10008.1.2.1', 8, 8), samplesPerPixel: 3, photometricInterpretation: 'RGB' };
  t.is(t.throws(() => decodeFrame(rgb, Buffer.alloc(R * C * 3)), { instanceOf: PixelDecodeError }).code, 'colour');
  t.is(t.throws(() => decodeFrame(info('1.2.840.10008.1.2.1', 1, 1), Buffer.alloc(300)), { instanceOf: PixelDecodeError }).code, 'bits');
  const short = t.throws(() => decodeFrame(info('1.2.840.10008.1.2.1', 16, 16), Buffer.alloc(100)), { instanceOf: PixelDecodeError });
  t.is(short.code, 'truncated');
  t.regex(short.message, /needs 3922 bytes, Pixel Data holds 100/);
  await codecsFor('1.2.840.10008.1.2.4.90');
  const j2k = await encodeJ2k(unsigned12, R, C, 12, false);
  const broken = Buffer.concat([j2k.subarray(0, 60), Buffer.alloc(40, 0x55)]);
  t.is(t.throws(() => decodeFrame(info('1.2.840.10008.1.2.4.90', 16, 12), broken), { instanceOf: PixelDecodeError }).code, 'corrupt');
  const wrongSize = t.throws(() => decodeFrame({ ...info('1.2.840.10008.1.2.4.90', 16, 12), rows: R + 1 }, j2k), { instanceOf: PixelDecodeError });
  t.is(wrongSize.code, 'size-mismatch');
  t.throws(() => decodeFrame(info('1.2.840.10008.1.2.4.70', 16, 12), Buffer.from('not a jpeg')), { message: /no SOI/ });
});

test('MONOCHROME1 keeps the stored values (no inversion)', (t) => {
  const mono1 = { ...info('1.2.840.10008.1.2.1', 16, 12), photometricInterpretation: 'MONOCHROME1' };
  t.deepEqual(Array.from(decodeFrame(mono1, native16(unsigned12, true))), Array.from(unsigned12));
});

test('decodeFrame fills a caller-provided scratch array', (t) => {
  const scratch = new Int32Array(R * C + 10);
  const out = decodeFrame(info('1.2.840.10008.1.2.1', 16, 12), native16(unsigned12, true), scratch);
  t.is(out.buffer, scratch.buffer);
  t.is(out.length, R * C);
});

test('decodeFrameInto: the fused native path equals decodeFrame × slope + intercept', (t) => {
  const dirty = (b: Buffer) => {
    for (let i = 1; i < b.length; i += 2) b[i] = (b[i]! & 0x0f) | 0x50; // bits above Bits Stored
    return b;
  };
  const cases: [string, FramePixelInfo, Buffer][] = [
    ['unsigned 12 clean', info('1.2.840.10008.1.2.1', 16, 12), native16(unsigned12, true)],
    ['unsigned 12 dirty', info('1.2.840.10008.1.2.1', 16, 12), dirty(native16(unsigned12, true))],
    ['signed 12 dirty', info('1.2.840.10008.1.2.1', 16, 12, 1), dirty(native16(signed12, true))],
    ['signed 16', info('1.2.840.10008.1.2', 16, 16, 1), native16(signed16, true)],
    ['unsigned 16', info('1.2.840.10008.1.2', 16, 16), native16(unsigned16, true)],
    ['unsigned 8', info('1.2.840.10008.1.2.1', 8, 8), Buffer.from(unsigned8)],
    ['signed 8', info('1.2.840.10008.1.2.1', 8, 8, 1), Buffer.from(unsigned8)],
    ['unsigned 7 of 8', info('1.2.840.10008.1.2.1', 8, 7), Buffer.from(unsigned8)],
    ['unaligned', info('1.2.840.10008.1.2.1', 16, 12, 1), Buffer.concat([Buffer.alloc(1), native16(signed12, true)]).subarray(1)],
    ['big endian', info('1.2.840.10008.1.2.2', 16, 12, 1), native16(signed12, false)],
  ];
  for (const [name, i, frame] of cases) {
    for (const [slope, intercept] of [[1, 0], [0.5, -100.25]] as const) {
      const out = new Float32Array(R * C);
      decodeFrameInto(i, frame, out, slope, intercept);
      const want = Array.from(decodeFrame(i, frame), (v) => Math.fround(v * slope + intercept));
      t.deepEqual(Array.from(out), want, `${name} × ${slope} + ${intercept}`);
    }
  }
});
