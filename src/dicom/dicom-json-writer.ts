/**
 * Encoded data set → DICOM JSON Model (PS3.18 §F.2), for WADO-RS metadata (PS3.18 §10.4).
 *
 * - Keys are the 8-hex-digit tags, in the order of the encoding (ascending, PS3.5 §7.1).
 * - Strings: multi-valued VRs split on "\" (PS3.5 §6.4; never LT, ST, UT, UR), padding trimmed,
 *   empty values null (PS3.18 §F.2); text of SH, LO, UC, ST, LT, UT and PN decoded by Specific
 *   Character Set, which an item may override for its own content (PS3.5 §7.5.3).
 * - PN: `{ Alphabetic, Ideographic, Phonetic }` from the "="-separated groups.
 * - DS, IS and the binary numbers (US SS UL SL FL FD SV UV) are JSON numbers; a DS or IS
 *   that is not a number stays a string rather than being lost; SV / UV beyond 2^53 are strings.
 * - AT: "GGGGEEEE" strings.
 * - OB OD OF OL OV OW UN: InlineBinary (base64) up to `inlineBinaryMax` bytes, else a
 *   BulkDataURI. Pixel Data (7FE0,0010) is always a BulkDataURI, at any nesting level.
 * - SQ: items as nested objects; undefined-length UN is read as an Implicit VR sequence
 *   (PS3.5 §6.2.2), and a UN whose tag the dictionary knows is decoded with the dictionary VR.
 * - Left out: group lengths (gggg,0000) and Data Set Trailing Padding (FFFC,FFFC).
 *
 * At the top level the walk stops at Pixel Data when its value is not in the buffer, so a caller
 * can hand over just the bytes before the pixels.
 */
import type { DicomJson, DicomJsonAttribute } from './dicom-json.js';
import { charsetDecoder, type TextDecoderFn } from './charset.js';
import { DicomParseError, IMPLICIT_LE, ITEM, ITEM_DELIMITATION, PIXEL_DATA, readElementHeader, SEQUENCE_DELIMITATION, skipUndefined, type ElementHeader, type Syntax } from './element-reader.js';
import { childPath, itemPrefix, tagHex } from './tag-path.js';
import { dictionaryVr, implicitVr } from './vr-dictionary.js';

export interface JsonWriterOptions {
  /** The BulkDataURI of the element at `tagPath` (see tag-path.ts). */
  bulkDataUri: (tagPath: string) => string;
  /** Largest binary value sent inline as base64; default 1024 bytes. */
  inlineBinaryMax?: number;
  /** Specific Character Set inherited from an enclosing data set (for a tail read apart). */
  specificCharacterSet?: string;
}

export interface DatasetJson {
  json: DicomJson;
  /** Top-level Pixel Data, when met. */
  pixelData?: ElementHeader;
  /** The Specific Character Set in force at the top level (to read a tail with). */
  specificCharacterSet?: string;
  /** True when the walk stopped at Pixel Data because its value goes past the buffer. */
  stoppedAtPixelData: boolean;
}

const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DT', 'LO', 'LT', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const CHARSET_VRS = new Set(['LO', 'LT', 'SH', 'ST', 'UC', 'UT', 'PN']);
const SINGLE_VALUED = new Set(['LT', 'ST', 'UT', 'UR']);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const SPECIFIC_CHARACTER_SET = 0x00080005;
const PIXEL_REPRESENTATION = 0x00280103;
const TRAILING_PADDING = 0xfffcfffc;

/** Converts the data set in `buf[start, end)` to DICOM JSON. */
export function datasetToJson(buf: Buffer, start: number, end: number, syntax: Syntax, opts: JsonWriterOptions): DatasetJson {
  return new JsonWriter(buf, opts).topLevel(start, end, syntax);
}

class JsonWriter {
  private readonly inlineMax: number;
  private pixelRepresentation: number | undefined;

  constructor(
    private readonly buf: Buffer,
    private readonly opts: JsonWriterOptions,
  ) {
    this.inlineMax = opts.inlineBinaryMax ?? 1024;
  }

  topLevel(start: number, end: number, syntax: Syntax): DatasetJson {
    const state = { charset: this.opts.specificCharacterSet, decode: charsetDecoder(this.opts.specificCharacterSet) };
    const out: DatasetJson = { json: {}, stoppedAtPixelData: false };
    this.dataset(start, end, syntax, state, '', out);
    out.specificCharacterSet = state.charset;
    return out;
  }

