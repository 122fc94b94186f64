import { inflateRawSync } from 'node:zlib';
import { TS } from './uids.js';

/**
 * A fast, allocation-light scan of a DICOM Part 10 file's top-level data set (PS3.10 §7,
 * PS3.5 §7): it reads the File Meta Information, then walks top-level elements, keeping the text
 * of the attributes the index needs and skipping everything else (sequences included) by length,
 * and stops at Pixel Data. It works on a prefix of the file, so ingest can parse while streaming.
 */

export class DicomParseError extends Error {
  constructor(message: string, readonly code: 'not-dicom' | 'truncated' | 'malformed') {
    super(message);
    this.name = 'DicomParseError';
  }
}

export interface PixelDataLocation {
  /** Byte offset of the value (after the element header) in the file. */
  offset: number;
  /** Value length, or -1 for undefined length (encapsulated, PS3.5 §A.4). */
  length: number;
  vr: string;
}

export interface ScannedHeader {
  transferSyntaxUid: string;
  mediaStorageSopClassUid?: string;
  mediaStorageSopInstanceUid?: string;
  /** Top-level values by tag number ((group << 16) | element), trimmed text or number as text. */
  values: Map<number, string>;
  pixelData?: PixelDataLocation;
  /** True when the data set was walked to its end without meeting Pixel Data. */
  complete: boolean;
}

export const NEED_MORE = Symbol('need-more');

const PIXEL_DATA = 0x7fe00010;
const FOUR_BYTE_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** Tags whose values are binary unsigned shorts (PS3.6): the rest we keep are text VRs. */
const US_TAGS = new Set([0x00280010, 0x00280011]);

export function tagOf(group: number, element: number): number {
  return ((group << 16) | element) >>> 0;
}

/**
 * Scans `buf` (a prefix of the file, or the whole file when `final`). Returns NEED_MORE when the
 * prefix ends before Pixel Data and more bytes will come.
 */
export function scanPart10(buf: Buffer, final: boolean, wanted: ReadonlySet<number>): ScannedHeader | typeof NEED_MORE {
  if (buf.length < 132) {
    if (!final) return NEED_MORE;
    throw new DicomParseError('not a DICOM Part 10 file: shorter than the 128-byte preamble and "DICM"', 'not-dicom');
  }
  if (buf.toString('latin1', 128, 132) !== 'DICM') {
    throw new DicomParseError('not a DICOM Part 10 file: no "DICM" prefix at byte 128 (PS3.10 §7.1)', 'not-dicom');
  }
  const meta = new Map<number, string>();
  let pos = 132;
  // File Meta Information is always Explicit VR Little Endian (PS3.10 §7.1).
  while (true) {
    if (pos + 8 > buf.length) {
      if (!final) return NEED_MORE;
      throw new DicomParseError('file ends inside the File Meta Information', 'truncated');
    }
    const group = buf.readUInt16LE(pos);
    if (group !== 0x0002) break;
    const el = readElementHeader(buf, pos, true, true);
    if (el === null) {
      if (!final) return NEED_MORE;
      throw new DicomParseError('file ends inside the File Meta Information', 'truncated');
    }
    if (el.length < 0) throw new DicomParseError('undefined length in File Meta Information', 'malformed');
    const end = el.valueOffset + el.length;
    if (end > buf.length) {
      if (!final) return NEED_MORE;
      throw new DicomParseError('file ends inside the File Meta Information', 'truncated');
    }
    meta.set(el.tag, trimText(buf.toString('latin1', el.valueOffset, end)));
    pos = end;
  }
  const transferSyntaxUid = meta.get(tagOf(0x0002, 0x0010));
  if (!transferSyntaxUid) throw new DicomParseError('File Meta Information has no Transfer Syntax UID (0002,0010)', 'malformed');
  let data = buf;
  let base = pos;
  if (transferSyntaxUid === TS.deflatedLE) {
    // The data set after the meta group is one raw deflate stream (PS3.5 §A.5): needs it all.
    if (!final) return NEED_MORE;
    try {
      data = inflateRawSync(buf.subarray(pos));
    } catch {
      throw new DicomParseError('deflated data set cannot be inflated', 'truncated');
    }
    base = 0;
  }
  const explicit = transferSyntaxUid !== TS.implicitLE;
  const little = transferSyntaxUid !== TS.explicitBE;
  const values = new Map<number, string>();
  const decode = (start: number, end: number, utf8: boolean): string => trimText(data.toString(utf8 ? 'utf8' : 'latin1', start, end));
  let utf8 = false;
  let p = base;
  const result = (pixelData: PixelDataLocation | undefined, complete: boolean): ScannedHeader => ({
    transferSyntaxUid,
    mediaStorageSopClassUid: meta.get(tagOf(0x0002, 0x0002)),
    mediaStorageSopInstanceUid: meta.get(tagOf(0x0002, 0x0003)),
    values,
    pixelData,
    complete,
  });
  while (p < data.length) {
    const el = readElementHeader(data, p, explicit, little);
    if (el === null) break;
    if (el.tag === PIXEL_DATA) {
      // Offsets are only meaningful in the file itself, which is not the case after inflation.
      return result(data === buf ? { offset: el.valueOffset, length: el.length, vr: el.vr } : undefined, false);
    }
    if (el.length < 0) {
      // Undefined-length sequence or item: skip to its matching delimiter.
      const end = skipUndefined(data, el.valueOffset, explicit, little);
      if (end < 0) break;
      p = end;
      continue;
    }
    const end = el.valueOffset + el.length;
    if (end > data.length) break;
    if (wanted.has(el.tag)) {
      if (US_TAGS.has(el.tag) && el.length >= 2) {
        values.set(el.tag, String(little ? data.readUInt16LE(el.valueOffset) : data.readUInt16BE(el.valueOffset)));
      } else values.set(el.tag, decode(el.valueOffset, end, utf8));
    }
    if (el.tag === 0x00080005) utf8 = /ISO_IR 192/.test(data.toString('latin1', el.valueOffset, end));
    p = end;
  }
  if (p >= data.length && (final || data !== buf)) {
    if (p > data.length) throw new DicomParseError('file ends inside an element value', 'truncated');
    return result(undefined, true);
  }
  if (!final) return NEED_MORE;
  throw new DicomParseError('file ends inside an element (truncated data set)', 'truncated');
}

