/**
 * A small, fast DICOM Part 10 encoder (PS3.10 §7.1 file format, PS3.5 §7 data elements).
 *
 * Why not dcmjs: dcmjs re-walks its dictionary and grows its buffer per element, which is far too slow
 * for generating thousands of instances per second. Here the size of every element is known before
 * writing, so an instance is encoded in two passes into one exactly sized Buffer.
 *
 * Scope: Explicit VR Little Endian (1.2.840.10008.1.2.1), Implicit VR Little Endian (1.2.840.10008.1.2),
 * Explicit VR Big Endian (1.2.840.10008.1.2.2, retired but still sent by old equipment), Deflated
 * Explicit VR Little Endian (1.2.840.10008.1.2.1.99, PS3.5 §A.5), and the encapsulated syntaxes with
 * Pixel Data given as already compressed frames (PS3.5 §A.4). Defined lengths everywhere (sequences
 * and items too, PS3.5 §7.5.1) except encapsulated Pixel Data, which by definition has none.
 */
import { deflateRawSync } from 'node:zlib';

export type VR =
  | 'AE' | 'AS' | 'AT' | 'CS' | 'DA' | 'DS' | 'DT' | 'FD' | 'FL' | 'IS' | 'LO' | 'LT' | 'OB' | 'OD'
  | 'OF' | 'OL' | 'OV' | 'OW' | 'PN' | 'SH' | 'SL' | 'SQ' | 'SS' | 'ST' | 'SV' | 'TM' | 'UC' | 'UI'
  | 'UL' | 'UN' | 'UR' | 'US' | 'UT' | 'UV';

/**
 * Encapsulated Pixel Data (PS3.5 §A.4): one compressed frame per fragment. Written as OB with
 * undefined length, a Basic Offset Table item holding each frame's offset, one item per frame (padded
 * to even length with a trailing NUL), then the Sequence Delimitation Item.
 */
export interface EncapsulatedFrames {
  frames: readonly Uint8Array[];
}

/** Strings (multi-valued joined by `\`), numbers, raw little-endian bytes, sequence items, or encapsulated frames. */
export type ElementValue = string | readonly string[] | number | readonly number[] | Uint8Array | readonly DataElement[][] | EncapsulatedFrames;

export interface DataElement {
  /** (group << 16) | element, e.g. 0x00100010 for PatientName. */
  tag: number;
  vr: VR;
  /** undefined or '' writes a zero-length (type 2 "empty") element. */
  value?: ElementValue;
}

/** The native little-endian syntaxes (what synthetic-mr and most callers write). */
export type TransferSyntax = 'explicit-le' | 'implicit-le';
/** Syntaxes whose Pixel Data must be encapsulated frames; the data set itself is Explicit VR LE. */
export type EncapsulatedSyntax = 'rle' | 'jpeg-ls-lossless' | 'jpeg2000-lossless' | 'jpeg-baseline' | 'jpeg-lossless-sv1';
export type AnyTransferSyntax = TransferSyntax | 'explicit-be' | 'deflated-le' | EncapsulatedSyntax;

// PS3.6 Table A-1.
export const TRANSFER_SYNTAX_UID: Record<AnyTransferSyntax, string> = {
  'explicit-le': '1.2.840.10008.1.2.1',
  'implicit-le': '1.2.840.10008.1.2',
  'explicit-be': '1.2.840.10008.1.2.2',
  'deflated-le': '1.2.840.10008.1.2.1.99',
  rle: '1.2.840.10008.1.2.5',
  'jpeg-ls-lossless': '1.2.840.10008.1.2.4.80',
  'jpeg2000-lossless': '1.2.840.10008.1.2.4.90',
  'jpeg-baseline': '1.2.840.10008.1.2.4.50',
  'jpeg-lossless-sv1': '1.2.840.10008.1.2.4.70',
};

export const isEncapsulatedSyntax = (ts: AnyTransferSyntax): ts is EncapsulatedSyntax =>
  ts !== 'explicit-le' && ts !== 'implicit-le' && ts !== 'explicit-be' && ts !== 'deflated-le';

/** How a data set is laid out on the wire. */
interface Encoding {
  explicit: boolean;
  little: boolean;
}