  /**
   * Reads elements from `pos` to `end` (a defined-length item or the top level) or to an item
   * delimiter (undefined-length item); returns the offset after what was read.
   */
  private dataset(pos: number, end: number, syntax: Syntax, state: { charset?: string; decode: TextDecoderFn }, prefix: string, top?: DatasetJson): number {
    const buf = this.buf;
    const json = top ? top.json : ({} as DicomJson);
    while (pos < end) {
      const h = readElementHeader(buf, pos, end, syntax, this.pixelRepresentation);
      if (h === null) throw new DicomParseError(`data set ends inside an element header at byte ${pos}`, 'truncated');
      if (h.tag === ITEM_DELIMITATION) return h.valueOffset;
      if (h.tag === SEQUENCE_DELIMITATION || h.tag === ITEM) throw new DicomParseError(`unexpected item tag at byte ${pos}`, 'malformed');
      if (h.tag === PIXEL_DATA) {
        json[tagHex(h.tag)] = { vr: h.vr === 'OB' ? 'OB' : 'OW', BulkDataURI: this.opts.bulkDataUri(childPath(prefix, h.tag)) };
        const after = h.length >= 0 ? h.valueOffset + h.length : skipUndefined(buf, h.valueOffset, end, syntax);
        if (top && !prefix) top.pixelData = h;
        if (after < 0 || after > end) {
          if (top && !prefix) {
            top.stoppedAtPixelData = true;
            return end;
          }
          throw new DicomParseError('nested Pixel Data ends past its item', 'truncated');
        }
        pos = after;
        continue;
      }
      let vr = h.vr;
      let valueSyntax = syntax;
      if (vr === 'UN' && syntax.explicit) {
        // PS3.5 §6.2.2: a UN value keeps the little-endian implicit encoding of its real VR.
        const known = h.length < 0 ? 'SQ' : dictionaryVr(h.tag) !== undefined ? implicitVr(h.tag, this.pixelRepresentation) : 'UN';
        if (known !== 'UN') {
          vr = known;
          valueSyntax = IMPLICIT_LE;
        }
      } else if (h.length < 0 && vr !== 'SQ') {
        // Only sequences may have undefined length besides Pixel Data; implicit private ones do.
        vr = 'SQ';
      }
      if (vr === 'SQ') {
        const items: DicomJson[] = [];
        pos = this.sequence(h, end, valueSyntax, state, childPath(prefix, h.tag), items);
        json[tagHex(h.tag)] = items.length ? { vr, Value: items } : { vr };
        continue;
      }
      const valueEnd = h.valueOffset + h.length;
      if (valueEnd > end) throw new DicomParseError(`value of (${tagHex(h.tag)}) ends past the data set`, 'truncated');
      pos = valueEnd;
      if ((h.tag & 0xffff) === 0 || h.tag === TRAILING_PADDING) continue;
      const attr = this.value(vr, h.valueOffset, valueEnd, valueSyntax.little, state.decode, prefix, h.tag);
      json[tagHex(h.tag)] = attr;
      if (h.tag === SPECIFIC_CHARACTER_SET) {
        state.charset = buf.toString('latin1', h.valueOffset, valueEnd).replace(/[\0 ]+$/, '');
        state.decode = charsetDecoder(state.charset);
      } else if (h.tag === PIXEL_REPRESENTATION && !prefix && attr.Value) {
        this.pixelRepresentation = attr.Value[0] as number;
      }
    }
    return pos;
  }

  /** Reads the items of a sequence into `items`; returns the offset after the sequence. */
  private sequence(h: ElementHeader, limit: number, syntax: Syntax, parent: { charset?: string; decode: TextDecoderFn }, path: string, items: DicomJson[]): number {
    const buf = this.buf;
    const end = h.length >= 0 ? h.valueOffset + h.length : limit;
    if (end > limit) throw new DicomParseError(`sequence (${tagHex(h.tag)}) ends past its data set`, 'truncated');
    let p = h.valueOffset;
    while (p < end) {
      const ih = readElementHeader(buf, p, end, syntax);
      if (ih === null) throw new DicomParseError(`sequence (${tagHex(h.tag)}) ends inside an item header`, 'truncated');
      if (ih.tag === SEQUENCE_DELIMITATION) return ih.valueOffset;
      if (ih.tag !== ITEM) throw new DicomParseError(`expected an item in sequence (${tagHex(h.tag)}) at byte ${p}`, 'malformed');
      const itemEnd = ih.length >= 0 ? ih.valueOffset + ih.length : end;
      if (itemEnd > end) throw new DicomParseError(`item of (${tagHex(h.tag)}) ends past its sequence`, 'truncated');
      const item: DatasetJson = { json: {}, stoppedAtPixelData: false };
      // A Specific Character Set inside the item applies to the item only (PS3.5 §7.5.3).
      const state = { ...parent };
      const after = this.dataset(ih.valueOffset, itemEnd, syntax, state, itemPrefix(path, items.length), item);
      items.push(item.json);
      p = ih.length >= 0 ? itemEnd : after;
    }
    if (h.length < 0) throw new DicomParseError(`sequence (${tagHex(h.tag)}) has no delimiter`, 'truncated');
    return p;
  }

