/**
 * A series' images → one Volume (volume.ts): the planes of single-frame images (one slice per
 * instance, Image Plane module PS3.3 §C.7.6.2) and the frames of Enhanced MR multi-frame images
 * (PS3.3 §C.7.6.16: Plane Position, Plane Orientation, Pixel Measures and Pixel Value
 * Transformation functional group macros, per frame or shared), in any mix and any order.
 *
 * Slices are ordered by position along rowDirection × columnDirection, never by file order or
 * Instance Number, then checked to be one regular stack (geometry.ts); intensities are the stored
 * values (pixel-decode.ts) through Rescale Slope / Intercept (PS3.3 §C.11.1.1.2, per frame when
 * the frames say so). Vendor private scaling (e.g. Philips scale slope) is not applied.
 *
 * Memory: files are read one at a time (pass an AsyncIterable to read them lazily), and each
 * frame is decoded straight into Float32 storage that grows slice by slice in place: a resizable
 * ArrayBuffer (V8 reserves address space up to its maximum and commits pages as it grows, so
 * growing never copies). Once every slice is known, slices move into the final, ordinary
 * ArrayBuffer last one first, the resizable one shrinking (and giving its pages back) as they go.
 * So the peak is the volume plus about one file and one slice, and `data` is a plain Float32Array
 * (structured-clonable, unlike views of resizable buffers in Node 20).
 */
import { codecsFor } from './codecs.js';
import type { DicomJson } from './dicom-json.js';
import { datasetToJson } from './dicom-json-writer.js';
import { openPart10, type Part10Dataset } from './element-reader.js';
import { indexEncapsulated } from './fragments.js';
import { groupFragments, nativeFrameRange } from './frames.js';
import { GeometryError, near, orientationOf, stackPlanes, type Orientation } from './geometry.js';
import { DECODABLE_TRANSFER_SYNTAXES, decodeFrameInto, PixelDecodeError, UnsupportedTransferSyntaxError, type FramePixelInfo } from './pixel-decode.js';
import { readPixelModule, type PixelModule } from './pixel-module.js';
import type { SliceSource, Vec3, Volume } from './volume.js';

export { GeometryError } from './geometry.js';

export interface BuildVolumeOptions {
  /** Allowed difference of direction cosines, and relative difference of Pixel Spacing (default 1e-4). */
  tolerance?: number;
  /** Allowed deviation of a slice step as a fraction of the slice spacing (default 0.01; at least 0.01 mm). */
  spacingTolerance?: number;
}

// Tags as DICOM JSON keys (PS3.6).
const T = {
  SOPClassUID: '00080016', SOPInstanceUID: '00080018', SliceThickness: '00180050', SpacingBetweenSlices: '00180088',
  StudyInstanceUID: '0020000D', SeriesInstanceUID: '0020000E', ImagePositionPatient: '00200032', ImageOrientationPatient: '00200037',
  FrameOfReferenceUID: '00200052', PlanePositionSequence: '00209113', PlaneOrientationSequence: '00209116',
  SamplesPerPixel: '00280002', PhotometricInterpretation: '00280004', PlanarConfiguration: '00280006', NumberOfFrames: '00280008',
  PixelSpacing: '00280030', BitsStored: '00280101', HighBit: '00280102', PixelRepresentation: '00280103',
  RescaleIntercept: '00281052', RescaleSlope: '00281053', PixelMeasuresSequence: '00289110', PixelValueTransformationSequence: '00289145',
  SharedFunctionalGroupsSequence: '52009229', PerFrameFunctionalGroupsSequence: '52009230',
} as const;

const values = (ds: DicomJson | undefined, tag: string): unknown[] | undefined => {
  const v = ds?.[tag]?.Value;
  return v && v.length > 0 ? v : undefined;
};
const text = (ds: DicomJson | undefined, tag: string): string | undefined => {
  const v = values(ds, tag)?.[0];
  return typeof v === 'string' ? v : undefined;
};
const numbers = (ds: DicomJson | undefined, tag: string): number[] | undefined => {
  const v = values(ds, tag);
  return v && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
};
const item = (ds: DicomJson | undefined, tag: string, index = 0): DicomJson | undefined => values(ds, tag)?.[index] as DicomJson | undefined;

/** What the first slice fixed and every other must match. */
interface Reference {
  label: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  rows: number;
  columns: number;
  iop: number[];
  orientation: Orientation;
  pixelSpacing: number[];
  sliceThickness?: number;
  spacingBetweenSlices?: number;
}

