import test from 'ava';
import type { VolumeGeometry } from '../../src/dicom/volume.js';
import { dicomLabToSrgb, srgbToDicomLab } from '../../src/seg/cielab.js';
import { readSeg } from '../../src/seg/seg-reader.js';
import { SegWriteError, writeSeg } from '../../src/seg/seg-writer.js';
import { makeGeometry, makeLabels, makeSegments, prng, segInput, type GeometryOptions } from './seg-fixtures.js';

const s2 = Math.SQRT1_2;
/** An oblique plane: rotated 30° about z, then tilted 20° about the new row axis. */
const oblique = (() => {
  const a = Math.PI / 6, b = Math.PI / 9;
  const row: [number, number, number] = [Math.cos(a), Math.sin(a), 0];
  const col: [number, number, number] = [-Math.sin(a) * Math.cos(b), Math.cos(a) * Math.cos(b), Math.sin(b)];
  return { row, col };
})();

const CASES: [string, GeometryOptions][] = [
  ['axial', { columns: 32, rows: 24, slices: 9 }],
  ['coronal', { columns: 20, rows: 16, slices: 7, rowDirection: [1, 0, 0], columnDirection: [0, 0, -1] }],
  ['sagittal', { columns: 16, rows: 20, slices: 6, rowDirection: [0, 1, 0], columnDirection: [0, 0, -1] }],
  ['oblique', { columns: 24, rows: 18, slices: 8, rowDirection: oblique.row, columnDirection: oblique.col, spacing: [0.7, 1.1, 3.3] }],
  ['oblique 45° non-square', { columns: 40, rows: 12, slices: 5, rowDirection: [s2, s2, 0], columnDirection: [0, 0, -1] }],
  ['reversed slice order', { columns: 16, rows: 16, slices: 6, reversed: true }],
  ['odd pixel count (7×5: frames start mid-byte)', { columns: 7, rows: 5, slices: 11 }],
  ['odd pixel count, reversed, coronal', { columns: 13, rows: 3, slices: 5, reversed: true, rowDirection: [1, 0, 0], columnDirection: [0, 0, -1] }],
  ['multi-frame source', { columns: 16, rows: 12, slices: 6, multiFrame: true }],
];

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

for (const [name, opts] of CASES) {
  test(`round trip on the source grid: ${name}`, (t) => {
    const labels = makeLabels(makeGeometry(opts), 3, name.length);
    const input = segInput(labels);
    const read = readSeg(writeSeg(input), labels);
    t.true(same(read.labels.data, labels.data), 'label volume differs');
    t.deepEqual(read.segments, input.segments);
    t.deepEqual(read.algorithm, { ...input.algorithm, family: { value: '123110', scheme: 'DCM', meaning: 'Artificial Intelligence' } });
    t.is(read.referencedSeriesUid, labels.seriesInstanceUid);
    t.is(read.segmentationType, 'BINARY');
    t.is(read.labels.frameOfReferenceUid, labels.frameOfReferenceUid);
  });
}

function near(t: { true(v: boolean, m?: string): void }, a: readonly number[], b: readonly number[], what: string): void {
  t.true(a.every((v, i) => Math.abs(v - b[i]!) < 1e-6), `${what}: ${a.join(',')} vs ${b.join(',')}`);
}

for (const [name, opts] of CASES.filter(([, o]) => !o.reversed)) {
  test(`round trip without a target grid (derived from the frames): ${name}`, (t) => {
    const labels = makeLabels(makeGeometry(opts), 3, 7);
    const read = readSeg(writeSeg(segInput(labels)));
    const g = read.labels;
    t.deepEqual([g.columns, g.rows, g.slices], [labels.columns, labels.rows, labels.slices]);
    near(t, g.origin, labels.origin, 'origin');
    near(t, g.normal, labels.normal, 'normal');
    near(t, g.spacing, labels.spacing, 'spacing');
    t.true(same(g.data, labels.data));
    // Source references come back from each frame's Derivation Image Sequence.
    const middle = Math.floor(labels.slices / 2);
    for (let k = 0; k < labels.slices; k++) {
      if (k === middle && labels.slices >= 4) continue; // the empty slice has no frame
      t.is(g.sources[k]!.sopInstanceUid, labels.sources[k]!.sopInstanceUid);
      t.is(g.sources[k]!.frameNumber, labels.sources[k]!.frameNumber);
    }
    t.is(g.seriesInstanceUid, labels.seriesInstanceUid);
  });
}

