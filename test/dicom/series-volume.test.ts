import test, { type ExecutionContext } from 'ava';
import { encodeDataset, writePart10, type DataElement } from '../../src/dicom/part10-writer.js';
import { GeometryError, buildVolume } from '../../src/dicom/series-volume.js';
import { PixelDecodeError, UnsupportedTransferSyntaxError } from '../../src/dicom/pixel-decode.js';
import { MR_IMAGE_STORAGE, newUid } from '../../src/dicom/synthetic-mr.js';
import type { Vec3, Volume } from '../../src/dicom/volume.js';
import { bigEndianDataset, encapsulatedPixelData, encodeJpegLossless, encodeJpegLs, encodeRle, part10 } from './pixel-encoders.js';
import { mulberry32 } from '../../src/random.js';

const ENHANCED_MR = '1.2.840.10008.5.1.4.1.1.4.1';
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** A seeded shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rnd = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface StackSpec {
  orientation?: number[];
  count?: number;
  rows?: number;
  columns?: number;
  /** [row, column] spacing as in PixelSpacing */
  pixelSpacing?: [number, number];
  spacing?: number;
  origin?: Vec3;
  /** extra in-plane shift per slice (a tilted stack) */
  tilt?: Vec3;
}

/** A known stack: slice k (in order along the normal) holds value(i, j, k) at column i, row j. */
function stack(spec: StackSpec = {}) {
  const iop = spec.orientation ?? [1, 0, 0, 0, 1, 0];
  const row = iop.slice(0, 3) as Vec3;
  const col = iop.slice(3) as Vec3;
  const n = cross(row, col);
  const count = spec.count ?? 6;
  const rows = spec.rows ?? 5;
  const columns = spec.columns ?? 7;
  const s = spec.spacing ?? 2.5;
  const o = spec.origin ?? [-10, 20.5, 33];
  const tilt = spec.tilt ?? [0, 0, 0];
  const value = (i: number, j: number, k: number) => (k * 331 + j * 17 + i * 3) % 4096;
  const slices = Array.from({ length: count }, (_, k) => {
    const pixels = new Uint16Array(rows * columns);
    for (let j = 0; j < rows; j++) for (let i = 0; i < columns; i++) pixels[j * columns + i] = value(i, j, k);
    const ipp = [0, 1, 2].map((d) => o[d]! + k * s * n[d]! + k * tilt[d]!) as Vec3;
    return { k, sop: newUid(), ipp, pixels };
  });
  const expected = new Float32Array(count * rows * columns);
  slices.forEach((sl) => expected.set(sl.pixels, sl.k * rows * columns));
  return { iop, row, col, n, count, rows, columns, pixelSpacing: spec.pixelSpacing ?? [0.8, 1.1], spacing: s, slices, expected, value, study: newUid(), series: newUid(), frameOfReference: newUid() };
}
type Stack = ReturnType<typeof stack>;
type Slice = Stack['slices'][number];

/** The data set of one single-frame MR image of `st`, without Pixel Data. */
function sliceElements(st: Stack, sl: Slice, extra: DataElement[] = []): DataElement[] {
  const base: DataElement[] = [
    { tag: 0x00080016, vr: 'UI', value: MR_IMAGE_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: sl.sop },
    { tag: 0x00080060, vr: 'CS', value: 'MR' },
    { tag: 0x00180050, vr: 'DS', value: 2 }, // SliceThickness
    { tag: 0x0020000d, vr: 'UI', value: st.study },
    { tag: 0x0020000e, vr: 'UI', value: st.series },
    { tag: 0x00200013, vr: 'IS', value: 100 - sl.k }, // InstanceNumber: deliberately misleading
    { tag: 0x00200032, vr: 'DS', value: sl.ipp },
    { tag: 0x00200037, vr: 'DS', value: st.iop },
    { tag: 0x00200052, vr: 'UI', value: st.frameOfReference },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: st.rows },
    { tag: 0x00280011, vr: 'US', value: st.columns },
    { tag: 0x00280030, vr: 'DS', value: st.pixelSpacing },
    { tag: 0x00280100, vr: 'US', value: 16 },
    { tag: 0x00280101, vr: 'US', value: 12 },
    { tag: 0x00280102, vr: 'US', value: 11 },
    { tag: 0x00280103, vr: 'US', value: 0 },
  ];
  const tags = new Set(extra.map((e) => e.tag));
  return [...base.filter((e) => !tags.has(e.tag)), ...extra];
}

