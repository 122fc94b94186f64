/**
 * DICOM Segmentation (PS3.3 A.51) → label volume. Accepts Segmentation Type BINARY (Bits Allocated 1,
 * bit-packed across frames, PS3.5 §8.1.1), FRACTIONAL (8-bit, thresholded) and LABELMAP (8/16-bit,
 * pixel value = Segment Number; PS3.3 C.8.20.2.3, Label Map Segmentation Storage), in Implicit or
 * Explicit VR Little Endian (or Deflated). Parsing is dcmjs's; lengths are checked here, since dcmjs
 * does not fail on truncated Pixel Data.
 *
 * Every frame is placed by its own Plane Position (Patient) and, for BINARY / FRACTIONAL, by the
 * Referenced Segment Number of its Segment Identification Sequence (C.8.20.3), never by frame order.
 * A label volume holds one label per voxel: where BINARY / FRACTIONAL segments overlap, the higher
 * Segment Number wins.
 */
import type { LabelVolume, VolumeGeometry } from '../dicom/volume.js';
import { bulk, dcmjs, firstItem, items, num, nums, text, type DcmDataset } from './dcmjs-dataset.js';
import { SegReadError } from './seg-errors.js';
import { attachSources, deriveGrid, gridLocator, type FrameGeometry, type Placement } from './seg-grid.js';
import { parseSegments } from './segment-sequence.js';
import type { SegAlgorithm, SegmentDefinition } from './segment.js';
import { LABEL_MAP_SEGMENTATION_STORAGE, SEGMENTATION_STORAGE, T } from './seg-tags.js';

export { SegReadError };

export interface ReadSegOptions {
  /** FRACTIONAL: a pixel belongs to its segment when value ≥ threshold × Maximum Fractional Value; default 0.5 */
  fractionalThreshold?: number;
  /** How far off a grid point a frame may be, as a fraction of the spacing on each axis; default 0.1 */
  tolerance?: number;
}