test('frames are only written for (segment, slice) pairs with voxels, unless omitEmptyFrames is false', (t) => {
  const labels = makeLabels(makeGeometry({ columns: 8, rows: 8, slices: 6 }), 2, 3);
  const input = segInput(labels);
  const compact = writeSeg(input);
  const full = writeSeg({ ...input, omitEmptyFrames: false });
  t.true(full.length > compact.length);
  for (const buf of [compact, full]) t.true(same(readSeg(buf, labels).labels.data, labels.data));
  const frames = (b: Buffer) => Number(/* NumberOfFrames (0028,0008) IS */ b.toString('latin1').match(/\x28\x00\x08\x00IS..(\d+)/)![1]);
  t.is(frames(full), 2 * 6);
  t.true(frames(compact) < 2 * 6);
});

test('an empty label volume still makes a valid SEG with one empty frame', (t) => {
  const g = makeGeometry({ columns: 9, rows: 7, slices: 3 });
  const labels = { ...g, data: new Uint8Array(9 * 7 * 3) };
  const read = readSeg(writeSeg(segInput(labels, makeSegments(2))), labels);
  t.true(read.labels.data.every((v) => v === 0));
  t.is(read.segments.length, 2);
});

// Encoding speed is measured by bench:infer's SEG row (docs/benchmarks.md), not asserted here.
test('a 512×512×100 volume with 10 segments encodes and decodes to the same labels', (t) => {
  const g = makeGeometry({ columns: 512, rows: 512, slices: 100, spacing: [0.9375, 0.9375, 3] });
  const data = new Uint8Array(512 * 512 * 100);
  for (let s = 1; s <= 10; s++) {
    for (let k = 5 * s; k < 5 * s + 40; k++) for (let j = 100; j < 400; j++) data.fill(s, (k * 512 + j) * 512 + 40 * s, (k * 512 + j) * 512 + 40 * s + 35);
  }
  const buf = writeSeg(segInput({ ...g, data }, makeSegments(10)));
  t.true(same(readSeg(buf, g).labels.data, data));
});

test('labels without a segment definition and segment numbers other than 1..n are refused', (t) => {
  const labels = makeLabels(makeGeometry({ columns: 8, rows: 8, slices: 3 }), 3, 5);
  t.throws(() => writeSeg(segInput(labels, makeSegments(2))), { instanceOf: SegWriteError, message: /label value 3/ });
  const gap = makeSegments(3).map((s, i) => ({ ...s, labelValue: [1, 2, 4][i]! }));
  t.throws(() => writeSeg(segInput(labels, gap)), { instanceOf: SegWriteError, message: /1\.\.3/ });
  const mismatched: VolumeGeometry = { ...labels };
  t.throws(() => writeSeg({ ...segInput({ ...mismatched, data: labels.data }), source: { StudyInstanceUID: '1.2.3' } }), { instanceOf: SegWriteError });
});

test('manual segmentations carry no algorithm identification; the reader reports MANUAL', (t) => {
  const labels = makeLabels(makeGeometry({ columns: 8, rows: 8, slices: 3 }), 1, 9);
  const input = { ...segInput(labels), algorithm: { type: 'MANUAL' as const, name: '', version: '' } };
  const read = readSeg(writeSeg(input), labels);
  t.deepEqual(read.algorithm, { type: 'MANUAL', name: '', version: '' });
});

test('sRGB → CIELab → sRGB is exact for integer colours (PS3.3 C.10.7.1.1 encoding)', (t) => {
  t.deepEqual(srgbToDicomLab([255, 255, 255]), [0xffff, 0x8080, 0x8080]);
  t.deepEqual(srgbToDicomLab([0, 0, 0]), [0, 0x8080, 0x8080]);
  const rnd = prng(42);
  const samples: [number, number, number][] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [1, 2, 3], [254, 253, 252]];
  for (let n = 0; n < 5000; n++) samples.push([0, 0, 0].map(() => Math.floor(rnd() * 256)) as [number, number, number]);
  for (const c of samples) t.deepEqual(dicomLabToSrgb(srgbToDicomLab(c)), c, `colour ${c.join(',')}`);
});