const bytesOf = (px: Uint16Array) => new Uint8Array(px.buffer, px.byteOffset, px.byteLength);

function singleFrame(st: Stack, sl: Slice, extra: DataElement[] = []): Buffer {
  return writePart10([...sliceElements(st, sl, extra), { tag: 0x7fe00010, vr: 'OW', value: bytesOf(sl.pixels) }], { sopClassUID: MR_IMAGE_STORAGE, sopInstanceUID: sl.sop });
}

const series = (st: Stack, seed = 1) => shuffled(st.slices, seed).map((sl) => singleFrame(st, sl));

function assertVolume(t: ExecutionContext, v: Volume, st: Stack, label = '') {
  t.deepEqual([v.columns, v.rows, v.slices], [st.columns, st.rows, st.count], label);
  t.deepEqual(Array.from(v.data), Array.from(st.expected), `${label} voxels`);
  const close = (a: readonly number[], b: readonly number[], what: string) => t.true(a.every((x, i) => Math.abs(x - b[i]!) < 1e-6), `${label} ${what}: [${a.join(', ')}] vs [${b.join(', ')}]`);
  close(v.origin, st.slices[0]!.ipp, 'origin');
  close(v.rowDirection, st.row, 'row direction');
  close(v.columnDirection, st.col, 'column direction');
  close(v.spacing, [st.pixelSpacing[1], st.pixelSpacing[0], st.spacing], 'spacing');
  if (v.sources[0]!.frameNumber === undefined) t.deepEqual(v.sources.map((s) => s.sopInstanceUid), st.slices.map((s) => s.sop), `${label} sources in volume order`);
  v.sources.forEach((s, k) => close(s.position, st.slices[k]!.ipp, `source ${k} position`)); // DS keeps 16 characters
  t.deepEqual([v.studyInstanceUid, v.seriesInstanceUid, v.frameOfReferenceUid], [st.study, st.series, st.frameOfReference]);
}

const ORIENTATIONS: Record<string, number[]> = {
  axial: [1, 0, 0, 0, 1, 0],
  coronal: [1, 0, 0, 0, 0, -1],
  sagittal: [0, 1, 0, 0, 0, -1],
  oblique: (() => {
    const [a, b] = [0.4, -0.7];
    return [Math.cos(a), Math.sin(a), 0, -Math.sin(a) * Math.cos(b), Math.cos(a) * Math.cos(b), Math.sin(b)];
  })(),
};

for (const [name, orientation] of Object.entries(ORIENTATIONS)) {
  test(`${name}: shuffled files → slices ordered along row × column, geometry exact`, async (t) => {
    const st = stack({ orientation });
    const v = await buildVolume(series(st, name.length));
    assertVolume(t, v, st, name);
    t.true(v.normal.every((x, i) => Math.abs(x - st.n[i]!) < 1e-9), 'normal = row × column');
    t.is(v.sources[0]!.frameNumber, undefined);
    t.is(v.sources[0]!.sopClassUid, MR_IMAGE_STORAGE);
  });
}

test('file order does not matter: sorted, reversed and shuffled give the same volume', async (t) => {
  const st = stack({ count: 9 });
  const files = st.slices.map((sl) => singleFrame(st, sl));
  const a = await buildVolume(files);
  const b = await buildVolume([...files].reverse());
  const c = await buildVolume(shuffled(files, 42));
  for (const v of [a, b, c]) assertVolume(t, v, st);
});