function encodingOf(ts: AnyTransferSyntax): Encoding {
  return { explicit: ts !== 'implicit-le', little: ts !== 'explicit-be' };
}

/** Identifies files written by this node (PS3.7 §D.3.3.2); a UUID-derived UID, PS3.5 §B.2. */
export const IMPLEMENTATION_CLASS_UID = '2.25.264709704357373787699965394084200207576';
export const IMPLEMENTATION_VERSION_NAME = 'DAFNE_NODE_01';

// PS3.5 §7.1.2 / Table 7.1-1: these VRs have 2 reserved bytes and a 32-bit length in Explicit VR.
const LONG_LENGTH_VRS = new Set<VR>(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
// Fixed-size binary VRs (PS3.5 Table 6.2-1) and their value size.
const NUMBER_SIZE: Partial<Record<VR, number>> = { AT: 4, FD: 8, FL: 4, SL: 4, SS: 2, UL: 4, US: 2, SV: 8, UV: 8 };
// Byte-stream VRs whose value is given as a Uint8Array (already little-endian).
const BYTES_VRS = new Set<VR>(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

const ITEM = 0xfffee000;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;
// Byte-swap unit of the binary VRs when written big endian (PS3.5 §7.3).
const SWAP_SIZE: Partial<Record<VR, number>> = { OW: 2, OF: 4, OL: 4, OD: 8, OV: 8 };

/** An element after its value has been turned into bytes or numbers, with its encoded value length. */
interface Prepared {
  tag: number;
  vr: VR;
  /** value length on the wire, already even */
  length: number;
  text?: string; // string VRs: the padded text (ASCII / UTF-8)
  textBytes?: number;
  nums?: readonly number[];
  bytes?: Uint8Array;
  items?: Prepared[][];
  itemLengths?: number[];
  /** encapsulated Pixel Data: the frames; `length` is then the bytes of all items and the delimiter */
  frames?: readonly Uint8Array[];
}

/**
 * PS3.5 §6.2: string values are padded to even length with a trailing space, except UI which is padded
 * with NUL (§9.1). OB/UN bytes are padded with NUL (§6.2, Table 6.2-1).
 */
// `explicit` matters for sequences: an item's length counts its elements' headers, which are longer
// in Explicit VR for OB, SQ, UT, ... (PS3.5 §7.1.2) than in Implicit VR (§7.1.3).
function prepare(el: DataElement, explicit = true): Prepared {
  const { tag, vr, value } = el;
  if (value !== undefined && typeof value === 'object' && 'frames' in value) {
    if (vr !== 'OB' || tag !== 0x7fe00010) throw new TypeError(`tag ${hex(tag)}: only Pixel Data (OB) can be encapsulated`);
    const frames = value.frames;
    // Basic Offset Table item + one item per frame (even length) + Sequence Delimitation Item.
    const length = 8 + 4 * frames.length + frames.reduce((a, f) => a + 8 + f.length + (f.length & 1), 0) + 8;
    return { tag, vr, length, frames };
  }
  if (vr === 'SQ') {
    const items = ((value ?? []) as readonly DataElement[][]).map((item) => sortAndPrepare(item, explicit));
    const itemLengths = items.map((item) => datasetLength(item, explicit));
    // Each item costs an 8-byte item header (PS3.5 §7.5.1, explicit length items).
    const length = itemLengths.reduce((a, b) => a + 8 + b, 0);
    return { tag, vr, length, items, itemLengths };
  }
  const size = NUMBER_SIZE[vr];
  if (size !== undefined) {
    const nums = value === undefined ? [] : typeof value === 'number' ? [value] : (value as readonly number[]);
    return { tag, vr, length: nums.length * size, nums };
  }
  if (BYTES_VRS.has(vr)) {
    const bytes = (value ?? new Uint8Array(0)) as Uint8Array;
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`tag ${hex(tag)} ${vr}: value must be a Uint8Array`);
    if (vr !== 'OB' && vr !== 'UN' && bytes.length % 2 !== 0) throw new RangeError(`tag ${hex(tag)} ${vr}: odd byte length`);
    return { tag, vr, length: bytes.length + (bytes.length & 1), bytes };
  }
  // String VRs. Multiple values are joined with the backslash delimiter (PS3.5 §6.4). Text is written as
  // UTF-8, so a caller with non-ASCII text must also set SpecificCharacterSet "ISO_IR 192" (PS3.3 C.12.1.1.2).
  let text: string;
  if (value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number') text = vr === 'DS' ? formatDS(value) : String(value);
  else text = (value as readonly (string | number)[]).map((v) => (vr === 'DS' && typeof v === 'number' ? formatDS(v) : String(v))).join('\\');
  const textBytes = Buffer.byteLength(text, 'utf8');
  return { tag, vr, length: textBytes + (textBytes & 1), text, textBytes };
}

function sortAndPrepare(elements: readonly DataElement[], explicit = true): Prepared[] {
  const prepared = elements.map((e) => prepare(e, explicit));
  // PS3.5 §7.1: data elements appear in increasing tag order; tags are compared as unsigned 32-bit.
  prepared.sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
  for (let i = 1; i < prepared.length; i++) {
    if (prepared[i]!.tag === prepared[i - 1]!.tag) throw new Error(`duplicate tag ${hex(prepared[i]!.tag)}`);
  }
  return prepared;
}

function headerLength(vr: VR, explicit: boolean): number {
  // Implicit VR: tag + 4-byte length (§7.1.3). Explicit: tag + VR + 2-byte length, or + 2 reserved + 4 (§7.1.2).
  return !explicit ? 8 : LONG_LENGTH_VRS.has(vr) ? 12 : 8;
}

function datasetLength(elements: readonly Prepared[], explicit: boolean): number {
  let n = 0;
  for (const e of elements) n += headerLength(e.vr, explicit) + e.length;
  return n;
}

function writeElements(buf: Buffer, pos: number, elements: readonly Prepared[], enc: Encoding): number {
  const u16 = (v: number, at: number) => (enc.little ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (enc.little ? buf.writeUInt32LE(v, at) : buf.writeUInt32BE(v, at));
  for (const e of elements) {
    u16(e.tag >>> 16, pos);
    u16(e.tag & 0xffff, pos + 2);
    pos += 4;
    // PS3.5 §7.1.2: Pixel Data without a defined length says so with 0xFFFFFFFF (§A.4).
    const length = e.frames ? UNDEFINED_LENGTH : e.length;
    if (enc.explicit) {
      buf.write(e.vr, pos, 'latin1');
      if (LONG_LENGTH_VRS.has(e.vr)) {
        u16(0, pos + 2);
        u32(length, pos + 4);
        pos += 8;
      } else {
        if (e.length > 0xffff) throw new RangeError(`tag ${hex(e.tag)} ${e.vr}: value longer than 65535 bytes`);
        u16(e.length, pos + 2);
        pos += 4;
      }
    } else {
      u32(length, pos);
      pos += 4;
    }
    pos = writeValue(buf, pos, e, enc);
  }
  return pos;
}

/** An item or delimiter header (PS3.5 §7.5): tag and length in the data set's byte order. */
function itemHeader(buf: Buffer, pos: number, tag: number, length: number, little: boolean): number {
  if (little) {
    buf.writeUInt16LE(tag >>> 16, pos);
    buf.writeUInt16LE(tag & 0xffff, pos + 2);
    buf.writeUInt32LE(length, pos + 4);
  } else {
    buf.writeUInt16BE(tag >>> 16, pos);
    buf.writeUInt16BE(tag & 0xffff, pos + 2);
    buf.writeUInt32BE(length, pos + 4);
  }
  return pos + 8;
}

function writeValue(buf: Buffer, pos: number, e: Prepared, enc: Encoding): number {
  const end = pos + e.length;
  const little = enc.little;
  if (e.frames) {
    // Basic Offset Table: offset of each frame's first item, from the first item after the table.
    pos = itemHeader(buf, pos, ITEM, 4 * e.frames.length, true);
    let offset = 0;
    for (const f of e.frames) {
      buf.writeUInt32LE(offset, pos);
      pos += 4;
      offset += 8 + f.length + (f.length & 1);
    }
    for (const f of e.frames) {
      pos = itemHeader(buf, pos, ITEM, f.length + (f.length & 1), true);
      buf.set(f, pos);
      pos += f.length;
      if (f.length & 1) buf[pos++] = 0;
    }
    itemHeader(buf, pos, SEQUENCE_DELIMITATION, 0, true);
    return end;
  }
  if (e.items) {
    e.items.forEach((item, i) => {
      pos = itemHeader(buf, pos, ITEM, e.itemLengths![i]!, little);
      pos = writeElements(buf, pos, item, enc);
    });
    return end;
  }
  if (e.nums) {
    for (const v of e.nums) {
      switch (e.vr) {
        case 'US': little ? buf.writeUInt16LE(v, pos) : buf.writeUInt16BE(v, pos); pos += 2; break;
        case 'SS': little ? buf.writeInt16LE(v, pos) : buf.writeInt16BE(v, pos); pos += 2; break;
        case 'UL': little ? buf.writeUInt32LE(v, pos) : buf.writeUInt32BE(v, pos); pos += 4; break;
        case 'SL': little ? buf.writeInt32LE(v, pos) : buf.writeInt32BE(v, pos); pos += 4; break;
        case 'FL': little ? buf.writeFloatLE(v, pos) : buf.writeFloatBE(v, pos); pos += 4; break;
        case 'FD': little ? buf.writeDoubleLE(v, pos) : buf.writeDoubleBE(v, pos); pos += 8; break;
        case 'SV': little ? buf.writeBigInt64LE(BigInt(v), pos) : buf.writeBigInt64BE(BigInt(v), pos); pos += 8; break;
        case 'UV': little ? buf.writeBigUInt64LE(BigInt(v), pos) : buf.writeBigUInt64BE(BigInt(v), pos); pos += 8; break;
        case 'AT': // PS3.5 §6.2: an ordered pair of 16-bit unsigned integers, group first
          if (little) { buf.writeUInt16LE(v >>> 16, pos); buf.writeUInt16LE(v & 0xffff, pos + 2); } else { buf.writeUInt16BE(v >>> 16, pos); buf.writeUInt16BE(v & 0xffff, pos + 2); }
          pos += 4; break;
        default: throw new Error(`unreachable VR ${e.vr}`);
      }
    }
    return end;
  }
  if (e.bytes) {
    buf.set(e.bytes, pos);
    const swap = SWAP_SIZE[e.vr];
    // The caller's bytes are little endian; big endian swaps each word of OW / OF / OL / OD / OV.
    if (!little && swap) {
      const view = buf.subarray(pos, pos + e.bytes.length);
      if (swap === 2) view.swap16(); else if (swap === 4) view.swap32(); else view.swap64();
    }
    if (e.bytes.length & 1) buf[pos + e.bytes.length] = 0;
    return end;
  }
  buf.write(e.text!, pos, 'utf8');
  if (e.textBytes! & 1) buf[pos + e.textBytes!] = e.vr === 'UI' ? 0x00 : 0x20;
  return end;
}

/** Encodes a bare data set (no preamble, no File Meta), e.g. for a test or an in-memory compare. */
export function encodeDataset(elements: readonly DataElement[], ts: AnyTransferSyntax = 'explicit-le'): Buffer {
  // Deflate compresses the whole Explicit VR LE encoding (PS3.5 §A.5); the caller deflates a data set.
  const enc = encodingOf(ts === 'deflated-le' ? 'explicit-le' : ts);
  const prepared = sortAndPrepare(elements, enc.explicit);
  checkEncapsulation(prepared, ts);
  const buf = Buffer.allocUnsafe(datasetLength(prepared, enc.explicit));
  writeElements(buf, 0, prepared, enc);
  return buf;
}

/** Encapsulated frames exactly when the syntax is an encapsulated one (PS3.5 §8.2). */
function checkEncapsulation(prepared: readonly Prepared[], ts: AnyTransferSyntax): void {
  const pixel = prepared.find((e) => e.tag === 0x7fe00010);
  if (pixel?.frames && !isEncapsulatedSyntax(ts)) throw new Error(`${ts} cannot carry encapsulated Pixel Data`);
  if (pixel && !pixel.frames && isEncapsulatedSyntax(ts)) throw new Error(`${ts} needs encapsulated Pixel Data`);
}

export interface Part10Meta {
  sopClassUID: string;
  sopInstanceUID: string;
  transferSyntax?: AnyTransferSyntax;
}

/**
 * Writes a complete Part 10 file: 128-byte preamble, "DICM", the File Meta Information group 0002
 * (always Explicit VR Little Endian, with its group length (0002,0000), PS3.10 §7.1 Table 7.1-1),
 * then the data set in the chosen transfer syntax. Group 0002 elements in `elements` are rejected:
 * the meta group is derived from `meta` so it cannot disagree with the data set.
 */
export function writePart10(elements: readonly DataElement[], meta: Part10Meta): Buffer {
  const ts = meta.transferSyntax ?? 'explicit-le';
  for (const e of elements) {
    if (e.tag >>> 16 === 0x0002) throw new Error(`group 0002 element ${hex(e.tag)} does not belong in the data set`);
  }
  const metaBody = sortAndPrepare([
    { tag: 0x00020001, vr: 'OB', value: FILE_META_VERSION },
    { tag: 0x00020002, vr: 'UI', value: meta.sopClassUID },
    { tag: 0x00020003, vr: 'UI', value: meta.sopInstanceUID },
    { tag: 0x00020010, vr: 'UI', value: TRANSFER_SYNTAX_UID[ts] },
    { tag: 0x00020012, vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
    { tag: 0x00020013, vr: 'SH', value: IMPLEMENTATION_VERSION_NAME },
  ]);
  const metaLength = datasetLength(metaBody, true);
  const groupLength = prepare({ tag: 0x00020000, vr: 'UL', value: metaLength });
  // Deflated: the data set after the meta group is one raw deflate stream (RFC 1951, PS3.5 §A.5),
  // padded to even length.
  let deflated: Buffer | undefined;
  let dataset: Prepared[] = [];
  if (ts === 'deflated-le') {
    deflated = deflateRawSync(encodeDataset(elements, 'explicit-le'));
  } else {
    dataset = sortAndPrepare(elements, encodingOf(ts).explicit);
    checkEncapsulation(dataset, ts);
  }
  const enc = encodingOf(ts);
  const bodyLength = deflated ? deflated.length + (deflated.length & 1) : datasetLength(dataset, enc.explicit);
  const total = 132 + 12 + metaLength + bodyLength;

  // allocUnsafe is safe here: every byte is written below (preamble zeroed explicitly).
  const buf = Buffer.allocUnsafe(total);
  buf.fill(0, 0, 128);
  buf.write('DICM', 128, 'latin1');
  const metaEnc: Encoding = { explicit: true, little: true }; // PS3.10 §7.1: always Explicit VR LE
  let pos = writeElements(buf, 132, [groupLength], metaEnc);
  pos = writeElements(buf, pos, metaBody, metaEnc);
  if (deflated) {
    buf.set(deflated, pos);
    pos += deflated.length;
    if (deflated.length & 1) buf[pos++] = 0;
  } else {
    pos = writeElements(buf, pos, dataset, enc);
  }
  if (pos !== total) throw new Error(`internal: wrote ${pos} of ${total} bytes`);
  return buf;
}

const FILE_META_VERSION = new Uint8Array([0x00, 0x01]);

/**
 * Formats a number as a Decimal String of at most 16 bytes (PS3.5 §6.2, VR DS), without exponent
 * when it fits, losing only the precision that does not fit.
 */
export function formatDS(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`DS cannot hold ${n}`);
  if (Object.is(n, -0)) n = 0;
  let s = String(n);
  if (s.length <= 16) return s;
  for (let p = 15; p >= 1; p--) {
    s = String(Number(n.toPrecision(p)));
    if (s.length <= 16) return s;
  }
  throw new RangeError(`DS cannot hold ${n}`);
}

function hex(tag: number): string {
  const t = (tag >>> 0).toString(16).padStart(8, '0').toUpperCase();
  return `(${t.slice(0, 4)},${t.slice(4)})`;
}
