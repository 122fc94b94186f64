import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { acquisition, ACQUISITION_PLANES, LEG_PHANTOM_STYLE } from '../../experiments/planes/acquire.js';
import { runOne, type PlaneRun } from '../../experiments/planes/run.js';
import { frameProblems } from '../../experiments/planes/seg-frames.js';
import { loadModelPackage, type ModelPackage } from '../../src/inference/model-package.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { SkippedSeriesError } from '../../src/inference/segment-plane.js';
import { segmentSeries } from '../../src/inference/segment-series.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import { REPO_ROOT } from '../helpers/node-process.js';
import { dciodvfy, readSegWithPydicom } from '../helpers/validators.js';
import { testNeeding } from '../helpers/declare.js';

/**
 * Issue 14 on our own phantoms: the shipped demo model (an axial network) through the product's
 * pipeline, with the card as shipped, on one anatomy acquired in four planes; and the SEG of a
 * reformatted series still describes the acquired frames.
 */
let dir = '';
let pkg: ModelPackage;
let runner: OnnxRunner;
test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'any-plane-'));
  pkg = await loadModelPackage(path.join(REPO_ROOT, 'models/leg-demo'));
  runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 1, inputName: pkg.inputName, outputName: pkg.outputName });
});
test.after.always(async () => {
  await runner?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('demo model: muscle Dice of the coronal, sagittal and oblique acquisitions within 0.05 of the axial one', async (t) => {
  const style = LEG_PHANTOM_STYLE('T1');
  const runs = new Map<string, PlaneRun>();
  for (const plane of ACQUISITION_PLANES) {
    const r = await runOne(style, 913, plane, 3, pkg, runner);
    if (!r) return t.fail(`${plane} was skipped`);
    runs.set(plane, r);
  }
  const axial = runs.get('axial')!;
  t.is(axial.action, 'direct');
  t.true(axial.muscle > 0.9, `axial muscle Dice ${axial.muscle}`);
  for (const plane of ['coronal', 'sagittal', 'oblique']) {
    const r = runs.get(plane)!;
    t.is(r.action, 'reformat', plane);
    t.true(r.muscle >= axial.muscle - 0.05, `${plane} muscle Dice ${r.muscle.toFixed(3)} vs axial ${axial.muscle.toFixed(3)}`);
    t.true(r.meanLabel >= axial.meanLabel - 0.06, `${plane} mean label Dice ${r.meanLabel.toFixed(3)} vs axial ${axial.meanLabel.toFixed(3)}`);
  }
});

testNeeding('dicom3tools', 'pydicom')('a reformatted coronal series (shuffled files, anisotropic): the SEG passes dciodvfy and its frames are the acquired frames', async (t) => {
  const a = acquisition('coronal', { pixel: 1.2, spacing: 2.5 });
  const ph = legPhantom({ seed: 914, orientation: 'coronal', rows: a.rows, columns: a.columns, slices: a.slices, pixelSpacing: a.pixelSpacing, sliceSpacing: a.sliceSpacing });
  const series = await writeLegSeries(ph.volume, { shuffle: 11 });
  const result = await segmentSeries(series.files, pkg, runner, { softwareVersion: 'test' });
  t.is(result.plan.action, 'reformat');
  t.is(result.plan.source.plane, 'coronal');
  t.true(result.planeTimings.reformat > 0 && result.planeTimings.reformatBack > 0);
  const file = path.join(dir, 'coronal.dcm');
  await writeFile(file, result.seg);
  t.deepEqual((await dciodvfy(file)).errors, []);
  // An independent reader places every frame on the SOURCE grid by its position: same labels.
  const independent = await readSegWithPydicom(file, ph.volume);
  let differ = 0;
  for (let i = 0; i < independent.labels.length; i++) if (independent.labels[i] !== result.labels.data[i]) differ++;
  t.is(differ, 0, `${differ} voxels differ`);
  let muscle = 0;
  for (const v of result.labels.data) if (v) muscle++;
  t.true(muscle > 10_000, `only ${muscle} muscle voxels`);
  // Each frame names one acquired instance, and sits exactly where that instance is.
  const check = frameProblems(result.seg, series.sources);
  t.true(check.frames >= a.slices / 2, `${check.frames} frames`);
  t.deepEqual(check.problems, []);
});

test('a coronal series of 6 mm slices is skipped with the reason, not segmented', async (t) => {
  const ph = legPhantom({ seed: 915, orientation: 'coronal', rows: 60, columns: 80, slices: 20, pixelSpacing: [2, 2], sliceSpacing: 6 });
  const series = await writeLegSeries(ph.volume, {});
  const err = await t.throwsAsync(segmentSeries(series.files, pkg, runner, { softwareVersion: 'test' }), { instanceOf: SkippedSeriesError });
  t.is(err?.message, 'skipped: plane coronal, spacing 6 mm > 3 mm tolerated by the axial model');
});