test('a tilted stack keeps its step direction as normal (volume.ts: not row × column)', async (t) => {
  const st = stack({ tilt: [0, 0.3, 0], count: 4 });
  const v = await buildVolume(series(st));
  const step = [0, 0.3, st.spacing];
  const len = Math.hypot(...step);
  t.true(v.normal.every((x, i) => Math.abs(x - step[i]! / len) < 1e-9));
  t.true(Math.abs(v.spacing[2] - len) < 1e-9);
  t.deepEqual(Array.from(v.data), Array.from(st.expected));
});

test('Rescale Slope / Intercept give Float32 intensities; async iterables are read lazily', async (t) => {
  const st = stack({ count: 3 });
  let produced = 0;
  async function* lazily() {
    for (const sl of st.slices) {
      produced++;
      yield singleFrame(st, sl, [{ tag: 0x00281052, vr: 'DS', value: -1024.5 }, { tag: 0x00281053, vr: 'DS', value: 0.25 }]);
    }
  }
  const v = await buildVolume(lazily());
  t.is(produced, 3);
  t.deepEqual(Array.from(v.data), Array.from(st.expected, (x) => x * 0.25 - 1024.5));
});

/** An Enhanced MR image (PS3.3 §A.36.2) holding the frames `frames` of `st`, in that order. */
function enhanced(st: Stack, frames: readonly Slice[], o: { perFrameRescale?: boolean; ts?: string; encode?: (px: Uint16Array) => Buffer } = {}): Buffer {
  const sop = newUid();
  const rescale = (sl: Slice): DataElement[][] => [[
    { tag: 0x00281052, vr: 'DS', value: o.perFrameRescale ? sl.k : 0 },
    { tag: 0x00281053, vr: 'DS', value: o.perFrameRescale ? 2 : 1 },
    { tag: 0x00281054, vr: 'LO', value: 'US' },
  ]];
  const shared: DataElement[] = [
    { tag: 0x00289110, vr: 'SQ', value: [[{ tag: 0x00180050, vr: 'DS', value: 2 }, { tag: 0x00280030, vr: 'DS', value: st.pixelSpacing }]] },
    { tag: 0x00209116, vr: 'SQ', value: [[{ tag: 0x00200037, vr: 'DS', value: st.iop }]] },
  ];
  if (!o.perFrameRescale) shared.push({ tag: 0x00289145, vr: 'SQ', value: rescale(frames[0]!) });
  const perFrame = frames.map((sl) => [
    { tag: 0x00209113, vr: 'SQ', value: [[{ tag: 0x00200032, vr: 'DS', value: sl.ipp }]] },
    ...(o.perFrameRescale ? [{ tag: 0x00289145, vr: 'SQ', value: rescale(sl) } as DataElement] : []),
  ] as DataElement[]);
  const els = sliceElements(st, { ...frames[0]!, sop }, [
    { tag: 0x00080016, vr: 'UI', value: ENHANCED_MR },
    { tag: 0x00280008, vr: 'IS', value: frames.length },
    { tag: 0x52009229, vr: 'SQ', value: [shared] },
    { tag: 0x52009230, vr: 'SQ', value: perFrame },
  ]).filter((e) => ![0x00200032, 0x00200037, 0x00280030, 0x00180050].includes(e.tag)); // in the functional groups instead
  if (o.encode) return part10(els, o.ts!, encapsulatedPixelData(frames.map((sl) => o.encode!(sl.pixels))));
  const pixels = Buffer.concat(frames.map((sl) => bytesOf(sl.pixels)));
  return writePart10([...els, { tag: 0x7fe00010, vr: 'OW', value: pixels }], { sopClassUID: ENHANCED_MR, sopInstanceUID: sop });
}

test('Enhanced MR multi-frame (functional groups, frames out of order) = the single-frame series', async (t) => {
  const st = stack({ orientation: ORIENTATIONS.oblique, count: 8 });
  const single = await buildVolume(series(st));
  const multi = await buildVolume([enhanced(st, shuffled(st.slices, 3))]);
  assertVolume(t, multi, st, 'enhanced');
  t.deepEqual(Array.from(multi.data), Array.from(single.data));
  t.deepEqual([multi.origin, multi.normal, multi.spacing], [single.origin, single.normal, single.spacing]);
  t.true(multi.sources.every((s) => s.sopClassUid === ENHANCED_MR && typeof s.frameNumber === 'number'));
  t.deepEqual(multi.sources.map((s) => s.position), single.sources.map((s) => s.position));
});

