import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseModelCard } from '../../src/inference/model-card.js';
import { validateModelPackage, type ModelPackage } from '../../src/inference/model-package.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdLabel, thresholdModel } from '../../src/inference/onnx/test-models.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { segmentSeries } from '../../src/inference/segment-series.js';
import { legPhantom, type LegPhantomOptions } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries, type WriteSeriesOptions } from '../../src/phantom/write-series.js';
import { dciodvfy, readSegWithPydicom } from '../helpers/validators.js';
import { thresholdCard } from '../helpers/threshold-card.js';
import { testNeeding } from '../helpers/declare.js';

// Every test here drives the real peer(s); without them they are skipped with the reason (requirements.ts).
const test = testNeeding('dicom3tools', 'pydicom');

/**
 * Issue 3's main proof: for source series in every orientation, with non-square images,
 * anisotropic spacing, reversed slice order, multi-frame input and a compressed transfer syntax,
 * the SEG the node writes passes dciodvfy with zero errors, and an independent reader (pydicom)
 * decodes exactly the label volume that the threshold model implies, voxel for voxel.
 */
const THRESHOLDS = [80, 160, 260];
let dir = '';
test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'segment-e2e-'));
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A threshold model whose grid equals the source's in-plane grid (identity resampling, no crop). */
function thresholdPackage(rows: number, columns: number, pixelSpacing: [number, number]): ModelPackage {
  const card = parseModelCard(thresholdCard({ id: 'threshold-test', name: 'Threshold test model', size: [rows + 6, columns + 4], pixelSpacing, batchSize: 4 }));
  return validateModelPackage(writeOnnx(thresholdModel({ thresholds: THRESHOLDS })), card);
}

const CASES: [string, LegPhantomOptions, WriteSeriesOptions][] = [
  ['axial, non-square, anisotropic in-plane spacing', { orientation: 'axial', rows: 48, columns: 40, slices: 6, pixelSpacing: [2.4, 3.1] }, {}],
  ['coronal, reversed slice order, shuffled files', { orientation: 'coronal', rows: 40, columns: 36, slices: 5, pixelSpacing: [3, 3], reverseSliceOrder: true }, { shuffle: 7 }],
  ['sagittal, implicit VR', { orientation: 'sagittal', rows: 36, columns: 44, slices: 5, pixelSpacing: [3, 2.5] }, { transferSyntax: 'implicit-le' }],
  ['oblique', { orientation: 'oblique', rows: 40, columns: 40, slices: 5, pixelSpacing: [2.8, 2.8] }, {}],
  ['enhanced multi-frame source', { orientation: 'axial', rows: 32, columns: 48, slices: 6, pixelSpacing: [3, 2.5] }, { layout: 'enhanced', shuffle: 3 }],
  ['JPEG-LS lossless source', { orientation: 'axial', rows: 40, columns: 40, slices: 4, pixelSpacing: [3, 3] }, { transferSyntax: 'jpeg-ls-lossless' }],
  ['RLE source, reversed order', { orientation: 'axial', rows: 30, columns: 34, slices: 4, pixelSpacing: [3, 3], reverseSliceOrder: true }, { transferSyntax: 'rle' }],
];

for (const [name, phantomOpts, writeOpts] of CASES) {
  test(`SEG is valid and voxel-exact: ${name}`, async (t) => {
    const ph = legPhantom({ seed: 11, noise: 10, ...phantomOpts });
    const series = await writeLegSeries(ph.volume, { date: new Date('2026-01-02T03:04:05Z'), ...writeOpts });
    const g = ph.volume;
    // What the threshold model implies: the label of each stored intensity (after rescale).
    const expected = new Uint8Array(series.stored.length);
    for (let i = 0; i < expected.length; i++) expected[i] = thresholdLabel(series.stored[i]! * series.rescaleSlope + series.rescaleIntercept, THRESHOLDS);
    const pkg = thresholdPackage(g.rows, g.columns, [g.spacing[1], g.spacing[0]]);
    const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 1 });
    try {
      const result = await segmentSeries(series.files, pkg, runner, { softwareVersion: 'test' });
      const file = path.join(dir, `${name.replace(/\W+/g, '_')}.dcm`);
      await writeFile(file, result.seg);
      const v = await dciodvfy(file);
      t.deepEqual(v.errors, [], 'dciodvfy errors');
      const independent = await readSegWithPydicom(file, g);
      t.is(independent.labels.length, expected.length);
      let mismatches = 0;
      for (let i = 0; i < expected.length; i++) if (independent.labels[i] !== expected[i]) mismatches++;
      t.is(mismatches, 0, `${mismatches} of ${expected.length} voxels differ`);
      t.true(new Set(expected).size >= 3, 'the phantom exercises several labels');
      t.deepEqual(independent.segments.map((s) => s.label), ['low', 'mid', 'high'].filter((_, i) => expected.includes(i + 1)));
    } finally {
      await runner.close();
    }
  });
}
