/**
 * Writes a phantom volume as a DICOM MR series (Part 10 files): one MR Image Storage instance per
 * slice (PS3.3 §A.4, 1.2.840.10008.5.1.4.1.1.4) or one Enhanced MR Image Storage instance (§A.36.2,
 * 1.2.840.10008.5.1.4.1.1.4.1), in any transfer syntax part10-writer offers.
 *
 * Pixels are stored unsigned with a deliberately non-trivial Rescale Slope / Intercept (PS3.3
 * C.11.1.1.2; default 0.5 and −100), so a reader that ignores them gets the intensities wrong.
 * `stored` returns the intended stored values, which lossless decoders must reproduce exactly.
 * With `shuffle`, files (or frames) come out of spatial order: consumers must sort by position.
 */
import { isEncapsulatedSyntax, TRANSFER_SYNTAX_UID, writePart10, type AnyTransferSyntax, type DataElement } from '../dicom/part10-writer.js';
import { MR_IMAGE_STORAGE, newUid } from '../dicom/synthetic-mr.js';
import type { SliceSource, Vec3, Volume } from '../dicom/volume.js';
import { enhancedMrElements, ENHANCED_MR_IMAGE_STORAGE, type SequenceParameters } from './enhanced-mr.js';
import { seededRandom } from './leg-anatomy.js';
import { encodeFrames } from './pixel-encoders.js';

export { ENHANCED_MR_IMAGE_STORAGE, MR_IMAGE_STORAGE };

export interface WriteSeriesOptions {
  layout?: 'single-frame' | 'enhanced';
  transferSyntax?: AnyTransferSyntax;
  /** default 0.5 (for 8-bit JPEG Baseline it is raised until the values fit in 8 bits) */
  rescaleSlope?: number;
  /** default −100 */
  rescaleIntercept?: number;
  /** file (single-frame) or frame (enhanced) order: spatial, or shuffled with this seed / `true` */
  shuffle?: boolean | number;
  /** what the volume was generated with; sets plausible sequence parameters */
  contrast?: 'T1' | 'T2' | 'PD' | 'UNKNOWN';
  /** 'R', 'L' or 'B' (both legs); default 'R' */
  laterality?: 'R' | 'L' | 'B';
  patientName?: string;
  patientId?: string;
  patientBirthDate?: string;
  patientSex?: 'M' | 'F' | 'O' | '';
  studyInstanceUID?: string;
  seriesInstanceUID?: string;
  frameOfReferenceUID?: string;
  studyDescription?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  accessionNumber?: string;
  studyId?: string;
  bodyPartExamined?: string;
  /** acquisition / study date and time; default now (pass one for byte-identical output) */
  date?: Date;
}

export interface WrittenSeries {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  frameOfReferenceUID: string;
  sopClassUID: string;
  transferSyntaxUID: string;
  /** Part 10 files, in output (possibly shuffled) order */
  files: Buffer[];
  /** SOP Instance UID of each file, same order as `files` */
  sopInstanceUIDs: string[];
  /** where each slice k of the volume went (instance, and frame number for enhanced) */
  sources: SliceSource[];
  rescaleSlope: number;
  rescaleIntercept: number;
  bitsStored: number;
  /** intended stored values of every voxel, volume order (slice-major) */
  stored: Uint16Array | Uint8Array;
}

const SEQUENCES: Record<NonNullable<WriteSeriesOptions['contrast']>, SequenceParameters> = {
  T1: { contrast: 'T1', repetitionTime: 550, echoTime: 12, echoTrainLength: 1, flipAngle: 90 },
  T2: { contrast: 'T2', repetitionTime: 4000, echoTime: 100, echoTrainLength: 12, flipAngle: 90 },
  PD: { contrast: 'PROTON_DENSITY', repetitionTime: 3000, echoTime: 20, echoTrainLength: 8, flipAngle: 90 },
  UNKNOWN: { contrast: 'UNKNOWN', repetitionTime: 1000, echoTime: 20, echoTrainLength: 1, flipAngle: 90 },
};

