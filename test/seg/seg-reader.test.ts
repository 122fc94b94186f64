/**
 * The SEG reader on SEGs it did not write: hand-built FRACTIONAL, LABELMAP (8 / 16 bit), Implicit VR
 * BINARY, shuffled frames, overlapping segments, and the errors for SEGs it must refuse.
 */
import test from 'ava';
import { MR_IMAGE_STORAGE, syntheticSeries } from '../../src/dicom/synthetic-mr.js';
import { readSeg, SegReadError } from '../../src/seg/seg-reader.js';
import { writeSeg } from '../../src/seg/seg-writer.js';
import { buildHandSeg, makeGeometry, makeLabels, segInput, slicePos, type HandFrame, type HandSeg } from './seg-fixtures.js';

const g = makeGeometry({ columns: 5, rows: 3, slices: 4, rowDirection: [0, 1, 0], columnDirection: [0, 0, -1] });
const P = g.columns * g.rows;
/** A frame whose pixel p has value f(p), on slice k. */
const frame = (k: number, f: (p: number) => number, segment?: number): HandFrame => ({
  position: slicePos(g, k),
  pixels: Array.from({ length: P }, (_, p) => f(p)),
  ...(segment !== undefined ? { segment } : {}),
});
const hand = (h: Partial<HandSeg> & Pick<HandSeg, 'type' | 'bits' | 'frames'>): Buffer =>
  buildHandSeg({ rows: g.rows, columns: g.columns, geometry: g, segments: [1, 2], ...h });
const at = (data: Uint8Array, k: number, p: number): number => data[k * P + p]!;

test('FRACTIONAL: thresholded at half the Maximum Fractional Value', (t) => {
  const buf = hand({ type: 'FRACTIONAL', bits: 8, maxFractional: 200, frames: [frame(2, (p) => p * 14, 1), frame(0, (p) => (p === 3 ? 100 : 0), 2)] });
  const r = readSeg(buf, g);
  t.is(r.segmentationType, 'FRACTIONAL');
  for (let p = 0; p < P; p++) t.is(at(r.labels.data, 2, p), p * 14 >= 100 ? 1 : 0, `pixel ${p}`);
  t.is(at(r.labels.data, 0, 3), 2);
  t.is(r.labels.data.reduce((n, v) => n + (v ? 1 : 0), 0), 1 + [...Array(P).keys()].filter((p) => p * 14 >= 100).length);
  // A caller can lower the threshold (e.g. for viewers that write value 1 of 255).
  const low = readSeg(hand({ type: 'FRACTIONAL', bits: 8, maxFractional: 255, frames: [frame(1, () => 1, 1)] }), g, { fractionalThreshold: 1 / 255 });
  t.is(at(low.labels.data, 1, 0), 1);
});

for (const bits of [8, 16] as const) {
  test(`LABELMAP ${bits}-bit: the pixel value is the segment number; 0 is background`, (t) => {
    const big = bits === 16 ? 255 : 3;
    const buf = hand({ type: 'LABELMAP', bits, segments: [1, 2, big], frames: [frame(3, (p) => [0, 1, 2, big][p % 4]!), frame(1, (p) => (p < 2 ? 1 : 0))] });
    const r = readSeg(buf, g);
    t.is(r.segmentationType, 'LABELMAP');
    for (let p = 0; p < P; p++) t.is(at(r.labels.data, 3, p), [0, 1, 2, big][p % 4]);
    t.deepEqual([at(r.labels.data, 1, 0), at(r.labels.data, 1, 1), at(r.labels.data, 1, 2)], [1, 1, 0]);
    t.is(at(r.labels.data, 0, 0), 0);
    const unknown = hand({ type: 'LABELMAP', bits, segments: [1], frames: [frame(0, (p) => (p === 4 ? 7 : 0))] });
    t.throws(() => readSeg(unknown, g), { instanceOf: SegReadError, message: /unknown segment number 7/ });
    if (bits === 16) {
      const wide = hand({ type: 'LABELMAP', bits, segments: [1, 300], frames: [frame(0, (p) => (p === 4 ? 300 : 0))] });
      t.throws(() => readSeg(wide, g), { instanceOf: SegReadError, message: /does not fit a label volume/ });
    }
  });
}

test('Implicit VR Little Endian BINARY SEG; frames in any order, placed by position and segment', (t) => {
  const frames = [frame(3, (p) => p & 1, 2), frame(0, (p) => (p < 7 ? 1 : 0), 1), frame(2, (p) => (p % 3 === 0 ? 1 : 0), 1)];
  const r = readSeg(hand({ type: 'BINARY', bits: 1, ts: 'implicit-le', frames }), g);
  for (let p = 0; p < P; p++) {
    t.is(at(r.labels.data, 3, p), p & 1 ? 2 : 0);
    t.is(at(r.labels.data, 0, p), p < 7 ? 1 : 0);
    t.is(at(r.labels.data, 2, p), p % 3 === 0 ? 1 : 0);
    t.is(at(r.labels.data, 1, p), 0);
  }
});

