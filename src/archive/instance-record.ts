import { DicomParseError, tagOf, type PixelDataLocation, type ScannedHeader } from '../dicom/header-scan.js';
import { FailureReason, type FailureReasonCode } from '../dicom/status.js';
import { isValidUid } from '../dicom/uids.js';

/** The index attributes of one instance, from its header (keywords per PS3.6). */
export interface InstanceRecord {
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
  patientId: string;
  issuer: string | null;
  patientName: string | null;
  birthDate: string | null;
  sex: string | null;
  studyDate: string | null;
  studyTime: string | null;
  accessionNumber: string | null;
  studyId: string | null;
  studyDescription: string | null;
  referringPhysicianName: string | null;
  modality: string | null;
  seriesNumber: number | null;
  seriesDescription: string | null;
  bodyPartExamined: string | null;
  protocolName: string | null;
  stationName: string | null;
  seriesDate: string | null;
  seriesTime: string | null;
  instanceNumber: number | null;
  rows: number | null;
  columns: number | null;
  numberOfFrames: number | null;
  pixelDataOffset: number | null;
  /** Where Pixel Data sits in the file (not stored; used to check the object is complete). */
  pixelData?: PixelDataLocation;
}

const T = {
  SOPClassUID: tagOf(0x0008, 0x0016),
  SOPInstanceUID: tagOf(0x0008, 0x0018),
  StudyDate: tagOf(0x0008, 0x0020),
  SeriesDate: tagOf(0x0008, 0x0021),
  StudyTime: tagOf(0x0008, 0x0030),
  SeriesTime: tagOf(0x0008, 0x0031),
  AccessionNumber: tagOf(0x0008, 0x0050),
  Modality: tagOf(0x0008, 0x0060),
  ReferringPhysicianName: tagOf(0x0008, 0x0090),
  StationName: tagOf(0x0008, 0x1010),
  StudyDescription: tagOf(0x0008, 0x1030),
  SeriesDescription: tagOf(0x0008, 0x103e),
  PatientName: tagOf(0x0010, 0x0010),
  PatientID: tagOf(0x0010, 0x0020),
  IssuerOfPatientID: tagOf(0x0010, 0x0021),
  PatientBirthDate: tagOf(0x0010, 0x0030),
  PatientSex: tagOf(0x0010, 0x0040),
  BodyPartExamined: tagOf(0x0018, 0x0015),
  ProtocolName: tagOf(0x0018, 0x1030),
  StudyInstanceUID: tagOf(0x0020, 0x000d),
  SeriesInstanceUID: tagOf(0x0020, 0x000e),
  StudyID: tagOf(0x0020, 0x0010),
  SeriesNumber: tagOf(0x0020, 0x0011),
  InstanceNumber: tagOf(0x0020, 0x0013),
  NumberOfFrames: tagOf(0x0028, 0x0008),
  Rows: tagOf(0x0028, 0x0010),
  Columns: tagOf(0x0028, 0x0011),
} as const;

/** The top-level tags the ingest scan keeps. */
export const INDEX_TAGS: ReadonlySet<number> = new Set([...Object.values(T), tagOf(0x0008, 0x0005)]);

/** Why an instance cannot be stored, with the STOW-RS FailureReason to report. */
export class InstanceRejected extends Error {
  constructor(message: string, readonly reason: FailureReasonCode, readonly sopClassUid?: string, readonly sopInstanceUid?: string) {
    super(message);
    this.name = 'InstanceRejected';
  }
}

function text(h: ScannedHeader, tag: number): string | null {
  const v = h.values.get(tag);
  return v === undefined || v === '' ? null : v;
}

function int(h: ScannedHeader, tag: number): number | null {
  const v = text(h, tag);
  if (v === null) return null;
  // IS may be multi-valued (first value counts) and padded (PS3.5 §6.2).
  const n = Number.parseInt(v.split('\\')[0]!.trim(), 10);
  return Number.isFinite(n) && Math.abs(n) < 2 ** 31 ? n : null;
}

/** Validates the identifying UIDs (PS3.5 §9.1) and builds the index record. */
export function toInstanceRecord(h: ScannedHeader): InstanceRecord {
  const sopClassUid = text(h, T.SOPClassUID) ?? h.mediaStorageSopClassUid ?? null;
  const sopInstanceUid = text(h, T.SOPInstanceUID);
  const keep = (u: string | null): string | undefined => (u !== null && isValidUid(u) ? u : undefined);
  const reject = (msg: string): never => {
    throw new InstanceRejected(msg, FailureReason.dataSetMismatch, keep(sopClassUid), keep(sopInstanceUid));
  };
  for (const [name, value] of [
    ['SOPInstanceUID (0008,0018)', sopInstanceUid],
    ['SOPClassUID (0008,0016)', sopClassUid],
    ['StudyInstanceUID (0020,000D)', text(h, T.StudyInstanceUID)],
    ['SeriesInstanceUID (0020,000E)', text(h, T.SeriesInstanceUID)],
  ] as const) {
    if (value === null) reject(`${name} is missing`);
    // JSON.stringify so that control characters in a hostile value are visible but harmless.
    if (!isValidUid(value)) reject(`${name} is not a valid UID (PS3.5 §9.1): ${JSON.stringify(String(value).slice(0, 80))}`);
  }
  // A File Meta Information that disagrees with the data set is rewritten before this (meta-repair.ts).
  return {
    sopInstanceUid: sopInstanceUid!,
    sopClassUid: sopClassUid!,
    studyInstanceUid: text(h, T.StudyInstanceUID)!,
    seriesInstanceUid: text(h, T.SeriesInstanceUID)!,
    transferSyntaxUid: h.transferSyntaxUid,
    // PatientID is type 2: an empty one is legal and groups the instance under the empty patient.
    patientId: text(h, T.PatientID) ?? '',
    issuer: text(h, T.IssuerOfPatientID),
    patientName: text(h, T.PatientName),
    birthDate: text(h, T.PatientBirthDate),
    sex: text(h, T.PatientSex),
    studyDate: text(h, T.StudyDate),
    studyTime: text(h, T.StudyTime),
    accessionNumber: text(h, T.AccessionNumber),
    studyId: text(h, T.StudyID),
    studyDescription: text(h, T.StudyDescription),
    referringPhysicianName: text(h, T.ReferringPhysicianName),
    modality: text(h, T.Modality),
    seriesNumber: int(h, T.SeriesNumber),
    seriesDescription: text(h, T.SeriesDescription),
    bodyPartExamined: text(h, T.BodyPartExamined),
    protocolName: text(h, T.ProtocolName),
    stationName: text(h, T.StationName),
    seriesDate: text(h, T.SeriesDate),
    seriesTime: text(h, T.SeriesTime),
    instanceNumber: int(h, T.InstanceNumber),
    rows: int(h, T.Rows),
    columns: int(h, T.Columns),
    numberOfFrames: int(h, T.NumberOfFrames),
    pixelDataOffset: h.pixelData ? h.pixelData.offset : null,
    pixelData: h.pixelData,
  };
}

/** Maps a parse error to the STOW-RS failure it causes. */
export function rejectionOf(err: unknown): InstanceRejected {
  if (err instanceof InstanceRejected) return err;
  if (err instanceof DicomParseError) return new InstanceRejected(err.message, FailureReason.cannotUnderstand);
  return new InstanceRejected('internal error while storing the instance', FailureReason.processingFailure);
}
