/**
 * Synthetic MR series as DICOM Part 10 files, for tests, benchmarks and the `demo`/`import` tooling.
 *
 * Each instance is a valid MR Image Storage object (PS3.3 §A.4 MR Image IOD: Patient, General Study,
 * General Series, Frame of Reference, General Equipment, General Image, Image Plane, Image Pixel,
 * MR Image, VOI LUT and SOP Common modules). The image is an ellipsoid phantom (body, an "organ" and a
 * small bright "lesion") with noise, consistent across slices so that a stack forms a volume.
 *
 * Speed matters (benchmarks generate thousands of instances per second), so pixels are never computed
 * one by one: each row is a copy from a precomputed noise table for the background, then one copy per
 * structure over the span of columns inside its ellipse. Instances are produced lazily, one at a time.
 */
import { randomUUID } from 'node:crypto';
import { endianness } from 'node:os';
import { writePart10, type DataElement, type TransferSyntax } from './part10-writer.js';
import { mulberry32 } from '../random.js';

export const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';

/** A new UID from a random (version 4) UUID: "2.25." + its 128 bits as a decimal integer (PS3.5 §B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`; // ≤ 44 chars
}

export interface SyntheticSeriesOptions {
  count: number;
  studyInstanceUID?: string;
  seriesInstanceUID?: string;
  frameOfReferenceUID?: string;
  patientId?: string;
  patientName?: string;
  studyDescription?: string;
  accessionNumber?: string;
  /** YYYYMMDD; default today (UTC) */
  studyDate?: string;
  rows?: number;
  columns?: number;
  seriesNumber?: number;
  seriesDescription?: string;
  /** default 'MR' (the SOP class stays MR Image Storage) */
  modality?: string;
  /** [row spacing, column spacing] in mm, PS3.3 §10.7.1.3; default [0.9375, 0.9375] */
  pixelSpacing?: [number, number];
  /** mm; also the distance between slice centres; default 3 */
  sliceThickness?: number;
  /** ImageOrientationPatient: row then column direction cosines; default axial [1,0,0,0,1,0] */
  orientation?: number[];
  transferSyntax?: TransferSyntax;
}

export interface SyntheticInstance {
  sopInstanceUID: string;
  instanceNumber: number;
  imagePositionPatient: [number, number, number];
  bytes: Buffer;
}

export interface SyntheticSeries {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  frameOfReferenceUID: string;
  sopClassUID: string;
  count: number;
  sopInstanceUIDs: readonly string[];
  /** Lazy: each instance is encoded when iterated; iterating again yields identical bytes. */
  instances: Iterable<SyntheticInstance>;
  /** Random access to instance `index` (0-based; InstanceNumber is index + 1). */
  instance(index: number): SyntheticInstance;
}

// ---- noise tables: shared by all series, built once -------------------------------------------------
const TABLE_MASK = 0xffff; // offsets into a table are 16-bit, so a table holds 64 Ki + one row's worth
const TABLE_LEN = 2 * (TABLE_MASK + 1);
/** Mean intensity and noise sigma of background, body, organ and lesion (BitsStored 12: ≤ 4095). */
const TISSUES = [
  { mean: 0, sigma: 18 },
  { mean: 700, sigma: 25 },
  { mean: 1300, sigma: 30 },
  { mean: 2200, sigma: 35 },
] as const;
let tables: Uint16Array[] | undefined;

function noiseTables(): Uint16Array[] {
  if (tables) return tables;
  const rnd = mulberry32(0x5eed);
  tables = TISSUES.map(({ mean, sigma }) => {
    const t = new Uint16Array(TABLE_LEN);
    for (let i = 0; i < TABLE_LEN; i++) {
      // Sum of 4 uniforms ≈ Gaussian (variance 4/12); the background is a magnitude image, so |noise|.
      const g = (rnd() + rnd() + rnd() + rnd() - 2) * Math.sqrt(3);
      const v = mean === 0 ? Math.abs(g) * sigma : mean + g * sigma;
      t[i] = Math.max(0, Math.min(4095, Math.round(v)));
    }
    return t;
  });
  return tables;
}


