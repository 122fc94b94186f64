/**
 * Low-level reading of encoded data elements (PS3.5 §7.1) and of the Part 10 File Meta
 * Information (PS3.10 §7.1), shared by the DICOM JSON writer, the pixel module reader and the
 * bulk data locator. Works on Buffers; no I/O.
 */
import { inflateRawSync } from 'node:zlib';
import { DicomParseError } from './parse-error.js';
import { TS } from './uids.js';
import { implicitVr } from './vr-dictionary.js';

export { DicomParseError };

/** How a data set is encoded (PS3.5 §10: a transfer syntax fixes VR explicitness and byte order). */
export interface Syntax {
  explicit: boolean;
  little: boolean;
}

export const EXPLICIT_LE: Syntax = { explicit: true, little: true };
export const IMPLICIT_LE: Syntax = { explicit: false, little: true };

export interface ElementHeader {
  tag: number;
  /** The VR as encoded (explicit) or from the dictionary (implicit); '' for item tags. */
  vr: string;
  /** Value length in bytes, or -1 for undefined length (PS3.5 §7.1.1). */
  length: number;
  /** Offset of the tag (the element's first byte). */
  offset: number;
  /** Offset of the value (after the header). */
  valueOffset: number;
}

export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;

// PS3.5 Table 7.1-1: these VRs have 2 reserved bytes and a 32-bit length in Explicit VR.
const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export function syntaxOf(transferSyntaxUid: string): Syntax {
  return { explicit: transferSyntaxUid !== TS.implicitLE, little: transferSyntaxUid !== TS.explicitBE };
}

/**
 * Reads the element header at `pos`, or returns null when fewer than a whole header's bytes are
 * left before `end`. Item and delimiter tags (FFFE,xxxx) never carry a VR (PS3.5 §7.5).
 */
export function readElementHeader(buf: Buffer, pos: number, end: number, syntax: Syntax, pixelRepresentation?: number): ElementHeader | null {
  if (pos + 8 > end) return null;
  const { little } = syntax;
  const group = little ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos);
  const element = little ? buf.readUInt16LE(pos + 2) : buf.readUInt16BE(pos + 2);
  const tag = ((group << 16) | element) >>> 0;
  if (group === 0xfffe || !syntax.explicit) {
    const raw = little ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    const vr = group === 0xfffe ? '' : implicitVr(tag, pixelRepresentation);
    return { tag, vr, length: raw === 0xffffffff ? -1 : raw, offset: pos, valueOffset: pos + 8 };
  }
  const c0 = buf[pos + 4]!;
  const c1 = buf[pos + 5]!;
  if (c0 < 0x41 || c0 > 0x5a || c1 < 0x41 || c1 > 0x5a) throw new DicomParseError(`invalid VR at byte ${pos + 4}`, 'malformed');
  const vr = String.fromCharCode(c0, c1);
  if (LONG_LENGTH_VRS.has(vr)) {
    if (pos + 12 > end) return null;
    const raw = little ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    return { tag, vr, length: raw === 0xffffffff ? -1 : raw, offset: pos, valueOffset: pos + 12 };
  }
  return { tag, vr, length: little ? buf.readUInt16LE(pos + 6) : buf.readUInt16BE(pos + 6), offset: pos, valueOffset: pos + 8 };
}

/**
 * Skips the content of an undefined-length element (a sequence, an item, or encapsulated Pixel
 * Data, PS3.5 §7.5.2 and §A.4) starting at its value, nested to any depth, and returns the offset
 * after its delimiter, or -1 when `end` comes first. Items are walked element by element because
 * the delimiter's bytes may also occur inside values. An undefined-length UN value is a sequence
 * in Implicit VR Little Endian (PS3.5 §6.2.2).
 */
export function skipUndefined(buf: Buffer, pos: number, end: number, syntax: Syntax): number {
  let p = pos;
  for (;;) {
    const el = readElementHeader(buf, p, end, syntax);
    if (el === null) return -1;
    if (el.tag === SEQUENCE_DELIMITATION || el.tag === ITEM_DELIMITATION) return el.valueOffset;
    if (el.length >= 0) p = el.valueOffset + el.length;
    else {
      const inner = el.vr === 'UN' && syntax.explicit ? IMPLICIT_LE : syntax;
      p = skipUndefined(buf, el.valueOffset, end, inner);
      if (p < 0) return -1;
    }
    if (p > end) return -1;
  }
}

export interface Part10Dataset {
  transferSyntaxUid: string;
  syntax: Syntax;
  /** The bytes holding the data set: the file itself, or the inflated data set (PS3.5 §A.5). */
  data: Buffer;
  /** Offset of the data set's first element in `data`. */
  start: number;
  /** True when `data` is the file itself, so offsets in it are file offsets. */
  inFile: boolean;
}

/**
 * Reads the preamble, "DICM" and the File Meta Information (always Explicit VR Little Endian,
 * PS3.10 §7.1) of a Part 10 file, or of a prefix of one, and says where the data set starts. A
 * deflated data set (PS3.5 §A.5) is inflated, which needs the whole file.
 */
export function openPart10(file: Buffer): Part10Dataset {
  if (file.length < 132 || file.toString('latin1', 128, 132) !== 'DICM') {
    throw new DicomParseError('not a DICOM Part 10 file: no "DICM" prefix at byte 128 (PS3.10 §7.1)', 'not-dicom');
  }
  let pos = 132;
  let transferSyntaxUid: string | undefined;
  for (;;) {
    if (pos + 8 > file.length || file.readUInt16LE(pos) !== 0x0002) break;
    const el = readElementHeader(file, pos, file.length, EXPLICIT_LE);
    if (el === null || el.length < 0 || el.valueOffset + el.length > file.length) {
      throw new DicomParseError('file ends inside the File Meta Information', 'truncated');
    }
    if (el.tag === 0x00020010) transferSyntaxUid = trimUid(file.toString('latin1', el.valueOffset, el.valueOffset + el.length));
    pos = el.valueOffset + el.length;
  }
  if (!transferSyntaxUid) throw new DicomParseError('File Meta Information has no Transfer Syntax UID (0002,0010)', 'malformed');
  if (transferSyntaxUid === TS.deflatedLE) {
    return { transferSyntaxUid, syntax: EXPLICIT_LE, data: inflateRawSync(file.subarray(pos)), start: 0, inFile: false };
  }
  return { transferSyntaxUid, syntax: syntaxOf(transferSyntaxUid), data: file, start: pos, inFile: true };
}

function trimUid(s: string): string {
  return s.replace(/[\0 ]+$/, '').trim();
}
