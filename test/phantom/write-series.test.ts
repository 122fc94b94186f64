import test from 'ava';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AnyTransferSyntax } from '../../src/dicom/part10-writer.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { ENHANCED_MR_IMAGE_STORAGE, MR_IMAGE_STORAGE, storedValues, writeLegSeries, type WrittenSeries } from '../../src/phantom/write-series.js';
import { testNeeding } from '../helpers/declare.js';

// Independent readers: dcmjs for the data sets, the codec packages' decoder-only builds for the frames
// (separate WASM instances from the encoders the writer uses).
const dcmjsName: string = 'dcmjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = (await import(dcmjsName)).default;
dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent'); // "Invalid vr type ox" for implicit VR Pixel Data
const require = createRequire(import.meta.url);
const quiet = { print: () => {}, printErr: () => {} };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Wasm = any;
const charls: Wasm = await require('@cornerstonejs/codec-charls/decodewasmjs')(quiet);
const openjpeg: Wasm = await require('@cornerstonejs/codec-openjpeg/decodewasmjs')(quiet);
const libjpeg: Wasm = await require('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')(quiet);
const { Decoder: LosslessDecoder } = require('jpeg-lossless-decoder-js') as { Decoder: new () => { decode(b: ArrayBuffer, o: number, l: number): Uint8Array | Uint16Array } };
const run = promisify(execFile);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parse(bytes: Buffer): { meta: any; ds: any } {
  const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const nat = (d: unknown) => dcmjs.data.DicomMetaDictionary.naturalizeDataset(d);
  return { meta: nat(file.meta), ds: nat(file.dict) };
}

/** PackBits decoder of PS3.5 §G.3.2, written from the standard (not from the encoder). */
function decodeRle(frame: Uint8Array, samples: number, bytesPerSample: number): Uint16Array {
  const view = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.readUInt32LE(0);
  const out = new Uint16Array(samples);
  for (let s = 0; s < segments; s++) {
    const start = view.readUInt32LE(4 + 4 * s), end = s + 1 < segments ? view.readUInt32LE(8 + 4 * s) : view.length;
    const shift = 8 * (bytesPerSample - 1 - s);
    let p = start, n = 0;
    while (n < samples && p < end) {
      const h = view.readInt8(p++);
      if (h >= 0) for (let i = 0; i <= h; i++) out[n++]! |= view[p++]! << shift;
      else if (h > -128) { const b = view[p++]!; for (let i = 0; i < 1 - h; i++) out[n++]! |= b << shift; }
    }
  }
  return out;
}

function wasmDecode(m: Wasm, cls: string, bytes: Uint8Array): Uint16Array | Uint8Array {
  const d = new m[cls]();
  try {
    d.getEncodedBuffer(bytes.length).set(bytes);
    d.decode();
    const info = d.getFrameInfo();
    const out = Uint8Array.from(d.getDecodedBuffer() as Uint8Array);
    return info.bitsPerSample > 8 ? new Uint16Array(out.buffer) : out;
  } finally {
    d.delete();
  }
}

