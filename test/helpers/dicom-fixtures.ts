import { writePart10, type DataElement } from '../../src/dicom/part10-writer.js';
import { MR_IMAGE_STORAGE, newUid } from '../../src/dicom/synthetic-mr.js';

export interface MinimalOptions {
  sopInstanceUid?: string | null;
  studyUid?: string | null;
  seriesUid?: string;
  patientId?: string;
  /** Pixel value; different values make different objects under the same UIDs. */
  fill?: number;
}

/**
 * A small but well-formed MR object (4×4, 16-bit) whose identifying attributes a test controls,
 * including writing them missing (null) or malformed.
 */
export function minimalInstance(o: MinimalOptions = {}): { bytes: Buffer; sopInstanceUid: string } {
  const sop = o.sopInstanceUid === undefined ? newUid() : o.sopInstanceUid;
  const study = o.studyUid === undefined ? newUid() : o.studyUid;
  const pixels = new Uint16Array(16).fill(o.fill ?? 100);
  const els: DataElement[] = [
    { tag: 0x00080016, vr: 'UI', value: MR_IMAGE_STORAGE },
    { tag: 0x00080060, vr: 'CS', value: 'MR' },
    { tag: 0x00100010, vr: 'PN', value: 'Fixture^Patient' },
    { tag: 0x00100020, vr: 'LO', value: o.patientId ?? 'FIXTURE1' },
    { tag: 0x0020000e, vr: 'UI', value: o.seriesUid ?? newUid() },
    { tag: 0x00200013, vr: 'IS', value: '1' },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: 4 },
    { tag: 0x00280011, vr: 'US', value: 4 },
    { tag: 0x00280100, vr: 'US', value: 16 },
    { tag: 0x00280101, vr: 'US', value: 12 },
    { tag: 0x00280102, vr: 'US', value: 11 },
    { tag: 0x00280103, vr: 'US', value: 0 },
    { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(pixels.buffer) },
  ];
  if (sop !== null) els.push({ tag: 0x00080018, vr: 'UI', value: sop });
  if (study !== null) els.push({ tag: 0x0020000d, vr: 'UI', value: study });
  // The File Meta must name some instance; for a missing/odd one use a fresh valid UID there.
  const metaSop = sop && /^[0-9.]+$/.test(sop) ? sop : newUid();
  return { bytes: writePart10(els, { sopClassUID: MR_IMAGE_STORAGE, sopInstanceUID: metaSop }), sopInstanceUid: sop ?? '' };
}