export interface ReadSegResult {
  labels: LabelVolume;
  /** All segments of the Segment Sequence, by Segment Number (= label value). */
  segments: SegmentDefinition[];
  algorithm: SegAlgorithm;
  segmentationType: 'BINARY' | 'FRACTIONAL' | 'LABELMAP';
  /** Series Instance UID of the first Referenced Series Sequence item (the source series), if any */
  referencedSeriesUid: string | undefined;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

const READABLE_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99']);

function parse(buf: Buffer): { meta: DcmDataset; ds: DcmDataset } {
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM') throw new SegReadError('not a DICOM Part 10 file (no DICM prefix)');
  try {
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    // Not `noCopy`: it halves parse time, but one unexplained parse failure of an Implicit VR SEG was
    // seen with it in a test run (not reproducible); correctness first.
    const file = dcmjs.data.DicomMessage.readFile(ab);
    return { meta: file.meta, ds: file.dict };
  } catch (e) {
    throw new SegReadError(`cannot parse the SEG (truncated or malformed): ${(e as Error).message}`);
  }
}

/** The functional group item `seq` for frame n: its own, else the shared one (PS3.3 C.7.6.16). */
const group = (frame: DcmDataset | undefined, shared: DcmDataset | undefined, seq: number): DcmDataset | undefined =>
  firstItem(frame, seq) ?? firstItem(shared, seq);

function vec3(v: number[] | undefined, at = 0): [number, number, number] | undefined {
  if (!v || v.length < at + 3) return undefined;
  const r: [number, number, number] = [v[at]!, v[at + 1]!, v[at + 2]!];
  return r.every(Number.isFinite) ? r : undefined;
}

function frameGeometry(frame: DcmDataset | undefined, shared: DcmDataset | undefined, n: number): FrameGeometry {
  const position = vec3(nums(group(frame, shared, T.PlanePositionSequence), T.ImagePositionPatient));
  const iop = nums(group(frame, shared, T.PlaneOrientationSequence), T.ImageOrientationPatient);
  const ps = nums(group(frame, shared, T.PixelMeasuresSequence), T.PixelSpacing);
  const rowDirection = vec3(iop, 0), columnDirection = vec3(iop, 3);
  if (!position || !rowDirection || !columnDirection || !ps || ps.length < 2 || !(ps[0]! > 0 && ps[1]! > 0)) {
    throw new SegReadError(`frame ${n}: missing geometry (Plane Position, Plane Orientation or Pixel Measures functional group)`);
  }
  const g: FrameGeometry = { position, rowDirection, columnDirection, pixelSpacing: [ps[1]!, ps[0]!] };
  const src = firstItem(firstItem(frame, T.DerivationImageSequence), T.SourceImageSequence);
  const uid = text(src, T.ReferencedSOPInstanceUID);
  if (uid) {
    g.source = { sopInstanceUid: uid, sopClassUid: text(src, T.ReferencedSOPClassUID) ?? '' };
    const fn = num(src, T.ReferencedFrameNumber);
    if (fn !== undefined) g.source.frameNumber = fn;
  }
  return g;
}

/** Reads a SEG onto `target` (the source series' grid) or, without one, onto a grid derived from its frames. */
export function readSeg(buf: Buffer, target?: VolumeGeometry, options: ReadSegOptions = {}): ReadSegResult {
  const { meta, ds } = parse(buf);
  const sopClass = text(ds, T.SOPClassUID) ?? text(meta, 0x00020002);
  if (sopClass !== SEGMENTATION_STORAGE && sopClass !== LABEL_MAP_SEGMENTATION_STORAGE) {
    throw new SegReadError(`not a Segmentation: SOP Class UID ${sopClass ?? '(none)'}`);
  }
  const ts = text(meta, 0x00020010) ?? '';
  if (!READABLE_SYNTAXES.has(ts)) throw new SegReadError(`unsupported transfer syntax ${ts || '(none)'}: only native Little Endian SEGs are read`);
  const type = text(ds, T.SegmentationType);
  if (type !== 'BINARY' && type !== 'FRACTIONAL' && type !== 'LABELMAP') throw new SegReadError(`unknown Segmentation Type ${type ?? '(none)'}`);
  const rows = num(ds, T.Rows), columns = num(ds, T.Columns);
  const frames = num(ds, T.NumberOfFrames) ?? 1;
  const bits = num(ds, T.BitsAllocated);
  if (!rows || !columns || !(frames >= 1)) throw new SegReadError('SEG lacks Rows, Columns or Number of Frames');
  const expectedBits = type === 'BINARY' ? [1] : type === 'FRACTIONAL' ? [8] : [8, 16];
  if (bits === undefined || !expectedBits.includes(bits)) throw new SegReadError(`${type} SEG with Bits Allocated ${bits ?? '(none)'}`);
  const pixelsPerFrame = rows * columns;
  const pixels = bulk(ds, T.PixelData);
  if (!pixels) throw new SegReadError('SEG has no (native) Pixel Data');
  const needed = bits === 1 ? Math.ceil((frames * pixelsPerFrame) / 8) : frames * pixelsPerFrame * (bits / 8);
  if (pixels.length < needed) {
    throw new SegReadError(`truncated Pixel Data: ${pixels.length} bytes for ${frames} frames of ${columns}×${rows} at ${bits} bit (need ${needed})`);
  }

  const { segments, algorithm } = parseSegments(ds);
  const byNumber = new Map(segments.map((s) => [s.labelValue, s]));
  const shared = firstItem(ds, T.SharedFunctionalGroupsSequence);
  const perFrame = items(ds, T.PerFrameFunctionalGroupsSequence);
  if (perFrame.length !== frames && !(frames === 1 && perFrame.length === 0)) {
    throw new SegReadError(`Per-frame Functional Groups has ${perFrame.length} items for ${frames} frames`);
  }
  const geometry = Array.from({ length: frames }, (_, n) => frameGeometry(perFrame[n], shared, n + 1));
  const segmentOf = new Int32Array(frames);
  if (type !== 'LABELMAP') {
    for (let n = 0; n < frames; n++) {
      const s = num(group(perFrame[n], shared, T.SegmentIdentificationSequence), T.ReferencedSegmentNumber);
      if (s === undefined) throw new SegReadError(`frame ${n + 1}: no Referenced Segment Number (Segment Identification Sequence)`);
      if (!byNumber.has(s)) throw new SegReadError(`frame ${n + 1}: unknown segment number ${s} (not in the Segment Sequence)`);
      if (s < 1 || s > 255) throw new SegReadError(`frame ${n + 1}: segment number ${s} does not fit a label volume (1..255)`);
      segmentOf[n] = s;
    }
  }

  const refSeries = text(firstItem(ds, T.ReferencedSeriesSequence), T.SeriesInstanceUID);
  const grid: VolumeGeometry = target ?? deriveGrid(geometry, rows, columns, {
    frameOfReferenceUid: text(ds, T.FrameOfReferenceUID) ?? '',
    studyInstanceUid: text(ds, T.StudyInstanceUID) ?? '',
    seriesInstanceUid: refSeries ?? '',
    sliceSpacingHint: num(group(undefined, shared, T.PixelMeasuresSequence), T.SpacingBetweenSlices) ?? num(group(undefined, shared, T.PixelMeasuresSequence), T.SliceThickness),
  });
  const locate = gridLocator(grid, rows, columns, options.tolerance ?? 0.1);
  const placements = geometry.map((g, n) => locate(g, n + 1));
  if (!target) attachSources(grid, geometry, placements.map((p) => p.k));

  const data = new Uint8Array(grid.columns * grid.rows * grid.slices);
  // Lower segment numbers first, so the higher number wins where segments overlap.
  const order = Array.from({ length: frames }, (_, n) => n).sort((a, b) => segmentOf[a]! - segmentOf[b]! || a - b);
  const threshold = fractionalThreshold(ds, type, options);
  const padding = num(ds, T.PixelPaddingValue);
  for (const n of order) {
    const p = placements[n]!;
    if (type === 'BINARY') placeBinary(pixels, n, rows, columns, p, grid, data, segmentOf[n]!);
    else if (type === 'FRACTIONAL') placeFractional(pixels, n, rows, columns, p, grid, data, segmentOf[n]!, threshold);
    else placeLabelmap(pixels, bits === 16, n, rows, columns, p, grid, data, byNumber, padding);
  }
  const { sources, ...rest } = grid;
  return {
    labels: { ...rest, sources: sources.map((s) => ({ ...s })), data },
    segments,
    algorithm,
    segmentationType: type,
    referencedSeriesUid: refSeries,
    sopInstanceUid: text(ds, T.SOPInstanceUID) ?? '',
    seriesInstanceUid: text(ds, T.SeriesInstanceUID) ?? '',
  };
}

function fractionalThreshold(ds: DcmDataset, type: string, options: ReadSegOptions): number {
  if (type !== 'FRACTIONAL') return 0;
  const max = num(ds, T.MaximumFractionalValue);
  if (max === undefined || !(max >= 1)) throw new SegReadError('FRACTIONAL SEG without a valid Maximum Fractional Value (0062,000E)');
  // A pixel counts when value ≥ threshold × max, and is never 0.
  return Math.max(1, (options.fractionalThreshold ?? 0.5) * max);
}

function placeBinary(px: Uint8Array, n: number, rows: number, cols: number, p: Placement, g: VolumeGeometry, out: Uint8Array, s: number): void {
  const base = n * rows * cols;
  const count = rows * cols;
  if (p.i === 0 && p.j === 0 && cols === g.columns && rows === g.rows && (base & 7) === 0 && (count & 7) === 0) {
    // The frame covers the whole slice and starts on a byte: go byte by byte, skipping empty bytes.
    const dst = p.k * count;
    for (let b = 0, first = base >>> 3, bytes = count >>> 3; b < bytes; b++) {
      const byte = px[first + b]!;
      if (byte === 0) continue;
      const d = dst + (b << 3);
      for (let bit = 0; bit < 8; bit++) if ((byte >> bit) & 1) out[d + bit] = s;
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const dst = (p.k * g.rows + p.j + r) * g.columns + p.i;
    const bit0 = base + r * cols;
    for (let c = 0; c < cols; c++) {
      const bit = bit0 + c;
      if ((px[bit >>> 3]! >> (bit & 7)) & 1) out[dst + c] = s;
    }
  }
}

function placeFractional(px: Uint8Array, n: number, rows: number, cols: number, p: Placement, g: VolumeGeometry, out: Uint8Array, s: number, threshold: number): void {
  const base = n * rows * cols;
  for (let r = 0; r < rows; r++) {
    const dst = (p.k * g.rows + p.j + r) * g.columns + p.i;
    const src = base + r * cols;
    for (let c = 0; c < cols; c++) if (px[src + c]! >= threshold) out[dst + c] = s;
  }
}

function placeLabelmap(
  px: Uint8Array, wide: boolean, n: number, rows: number, cols: number, p: Placement, g: VolumeGeometry,
  out: Uint8Array, segments: ReadonlyMap<number, SegmentDefinition>, padding: number | undefined,
): void {
  const base = n * rows * cols;
  for (let r = 0; r < rows; r++) {
    const dst = (p.k * g.rows + p.j + r) * g.columns + p.i;
    for (let c = 0; c < cols; c++) {
      const at = base + r * cols + c;
      const v = wide ? px[2 * at]! | (px[2 * at + 1]! << 8) : px[at]!;
      if (v === 0 || v === padding) continue; // background (Pixel Padding Value, C.8.20.2.3)
      if (!segments.has(v)) throw new SegReadError(`frame ${n + 1}: unknown segment number ${v} in LABELMAP pixel data`);
      if (v > 255) throw new SegReadError(`frame ${n + 1}: segment number ${v} does not fit a label volume (1..255)`);
      out[dst + c] = v;
    }
  }
}
