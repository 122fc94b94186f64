/**
 * Rewrites a Part 10 file's File Meta Information (PS3.10 §7.1, Table 7.1-1) so that Media Storage
 * SOP Class / Instance UID (0002,0002) / (0002,0003) agree with the data set's SOPClassUID /
 * SOPInstanceUID (0008,0016) / (0008,0018).
 *
 * Group 0002 is the file's wrapper, not part of the data set (PS3.10 §7.1): when they disagree the
 * data set is authoritative, as it is what a C-STORE would have carried. Every other meta element is
 * copied byte for byte; the group length (0002,0000) is recomputed. No I/O.
 */
import { EXPLICIT_LE, readElementHeader } from './element-reader.js';
import { groupLength, textElement } from './file-meta.js';
import { DicomParseError } from './parse-error.js';

export interface MetaRewrite {
  /** Preamble, "DICM" and the new meta group: what replaces bytes [0, datasetOffset) of the file. */
  prefix: Buffer;
  /** Where the data set starts in the original file (the end of its meta group). */
  datasetOffset: number;
}

const GROUP_LENGTH = 0x00020000;
const MEDIA_CLASS = 0x00020002;
const MEDIA_INSTANCE = 0x00020003;

/**
 * Builds the replacement prefix for `head` (the start of the file, at least its whole meta group).
 * `sopClassUid` / `sopInstanceUid` are the data set's values, already validated (PS3.5 §9.1).
 */
export function rewriteMeta(head: Buffer, sopClassUid: string, sopInstanceUid: string): MetaRewrite {
  if (head.length < 132 || head.toString('latin1', 128, 132) !== 'DICM') {
    throw new DicomParseError('not a DICOM Part 10 file: no "DICM" prefix at byte 128 (PS3.10 §7.1)', 'not-dicom');
  }
  const kept: Buffer[] = [];
  let pos = 132;
  let wroteClass = false;
  let wroteInstance = false;
  // The meta group is Explicit VR Little Endian and sorted by tag (PS3.10 §7.1, PS3.5 §7.1).
  while (pos + 8 <= head.length && head.readUInt16LE(pos) === 0x0002) {
    const el = readElementHeader(head, pos, head.length, EXPLICIT_LE);
    if (el === null || el.length < 0 || el.valueOffset + el.length > head.length) {
      throw new DicomParseError('file ends inside the File Meta Information', 'truncated');
    }
    const end = el.valueOffset + el.length;
    if (el.tag > MEDIA_CLASS && !wroteClass) {
      kept.push(uiElement(MEDIA_CLASS, sopClassUid));
      wroteClass = true;
    }
    if (el.tag > MEDIA_INSTANCE && !wroteInstance) {
      kept.push(uiElement(MEDIA_INSTANCE, sopInstanceUid));
      wroteInstance = true;
    }
    if (el.tag === MEDIA_CLASS) {
      kept.push(uiElement(MEDIA_CLASS, sopClassUid));
      wroteClass = true;
    } else if (el.tag === MEDIA_INSTANCE) {
      kept.push(uiElement(MEDIA_INSTANCE, sopInstanceUid));
      wroteInstance = true;
    } else if (el.tag !== GROUP_LENGTH) kept.push(head.subarray(pos, end));
    pos = end;
  }
  if (pos + 8 > head.length) throw new DicomParseError('file ends inside the File Meta Information', 'truncated');
  if (!wroteClass) kept.push(uiElement(MEDIA_CLASS, sopClassUid));
  if (!wroteInstance) kept.push(uiElement(MEDIA_INSTANCE, sopInstanceUid));
  return { prefix: Buffer.concat([head.subarray(0, 132), groupLength(kept), ...kept]), datasetOffset: pos };
}

const uiElement = (tag: number, uid: string): Buffer => textElement(tag, 'UI', uid);