  private value(vr: string, start: number, end: number, little: boolean, decode: TextDecoderFn, prefix: string, tag: number): DicomJsonAttribute {
    if (start === end) return { vr };
    const buf = this.buf;
    if (BINARY_VRS.has(vr)) {
      if (end - start > this.inlineMax) return { vr, BulkDataURI: this.opts.bulkDataUri(childPath(prefix, tag)) };
      return { vr, InlineBinary: buf.toString('base64', start, end) };
    }
    if (vr === 'PN') return { vr, Value: splitValues(decode(buf, start, end)).map(personName) };
    if (TEXT_VRS.has(vr)) {
      const text = CHARSET_VRS.has(vr) ? decode(buf, start, end) : buf.toString('latin1', start, end);
      if (SINGLE_VALUED.has(vr)) return { vr, Value: [text.replace(/[\0 ]+$/, '')] };
      return { vr, Value: splitValues(text).map((v) => (v === '' ? null : v)) };
    }
    if (vr === 'DS' || vr === 'IS') {
      return { vr, Value: splitValues(buf.toString('latin1', start, end)).map(decimal) };
    }
    return { vr, Value: binaryNumbers(buf, vr, start, end, little) };
  }
}

/** Splits on "\" and trims spaces (and stray NULs) around each value (PS3.5 §6.2). */
function splitValues(text: string): string[] {
  if (!text.includes('\\')) return [trimPadding(text)];
  const parts = text.split('\\');
  for (let i = 0; i < parts.length; i++) parts[i] = trimPadding(parts[i]!);
  return parts;
}

function trimPadding(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function decimal(v: string): number | string | null {
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

/** PS3.18 §F.2: component groups alphabetic = ideographic = phonetic; empty groups left out. */
function personName(v: string): Record<string, string> | null {
  if (v === '') return null;
  const [alphabetic, ideographic, phonetic] = v.split('=');
  const pn: Record<string, string> = {};
  if (alphabetic) pn.Alphabetic = alphabetic;
  if (ideographic) pn.Ideographic = ideographic;
  if (phonetic) pn.Phonetic = phonetic;
  return pn;
}

const NUMBER_SIZE: Record<string, number> = { AT: 4, FD: 8, FL: 4, SL: 4, SS: 2, SV: 8, UL: 4, US: 2, UV: 8 };

function binaryNumbers(buf: Buffer, vr: string, start: number, end: number, little: boolean): unknown[] {
  const size = NUMBER_SIZE[vr];
  if (size === undefined) return [buf.toString('latin1', start, end)]; // an unknown VR: keep the bytes as text
  const out: unknown[] = [];
  for (let p = start; p + size <= end; p += size) {
    switch (vr) {
      case 'US': out.push(little ? buf.readUInt16LE(p) : buf.readUInt16BE(p)); break;
      case 'SS': out.push(little ? buf.readInt16LE(p) : buf.readInt16BE(p)); break;
      case 'UL': out.push(little ? buf.readUInt32LE(p) : buf.readUInt32BE(p)); break;
      case 'SL': out.push(little ? buf.readInt32LE(p) : buf.readInt32BE(p)); break;
      case 'FL': out.push(finite(little ? buf.readFloatLE(p) : buf.readFloatBE(p))); break;
      case 'FD': out.push(finite(little ? buf.readDoubleLE(p) : buf.readDoubleBE(p))); break;
      case 'SV': out.push(big(little ? buf.readBigInt64LE(p) : buf.readBigInt64BE(p))); break;
      case 'UV': out.push(big(little ? buf.readBigUInt64LE(p) : buf.readBigUInt64BE(p))); break;
      case 'AT': {
        // PS3.5 §6.2: an ordered pair of 16-bit unsigned integers, group first.
        const g = little ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
        const e = little ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2);
        out.push(tagHex(((g << 16) | e) >>> 0));
        break;
      }
    }
  }
  return out;
}

/** JSON has no NaN or Infinity: such values become null. */
function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

function big(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}