test('frames from several Enhanced MR instances and single-frame images mix; per-frame rescale applies', async (t) => {
  const st = stack({ count: 7 });
  const [a, b] = [st.slices.filter((s) => s.k % 2 === 0), st.slices.filter((s) => s.k % 2 === 1 && s.k !== 3)];
  const files = [enhanced(st, b.reverse(), { perFrameRescale: true }), singleFrame(st, st.slices[3]!, [{ tag: 0x00281052, vr: 'DS', value: 3 }, { tag: 0x00281053, vr: 'DS', value: 2 }]), enhanced(st, a, { perFrameRescale: true })];
  const v = await buildVolume(files);
  t.deepEqual(Array.from(v.data), Array.from(st.expected, (x, i) => x * 2 + Math.floor(i / (st.rows * st.columns))));
  t.is(v.sources[3]!.frameNumber, undefined);
  t.is(v.sources[4]!.frameNumber, 3, 'slice 4 is the 3rd frame of the first instance (even k)');
});

test('encapsulated series decode: RLE, JPEG Lossless, JPEG-LS; deflated and implicit VR native', async (t) => {
  const st = stack({ count: 4, orientation: ORIENTATIONS.sagittal });
  const cases: [string, (px: Uint16Array) => Buffer | Promise<Buffer>][] = [
    ['1.2.840.10008.1.2.5', (px) => encodeRle(px, st.rows, st.columns, 2)],
    ['1.2.840.10008.1.2.4.70', (px) => encodeJpegLossless(px, st.rows, st.columns, 12)],
    ['1.2.840.10008.1.2.4.80', (px) => encodeJpegLs(px, st.rows, st.columns, 12)],
  ];
  for (const [ts, encode] of cases) {
    const files = await Promise.all(st.slices.map(async (sl) => part10(sliceElements(st, sl), ts, encapsulatedPixelData([await encode(sl.pixels)]))));
    assertVolume(t, await buildVolume(shuffled(files, 5)), st, ts);
  }
  for (const ts of ['1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2']) {
    const files = st.slices.map((sl) => part10([...sliceElements(st, sl), { tag: 0x7fe00010, vr: 'OW', value: bytesOf(sl.pixels) }], ts));
    assertVolume(t, await buildVolume(files), st, ts);
  }
  const rleMulti = enhanced(st, shuffled(st.slices, 9), { ts: '1.2.840.10008.1.2.5', encode: (px) => encodeRle(px, st.rows, st.columns, 2) });
  assertVolume(t, await buildVolume([rleMulti]), st, 'RLE Enhanced MR');
});

test('explicit VR big endian series', async (t) => {
  const st = stack({ count: 3 });
  const files = st.slices.map((sl) => {
    const le = part10(sliceElements(st, sl), '1.2.840.10008.1.2.2');
    const metaEnd = le.length - encodeDataset(sliceElements(st, sl)).length;
    return Buffer.concat([le.subarray(0, metaEnd), bigEndianDataset([...sliceElements(st, sl), { tag: 0x7fe00010, vr: 'OW', value: bytesOf(sl.pixels) }])]);
  });
  assertVolume(t, await buildVolume(files), st, 'big endian');
});

test('a single slice: spacing from SliceThickness, else SpacingBetweenSlices, else 1', async (t) => {
  const st = stack({ count: 1, orientation: ORIENTATIONS.coronal });
  const sl = st.slices[0]!;
  const one = async (extra: DataElement[]) => (await buildVolume([singleFrame(st, sl, extra)])).spacing[2];
  t.is(await one([]), 2);
  t.is(await one([{ tag: 0x00180050, vr: 'DS', value: '' }, { tag: 0x00180088, vr: 'DS', value: 4.5 }]), 4.5);
  t.is(await one([{ tag: 0x00180050, vr: 'DS', value: '' }]), 1);
  const v = await buildVolume([singleFrame(st, sl)]);
  t.deepEqual(v.normal, st.n.map((x) => x + 0) as Vec3);
  t.deepEqual(Array.from(v.data), Array.from(st.expected));
});