interface ElementHeader {
  tag: number;
  vr: string;
  length: number;
  valueOffset: number;
}

function readElementHeader(buf: Buffer, pos: number, explicit: boolean, little: boolean): ElementHeader | null {
  if (pos + 8 > buf.length) return null;
  const group = little ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos);
  const element = little ? buf.readUInt16LE(pos + 2) : buf.readUInt16BE(pos + 2);
  const tag = tagOf(group, element);
  // Item and delimiter tags (FFFE,xxxx) never carry a VR (PS3.5 §7.5).
  if (group === 0xfffe || !explicit) {
    const raw = little ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    return { tag, vr: group === 0xfffe ? '' : 'UN', length: raw === 0xffffffff ? -1 : raw, valueOffset: pos + 8 };
  }
  const vr = buf.toString('latin1', pos + 4, pos + 6);
  if (!/^[A-Z]{2}$/.test(vr)) throw new DicomParseError(`invalid VR at byte ${pos + 4}`, 'malformed');
  if (FOUR_BYTE_LENGTH_VRS.has(vr)) {
    if (pos + 12 > buf.length) return null;
    const raw = little ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    return { tag, vr, length: raw === 0xffffffff ? -1 : raw, valueOffset: pos + 12 };
  }
  return { tag, vr, length: little ? buf.readUInt16LE(pos + 6) : buf.readUInt16BE(pos + 6), valueOffset: pos + 8 };
}

/**
 * Skips the content of an undefined-length SQ or item, nested to any depth, and returns the offset
 * after its delimiter, or -1 when the buffer ends first. Items inside are walked element by
 * element because a delimiter byte pattern may also occur inside values.
 */
function skipUndefined(buf: Buffer, pos: number, explicit: boolean, little: boolean): number {
  let p = pos;
  while (true) {
    const el = readElementHeader(buf, p, explicit, little);
    if (el === null) return -1;
    if (el.tag === 0xfffee0dd || el.tag === 0xfffee00d) return el.valueOffset; // sequence / item delimiter
    if (el.tag === 0xfffee000 && el.length >= 0) {
      p = el.valueOffset + el.length; // defined-length item: skip whole
    } else if (el.length < 0) {
      const end = skipUndefined(buf, el.valueOffset, explicit, little);
      if (end < 0) return -1;
      p = end;
    } else p = el.valueOffset + el.length;
    if (p > buf.length) return -1;
  }
}

function trimText(s: string): string {
  // DICOM pads text to even length with a space, UIDs with NUL (PS3.5 §6.2).
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0)) end--;
  let start = 0;
  while (start < end && s.charCodeAt(start) === 0x20) start++;
  return s.slice(start, end);
}
