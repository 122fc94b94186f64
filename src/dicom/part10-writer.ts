/**
 * A small, fast DICOM Part 10 encoder (PS3.10 §7.1 file format, PS3.5 §7 data elements).
 *
 * Why not dcmjs: dcmjs re-walks its dictionary and grows its buffer per element, which is far too slow
 * for generating thousands of instances per second. Here the size of every element is known before
 * writing, so an instance is encoded in two passes into one exactly sized Buffer.
 *
 * Scope: Little Endian only (Explicit VR 1.2.840.10008.1.2.1 and Implicit VR 1.2.840.10008.1.2),
 * defined lengths everywhere (sequences and items too, PS3.5 §7.5.1), no encapsulated pixel data.
 */

export type VR =
  | 'AE' | 'AS' | 'AT' | 'CS' | 'DA' | 'DS' | 'DT' | 'FD' | 'FL' | 'IS' | 'LO' | 'LT' | 'OB' | 'OD'
  | 'OF' | 'OL' | 'OV' | 'OW' | 'PN' | 'SH' | 'SL' | 'SQ' | 'SS' | 'ST' | 'SV' | 'TM' | 'UC' | 'UI'
  | 'UL' | 'UN' | 'UR' | 'US' | 'UT' | 'UV';

/** Strings (multi-valued joined by `\`), numbers, raw little-endian bytes, or sequence items. */
export type ElementValue = string | readonly string[] | number | readonly number[] | Uint8Array | readonly DataElement[][];

export interface DataElement {
  /** (group << 16) | element, e.g. 0x00100010 for PatientName. */
  tag: number;
  vr: VR;
  /** undefined or '' writes a zero-length (type 2 "empty") element. */
  value?: ElementValue;
}

export type TransferSyntax = 'explicit-le' | 'implicit-le';

export const TRANSFER_SYNTAX_UID: Record<TransferSyntax, string> = {
  'explicit-le': '1.2.840.10008.1.2.1',
  'implicit-le': '1.2.840.10008.1.2',
};

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
}

/**
 * PS3.5 §6.2: string values are padded to even length with a trailing space, except UI which is padded
 * with NUL (§9.1). OB/UN bytes are padded with NUL (§6.2, Table 6.2-1).
 */
function prepare(el: DataElement): Prepared {
  const { tag, vr, value } = el;
  if (vr === 'SQ') {
    const items = ((value ?? []) as readonly DataElement[][]).map((item) => sortAndPrepare(item));
    const itemLengths = items.map((item) => datasetLength(item, true));
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

function sortAndPrepare(elements: readonly DataElement[]): Prepared[] {
  const prepared = elements.map(prepare);
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

function writeElements(buf: Buffer, pos: number, elements: readonly Prepared[], explicit: boolean): number {
  for (const e of elements) {
    buf.writeUInt16LE(e.tag >>> 16, pos);
    buf.writeUInt16LE(e.tag & 0xffff, pos + 2);
    pos += 4;
    if (explicit) {
      buf.write(e.vr, pos, 'latin1');
      if (LONG_LENGTH_VRS.has(e.vr)) {
        buf.writeUInt16LE(0, pos + 2);
        buf.writeUInt32LE(e.length, pos + 4);
        pos += 8;
      } else {
        if (e.length > 0xffff) throw new RangeError(`tag ${hex(e.tag)} ${e.vr}: value longer than 65535 bytes`);
        buf.writeUInt16LE(e.length, pos + 2);
        pos += 4;
      }
    } else {
      buf.writeUInt32LE(e.length, pos);
      pos += 4;
    }
    pos = writeValue(buf, pos, e, explicit);
  }
  return pos;
}

function writeValue(buf: Buffer, pos: number, e: Prepared, explicit: boolean): number {
  const end = pos + e.length;
  if (e.items) {
    e.items.forEach((item, i) => {
      buf.writeUInt16LE(ITEM >>> 16, pos);
      buf.writeUInt16LE(ITEM & 0xffff, pos + 2);
      buf.writeUInt32LE(e.itemLengths![i]!, pos + 4);
      pos = writeElements(buf, pos + 8, item, explicit);
    });
    return end;
  }
  if (e.nums) {
    for (const v of e.nums) {
      switch (e.vr) {
        case 'US': buf.writeUInt16LE(v, pos); pos += 2; break;
        case 'SS': buf.writeInt16LE(v, pos); pos += 2; break;
        case 'UL': buf.writeUInt32LE(v, pos); pos += 4; break;
        case 'SL': buf.writeInt32LE(v, pos); pos += 4; break;
        case 'FL': buf.writeFloatLE(v, pos); pos += 4; break;
        case 'FD': buf.writeDoubleLE(v, pos); pos += 8; break;
        case 'SV': buf.writeBigInt64LE(BigInt(v), pos); pos += 8; break;
        case 'UV': buf.writeBigUInt64LE(BigInt(v), pos); pos += 8; break;
        case 'AT': // PS3.5 §6.2: an ordered pair of 16-bit unsigned integers, group first
          buf.writeUInt16LE(v >>> 16, pos); buf.writeUInt16LE(v & 0xffff, pos + 2); pos += 4; break;
        default: throw new Error(`unreachable VR ${e.vr}`);
      }
    }
    return end;
  }
  if (e.bytes) {
    buf.set(e.bytes, pos);
    if (e.bytes.length & 1) buf[pos + e.bytes.length] = 0;
    return end;
  }
  buf.write(e.text!, pos, 'utf8');
  if (e.textBytes! & 1) buf[pos + e.textBytes!] = e.vr === 'UI' ? 0x00 : 0x20;
  return end;
}

/** Encodes a bare data set (no preamble, no File Meta), e.g. for a test or an in-memory compare. */
export function encodeDataset(elements: readonly DataElement[], ts: TransferSyntax = 'explicit-le'): Buffer {
  const explicit = ts === 'explicit-le';
  const prepared = sortAndPrepare(elements);
  const buf = Buffer.allocUnsafe(datasetLength(prepared, explicit));
  writeElements(buf, 0, prepared, explicit);
  return buf;
}

export interface Part10Meta {
  sopClassUID: string;
  sopInstanceUID: string;
  transferSyntax?: TransferSyntax;
}

/**
 * Writes a complete Part 10 file: 128-byte preamble, "DICM", the File Meta Information group 0002
 * (always Explicit VR Little Endian, with its group length (0002,0000), PS3.10 §7.1 Table 7.1-1),
 * then the data set in the chosen transfer syntax. Group 0002 elements in `elements` are rejected:
 * the meta group is derived from `meta` so it cannot disagree with the data set.
 */
export function writePart10(elements: readonly DataElement[], meta: Part10Meta): Buffer {
  const ts = meta.transferSyntax ?? 'explicit-le';
  const explicit = ts === 'explicit-le';
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
  const dataset = sortAndPrepare(elements);
  const total = 132 + 12 + metaLength + datasetLength(dataset, explicit);

  // allocUnsafe is safe here: every byte is written below (preamble zeroed explicitly).
  const buf = Buffer.allocUnsafe(total);
  buf.fill(0, 0, 128);
  buf.write('DICM', 128, 'latin1');
  let pos = writeElements(buf, 132, [groupLength], true);
  pos = writeElements(buf, pos, metaBody, true);
  pos = writeElements(buf, pos, dataset, explicit);
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