async function geometryError(t: ExecutionContext, files: Buffer[] | AsyncIterable<Buffer>, code: GeometryError['code'], message: RegExp): Promise<GeometryError> {
  const e = await t.throwsAsync(buildVolume(files), { instanceOf: GeometryError });
  t.is(e.code, code, e.message);
  t.regex(e.message, message);
  return e;
}

test('errors: no files, no pixel data, different series / frame of reference / size / spacing', async (t) => {
  await geometryError(t, [], 'no-files', /no DICOM files/);
  const st = stack({ count: 3 });
  const [a, b, c] = st.slices;
  const noPixels = writePart10(sliceElements(st, a!), { sopClassUID: MR_IMAGE_STORAGE, sopInstanceUID: a!.sop });
  await geometryError(t, [noPixels], 'no-pixel-data', new RegExp(`${a!.sop} has no Pixel Data`));
  const other = newUid();
  await geometryError(t, [singleFrame(st, a!), singleFrame(st, b!, [{ tag: 0x0020000e, vr: 'UI', value: other }])], 'mixed-series', new RegExp(other));
  await geometryError(t, [singleFrame(st, a!), singleFrame(st, b!, [{ tag: 0x00200052, vr: 'UI', value: other }])], 'mixed-frame-of-reference', new RegExp(other));
  const bigger = { ...st, rows: 6, slices: st.slices };
  const biggerSlice = { ...c!, pixels: new Uint16Array(6 * st.columns) };
  await geometryError(t, [singleFrame(st, a!), singleFrame(bigger, biggerSlice)], 'mixed-size', /6×7 vs 5×7/);
  await geometryError(t, [singleFrame(st, a!), singleFrame(st, b!, [{ tag: 0x00280030, vr: 'DS', value: [0.8, 1.2] }])], 'mixed-pixel-spacing', /\[0\.8, 1\.2\] vs \[0\.8, 1\.1\]/);
  await geometryError(t, [singleFrame(st, a!, [{ tag: 0x00200032, vr: 'DS', value: '' }])], 'missing-attribute', /no usable Image Position \(Patient\)/);
});

test('errors: mixed orientation (beyond tolerance), accepted within it', async (t) => {
  const st = stack({ count: 3 });
  const tilted = [1, 0, 0, 0, Math.cos(0.01), Math.sin(0.01)];
  const e = await geometryError(t, [singleFrame(st, st.slices[0]!), singleFrame(st, st.slices[1]!, [{ tag: 0x00200037, vr: 'DS', value: tilted }])], 'mixed-orientation', /different Image Orientation \(Patient\)/);
  t.true(e.message.includes(st.slices[1]!.sop) && e.message.includes(st.slices[0]!.sop));
  const nearly = [1, 0, 0, 0, 1 - 1e-6, 2e-5];
  const v = await buildVolume([singleFrame(st, st.slices[0]!), singleFrame(st, st.slices[1]!, [{ tag: 0x00200037, vr: 'DS', value: nearly }]), singleFrame(st, st.slices[2]!)]);
  t.is(v.slices, 3);
});

test('errors: a missing slice reports where, expected and found spacing', async (t) => {
  const st = stack({ count: 8, spacing: 3 });
  const files = st.slices.filter((s) => s.k !== 5).map((sl) => singleFrame(st, sl));
  const e = await geometryError(t, shuffled(files, 7), 'missing-slice', /gap between slices 4 and 5 of 7: .* are 6 mm apart, expected 3 mm: 1 slice missing/);
  t.true(e.message.includes(st.slices[4]!.sop) && e.message.includes(st.slices[6]!.sop));
  const uneven = st.slices.map((sl) => singleFrame(st, sl.k === 7 ? { ...sl, ipp: [sl.ipp[0], sl.ipp[1], sl.ipp[2] - 1] } : sl));
  await geometryError(t, uneven, 'uneven-spacing', /are 2 mm apart, expected 3 mm/);
  const sheared = st.slices.map((sl) => singleFrame(st, sl.k === 4 ? { ...sl, ipp: [sl.ipp[0] + 1, sl.ipp[1], sl.ipp[2]] } : sl));
  await geometryError(t, sheared, 'non-collinear', /not on one line/);
});