// DS values keep full precision (part10-writer fits them in 16 bytes, PS3.5 §6.2), so positions read
// back from the files match the volume's; only floating-point dust on direction cosines is cleared.
const clean = (v: number) => (Math.abs(v) < 1e-12 ? 0 : v);
const round = (v: number) => Math.round(v * 1e4) / 1e4;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Stored values for a rescale: round((v − intercept) / slope), which must fit in `bits` bits. */
export function storedValues(volume: Pick<Volume, 'data'>, slope: number, intercept: number, bits: number): Uint16Array | Uint8Array {
  const out = bits <= 8 ? new Uint8Array(volume.data.length) : new Uint16Array(volume.data.length);
  const max = 2 ** bits - 1;
  for (let i = 0; i < volume.data.length; i++) {
    const s = Math.round((volume.data[i]! - intercept) / slope);
    if (s < 0 || s > max) throw new RangeError(`voxel ${i} (${volume.data[i]}) does not fit in ${bits} bits with slope ${slope}, intercept ${intercept}`);
    out[i] = s;
  }
  return out;
}

export async function writeLegSeries(volume: Volume, opts: WriteSeriesOptions = {}): Promise<WrittenSeries> {
  const ts = opts.transferSyntax ?? 'explicit-le';
  const enhanced = opts.layout === 'enhanced';
  const { rows, columns, slices } = volume;
  const intercept = opts.rescaleIntercept ?? -100;
  let slope = opts.rescaleSlope ?? 0.5;
  let max = 0;
  for (const v of volume.data) if (v > max) max = v;
  let bitsStored = Math.round((max - intercept) / slope) <= 4095 ? 12 : 16;
  if (ts === 'jpeg-baseline') {
    bitsStored = 8;
    slope = Math.max(slope, Math.ceil(((max - intercept) / 255) * 1000) / 1000);
  }
  // The MR Image Module allows only Bits Allocated 16 (PS3.3 C.8.3.1), so single-frame 8-bit JPEG keeps a
  // 16-bit container with Bits Stored 8 (PS3.5 §8.2.1 takes the precision from Bits Stored).
  const bitsAllocated = bitsStored <= 8 && enhanced ? 8 : 16;
  const stored = storedValues(volume, slope, intercept, bitsStored);
  const frameSize = rows * columns;
  const frameOf = (k: number) => stored.subarray(k * frameSize, (k + 1) * frameSize);

  // Output order: order[n] is the volume slice written n-th.
  const order = Array.from({ length: slices }, (_, k) => k);
  if (opts.shuffle !== undefined && opts.shuffle !== false) {
    const rnd = seededRandom(opts.shuffle === true ? 0x5bff1e : opts.shuffle);
    for (let i = slices - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }

  const studyInstanceUID = opts.studyInstanceUID ?? volume.studyInstanceUid;
  const seriesInstanceUID = opts.seriesInstanceUID ?? volume.seriesInstanceUid;
  const frameOfReferenceUID = opts.frameOfReferenceUID ?? volume.frameOfReferenceUid;
  const d = opts.date ?? new Date();
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const seq = SEQUENCES[opts.contrast ?? 'T1'];
  const orientation = [...volume.rowDirection, ...volume.columnDirection].map(clean);
  const pixelSpacing: [number, number] = [volume.spacing[1], volume.spacing[0]];
  const lossy = ts === 'jpeg-baseline';
  const manufacturer = 'Dafne Node';

  // Patient, General Study, General Series, Frame of Reference, General Equipment, Image Pixel, SOP Common.
  const common: DataElement[] = [
    { tag: 0x00080016, vr: 'UI', value: enhanced ? ENHANCED_MR_IMAGE_STORAGE : MR_IMAGE_STORAGE },
    { tag: 0x00080020, vr: 'DA', value: date }, { tag: 0x00080021, vr: 'DA', value: date }, { tag: 0x00080023, vr: 'DA', value: date },
    { tag: 0x00080030, vr: 'TM', value: time }, { tag: 0x00080031, vr: 'TM', value: time }, { tag: 0x00080033, vr: 'TM', value: time },
    { tag: 0x00080050, vr: 'SH', value: opts.accessionNumber ?? '' },
    { tag: 0x00080060, vr: 'CS', value: 'MR' },
    { tag: 0x00080070, vr: 'LO', value: manufacturer },
    { tag: 0x00080090, vr: 'PN', value: '' },
    { tag: 0x00081030, vr: 'LO', value: opts.studyDescription ?? 'MR lower legs' },
    { tag: 0x0008103e, vr: 'LO', value: opts.seriesDescription ?? `Leg phantom ${seq.contrast}` },
    { tag: 0x00100010, vr: 'PN', value: opts.patientName ?? 'Phantom^Leg' },
    { tag: 0x00100020, vr: 'LO', value: opts.patientId ?? 'LEGPHANTOM' },
    { tag: 0x00100030, vr: 'DA', value: opts.patientBirthDate ?? '' },
    { tag: 0x00100040, vr: 'CS', value: opts.patientSex ?? '' },
    { tag: 0x00180015, vr: 'CS', value: opts.bodyPartExamined ?? 'LEG' },
    { tag: 0x00185100, vr: 'CS', value: 'FFS' }, // feet first supine, as legs are scanned
    { tag: 0x0020000d, vr: 'UI', value: studyInstanceUID },
    { tag: 0x0020000e, vr: 'UI', value: seriesInstanceUID },
    { tag: 0x00200010, vr: 'SH', value: opts.studyId ?? '1' },
    { tag: 0x00200011, vr: 'IS', value: opts.seriesNumber ?? 1 },
    { tag: 0x00200052, vr: 'UI', value: frameOfReferenceUID },
    { tag: 0x00201040, vr: 'LO', value: '' },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: rows },
    { tag: 0x00280011, vr: 'US', value: columns },
    { tag: 0x00280100, vr: 'US', value: bitsAllocated },
    { tag: 0x00280101, vr: 'US', value: bitsStored },
    { tag: 0x00280102, vr: 'US', value: bitsStored - 1 },
    { tag: 0x00280103, vr: 'US', value: 0 },
    { tag: 0x00281050, vr: 'DS', value: 600 }, // Window Center / Width apply to rescaled values (PS3.3 C.11.2.1.2)
    { tag: 0x00281051, vr: 'DS', value: 1400 },
  ];

  // Pixel Data, plus for lossy JPEG the record of it (PS3.3 C.7.6.1.1.5: ratio and method, never reset).
  const pixelData = async (frames: (Uint8Array | Uint16Array)[]): Promise<DataElement[]> => {
    if (isEncapsulatedSyntax(ts)) {
      const encoded = await encodeFrames(ts, frames, { rows, columns, bitsAllocated, bitsStored });
      const px: DataElement = { tag: 0x7fe00010, vr: 'OB', value: { frames: encoded } };
      if (!lossy) return [px];
      const ratio = (frames.length * frameSize * (bitsAllocated / 8)) / encoded.reduce((a, f) => a + f.length, 0);
      return [px, { tag: 0x00282112, vr: 'DS', value: round(ratio) }, { tag: 0x00282114, vr: 'CS', value: 'ISO_10918_1' }];
    }
    const all = bitsAllocated === 8 ? new Uint8Array(frames.length * frameSize) : new Uint16Array(frames.length * frameSize);
    frames.forEach((f, i) => all.set(f, i * frameSize));
    // OW bytes are little endian (part10-writer swaps them for Explicit VR Big Endian).
    const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
    if (bitsAllocated === 16 && new Uint8Array(new Uint16Array([1]).buffer)[0] === 0) bytes.swap16();
    return [{ tag: 0x7fe00010, vr: bitsAllocated === 8 ? 'OB' : 'OW', value: bytes }];
  };

  const files: Buffer[] = [];
  const sopInstanceUIDs: string[] = [];
  const sources: SliceSource[] = new Array(slices);
  if (enhanced) {
    const sopInstanceUID = newUid();
    const positions: Vec3[] = order.map((k) => volume.sources[k]!.position);
    const elements = [
      // Manufacturer and Body Part come from enhancedMrElements; the window is a Frame VOI LUT there.
      ...common.filter((e) => ![0x00080070, 0x00180015, 0x00281050, 0x00281051].includes(e.tag)),
      ...enhancedMrElements({
        rows, columns, pixelSpacing, sliceThickness: volume.spacing[2], orientation, positions,
        stackPositions: order.map((k) => k + 1), rescaleSlope: slope, rescaleIntercept: intercept,
        laterality: opts.laterality ?? 'R', sequence: seq, dateTime: `${date}${time}`, manufacturer, modelName: 'Leg phantom',
        windowCenter: 600, windowWidth: 1400,
      }).map((e) => (e.tag === 0x00282110 && lossy ? { ...e, value: '01' } : e)),
      { tag: 0x00080018, vr: 'UI', value: sopInstanceUID } as DataElement,
      ...(await pixelData(order.map(frameOf))),
    ];
    files.push(writePart10(elements, { sopClassUID: ENHANCED_MR_IMAGE_STORAGE, sopInstanceUID, transferSyntax: ts }));
    sopInstanceUIDs.push(sopInstanceUID);
    order.forEach((k, f) => { sources[k] = { sopInstanceUid: sopInstanceUID, sopClassUid: ENHANCED_MR_IMAGE_STORAGE, frameNumber: f + 1, position: volume.sources[k]!.position }; });
  } else {
    const n = volume.normal;
    const perSeries: DataElement[] = [
      { tag: 0x00080008, vr: 'CS', value: ['ORIGINAL', 'PRIMARY', 'OTHER'] },
      { tag: 0x00081090, vr: 'LO', value: 'Leg phantom' },
      { tag: 0x00180020, vr: 'CS', value: 'SE' }, { tag: 0x00180021, vr: 'CS', value: 'NONE' }, { tag: 0x00180022, vr: 'CS', value: '' },
      { tag: 0x00180023, vr: 'CS', value: '2D' }, { tag: 0x00180024, vr: 'SH', value: seq.echoTrainLength > 1 ? 'TSE2D' : 'SE2D' },
      { tag: 0x00180050, vr: 'DS', value: volume.spacing[2] }, { tag: 0x00180088, vr: 'DS', value: volume.spacing[2] },
      { tag: 0x00180080, vr: 'DS', value: seq.repetitionTime }, { tag: 0x00180081, vr: 'DS', value: seq.echoTime },
      { tag: 0x00180083, vr: 'DS', value: 1 }, { tag: 0x00180084, vr: 'DS', value: 63.87 }, { tag: 0x00180085, vr: 'SH', value: '1H' },
      { tag: 0x00180087, vr: 'DS', value: 1.5 }, { tag: 0x00180091, vr: 'IS', value: seq.echoTrainLength }, { tag: 0x00181314, vr: 'DS', value: seq.flipAngle },
      { tag: 0x00200012, vr: 'IS', value: 1 },
      { tag: 0x00200037, vr: 'DS', value: orientation },
      { tag: 0x00200062, vr: 'CS', value: opts.laterality ?? 'R' }, // Image Laterality (General Image)
      { tag: 0x00280030, vr: 'DS', value: pixelSpacing },
      { tag: 0x00281052, vr: 'DS', value: intercept }, { tag: 0x00281053, vr: 'DS', value: slope }, { tag: 0x00281054, vr: 'LO', value: 'US' },
      { tag: 0x00282110, vr: 'CS', value: lossy ? '01' : '00' },
    ];
    for (const k of order) {
      const src = volume.sources[k]!;
      const pos = src.position;
      const elements: DataElement[] = [
        ...common, ...perSeries,
        { tag: 0x00080018, vr: 'UI', value: src.sopInstanceUid },
        { tag: 0x00200013, vr: 'IS', value: k + 1 },
        { tag: 0x00200032, vr: 'DS', value: pos },
        { tag: 0x00201041, vr: 'DS', value: round(pos[0] * n[0] + pos[1] * n[1] + pos[2] * n[2]) },
        ...(await pixelData([frameOf(k)])),
      ];
      files.push(writePart10(elements, { sopClassUID: MR_IMAGE_STORAGE, sopInstanceUID: src.sopInstanceUid, transferSyntax: ts }));
      sopInstanceUIDs.push(src.sopInstanceUid);
      sources[k] = { sopInstanceUid: src.sopInstanceUid, sopClassUid: MR_IMAGE_STORAGE, position: src.position };
    }
  }
  return {
    studyInstanceUID, seriesInstanceUID, frameOfReferenceUID, sopClassUID: enhanced ? ENHANCED_MR_IMAGE_STORAGE : MR_IMAGE_STORAGE,
    transferSyntaxUID: TRANSFER_SYNTAX_UID[ts], files, sopInstanceUIDs, sources, rescaleSlope: slope, rescaleIntercept: intercept, bitsStored, stored,
  };
}