/** Stored values of every frame of a parsed file, decoded independently of the writer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function frames(meta: any, ds: any): (Uint16Array | Uint8Array)[] {
  const n = ds.Rows * ds.Columns, count = Number(ds.NumberOfFrames ?? 1);
  const ts: string = meta.TransferSyntaxUID;
  const fragments: ArrayBuffer[] = ds.PixelData;
  if (['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2'].includes(ts)) {
    const buf = Buffer.from(fragments[0]!.slice(0));
    if (ts === '1.2.840.10008.1.2.2') buf.swap16(); // dcmjs leaves big-endian words as they are
    const all = new Uint16Array(buf.buffer, buf.byteOffset, n * count);
    return Array.from({ length: count }, (_, f) => all.subarray(f * n, (f + 1) * n));
  }
  if (fragments.length !== count) throw new Error(`${fragments.length} fragments for ${count} frames`); // one per frame
  return fragments.map((fr) => {
    const bytes = new Uint8Array(fr);
    switch (ts) {
      case '1.2.840.10008.1.2.5': return decodeRle(bytes, n, ds.BitsAllocated / 8);
      case '1.2.840.10008.1.2.4.80': return wasmDecode(charls, 'JpegLSDecoder', bytes);
      case '1.2.840.10008.1.2.4.90': return wasmDecode(openjpeg, 'J2KDecoder', bytes);
      case '1.2.840.10008.1.2.4.50': return wasmDecode(libjpeg, 'JPEGDecoder', bytes);
      case '1.2.840.10008.1.2.4.70': return new LosslessDecoder().decode(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      default: throw new Error(`unexpected ${ts}`);
    }
  });
}

const SYNTAXES: AnyTransferSyntax[] = ['explicit-le', 'implicit-le', 'explicit-be', 'deflated-le', 'rle', 'jpeg-ls-lossless', 'jpeg2000-lossless', 'jpeg-lossless-sv1', 'jpeg-baseline'];
const phantom = legPhantom({ rows: 48, columns: 64, slices: 5, seed: 21, legs: 2, orientation: 'oblique' });

async function dciodvfyErrors(file: Buffer, deflated: boolean): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'phantom-'));
  try {
    let path = join(dir, 'in.dcm');
    await writeFile(path, file);
    if (deflated) {
      // dicom3tools cannot read Deflated Explicit VR LE: DCMTK reads it (no errors) and re-encodes it.
      const dump = await run('dcmdump', [path]);
      if (/^E:/m.test(dump.stderr)) return [dump.stderr];
      await run('dcmconv', ['+te', path, join(dir, 'explicit.dcm')]);
      path = join(dir, 'explicit.dcm');
    }
    // dciodvfy's exit status is not reliable; count the lines that start with "Error".
    const r = await run('dciodvfy', [path]).catch((e: { stdout: string; stderr: string }) => e);
    return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const layout of ['single-frame', 'enhanced'] as const) {
  for (const ts of SYNTAXES) {
    testNeeding('dicom3tools', 'dcmtk')(`${layout} ${ts}: dciodvfy finds no errors; independent decoders give back the stored values`, async (t) => {
      const w: WrittenSeries = await writeLegSeries(phantom.volume, { layout, transferSyntax: ts, shuffle: 7, laterality: 'B', patientId: 'P-42', patientName: 'Leg^Phantom' });
      t.deepEqual(await dciodvfyErrors(w.files[0]!, ts === 'deflated-le'), []);
      t.is(w.files.length, layout === 'enhanced' ? 1 : phantom.volume.slices);
      const { volume } = phantom;
      const frameSize = volume.rows * volume.columns;
      const seen = new Set<number>();
      const order: number[] = [];
      for (const [fi, file] of w.files.entries()) {
        const { meta, ds } = parse(file);
        t.is(meta.MediaStorageSOPInstanceUID, w.sopInstanceUIDs[fi]);
        t.is(meta.TransferSyntaxUID, w.transferSyntaxUID);
        t.is(ds.SOPClassUID, layout === 'enhanced' ? ENHANCED_MR_IMAGE_STORAGE : MR_IMAGE_STORAGE);
        t.is(ds.PatientID, 'P-42');
        t.is(ds.StudyInstanceUID, w.studyInstanceUID);
        t.is(ds.BodyPartExamined, 'LEG');
        const perFrame = ds.PerFrameFunctionalGroupsSequence;
        const transform = layout === 'enhanced' ? ds.SharedFunctionalGroupsSequence.PixelValueTransformationSequence : ds;
        t.is(Number(transform.RescaleSlope), w.rescaleSlope);
        t.is(Number(transform.RescaleIntercept), w.rescaleIntercept);
        const positions: number[][] = layout === 'enhanced' ? perFrame.map((f: { PlanePositionSequence: { ImagePositionPatient: number[] } }) => f.PlanePositionSequence.ImagePositionPatient) : [ds.ImagePositionPatient];
        frames(meta, ds).forEach((px, f) => {
          // The slice is found from its position along the normal, never from the file order.
          const p = positions[f]!;
          const d = [0, 1, 2].reduce((s, a) => s + (p[a]! - volume.origin[a]!) * volume.normal[a]!, 0);
          const k = Math.round(d / volume.spacing[2]);
          t.true(Math.abs(d - k * volume.spacing[2]) < 1e-6);
          seen.add(k);
          order.push(k);
          const expected = w.stored.subarray(k * frameSize, (k + 1) * frameSize);
          t.is(px.length, frameSize);
          if (ts === 'jpeg-baseline') {
            let err = 0;
            for (let i = 0; i < frameSize; i++) err += Math.abs(px[i]! - expected[i]!);
            t.true(err / frameSize < 4, `mean absolute error ${(err / frameSize).toFixed(2)} of 255`);
          } else {
            t.true(Buffer.from(px.buffer, px.byteOffset, px.byteLength).equals(Buffer.from(Uint16Array.from(expected).buffer)), `slice ${k}`);
            // Applying the rescale gives the phantom's intensities back exactly.
            for (let i = 0; i < frameSize; i += 97) t.is(px[i]! * w.rescaleSlope + w.rescaleIntercept, volume.data[k * frameSize + i]);
          }
        });
      }
      t.is(seen.size, volume.slices);
      t.notDeepEqual(order, [...order].sort((a, b) => a - b), 'shuffled out of spatial order');
    });
  }
}

test('same volume and date give byte-identical files; the sources say where each slice went', async (t) => {
  const date = new Date(Date.UTC(2024, 4, 6, 7, 8, 9));
  const a = await writeLegSeries(phantom.volume, { date, transferSyntax: 'rle' });
  const b = await writeLegSeries(phantom.volume, { date, transferSyntax: 'rle' });
  t.true(a.files.every((f, i) => f.equals(b.files[i]!)));
  t.deepEqual(a.sopInstanceUIDs, phantom.volume.sources.map((s) => s.sopInstanceUid));
  const e = await writeLegSeries(phantom.volume, { layout: 'enhanced', shuffle: true });
  t.deepEqual(e.sources.map((s) => s.frameNumber).sort((x, y) => x! - y!), [1, 2, 3, 4, 5]);
  t.true(e.sources.every((s, k) => s.position === phantom.volume.sources[k]!.position));
  const { ds } = parse(e.files[0]!);
  t.is(ds.StudyDate.length, 8);
});

test('bits stored follow the value range; values that cannot be stored are refused', async (t) => {
  const bright = legPhantom({ rows: 32, columns: 32, slices: 2, intensityScale: 4, seed: 2 });
  const w = await writeLegSeries(bright.volume, { transferSyntax: 'jpeg-ls-lossless' });
  t.is(w.bitsStored, 16);
  const { ds } = parse(w.files[0]!);
  t.is(ds.BitsStored, 16);
  t.is(ds.HighBit, 15);
  t.throws(() => storedValues({ data: new Float32Array([-200]) }, 0.5, -100, 12), { instanceOf: RangeError });
  const j = await writeLegSeries(bright.volume, { transferSyntax: 'jpeg-baseline' });
  t.is(j.bitsStored, 8);
  t.true(j.rescaleSlope > 0.5);
  t.is(parse(j.files[0]!).ds.LossyImageCompression, '01');
});