const MAX_BYTES = 2 ** 32; // the most a resizable ArrayBuffer may reserve in V8

interface ResizableBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
  readonly maxByteLength: number;
}
const Resizable = ArrayBuffer as unknown as new (byteLength: number, opts: { maxByteLength: number }) => ResizableBuffer;

/** Builds the volume of the images in `files` (Part 10 files of one series). */
export async function buildVolume(files: Iterable<Buffer> | AsyncIterable<Buffer>, opts: BuildVolumeOptions = {}): Promise<Volume> {
  const asm = new Assembler(opts.tolerance ?? 1e-4);
  try {
    for await (const file of files) await asm.add(file);
    return asm.finish(opts.spacingTolerance ?? 0.01);
  } finally {
    asm.release();
  }
}

class Assembler {
  private ref?: Reference;
  private files = 0;
  private buffer?: ResizableBuffer;
  private readonly positions: Vec3[] = [];
  private readonly labels: string[] = [];
  private readonly sources: SliceSource[] = [];
  private scratch = new Int32Array(0);

  constructor(private readonly tolerance: number) {}

  async add(file: Buffer): Promise<void> {
    this.files++;
    const p10 = openPart10(file);
    const { json, pixelData } = datasetToJson(p10.data, p10.start, p10.data.length, p10.syntax, { bulkDataUri: () => '', inlineBinaryMax: 0 });
    const sop = text(json, T.SOPInstanceUID) ?? `(file ${this.files}: no SOP Instance UID)`;
    const pm = pixelData ? readPixelModule(p10.data, p10.start, p10.data.length, p10.syntax) : null;
    if (!pm) throw new GeometryError('no-pixel-data', `instance ${sop} has no Pixel Data (7FE0,0010): not an image`);
    const info: FramePixelInfo = {
      transferSyntaxUid: p10.transferSyntaxUid,
      rows: pm.rows,
      columns: pm.columns,
      bitsAllocated: pm.bitsAllocated,
      bitsStored: numbers(json, T.BitsStored)?.[0] ?? pm.bitsAllocated,
      highBit: numbers(json, T.HighBit)?.[0],
      pixelRepresentation: numbers(json, T.PixelRepresentation)?.[0] ?? 0,
      samplesPerPixel: pm.samplesPerPixel,
      photometricInterpretation: text(json, T.PhotometricInterpretation) ?? '',
      planarConfiguration: numbers(json, T.PlanarConfiguration)?.[0],
    };
    if (!DECODABLE_TRANSFER_SYNTAXES.includes(info.transferSyntaxUid)) throw new UnsupportedTransferSyntaxError(info.transferSyntaxUid, `instance ${sop} cannot be read`);
    await codecsFor(info.transferSyntaxUid);
    const multiFrame = json[T.NumberOfFrames] !== undefined;
    const perFrame = values(json, T.PerFrameFunctionalGroupsSequence);
    if (perFrame && perFrame.length !== pm.numberOfFrames) {
      throw new GeometryError('missing-attribute', `instance ${sop} has ${pm.numberOfFrames} frames but ${perFrame.length} Per-frame Functional Groups items (PS3.3 §C.7.6.16)`);
    }
    const frames = await frameBytes(p10, pm);
    const n = pm.rows * pm.columns;
    if (this.scratch.length < n) this.scratch = new Int32Array(n);
    for (let f = 1; f <= pm.numberOfFrames; f++) {
      const label = multiFrame ? `${sop} frame ${f}` : sop;
      const plane = this.checkPlane(json, f, label, pm);
      try {
        decodeFrameInto(info, frames(f), this.nextSlot(n, label), plane.slope, plane.intercept, this.scratch);
      } catch (e) {
        if (e instanceof PixelDecodeError) throw new PixelDecodeError(e.code, `${label}: ${e.message}`);
        throw e;
      }
      this.positions.push(plane.position);
      this.labels.push(label);
      this.sources.push({ sopInstanceUid: sop, sopClassUid: text(json, T.SOPClassUID) ?? '', ...(multiFrame ? { frameNumber: f } : {}), position: plane.position });
    }
  }

