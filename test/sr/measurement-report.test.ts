/**
 * The quantitative SR (TID 1500, Enhanced SR) checked by others: dciodvfy (dicom3tools) against the
 * IOD, and dcmjs's parser reading back the numbers, which must be the SEG's voxel counts × voxel
 * volume; tracking UIDs depend only on source series and label (stable across generations and
 * corrections).
 */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSeg } from '../../src/seg/seg-writer.js';
import { SEGMENTATION_STORAGE } from '../../src/seg/seg-tags.js';
import { measureSegments } from '../../src/sr/measurements.js';
import { writeMeasurementReport } from '../../src/sr/measurement-report.js';
import { trackingUid } from '../../src/sr/tracking.js';
import { dciodvfy } from '../helpers/validators.js';
import { testNeeding } from '../helpers/declare.js';
import { makeGeometry, makeLabels, segInput } from '../seg/seg-fixtures.js';
import { readReport } from './read-report.js';

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sr-validate-'));
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function report(opts: { dixon: boolean; patientName?: string }) {
  const labels = makeLabels(makeGeometry({ columns: 20, rows: 16, slices: 5, spacing: [0.8, 0.9, 3] }), 3, 7);
  const input = segInput(labels);
  if (opts.patientName) input.source.PatientName = opts.patientName;
  const segSop = '2.25.1234567';
  const seg = writeSeg({ ...input, sopInstanceUid: segSop, seriesInstanceUid: '2.25.7654321' });
  const signal = Float32Array.from(labels.data, (l, i) => 100 * l + (i % 7));
  const dixon = opts.dixon ? { fat: Float32Array.from(labels.data, (l) => 10 * l), water: Float32Array.from(labels.data, () => 90) } : undefined;
  const measurements = measureSegments(labels, input.segments, signal, labels.seriesInstanceUid, dixon);
  const sr = writeMeasurementReport({
    source: input.source,
    studyInstanceUid: labels.studyInstanceUid,
    sourceSeriesInstanceUid: labels.seriesInstanceUid,
    sourceModality: 'MR',
    sourceInstances: labels.sources.map((s) => ({ sopClassUid: s.sopClassUid, sopInstanceUid: s.sopInstanceUid })),
    seg: { sopClassUid: SEGMENTATION_STORAGE, sopInstanceUid: segSop, seriesInstanceUid: '2.25.7654321' },
    measurements,
    series: { seriesNumber: 2001, seriesDescription: 'Dafne measurements' },
    equipment: input.equipment,
    deviceObserverUid: '2.25.99',
  });
  return { labels, seg, sr, measurements, input };
}

for (const dixon of [false, true]) {
  testNeeding('dicom3tools')(`dciodvfy reports no errors for the measurement report${dixon ? ' with Dixon fat fraction' : ''}`, async (t) => {
    const { sr } = report({ dixon, patientName: dixon ? 'Müller^Jürgen' : 'Test^Patient' });
    const file = join(dir, `sr-${dixon}.dcm`);
    await writeFile(file, sr.bytes);
    const { errors, warnings } = await dciodvfy(file);
    t.deepEqual(errors, [], errors.join('\n'));
    t.log(`${warnings.length} warnings`, warnings.slice(0, 8).join('\n'));
  });
}

test('the SR says the SEG’s voxel counts × voxel volume, mean and SD per segment, and references each segment', (t) => {
  const { labels, sr, input } = report({ dixon: true });
  const read = readReport(sr.bytes);
  t.is(read.groups.length, input.segments.length);
  const voxelMl = (0.8 * 0.9 * 3) / 1000;
  for (const g of read.groups) {
    const count = labels.data.filter((l) => l === g.segmentNumber).length;
    t.true(count > 0);
    t.is(g.segSopInstanceUid, '2.25.1234567');
    t.true(Math.abs(g.volumeMl! - count * voxelMl) <= 1e-9 * count, `${g.label}: ${g.volumeMl} vs ${count * voxelMl}`);
    // signal = 100·label + (i mod 7): the mean lies in [100·label, 100·label + 6], SD in (0, 3.5]
    t.true(g.mean! >= 100 * g.segmentNumber && g.mean! <= 100 * g.segmentNumber + 6, `mean ${g.mean}`);
    t.true(g.sd! > 0 && g.sd! <= 3.5, `sd ${g.sd}`);
    t.true(Math.abs(g.fatFractionPercent! - (100 * 10 * g.segmentNumber) / (10 * g.segmentNumber + 90)) < 1e-9, `fat fraction ${g.fatFractionPercent}`);
    t.is(g.trackingUid, trackingUid(labels.seriesInstanceUid, g.label));
  }
});

test('tracking UIDs: the same for the same source series and label, different otherwise, valid UIDs', (t) => {
  const a = trackingUid('1.2.3.4', 'Soleus');
  t.is(a, trackingUid('1.2.3.4', 'soleus'));
  t.not(a, trackingUid('1.2.3.5', 'Soleus'));
  t.not(a, trackingUid('1.2.3.4', 'Gastrocnemius'));
  t.regex(a, /^2\.25\.[1-9][0-9]*$/);
  t.true(a.length <= 64);
});

test('without Dixon series there is no fat fraction item', (t) => {
  const { sr } = report({ dixon: false });
  for (const g of readReport(sr.bytes).groups) t.is(g.fatFractionPercent, undefined);
});