test('errors: a duplicate slice names both SOP Instance UIDs', async (t) => {
  const st = stack({ count: 4 });
  const twin = { ...st.slices[2]!, sop: newUid() };
  const e = await geometryError(t, [...st.slices, twin].map((sl) => singleFrame(st, sl)), 'duplicate-position', /two slices at the same place/);
  t.true(e.message.includes(twin.sop) && e.message.includes(st.slices[2]!.sop), e.message);
});

test('errors: a corrupt frame is a PixelDecodeError naming the instance', async (t) => {
  const st = stack({ count: 2 });
  const files = st.slices.map((sl) => part10(sliceElements(st, sl), '1.2.840.10008.1.2.5', encapsulatedPixelData([encodeRle(sl.pixels, st.rows, st.columns, 2).subarray(0, 70)])));
  const e = await t.throwsAsync(buildVolume(files), { instanceOf: PixelDecodeError });
  t.is(e.code, 'corrupt');
  t.true(e.message.startsWith(st.slices[0]!.sop) || e.message.startsWith(st.slices[1]!.sop), e.message);
});

test('errors: an unsupported transfer syntax (HTJ2K) names the UID', async (t) => {
  const st = stack({ count: 2 });
  const files = st.slices.map((sl) => part10(sliceElements(st, sl), '1.2.840.10008.1.2.4.201', encapsulatedPixelData([Buffer.from([0xff, 0x4f, 0xff, 0x51])])));
  const e = await t.throwsAsync(buildVolume(files), { instanceOf: UnsupportedTransferSyntaxError });
  t.regex(e.message, /HTJ2K Lossless \(1\.2\.840\.10008\.1\.2\.4\.201\)/);
});

/** A 512×512 single-frame image of slice k (1.5 mm apart) with the same pixels everywhere. */
function bigSlice(k: number): Buffer {
  const st = bigStack;
  return singleFrame(st, { k, sop: newUid(), ipp: [0, 0, k * 1.5], pixels: bigPixels });
}
const bigStack = { ...stack({ count: 1 }), rows: 512, columns: 512 };
const bigPixels = new Uint16Array(512 * 512).map((_, i) => i % 4096);

// Serial tests run first, one at a time: the process's peak RSS (maxRSS) is still that of loading.
test.serial('memory: files read lazily, a 200 MB volume peaks at about the volume + a file', async (t) => {
  bigSlice(0);
  const before = process.resourceUsage().maxRSS / 1024;
  async function* lazily() {
    for (let k = 199; k >= 0; k--) yield bigSlice(k);
  }
  const v = await buildVolume(lazily());
  const growth = process.resourceUsage().maxRSS / 1024 - before;
  const volume = v.data.byteLength / 2 ** 20;
  t.log(`peak RSS growth ${growth.toFixed(0)} MB for a ${volume} MiB volume`);
  t.true(growth < volume * 1.05 + 64, `${growth} MB`);
  t.false((v.data.buffer as ArrayBuffer & { resizable?: boolean }).resizable, 'an ordinary buffer (structured-clonable)');
  t.is(v.data.byteLength, v.data.buffer.byteLength);
});

// Speed is a benchmark's business (bench:infer times the volume build beside onnxruntime), never a
// timed assertion here: this checks only that a large shuffled series builds and lands in order.
test.serial('a 512×512×200 native series builds, slices in order whatever the file order', async (t) => {
  const files = shuffled(Array.from({ length: 200 }, (_, k) => bigSlice(k)), 11);
  const v = await buildVolume(files);
  t.is(v.data.length, 512 * 512 * 200);
  t.is(v.data[512 * 512 * 199 + 4097], 1);
});
