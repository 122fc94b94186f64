/**
 * Encoding of the Part 10 File Meta Information (PS3.10 §7.1, Table 7.1-1): 128-byte preamble,
 * "DICM", then group 0002 in Explicit VR Little Endian with its group length (0002,0000). For data
 * sets that arrive without a file wrapper (DIMSE C-STORE) and for rewriting a wrapper. No I/O.
 */
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './part10-writer.js';

export interface FileMetaFields {
  /** (0002,0002) Media Storage SOP Class UID. */
  sopClassUid: string;
  /** (0002,0003) Media Storage SOP Instance UID. */
  sopInstanceUid: string;
  /** (0002,0010) the transfer syntax the data set that follows is encoded in. */
  transferSyntaxUid: string;
  /** (0002,0016) Source Application Entity Title: the AE that sent the data set (DIMSE calling AE). */
  sourceAeTitle?: string;
}

/** Preamble + "DICM" + group 0002 for a data set of `f.transferSyntaxUid` that follows it. */
export function encodeFileMeta(f: FileMetaFields): Buffer {
  const elements = [
    // (0002,0001) File Meta Information Version, OB 00 01 (PS3.10 Table 7.1-1).
    Buffer.from([0x02, 0x00, 0x01, 0x00, 0x4f, 0x42, 0, 0, 2, 0, 0, 0, 0x00, 0x01]),
    textElement(0x00020002, 'UI', f.sopClassUid),
    textElement(0x00020003, 'UI', f.sopInstanceUid),
    textElement(0x00020010, 'UI', f.transferSyntaxUid),
    textElement(0x00020012, 'UI', IMPLEMENTATION_CLASS_UID),
    textElement(0x00020013, 'SH', IMPLEMENTATION_VERSION_NAME),
  ];
  if (f.sourceAeTitle) elements.push(textElement(0x00020016, 'AE', f.sourceAeTitle));
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength(elements), ...elements]);
}

/** (0002,0000) UL: the byte count of the rest of the group. */
export function groupLength(elements: readonly Buffer[]): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt16LE(0x0002, 0);
  buf.writeUInt16LE(0x0000, 2);
  buf.write('UL', 4, 'latin1');
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(elements.reduce((n, e) => n + e.length, 0), 8);
  return buf;
}

/**
 * One short-form Explicit VR LE text element (PS3.5 §7.1.2). Padded to even length: UI with NUL,
 * other text VRs with a space (PS3.5 §6.2).
 */
export function textElement(tag: number, vr: 'UI' | 'SH' | 'AE', text: string): Buffer {
  const value = text.length % 2 === 0 ? text : `${text}${vr === 'UI' ? '\0' : ' '}`;
  const buf = Buffer.alloc(8 + value.length);
  buf.writeUInt16LE(tag >>> 16, 0);
  buf.writeUInt16LE(tag & 0xffff, 2);
  buf.write(vr, 4, 'latin1');
  buf.writeUInt16LE(value.length, 6);
  buf.write(value, 8, 'latin1');
  return buf;
}
