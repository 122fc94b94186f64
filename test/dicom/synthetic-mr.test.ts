import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MR_IMAGE_STORAGE, newUid, syntheticSeries } from '../../src/dicom/synthetic-mr.js';
import { encodeDataset, formatDS, IMPLEMENTATION_CLASS_UID, writePart10 } from '../../src/dicom/part10-writer.js';
import { testNeeding } from '../helpers/declare.js';

// dcmjs ships no type declarations; a non-literal specifier keeps tsc from needing them.
const dcmjsName: string = 'dcmjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = (await import(dcmjsName)).default;
// dcmjs logs "Invalid vr type ox - using OW" for implicit-VR PixelData (its dictionary says ox): expected.
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

/** Parses Part 10 bytes with dcmjs, an independent reader; returns the naturalized meta and data set. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parse(bytes: Buffer): { meta: any; ds: any } {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const file = dcmjs.data.DicomMessage.readFile(ab);
  const nat = (d: unknown) => dcmjs.data.DicomMetaDictionary.naturalizeDataset(d);
  return { meta: nat(file.meta), ds: nat(file.dict) };
}

const first = <T>(it: Iterable<T>): T => {
  for (const v of it) return v;
  throw new Error('empty');
};

test('newUid is a 2.25 UUID-derived UID of at most 64 characters (PS3.5 §B.2)', (t) => {
  const uids = new Set(Array.from({ length: 1000 }, newUid));
  t.is(uids.size, 1000);
  for (const u of uids) {
    t.regex(u, /^2\.25\.[1-9][0-9]{0,38}$/);
    t.true(u.length <= 64);
  }
});

test('explicit VR LE instance carries the MR Image IOD attributes', (t) => {
  const s = syntheticSeries({ count: 4, rows: 64, columns: 80, patientId: 'P1', patientName: 'Doe^Jane', seriesNumber: 7 });
  const inst = first(s.instances);
  t.is(inst.bytes.subarray(128, 132).toString('latin1'), 'DICM');
  const { meta, ds } = parse(inst.bytes);
  t.is(meta.TransferSyntaxUID, '1.2.840.10008.1.2.1');
  t.is(meta.MediaStorageSOPClassUID, MR_IMAGE_STORAGE);
  t.is(meta.MediaStorageSOPInstanceUID, inst.sopInstanceUID);
  t.is(meta.ImplementationClassUID, IMPLEMENTATION_CLASS_UID);
  t.is(ds.SOPClassUID, MR_IMAGE_STORAGE);
  t.is(ds.SOPInstanceUID, inst.sopInstanceUID);
  t.is(ds.StudyInstanceUID, s.studyInstanceUID);
  t.is(ds.SeriesInstanceUID, s.seriesInstanceUID);
  t.is(ds.FrameOfReferenceUID, s.frameOfReferenceUID);
  t.is(ds.PatientID, 'P1');
  t.deepEqual(ds.PatientName, [{ Alphabetic: 'Doe^Jane' }]);
  t.is(ds.Modality, 'MR');
  t.is(ds.SeriesNumber, 7);
  t.is(ds.InstanceNumber, 1);
  t.is(ds.Rows, 64);
  t.is(ds.Columns, 80);
  t.is(ds.BitsAllocated, 16);
  t.is(ds.BitsStored, 12);
  t.is(ds.HighBit, 11);
  t.is(ds.PixelRepresentation, 0);
  t.is(ds.SamplesPerPixel, 1);
  t.is(ds.PhotometricInterpretation, 'MONOCHROME2');
  t.deepEqual(ds.ImageOrientationPatient, [1, 0, 0, 0, 1, 0]);
  t.deepEqual(ds.PixelSpacing, [0.9375, 0.9375]);
  t.is(ds.SliceThickness, 3);
  t.is(ds.ScanningSequence, 'SE');
  t.is(ds.MRAcquisitionType, '2D');
  t.is(ds.EchoTime, 15);
  t.is(ds.RepetitionTime, 500);
  const pixels = new Uint16Array(ds.PixelData[0]);
  t.is(pixels.length, 64 * 80);
  t.true(pixels.every((v) => v <= 4095), 'values fit BitsStored 12');
});

test('positions step along the slice normal and the phantom is visible mid-volume', (t) => {
  const sag = [0, 1, 0, 0, 0, -1]; // sagittal: normal = row × col = (-1, 0, 0)
  const s = syntheticSeries({ count: 9, orientation: sag, sliceThickness: 2.5, pixelSpacing: [0.5, 0.75] });
  const parsed = [...s.instances].map((i) => parse(i.bytes).ds);
  t.deepEqual(parsed.map((d) => d.InstanceNumber), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (let i = 1; i < parsed.length; i++) {
    const [a, b] = [parsed[i - 1].ImagePositionPatient, parsed[i].ImagePositionPatient];
    t.deepEqual([b[0] - a[0], b[1] - a[1], b[2] - a[2]], [-2.5, 0, 0]);
  }
  t.deepEqual(parsed[4].ImagePositionPatient, [0, -256 * 0.75 / 2, 256 * 0.5 / 2]);
  const mid = new Uint16Array(parsed[4].PixelData[0]);
  t.true(mid[128 * 256 + 128]! > 400, 'body tissue at the centre');
  t.true(mid[2 * 256 + 2]! < 200, 'background in the corner');
});

test('implicit VR LE output parses to the same values', (t) => {
  const s = syntheticSeries({ count: 2, transferSyntax: 'implicit-le' });
  const { meta, ds } = parse(s.instance(1).bytes);
  t.is(meta.TransferSyntaxUID, '1.2.840.10008.1.2');
  t.is(ds.InstanceNumber, 2);
  t.is(ds.Rows, 256);
  t.is(ds.SOPInstanceUID, s.sopInstanceUIDs[1]);
  t.is(new Uint16Array(ds.PixelData[0]).length, 256 * 256);
});

test('instances are lazy and deterministic: iterating twice yields identical bytes', (t) => {
  const s = syntheticSeries({ count: 3, rows: 32, columns: 32 });
  const a = [...s.instances].map((i) => i.bytes);
  const b = [...s.instances].map((i) => i.bytes);
  t.deepEqual(a, b);
  t.notDeepEqual(a[0], a[1]);
  t.throws(() => s.instance(3), { instanceOf: RangeError });
});

test('writer pads per VR, uses 4-byte lengths for OB/SQ/UT and sorts tags (PS3.5 §6.2, §7.1.2)', (t) => {
  const buf = encodeDataset([
    { tag: 0x00100010, vr: 'PN', value: 'Abc' }, // odd → space pad
    { tag: 0x00080018, vr: 'UI', value: '1.2.3' }, // odd → NUL pad
    { tag: 0x00091010, vr: 'OB', value: new Uint8Array([1, 2, 3]) }, // odd → NUL pad, long length
    { tag: 0x00081030, vr: 'UT', value: 'x' },
  ]);
  const hex = buf.toString('hex');
  t.is(
    hex,
    '08001800' + '5549' + '0600' + Buffer.from('1.2.3\0').toString('hex') +
      '08003010' + '5554' + '0000' + '02000000' + Buffer.from('x ').toString('hex') +
      '09001010' + '4f42' + '0000' + '04000000' + '01020300' +
      '10001000' + '504e' + '0400' + Buffer.from('Abc ').toString('hex'),
  );
  t.throws(() => encodeDataset([{ tag: 0x00100010, vr: 'PN', value: 'a' }, { tag: 0x00100010, vr: 'PN', value: 'b' }]));
  t.throws(() => encodeDataset([{ tag: 0x00100010, vr: 'LO', value: 'x'.repeat(70000) }]), { instanceOf: RangeError });
});

test('writer round-trips sequences and binary VRs through dcmjs', (t) => {
  const bytes = writePart10(
    [
      { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
      { tag: 0x00080018, vr: 'UI', value: '1.2.3.4' },
      { tag: 0x00281050, vr: 'DS', value: [1 / 3, 40] },
      { tag: 0x00200013, vr: 'IS', value: 12 },
      { tag: 0x00181310, vr: 'US', value: [0, 256, 256, 0] },
      { tag: 0x00089215, vr: 'SQ', value: [[{ tag: 0x00080100, vr: 'SH', value: 'C1' }, { tag: 0x00080102, vr: 'SH', value: 'DCM' }], [{ tag: 0x00080100, vr: 'SH', value: 'C22' }]] },
    ],
    { sopClassUID: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUID: '1.2.3.4' },
  );
  const { ds } = parse(bytes);
  t.is(ds.SOPInstanceUID, '1.2.3.4');
  t.deepEqual(ds.WindowCenter, [0.33333333333333, 40]);
  t.is(ds.InstanceNumber, 12);
  t.deepEqual(ds.AcquisitionMatrix, [0, 256, 256, 0]);
  t.is(ds.DerivationCodeSequence.length, 2);
  t.is(ds.DerivationCodeSequence[0].CodeValue, 'C1');
  t.is(ds.DerivationCodeSequence[1].CodeValue, 'C22');
  t.throws(() => writePart10([{ tag: 0x00020010, vr: 'UI', value: '1.2' }], { sopClassUID: '1.2', sopInstanceUID: '1.3' }));
});

test('formatDS keeps values within 16 characters', (t) => {
  t.is(formatDS(3), '3');
  t.is(formatDS(-0), '0');
  t.is(formatDS(1 / 3), '0.33333333333333');
  t.true(formatDS(-123456.7890123456789).length <= 16);
  t.true(formatDS(1.234567890123e-12).length <= 16);
  t.throws(() => formatDS(Number.NaN));
});

testNeeding('dicom3tools')('dciodvfy reports no errors for a generated instance', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synthetic-mr-'));
  try {
    const s = syntheticSeries({ count: 3 });
    const file = join(dir, 'mr.dcm');
    await writeFile(file, s.instance(1).bytes);
    // dciodvfy's exit status is not reliable; it writes its findings to stderr, one line each.
    const { stdout, stderr } = await promisify(execFile)('dciodvfy', [file]).catch((e: { stdout: string; stderr: string }) => e);
    const errors = `${stdout}\n${stderr}`.split('\n').filter((l) => l.startsWith('Error'));
    t.deepEqual(errors, []);
    t.regex(`${stdout}${stderr}`, /MRImage/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