function hashString(s: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Ellipsoids in normalised volume coordinates: centre (x, y in fractions of the image, z in [-1, 1]). */
const STRUCTURES = [
  { tissue: 1, cx: 0.5, cy: 0.5, cz: 0, rx: 0.42, ry: 0.32, rz: 0.98 },
  { tissue: 2, cx: 0.38, cy: 0.52, cz: 0, rx: 0.14, ry: 0.1, rz: 0.6 },
  { tissue: 3, cx: 0.65, cy: 0.42, cz: 0.15, rx: 0.05, ry: 0.05, rz: 0.25 },
] as const;

/** Fills `pix` (rows × columns) with slice z ∈ [-1, 1] of the phantom; `seed` varies the noise. */
function renderSlice(pix: Uint16Array, rows: number, cols: number, z: number, seed: number): void {
  const t = noiseTables();
  let s = seed | 1; // xorshift32: a cheap per-row offset into the noise tables
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s & TABLE_MASK);
  const spans = STRUCTURES.map((st) => {
    const dz = (z - st.cz) / st.rz;
    const k = dz * dz < 1 ? Math.sqrt(1 - dz * dz) : 0; // the ellipse's scale in this slice
    return { table: t[st.tissue]!, cx: st.cx * cols, cy: st.cy * rows, rx: st.rx * cols * k, ry: st.ry * rows * k };
  });
  const bg = t[0]!;
  for (let y = 0; y < rows; y++) {
    const rowStart = y * cols;
    let o = next();
    pix.set(bg.subarray(o, o + cols), rowStart);
    for (const sp of spans) {
      if (sp.ry <= 0) continue;
      const dy = (y + 0.5 - sp.cy) / sp.ry;
      if (dy * dy >= 1) continue;
      const half = sp.rx * Math.sqrt(1 - dy * dy);
      const x0 = Math.max(0, Math.ceil(sp.cx - half - 0.5));
      const x1 = Math.min(cols, Math.floor(sp.cx + half - 0.5) + 1);
      if (x1 <= x0) continue;
      o = next();
      pix.set(sp.table.subarray(o, o + (x1 - x0)), rowStart + x0);
    }
  }
}

