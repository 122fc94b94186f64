/**
 * Our SEGs checked by others: dciodvfy (dicom3tools) against the Segmentation IOD, an independent
 * decoder (pydicom + numpy, test/helpers/read_seg.py) voxel by voxel, and dcmjs's parser.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LabelVolume } from '../../src/dicom/volume.js';
import { writeSeg, type WriteSegInput } from '../../src/seg/seg-writer.js';
import { makeGeometry, makeLabels, segInput, type GeometryOptions } from './seg-fixtures.js';
import { testNeeding } from '../helpers/declare.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3'; // Debian's, with python3-pydicom and python3-numpy
const READ_SEG_PY = join(process.cwd(), 'test/helpers/read_seg.py');

// dcmjs ships no type declarations; a non-literal specifier keeps tsc from needing them.
const dcmjsName: string = 'dcmjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = (await import(dcmjsName)).default;

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seg-validate-'));
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const VARIANTS: [string, GeometryOptions, (i: WriteSegInput) => WriteSegInput][] = [
  ['axial, single-frame sources', { columns: 32, rows: 24, slices: 9 }, (i) => i],
  ['oblique, multi-frame source, odd size', { columns: 13, rows: 7, slices: 6, multiFrame: true, rowDirection: [0.8, 0.6, 0], columnDirection: [0, 0, -1] }, (i) => i],
  ['sagittal, reversed, non-ASCII names, partial clinical trial data, semi-automatic', { columns: 12, rows: 20, slices: 5, reversed: true, rowDirection: [0, 1, 0], columnDirection: [0, 0, -1] }, (i) => ({
    ...i,
    algorithm: { type: 'SEMIAUTOMATIC', name: 'dafne-test-model', version: '3' },
    source: { ...i.source, PatientName: 'Müller^Jürgen', ClinicalTrialSponsorName: 'Sponsor', ClinicalTrialProtocolID: 'P-1', ClinicalTrialSubjectID: 'SUBJ-1', ClinicalTrialTimePointDescription: 'baseline', PatientIdentityRemoved: 'YES', DeidentificationMethod: 'test' },
    series: { ...i.series, contentCreatorName: 'Øster^Åsa', contentLabel: 'corrected seg' },
  })],
  ['source without patient / study details (type 2 attributes empty)', { columns: 10, rows: 10, slices: 3 }, (i) => ({ ...i, source: {} })],
  ['manual, every frame written', { columns: 16, rows: 16, slices: 4 }, (i) => ({ ...i, algorithm: { type: 'MANUAL', name: '', version: '' }, omitEmptyFrames: false })],
];

async function save(name: string, bytes: Buffer): Promise<string> {
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '_')}.dcm`);
  await writeFile(file, bytes);
  return file;
}

for (const [name, geometry, adapt] of VARIANTS) {
  testNeeding('dicom3tools')(`dciodvfy reports no errors: ${name}`, async (t) => {
    const labels = makeLabels(makeGeometry(geometry), 3, 11);
    const file = await save(`dciodvfy ${name}`, writeSeg(adapt(segInput(labels))));
    // dciodvfy's exit status is not reliable: count its "Error" lines (notes/peers.md).
    const out = await run('/usr/bin/dciodvfy', [file]).then(
      (r) => r.stdout + r.stderr,
      (e: { stdout?: string; stderr?: string }) => (e.stdout ?? '') + (e.stderr ?? ''),
    );
    const lines = out.split('\n');
    const errors = lines.filter((l) => l.startsWith('Error'));
    for (const w of lines.filter((l) => l.startsWith('Warning'))) t.log(w);
    t.deepEqual(errors, []);
  });

  testNeeding('pydicom')(`an independent decoder (pydicom + numpy) reads back the same labels: ${name}`, async (t) => {
    const labels = makeLabels(makeGeometry(geometry), 3, 13);
    const file = await save(`pydicom ${name}`, writeSeg(adapt(segInput(labels))));
    const grid = join(dir, `${name.replace(/[^a-z0-9]+/gi, '_')}.json`);
    const { columns, rows, slices, spacing, origin, rowDirection, columnDirection, normal } = labels;
    await writeFile(grid, JSON.stringify({ columns, rows, slices, spacing, origin, rowDirection, columnDirection, normal }));
    const { stdout } = await run(PYTHON, [READ_SEG_PY, file, grid], { maxBuffer: 64 << 20 });
    const decoded = JSON.parse(stdout) as { shape: number[]; data: string; segments: { number: number; label: string }[] };
    t.deepEqual(decoded.shape, [slices, rows, columns]);
    const data = Buffer.from(decoded.data, 'base64');
    const diff = countDiff(data, labels);
    t.is(diff, 0, `${diff} voxels differ`);
    t.deepEqual(decoded.segments.map((s) => s.number), [1, 2, 3]);
  });
}

function countDiff(a: Uint8Array, b: LabelVolume): number {
  let n = 0;
  for (let i = 0; i < b.data.length; i++) if (a[i] !== b.data[i]) n++;
  return n + Math.abs(a.length - b.data.length);
}

test('dcmjs parses our SEG: sequences, frame count, bit-packed Pixel Data length, fresh meta per SEG', (t) => {
  const labels = makeLabels(makeGeometry({ columns: 7, rows: 5, slices: 6, multiFrame: true }), 2, 17);
  const bytes = writeSeg(segInput(labels));
  const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.meta);
  t.is(meta.TransferSyntaxUID, '1.2.840.10008.1.2.1');
  t.is(meta.MediaStorageSOPInstanceUID, ds.SOPInstanceUID);
  t.is(ds.SOPClassUID, '1.2.840.10008.5.1.4.1.1.66.4');
  t.is(ds.Modality, 'SEG');
  t.is(ds.SegmentationType, 'BINARY');
  t.is(ds.SegmentSequence.length, 2);
  const frames = Number(ds.NumberOfFrames);
  t.is(ds.PerFrameFunctionalGroupsSequence.length, frames);
  const pixelBytes = (ds.PixelData as ArrayBuffer[]).reduce((n, b) => n + b.byteLength, 0);
  const packed = Math.ceil((frames * 7 * 5) / 8);
  t.is(pixelBytes, packed + (packed & 1));
  // Multi-frame source: each frame names its source frame (PS3.3 C.7.6.16.2.6, Table 10-3).
  for (const item of ds.PerFrameFunctionalGroupsSequence) {
    const src = item.DerivationImageSequence.SourceImageSequence;
    t.is(src.ReferencedSOPInstanceUID, labels.sources[0]!.sopInstanceUid);
    t.true(Number(src.ReferencedFrameNumber) >= 1);
    t.is(item.SegmentIdentificationSequence.ReferencedSegmentNumber >= 1, true);
  }
  // A second SEG from the same input gets its own meta (dcmjs shares `_meta` between derivations).
  const again = writeSeg(segInput(labels));
  const meta2 = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(again.buffer.slice(again.byteOffset, again.byteOffset + again.byteLength)).meta);
  t.not(meta2.MediaStorageSOPInstanceUID, meta.MediaStorageSOPInstanceUID);
});