  /** The geometry of frame `f` (1-based), checked against the first slice. */
  private checkPlane(json: DicomJson, f: number, label: string, pm: PixelModule): { position: Vec3; slope: number; intercept: number } {
    // PS3.3 §C.7.6.16.1: a macro sits in the frame's Per-frame item or in the Shared item;
    // single-frame images carry the same attributes at the top level.
    const perFrame = item(json, T.PerFrameFunctionalGroupsSequence, f - 1);
    const shared = item(json, T.SharedFunctionalGroupsSequence);
    const macro = (seq: string, tag: string): unknown[] | undefined =>
      values(item(perFrame, seq), tag) ?? values(item(shared, seq), tag) ?? values(json, tag);
    const num = (seq: string, tag: string): number[] | undefined => {
      const v = macro(seq, tag);
      return v && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
    };
    const ipp = num(T.PlanePositionSequence, T.ImagePositionPatient);
    const iop = num(T.PlaneOrientationSequence, T.ImageOrientationPatient);
    const ps = num(T.PixelMeasuresSequence, T.PixelSpacing);
    const missing = [!ipp && 'Image Position (Patient)', !iop && 'Image Orientation (Patient)', !ps && 'Pixel Spacing'].filter(Boolean);
    if (missing.length || ipp!.length !== 3 || ps!.length !== 2) {
      throw new GeometryError('missing-attribute', `${label} has no usable ${missing.length ? missing.join(', ') : 'Image Position (Patient) / Pixel Spacing'} (PS3.3 §C.7.6.2, §C.7.6.16.2): cannot place it in space`);
    }
    const thickness = num(T.PixelMeasuresSequence, T.SliceThickness)?.[0];
    const between = num(T.PixelMeasuresSequence, T.SpacingBetweenSlices)?.[0];
    const seriesUid = text(json, T.SeriesInstanceUID) ?? '';
    const forUid = text(json, T.FrameOfReferenceUID);
    if (!forUid) throw new GeometryError('missing-attribute', `${label} has no Frame of Reference UID (0020,0052): its positions have no common origin`);
    const ref = this.ref;
    if (!ref) {
      this.ref = {
        label, seriesInstanceUid: seriesUid, studyInstanceUid: text(json, T.StudyInstanceUID) ?? '', frameOfReferenceUid: forUid,
        rows: pm.rows, columns: pm.columns, iop: iop!, orientation: orientationOf(iop!, label, this.tolerance), pixelSpacing: ps!,
        sliceThickness: thickness, spacingBetweenSlices: between,
      };
    } else {
      const vs = `${label} vs ${ref.label}`;
      if (seriesUid !== ref.seriesInstanceUid) throw new GeometryError('mixed-series', `images of different series: Series Instance UID ${seriesUid || '(none)'} (${label}) vs ${ref.seriesInstanceUid || '(none)'} (${ref.label})`);
      if (forUid !== ref.frameOfReferenceUid) throw new GeometryError('mixed-frame-of-reference', `different Frame of Reference UIDs: ${forUid} (${label}) vs ${ref.frameOfReferenceUid} (${ref.label})`);
      if (pm.rows !== ref.rows || pm.columns !== ref.columns) throw new GeometryError('mixed-size', `different image sizes (Rows × Columns): ${pm.rows}×${pm.columns} vs ${ref.rows}×${ref.columns} (${vs})`);
      if (!near(iop!, ref.iop, this.tolerance)) throw new GeometryError('mixed-orientation', `different Image Orientation (Patient): [${iop!.join(', ')}] vs [${ref.iop.join(', ')}] (${vs}); a volume needs parallel slices`);
      if (!near(ps!, ref.pixelSpacing, this.tolerance * Math.max(...ref.pixelSpacing))) throw new GeometryError('mixed-pixel-spacing', `different Pixel Spacing: [${ps!.join(', ')}] vs [${ref.pixelSpacing.join(', ')}] (${vs})`);
    }
    const slope = num(T.PixelValueTransformationSequence, T.RescaleSlope)?.[0] ?? 1;
    const intercept = num(T.PixelValueTransformationSequence, T.RescaleIntercept)?.[0] ?? 0;
    return { position: [ipp![0]!, ipp![1]!, ipp![2]!], slope, intercept };
  }

  /** Room for one more slice of `n` voxels at the end of the (growing) volume. */
  private nextSlot(n: number, label: string): Float32Array {
    const k = this.positions.length;
    const needed = (k + 1) * n * 4;
    this.buffer ??= allocate();
    const max = this.buffer.maxByteLength;
    if (needed > max) throw new GeometryError('too-large', `${label}: the volume would exceed ${max / 2 ** 20} MiB (${k + 1} slices of ${n} voxels)`);
    if (this.buffer.byteLength < needed) this.buffer.resize(needed);
    return new Float32Array(this.buffer, k * n * 4, n);
  }

