import test from 'ava';
import { buildVolume } from '../../src/dicom/series-volume.js';
import { segmentsOf } from '../../src/inference/labels.js';
import { demoCard } from '../../src/learning/demo-model.js';
import { toModelGrid } from '../../src/learning/model-grid.js';
import { isHeldOut, reviewedSlices } from '../../src/learning/review-data.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import { writeSeg } from '../../src/seg/seg-writer.js';
import { segInput } from '../seg/seg-fixtures.js';

test('held-out split: a pure, stable function of the series UID with about the asked fraction', (t) => {
  const uids = Array.from({ length: 2000 }, (_, i) => `1.2.826.0.1.3680043.8.498.${i}`);
  const held = uids.filter((u) => isHeldOut(u));
  t.true(held.length > 320 && held.length < 480, `${held.length} of 2000`);
  t.deepEqual(uids.filter((u) => isHeldOut(u)), held, 'same answer every night');
});

test('a reviewed series (source instances + SEG) gives the labelled slices on the model grid, as inference sees them', async (t) => {
  const card = demoCard();
  const p = legPhantom({ rows: 100, columns: 90, pixelSpacing: [1.3, 1.3], slices: 5, sliceSpacing: 10, seed: 4 });
  const series = await writeLegSeries(p.volume, { date: new Date('2026-01-01T00:00:00Z') });
  const volume = await buildVolume(series.files);
  // The reader's mask: muscles on slices 1 and 3 only.
  const labels = { ...p.labels, studyInstanceUid: volume.studyInstanceUid, seriesInstanceUid: volume.seriesInstanceUid, frameOfReferenceUid: volume.frameOfReferenceUid, sources: volume.sources, data: p.labels.data.slice() };
  const plane = 100 * 90;
  for (const k of [0, 2, 4]) labels.data.fill(0, k * plane, (k + 1) * plane);
  const seg = writeSeg(segInput(labels, segmentsOf(card)));
  const slices = await reviewedSlices({ sourceFiles: series.files, seg }, card);
  t.is(slices.count, 2);
  const expected = toModelGrid(volume, labels, card, [1, 3]);
  t.deepEqual(slices.masks, expected.masks);
  t.deepEqual(slices.images, expected.images);
  t.true(slices.masks.some((v) => v === 6));
});

test('a reviewed coronal series trains the axial model on axial slices: its labels reformatted as inference reformats', async (t) => {
  const card = demoCard();
  const p = legPhantom({ orientation: 'coronal', rows: 60, columns: 110, pixelSpacing: [1.5, 1.5], slices: 40, sliceSpacing: 2.5, seed: 6, noise: 0 });
  const series = await writeLegSeries(p.volume, { shuffle: 2 });
  const seg = writeSeg(segInput({ ...p.labels, sources: (await buildVolume(series.files)).sources }, segmentsOf(card)));
  const slices = await reviewedSlices({ sourceFiles: series.files, seg }, card);
  // The coronal stack covers 59 × 1.5 = 88.5 mm of the leg: axial reformat slices every 1.5 mm.
  t.true(slices.count >= 55 && slices.count <= 60, `${slices.count} slices`);
  t.is(slices.height, 128);
  // The same anatomy sampled axially at the model's pixels: its muscle area matches slice by slice.
  const axial = legPhantom({ orientation: 'axial', rows: 128, columns: 128, pixelSpacing: [1, 1], slices: 1, seed: 6, noise: 0, center: [0, 0, p.volume.origin[2] - 30 * 1.5] });
  const plane = 128 * 128;
  const truthArea = axial.labels.data.reduce((n, v) => n + (v ? 1 : 0), 0);
  // Slice 29 or 30 of the reformat sits at that z (the slab is centred on the coronal extent).
  const areas = [28, 29, 30, 31].map((k) => slices.masks.subarray(k * plane, (k + 1) * plane).reduce((n, v) => n + (v ? 1 : 0), 0));
  t.true(areas.some((a) => Math.abs(a - truthArea) / truthArea < 0.05), `areas ${areas.join(', ')} vs ${truthArea}`);
});
