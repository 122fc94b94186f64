import test from 'ava';
import { frameBytes, frameMediaType, FrameLayoutError, groupFragments, nativeFrameRange, type Fragment } from '../../src/dicom/frames.js';
import { mulberry32 } from '../../src/random.js';

const prng = mulberry32;

const bit = (b: Uint8Array, i: number) => (b[i >> 3]! >> (i & 7)) & 1;

test('native frames with whole bytes are plain ranges', (t) => {
  const l = { rows: 2, columns: 3, samplesPerPixel: 3, bitsAllocated: 8 };
  t.deepEqual(nativeFrameRange(l, 1), { byteStart: 0, byteLength: 18, bitShift: 0, bits: 144 });
  t.deepEqual(nativeFrameRange(l, 4), { byteStart: 54, byteLength: 18, bitShift: 0, bits: 144 });
  const raw = Buffer.from(Array.from({ length: 18 }, (_, i) => i));
  const out = frameBytes(raw, nativeFrameRange(l, 2));
  t.deepEqual(out, raw);
  t.is(out.buffer, raw.buffer, 'no copy needed');
});

test('1-bit frames packed across frame boundaries are re-packed from bit 0 (PS3.5 §8.1.1)', (t) => {
  const random = prng(7);
  for (const [rows, cols] of [[3, 3], [1, 1], [5, 7], [4, 4], [3, 5], [17, 3]] as const) {
    const frames = 5;
    const bits = rows * cols;
    const all = Array.from({ length: frames * bits }, () => (random() < 0.5 ? 1 : 0));
    const packed = Buffer.alloc(Math.ceil(all.length / 8));
    all.forEach((b, i) => (packed[i >> 3]! |= b << (i & 7)));
    for (let k = 1; k <= frames; k++) {
      const range = nativeFrameRange({ rows, columns: cols, samplesPerPixel: 1, bitsAllocated: 1 }, k);
      const out = frameBytes(packed.subarray(range.byteStart, range.byteStart + range.byteLength), range);
      t.is(out.length, Math.ceil(bits / 8));
      const got = Array.from({ length: out.length * 8 }, (_, i) => bit(out, i));
      const want = [...all.slice((k - 1) * bits, k * bits), ...new Array(out.length * 8 - bits).fill(0)];
      t.deepEqual(got, want, `${rows}x${cols} frame ${k}`);
    }
  }
});

const frag = (itemOffset: number, head = 0x1234): Fragment => ({ offset: itemOffset + 100, length: 10, itemOffset, head });

test('fragments → frames: Basic Offset Table, one per frame, start markers', (t) => {
  const f = [frag(0), frag(18), frag(36), frag(54)];
  t.deepEqual(groupFragments(f, [0, 36], 2, '1.2.840.10008.1.2.5'), [[f[0], f[1]], [f[2], f[3]]]);
  t.deepEqual(groupFragments(f, [], 4, '1.2.840.10008.1.2.5'), f.map((x) => [x]));
  t.deepEqual(groupFragments(f, [], 1, '1.2.840.10008.1.2.5'), [f]);
  const jpeg = [frag(0, 0xffd8), frag(18), frag(36, 0xffd8), frag(54)];
  t.deepEqual(groupFragments(jpeg, [], 2, '1.2.840.10008.1.2.4.50'), [[jpeg[0], jpeg[1]], [jpeg[2], jpeg[3]]]);
  const j2k = [frag(0, 0xff4f), frag(18, 0xff4f), frag(36)];
  t.deepEqual(groupFragments(j2k, [], 2, '1.2.840.10008.1.2.4.90'), [[j2k[0]], [j2k[1], j2k[2]]]);
  t.throws(() => groupFragments(f, [], 3, '1.2.840.10008.1.2.5'), { instanceOf: FrameLayoutError });
  t.throws(() => groupFragments(f, [0, 200], 2, '1.2.840.10008.1.2.5'), { instanceOf: FrameLayoutError });
});

test('media types of compressed frames (PS3.18 §8.7.3)', (t) => {
  t.is(frameMediaType('1.2.840.10008.1.2.4.50'), 'image/jpeg');
  t.is(frameMediaType('1.2.840.10008.1.2.4.70'), 'image/jpeg');
  t.is(frameMediaType('1.2.840.10008.1.2.4.80'), 'image/jls');
  t.is(frameMediaType('1.2.840.10008.1.2.4.90'), 'image/jp2');
  t.is(frameMediaType('1.2.840.10008.1.2.4.92'), 'image/jpx');
  t.is(frameMediaType('1.2.840.10008.1.2.4.201'), 'image/jphc');
  t.is(frameMediaType('1.2.840.10008.1.2.5'), 'image/dicom-rle');
  t.is(frameMediaType('1.2.840.10008.1.2.4.102'), undefined);
  t.is(frameMediaType('1.2.3.4'), 'application/octet-stream');
});
