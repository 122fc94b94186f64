/**
 * The Secondary Capture overlay: dciodvfy against the SC Image IOD, one instance per source slice,
 * labelled derived (Image Type, Burned In Annotation, description), and outlines where the labels
 * change and nowhere else.
 */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildVolume } from '../../src/dicom/series-volume.js';
import { percentileWindow, renderSlice } from '../../src/overlay/contour-render.js';
import { orientationLetters, writeOverlaySeries } from '../../src/overlay/sc-overlay.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import { dciodvfy } from '../helpers/validators.js';
import { testNeeding } from '../helpers/declare.js';

// dcmjs ships no type declarations; a non-literal specifier keeps tsc from needing them.
const dcmjsName: string = 'dcmjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = (await import(dcmjsName)).default;

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sc-validate-'));
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function overlay(layout: 'single-frame' | 'enhanced') {
  const ph = legPhantom({ seed: 3, rows: 40, columns: 36, slices: 4, pixelSpacing: [3, 3], orientation: 'axial' });
  const series = await writeLegSeries(ph.volume, { layout, patientName: 'Overlay^Test', patientId: 'SC-1' });
  const volume = await buildVolume(series.files);
  const colors = new Map<number, [number, number, number]>([[1, [255, 0, 0]], [2, [0, 255, 0]], [3, [0, 0, 255]]]);
  const labels = { ...volume, data: ph.labels.data };
  const out = writeOverlaySeries({ volume, labels, colors, source: { PatientName: 'Overlay^Test', PatientID: 'SC-1', StudyInstanceUID: volume.studyInstanceUid }, producer: 'Dafne test gen 1', seriesNumber: 3001, equipment: { manufacturerModelName: 'Dafne Node', softwareVersions: '0.1.0', deviceSerialNumber: 'test' } });
  return { out, volume, ph };
}

for (const layout of ['single-frame', 'enhanced'] as const) {
  testNeeding('dicom3tools')(`dciodvfy: no errors in any SC overlay instance (${layout} source), one per source slice`, async (t) => {
    const { out, volume } = await overlay(layout);
    t.is(out.length, volume.slices);
    t.is(new Set(out.map((o) => o.seriesInstanceUid)).size, 1);
    t.deepEqual(out.map((o) => o.sourceSopInstanceUid), volume.sources.map((s) => s.sopInstanceUid));
    for (const [k, o] of out.entries()) {
      const file = join(dir, `sc-${layout}-${k}.dcm`);
      await writeFile(file, o.bytes);
      const { errors } = await dciodvfy(file);
      t.deepEqual(errors, [], `slice ${k}: ${errors.join('\n')}`);
    }
  });
}

test('labelled derived and not for diagnosis', async (t) => {
  const { out } = await overlay('single-frame');
  const b = out[0]!.bytes;
  const ds = dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)).dict;
  t.deepEqual(ds['00080008'].Value, ['DERIVED', 'SECONDARY']);
  t.deepEqual(ds['00280301'].Value, ['YES']);
  t.regex(ds['0008103E'].Value[0], /^AI overlay .*not for diagnosis$/);
  t.is(ds['00280004'].Value[0], 'RGB');
  t.is(ds['00081090'].Value[0], 'Dafne Node');
  t.deepEqual(ds['00200020'].Value, ['L', 'P']);
});

test('outline pixels: coloured exactly where a label meets another value, grey elsewhere', (t) => {
  const rows = 6, columns = 7;
  const data = new Float32Array(rows * columns).fill(50);
  const labels = new Uint8Array(rows * columns);
  for (let j = 1; j <= 4; j++) for (let i = 1; i <= 5; i++) labels[j * columns + i] = 2;
  const rgb = renderSlice({ data, rows, columns }, { data: labels }, 0, new Map([[2, [255, 0, 0] as const]]), { low: 0, high: 255 });
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < columns; i++) {
      const p = j * columns + i;
      const inside = labels[p] === 2;
      const border = inside && (i === 1 || i === 5 || j === 1 || j === 4);
      const px = [rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]];
      t.deepEqual(px, border ? [255, 0, 0] : [50, 50, 50], `pixel ${i},${j}`);
    }
  }
});

test('window: 1st–99th percentile; orientation letters by weight', (t) => {
  const w = percentileWindow(Float32Array.from({ length: 1001 }, (_, i) => i));
  t.is(w.low, 10);
  t.is(w.high, 990);
  t.is(orientationLetters([0.8, 0.6, 0]), 'LP');
  t.is(orientationLetters([0, 0, -1]), 'F');
});
