/**
 * Where an instance's pixels are and how its frames are laid out: the Image Pixel attributes
 * (PS3.3 §C.7.6.3), Number of Frames (PS3.3 §C.7.6.6) and the Extended Offset Table
 * (PS3.3 §C.7.6.3, PS3.5 §A.4), read from the top level of a data set up to Pixel Data.
 */
import { DicomParseError, PIXEL_DATA, readElementHeader, skipUndefined, type ElementHeader, type Syntax } from './element-reader.js';

export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  numberOfFrames: number;
  /** The Pixel Data element; offsets are in the buffer that was read. */
  pixelData: ElementHeader;
  /** Extended Offset Table and Lengths, when present (each frame in one fragment). */
  extendedOffsets?: { offsets: number[]; lengths: number[] };
}

const T = {
  SamplesPerPixel: 0x00280002,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
} as const;
const WANTED = new Set<number>(Object.values(T));

/**
 * Walks the top level of `buf[start, end)` to Pixel Data and returns the pixel layout, or null
 * when the data set has no (top-level) Pixel Data. Throws DicomParseError when Rows, Columns or
 * Bits Allocated are missing or zero.
 */
export function readPixelModule(buf: Buffer, start: number, end: number, syntax: Syntax): PixelModule | null {
  const raw = new Map<number, { vr: string; start: number; end: number }>();
  let pos = start;
  for (;;) {
    const h = readElementHeader(buf, pos, end, syntax);
    if (h === null) return null;
    if (h.tag === PIXEL_DATA) return layout(buf, raw, h, syntax.little);
    if (h.tag > PIXEL_DATA) return null;
    if (h.length < 0) {
      pos = skipUndefined(buf, h.valueOffset, end, syntax);
      if (pos < 0) return null;
      continue;
    }
    if (WANTED.has(h.tag)) raw.set(h.tag, { vr: h.vr, start: h.valueOffset, end: Math.min(end, h.valueOffset + h.length) });
    pos = h.valueOffset + h.length;
  }
}

function layout(buf: Buffer, raw: Map<number, { vr: string; start: number; end: number }>, pixelData: ElementHeader, little: boolean): PixelModule {
  const us = (tag: number): number | undefined => {
    const v = raw.get(tag);
    if (!v || v.end - v.start < 2) return undefined;
    return little ? buf.readUInt16LE(v.start) : buf.readUInt16BE(v.start);
  };
  const rows = us(T.Rows);
  const columns = us(T.Columns);
  const bitsAllocated = us(T.BitsAllocated);
  if (!rows || !columns || !bitsAllocated) {
    throw new DicomParseError('Rows, Columns and Bits Allocated are required with Pixel Data (PS3.3 §C.7.6.3)', 'malformed');
  }
  const nf = raw.get(T.NumberOfFrames);
  // Number of Frames is IS (PS3.6): text, possibly padded; absent means one frame.
  const frames = nf ? Number.parseInt(buf.toString('latin1', nf.start, nf.end).trim(), 10) : 1;
  const module: PixelModule = {
    rows,
    columns,
    samplesPerPixel: us(T.SamplesPerPixel) ?? 1,
    bitsAllocated,
    numberOfFrames: Number.isSafeInteger(frames) && frames > 0 ? frames : 1,
    pixelData,
  };
  const eot = raw.get(T.ExtendedOffsetTable);
  const eotl = raw.get(T.ExtendedOffsetTableLengths);
  if (eot && eotl) {
    const offsets = uint64s(buf, eot.start, eot.end, little);
    const lengths = uint64s(buf, eotl.start, eotl.end, little);
    if (offsets.length === module.numberOfFrames && lengths.length === module.numberOfFrames) module.extendedOffsets = { offsets, lengths };
  }
  return module;
}

// OV values (PS3.5 §6.2): 64-bit unsigned; file offsets stay far below 2^53.
function uint64s(buf: Buffer, start: number, end: number, little: boolean): number[] {
  const out: number[] = [];
  for (let p = start; p + 8 <= end; p += 8) out.push(Number(little ? buf.readBigUInt64LE(p) : buf.readBigUInt64BE(p)));
  return out;
}