function checkOrientation(o: number[]): void {
  const ok = o.length === 6 && o.every(Number.isFinite);
  const dot = (i: number, j: number) => o[i]! * o[j]! + o[i + 1]! * o[j + 1]! + o[i + 2]! * o[j + 2]!;
  if (!ok || Math.abs(dot(0, 0) - 1) > 1e-4 || Math.abs(dot(3, 3) - 1) > 1e-4 || Math.abs(dot(0, 3)) > 1e-4) {
    throw new RangeError('orientation must be two orthogonal unit vectors (6 numbers)');
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4; // keeps DS values short and exact-looking

/** Describes a synthetic MR series; instances are generated lazily. */
export function syntheticSeries(opts: SyntheticSeriesOptions): SyntheticSeries {
  const count = opts.count;
  const rows = opts.rows ?? 256;
  const cols = opts.columns ?? 256;
  if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows > TABLE_MASK || cols > TABLE_MASK) {
    throw new RangeError('rows and columns must be integers in 1..65535');
  }
  const studyInstanceUID = opts.studyInstanceUID ?? newUid();
  const seriesInstanceUID = opts.seriesInstanceUID ?? newUid();
  const frameOfReferenceUID = opts.frameOfReferenceUID ?? newUid();
  const sopInstanceUIDs = Array.from({ length: count }, newUid);
  const [psRow, psCol] = opts.pixelSpacing ?? [0.9375, 0.9375];
  const thickness = opts.sliceThickness ?? 3;
  const iop = opts.orientation ?? [1, 0, 0, 0, 1, 0];
  checkOrientation(iop);
  const r = iop.slice(0, 3), c = iop.slice(3, 6);
  // Slice normal = row × column direction (PS3.3 §C.7.6.2.1.1); positions step along it.
  const n = [r[1]! * c[2]! - r[2]! * c[1]!, r[2]! * c[0]! - r[0]! * c[2]!, r[0]! * c[1]! - r[1]! * c[0]!];
  // Centre the volume on the patient origin. The first pixel is at ImagePositionPatient; columns step
  // along the row direction by PixelSpacing[1], rows along the column direction by PixelSpacing[0].
  const origin = [0, 1, 2].map((k) => -(cols / 2) * psCol * r[k]! - (rows / 2) * psRow * c[k]! - ((count - 1) / 2) * thickness * n[k]!);
  const now = new Date();
  const date = opts.studyDate ?? now.toISOString().slice(0, 10).replace(/-/g, '');
  const time = now.toISOString().slice(11, 19).replace(/:/g, '');
  const seed = hashString(seriesInstanceUID);
  const pix = new Uint16Array(rows * cols);
  const littleEndianHost = endianness() === 'LE';

  // Series-level attributes, shared by every instance (tag order does not matter: the writer sorts).
  const common: DataElement[] = [
    { tag: 0x00080008, vr: 'CS', value: ['ORIGINAL', 'PRIMARY', 'OTHER'] }, // ImageType
    { tag: 0x00080016, vr: 'UI', value: MR_IMAGE_STORAGE }, // SOPClassUID
    { tag: 0x00080020, vr: 'DA', value: date }, // StudyDate
    { tag: 0x00080021, vr: 'DA', value: date }, // SeriesDate
    { tag: 0x00080023, vr: 'DA', value: date }, // ContentDate
    { tag: 0x00080030, vr: 'TM', value: time }, // StudyTime
    { tag: 0x00080031, vr: 'TM', value: time }, // SeriesTime
    { tag: 0x00080033, vr: 'TM', value: time }, // ContentTime
    { tag: 0x00080050, vr: 'SH', value: opts.accessionNumber ?? `ACC${seed % 1000000}` }, // AccessionNumber
    { tag: 0x00080060, vr: 'CS', value: opts.modality ?? 'MR' }, // Modality
    { tag: 0x00080070, vr: 'LO', value: 'Dafne Node' }, // Manufacturer (type 2)
    { tag: 0x00080090, vr: 'PN', value: '' }, // ReferringPhysicianName (type 2)
    { tag: 0x00081030, vr: 'LO', value: opts.studyDescription ?? 'Synthetic MR study' },
    { tag: 0x0008103e, vr: 'LO', value: opts.seriesDescription ?? 'Synthetic T1 axial' },
    { tag: 0x00081090, vr: 'LO', value: 'Synthetic phantom' }, // ManufacturerModelName
    { tag: 0x00100010, vr: 'PN', value: opts.patientName ?? 'Synthetic^Phantom' },
    { tag: 0x00100020, vr: 'LO', value: opts.patientId ?? `SYN${seed % 100000000}` },
    { tag: 0x00100030, vr: 'DA', value: '19700101' }, // PatientBirthDate (type 2)
    { tag: 0x00100040, vr: 'CS', value: 'O' }, // PatientSex (type 2)
    { tag: 0x00180015, vr: 'CS', value: 'ABDOMEN' }, // BodyPartExamined
    { tag: 0x00180020, vr: 'CS', value: 'SE' }, // ScanningSequence: spin echo (no IR, so no InversionTime)
    { tag: 0x00180021, vr: 'CS', value: 'NONE' }, // SequenceVariant
    { tag: 0x00180022, vr: 'CS', value: '' }, // ScanOptions (type 2)
    { tag: 0x00180023, vr: 'CS', value: '2D' }, // MRAcquisitionType
    { tag: 0x00180024, vr: 'SH', value: 'SE2D' }, // SequenceName
    { tag: 0x00180050, vr: 'DS', value: thickness }, // SliceThickness
    { tag: 0x00180080, vr: 'DS', value: 500 }, // RepetitionTime (ms)
    { tag: 0x00180081, vr: 'DS', value: 15 }, // EchoTime (ms)
    { tag: 0x00180083, vr: 'DS', value: 1 }, // NumberOfAverages
    { tag: 0x00180084, vr: 'DS', value: 63.87 }, // ImagingFrequency (MHz, 1.5 T protons)
    { tag: 0x00180085, vr: 'SH', value: '1H' }, // ImagedNucleus
    { tag: 0x00180087, vr: 'DS', value: 1.5 }, // MagneticFieldStrength (T)
    { tag: 0x00180088, vr: 'DS', value: thickness }, // SpacingBetweenSlices
    { tag: 0x00180091, vr: 'IS', value: 1 }, // EchoTrainLength (type 2)
    { tag: 0x00181314, vr: 'DS', value: 90 }, // FlipAngle
    { tag: 0x00185100, vr: 'CS', value: 'HFS' }, // PatientPosition (type 2C: required for MR)
    { tag: 0x0020000d, vr: 'UI', value: studyInstanceUID },
    { tag: 0x0020000e, vr: 'UI', value: seriesInstanceUID },
    { tag: 0x00200010, vr: 'SH', value: `S${seed % 10000}` }, // StudyID (type 2)
    { tag: 0x00200011, vr: 'IS', value: opts.seriesNumber ?? 1 },
    { tag: 0x00200012, vr: 'IS', value: 1 }, // AcquisitionNumber
    { tag: 0x00200037, vr: 'DS', value: iop.map(round) }, // ImageOrientationPatient
    { tag: 0x00200052, vr: 'UI', value: frameOfReferenceUID },
    { tag: 0x00201040, vr: 'LO', value: '' }, // PositionReferenceIndicator (type 2)
    { tag: 0x00280002, vr: 'US', value: 1 }, // SamplesPerPixel
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: rows },
    { tag: 0x00280011, vr: 'US', value: cols },
    { tag: 0x00280030, vr: 'DS', value: [psRow, psCol] }, // PixelSpacing
    { tag: 0x00280100, vr: 'US', value: 16 }, // BitsAllocated
    { tag: 0x00280101, vr: 'US', value: 12 }, // BitsStored
    { tag: 0x00280102, vr: 'US', value: 11 }, // HighBit
    { tag: 0x00280103, vr: 'US', value: 0 }, // PixelRepresentation: unsigned
    { tag: 0x00281050, vr: 'DS', value: 1100 }, // WindowCenter
    { tag: 0x00281051, vr: 'DS', value: 2200 }, // WindowWidth
  ];

  function instance(index: number): SyntheticInstance {
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`no instance ${index}`);
    const sopInstanceUID = sopInstanceUIDs[index]!;
    const pos = [0, 1, 2].map((k) => round(origin[k]! + index * thickness * n[k]!)) as [number, number, number];
    const z = count === 1 ? 0 : (2 * index) / (count - 1) - 1;
    renderSlice(pix, rows, cols, z, (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    let pixelBytes = new Uint8Array(pix.buffer, pix.byteOffset, pix.byteLength);
    // OW is little-endian on the wire; a typed array uses the host's byte order.
    if (!littleEndianHost) pixelBytes = Buffer.from(pixelBytes).swap16();
    const bytes = writePart10(
      [
        ...common,
        { tag: 0x00080018, vr: 'UI', value: sopInstanceUID },
        { tag: 0x00200013, vr: 'IS', value: index + 1 }, // InstanceNumber
        { tag: 0x00200032, vr: 'DS', value: pos }, // ImagePositionPatient
        { tag: 0x00201041, vr: 'DS', value: round(pos[0] * n[0]! + pos[1] * n[1]! + pos[2] * n[2]!) }, // SliceLocation
        { tag: 0x7fe00010, vr: 'OW', value: pixelBytes }, // PixelData
      ],
      { sopClassUID: MR_IMAGE_STORAGE, sopInstanceUID, transferSyntax: opts.transferSyntax ?? 'explicit-le' },
    );
    return { sopInstanceUID, instanceNumber: index + 1, imagePositionPatient: pos, bytes };
  }

  return {
    studyInstanceUID,
    seriesInstanceUID,
    frameOfReferenceUID,
    sopClassUID: MR_IMAGE_STORAGE,
    count,
    sopInstanceUIDs,
    instance,
    instances: {
      *[Symbol.iterator]() {
        for (let i = 0; i < count; i++) yield instance(i);
      },
    },
  };
}