  /** Gives the growing storage's pages back at once (V8 does not count them as external memory). */
  release(): void {
    this.buffer?.resize(0);
    this.buffer = undefined;
  }

  finish(spacingTolerance: number): Volume {
    const ref = this.ref;
    if (!ref || !this.buffer) throw new GeometryError('no-files', 'no DICOM files were given: nothing to build a volume from');
    const stack = stackPlanes(this.positions, this.labels, ref.orientation.normal, { relative: spacingTolerance, absolute: 0.01 });
    const data = moveInOrder(this.buffer, stack.order, ref.rows * ref.columns);
    const sources = stack.order.map((i) => this.sources[i]!);
    // A single slice: PS3.3 §C.7.6.2.1.1 gives it no spacing, so use its thickness (or nominal spacing).
    const sliceSpacing = stack.spacing ?? ref.sliceThickness ?? ref.spacingBetweenSlices ?? 1;
    return {
      columns: ref.columns,
      rows: ref.rows,
      slices: sources.length,
      spacing: [ref.pixelSpacing[1]!, ref.pixelSpacing[0]!, sliceSpacing], // PixelSpacing is [row, column]
      origin: sources[0]!.position,
      rowDirection: ref.orientation.rowDirection,
      columnDirection: ref.orientation.columnDirection,
      normal: stack.normal,
      frameOfReferenceUid: ref.frameOfReferenceUid,
      studyInstanceUid: ref.studyInstanceUid,
      seriesInstanceUid: ref.seriesInstanceUid,
      sources,
      data,
    };
  }
}

/** A resizable buffer reserving as much address space as the platform grants, up to 4 GiB. */
function allocate(): ResizableBuffer {
  for (let max = MAX_BYTES; ; max /= 2) {
    try {
      return new Resizable(0, { maxByteLength: max });
    } catch (e) {
      if (max <= 2 ** 28) throw e;
    }
  }
}

/**
 * The slices of `growing` (in arrival order) in volume order — slice order[k] at k — in a new
 * ordinary buffer, moving the last-arrived slice first and shrinking `growing` behind it.
 */
function moveInOrder(growing: ResizableBuffer, order: readonly number[], n: number): Float32Array {
  const data = new Float32Array(order.length * n);
  const where = new Array<number>(order.length);
  order.forEach((arrival, k) => (where[arrival] = k));
  for (let a = order.length - 1; a >= 0; a--) {
    data.set(new Float32Array(growing, a * n * 4, n), where[a]! * n);
    growing.resize(a * n * 4);
  }
  return data;
}

/** Frame f (1-based) of the Pixel Data: a native byte range or the frame's fragments (PS3.5 §A.4). */
async function frameBytes(p10: Part10Dataset, pm: PixelModule): Promise<(f: number) => Uint8Array> {
  const { data } = p10;
  const pd = pm.pixelData;
  if (pd.length >= 0) {
    const layout = { rows: pm.rows, columns: pm.columns, samplesPerPixel: pm.samplesPerPixel, bitsAllocated: pm.bitsAllocated };
    const end = Math.min(data.length, pd.valueOffset + pd.length);
    return (f) => {
      const r = nativeFrameRange(layout, f);
      return data.subarray(Math.min(end, pd.valueOffset + r.byteStart), Math.min(end, pd.valueOffset + r.byteStart + r.byteLength));
    };
  }
  const index = await indexEncapsulated(async (o, l) => data.subarray(o, o + l), pd.valueOffset, { fragments: !pm.extendedOffsets });
  if (pm.extendedOffsets) {
    // PS3.3 §C.7.6.3.1.8: offsets of each frame's (single) item from the first item after the BOT.
    const { offsets, lengths } = pm.extendedOffsets;
    return (f) => data.subarray(index.firstItem + offsets[f - 1]! + 8, index.firstItem + offsets[f - 1]! + 8 + lengths[f - 1]!);
  }
  const grouped = groupFragments(index.fragments, index.basicOffsets, pm.numberOfFrames, p10.transferSyntaxUid);
  return (f) => {
    const parts = grouped[f - 1]!;
    return parts.length === 1 ? data.subarray(parts[0]!.offset, parts[0]!.offset + parts[0]!.length) : Buffer.concat(parts.map((p) => data.subarray(p.offset, p.offset + p.length)));
  };
}