test('overlapping BINARY segments: the higher segment number wins, whatever the frame order', (t) => {
  for (const order of [[0, 1], [1, 0]]) {
    const both = [frame(1, () => 1, 2), frame(1, (p) => (p < 5 ? 1 : 0), 1)];
    const r = readSeg(hand({ type: 'BINARY', bits: 1, frames: order.map((i) => both[i]!) }), g);
    for (let p = 0; p < P; p++) t.is(at(r.labels.data, 1, p), 2);
  }
});

test('a frame with an in-plane offset lands at its own position', (t) => {
  const small = buildHandSeg({ type: 'BINARY', bits: 1, rows: 2, columns: 2, geometry: g, segments: [1], frames: [{ segment: 1, position: slicePos(g, 2, 3, 1), pixels: [1, 0, 0, 1] }] });
  const r = readSeg(small, g);
  t.is(r.labels.data[(2 * g.rows + 1) * g.columns + 3], 1);
  t.is(r.labels.data[(2 * g.rows + 2) * g.columns + 4], 1);
  t.is(r.labels.data.reduce((n, v) => n + v, 0), 2);
});

test('refused: truncated Pixel Data, a truncated file, wrong SOP class, unknown segment, off-grid frames, missing geometry', (t) => {
  const ok: HandFrame[] = [frame(0, () => 1, 1), frame(1, () => 1, 2)];
  t.throws(() => readSeg(hand({ type: 'BINARY', bits: 1, frames: ok, truncatePixels: 2 }), g), { instanceOf: SegReadError, message: /truncated Pixel Data/ });
  t.throws(() => readSeg(hand({ type: 'FRACTIONAL', bits: 8, frames: ok, truncatePixels: 4 }), g), { instanceOf: SegReadError, message: /truncated Pixel Data/ });
  const full = writeSeg(segInput(makeLabels(makeGeometry({ columns: 16, rows: 16, slices: 4 }), 2, 3)));
  const err = t.throws(() => readSeg(full.subarray(0, full.length - 40)), { instanceOf: SegReadError });
  t.regex(err!.message, /truncated/);
  t.throws(() => readSeg(full.subarray(0, 100)), { instanceOf: SegReadError });

  const mr = syntheticSeries({ count: 1, rows: 4, columns: 4 }).instance(0).bytes;
  t.throws(() => readSeg(mr), { instanceOf: SegReadError, message: new RegExp(`SOP Class UID ${MR_IMAGE_STORAGE.replace(/\./g, '\\.')}`) });
  t.throws(() => readSeg(hand({ type: 'BINARY', bits: 1, frames: [frame(0, () => 1, 3)] }), g), { instanceOf: SegReadError, message: /unknown segment number 3/ });

  const between = { ...frame(0, () => 1, 1), position: slicePos(g, 1.5) };
  t.throws(() => readSeg(hand({ type: 'BINARY', bits: 1, frames: [between] }), g), { instanceOf: SegReadError, message: /between grid points/ });
  const beyond = { ...frame(0, () => 1, 1), position: slicePos(g, 4) };
  t.throws(() => readSeg(hand({ type: 'BINARY', bits: 1, frames: [beyond] }), g), { instanceOf: SegReadError, message: /off the target grid/ });
  const sideways = { ...frame(0, () => 1, 1), position: slicePos(g, 1, 2) };
  t.throws(() => readSeg(hand({ type: 'BINARY', bits: 1, frames: [sideways] }), g), { instanceOf: SegReadError, message: /off the target grid/ });

  const other = makeGeometry({ columns: 5, rows: 3, slices: 4 }); // axial instead of sagittal
  t.throws(() => readSeg(hand({ type: 'BINARY', bits: 1, frames: ok }), other), { instanceOf: SegReadError, message: /orientation/ });
  const noPos = hand({ type: 'BINARY', bits: 1, frames: [{ segment: 1, pixels: Array(P).fill(1) }] });
  t.throws(() => readSeg(noPos, g), { instanceOf: SegReadError, message: /missing geometry/ });
});

test('tolerates positions rounded by other writers within the tolerance', (t) => {
  const nudged = { ...frame(2, () => 1, 1), position: slicePos(g, 2.03, 0.02, -0.04) };
  const r = readSeg(hand({ type: 'BINARY', bits: 1, frames: [nudged] }), g);
  t.is(r.labels.data.slice(2 * P, 3 * P).reduce((n, v) => n + v, 0), P);
});
