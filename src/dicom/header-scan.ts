import { inflateRawSync } from 'node:zlib';
import { EXPLICIT_LE, readElementHeader as readHeader, skipUndefined as skip, syntaxOf } from './element-reader.js';
import { DicomParseError } from './parse-error.js';
import { TS } from './uids.js';

export { DicomParseError };

/**
 * A fast, allocation-light scan of a DICOM Part 10 file's top-level data set (PS3.10 §7,
 * PS3.5 §7): it reads the File Meta Information, then walks top-level elements, keeping the text
 * of the attributes the index needs and skipping everything else (sequences included) by length,
 * and stops at Pixel Data. It works on a prefix of the file, so ingest can parse while streaming.
 */

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
      // Undefined-length sequence or item: skip to its matching delimiter. An undefined-length UN
      // in an explicit syntax is a sequence encoded in Implicit VR Little Endian (PS3.5 §6.2.2, CP-246).
      const end = el.vr === 'UN' && explicit ? skipUndefined(data, el.valueOffset, false, true) : skipUndefined(data, el.valueOffset, explicit, little);
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

// Element headers and undefined-length skipping come from element-reader.ts (shared with the
// DICOM JSON writer); these adapters keep this scanner's (explicit, little) flags.
const EXPLICIT_BE = syntaxOf(TS.explicitBE);
const IMPLICIT_LE = syntaxOf(TS.implicitLE);
const syntax = (explicit: boolean, little: boolean) => (explicit ? (little ? EXPLICIT_LE : EXPLICIT_BE) : IMPLICIT_LE);
const readElementHeader = (buf: Buffer, pos: number, explicit: boolean, little: boolean) => readHeader(buf, pos, buf.length, syntax(explicit, little));
const skipUndefined = (buf: Buffer, pos: number, explicit: boolean, little: boolean): number => skip(buf, pos, buf.length, syntax(explicit, little));

function trimText(s: string): string {
  // DICOM pads text to even length with a space, UIDs with NUL (PS3.5 §6.2).
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0)) end--;
  let start = 0;
  while (start < end && s.charCodeAt(start) === 0x20) start++;
  return s.slice(start, end);
}
