/**
 * Label volume → BINARY DICOM Segmentation (PS3.3 A.51 Segmentation IOD), Explicit VR Little Endian,
 * with a fresh File Meta Information for every instance (PS3.10 §7.1).
 *
 * Modules (PS3.3 Table A.51-1): Patient (C.7.1.1), Clinical Trial Subject (C.7.1.3, when given),
 * General Study (C.7.2.1), Clinical Trial Study (C.7.2.3, when given), General Series (C.7.3.1),
 * Segmentation Series (C.8.20.1), Frame of Reference (C.7.4.1), General Equipment (C.7.5.1),
 * Enhanced General Equipment (C.7.5.2), General Image (C.7.6.1), Image Pixel (C.7.6.3), Segmentation
 * Image (C.8.20.2), Multi-frame Functional Groups (C.7.6.16), Multi-frame Dimension (C.7.6.17),
 * Common Instance Reference (C.12.2), SOP Common (C.12.1).
 *
 * One frame per (segment, slice), ordered by segment then slice; with `omitEmptyFrames` (default)
 * only frames with at least one pixel. Every frame carries its own Plane Position, so readers never
 * depend on the order. A label volume has one label per voxel, so segments never overlap.
 */
import { writePart10, type DataElement } from '../dicom/part10-writer.js';
import { newUid } from '../dicom/synthetic-mr.js';
import type { LabelVolume } from '../dicom/volume.js';
import { labelPresence, packBinaryFrames, planFrames } from './bitpack.js';
import { SegWriteError } from './seg-errors.js';
import { dimensionModule, perFrameFunctionalGroups, referencedSeries, sharedFunctionalGroups } from './seg-functional-groups.js';
import { fit, segmentSequence } from './segment-sequence.js';
import type { SegAlgorithm, SegmentDefinition } from './segment.js';
import { SEGMENTATION_STORAGE, T } from './seg-tags.js';
import { derivedHeader, dicomDateTime } from './derived-header.js';

export { SegWriteError };

/** Patient / study attributes copied from the source series (DICOM keywords, values as encoded). */
export interface SegSourceAttributes {
  PatientName?: string;
  PatientID?: string;
  PatientBirthDate?: string;
  PatientSex?: string;
  /** Defaults to the label volume's studyInstanceUid; must agree with it when both are given. */
  StudyInstanceUID?: string;
  StudyDate?: string;
  StudyTime?: string;
  StudyID?: string;
  AccessionNumber?: string;
  ReferringPhysicianName?: string;
  /** Clinical Trial Subject / Study / Series (C.7.1.3, C.7.2.3, C.7.3.2) and de-identification (C.7.1.1). */
  ClinicalTrialSponsorName?: string;
  ClinicalTrialProtocolID?: string;
  ClinicalTrialProtocolName?: string;
  ClinicalTrialSiteID?: string;
  ClinicalTrialSiteName?: string;
  ClinicalTrialSubjectID?: string;
  ClinicalTrialSubjectReadingID?: string;
  ClinicalTrialTimePointID?: string;
  ClinicalTrialTimePointDescription?: string;
  ClinicalTrialCoordinatingCenterName?: string;
  PatientIdentityRemoved?: string;
  DeidentificationMethod?: string;
}

export interface SegSeriesInfo {
  seriesNumber: number;
  seriesDescription?: string;
  instanceNumber?: number;
  /** Content Label (CS: upper case, digits, space, underscore; ≤ 16); default SEGMENTATION. */
  contentLabel?: string;
  contentDescription?: string;
  contentCreatorName?: string;
}

/** General and Enhanced General Equipment (PS3.3 C.7.5.1, C.7.5.2): all but the institution are type 1. */
export interface SegEquipment {
  /** default 'Dafne Node' */
  manufacturer?: string;
  manufacturerModelName: string;
  softwareVersions: string | string[];
  deviceSerialNumber: string;
  institutionName?: string;
}

export interface WriteSegInput {
  labels: LabelVolume;
  segments: SegmentDefinition[];
  algorithm: SegAlgorithm;
  source: SegSourceAttributes;
  series: SegSeriesInfo;
  equipment: SegEquipment;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  /** default true: frames only for (segment, slice) pairs with at least one voxel */
  omitEmptyFrames?: boolean;
  /** Slice Thickness (0018,0050); default the slice spacing. */
  sliceThickness?: number;
  /** Content / series / instance creation time; default now. Written in UTC with offset +0000. */
  now?: Date;
}

type Copied = [keyof SegSourceAttributes, number, DataElement['vr'], 1 | 2 | 3];
// Optional modules copied from the source when present, as [keyword, tag, VR, type]: Clinical Trial
// Subject (C.7.1.3), Clinical Trial Study (C.7.2.3), Clinical Trial Series (C.7.3.2).
const TRIAL_SUBJECT: Copied[] = [
  ['ClinicalTrialSponsorName', 0x00120010, 'LO', 1],
  ['ClinicalTrialProtocolID', 0x00120020, 'LO', 1],
  ['ClinicalTrialProtocolName', 0x00120021, 'LO', 2],
  ['ClinicalTrialSiteID', 0x00120030, 'LO', 2],
  ['ClinicalTrialSiteName', 0x00120031, 'LO', 2],
  ['ClinicalTrialSubjectID', 0x00120040, 'LO', 3], // 1C: this or the Reading ID
  ['ClinicalTrialSubjectReadingID', 0x00120042, 'LO', 3],
];
const TRIAL_STUDY: Copied[] = [
  ['ClinicalTrialTimePointID', 0x00120050, 'LO', 2],
  ['ClinicalTrialTimePointDescription', 0x00120051, 'ST', 3],
];
const TRIAL_SERIES: Copied[] = [['ClinicalTrialCoordinatingCenterName', 0x00120060, 'LO', 2]];
// Patient Module (C.7.1.1), type 3.
const DEIDENTIFICATION: Copied[] = [
  ['PatientIdentityRemoved', 0x00120062, 'CS', 3],
  ['DeidentificationMethod', 0x00120063, 'LO', 3],
];

/**
 * A module is written when the source has any of its attributes: then with all its type 2
 * attributes (empty when unknown). The Clinical Trial Subject module needs its type 1 attributes
 * (sponsor, protocol ID) and is left out without them.
 */
function copiedModules(src: SegSourceAttributes): DataElement[] {
  const out: DataElement[] = [];
  const has = (kw: keyof SegSourceAttributes): boolean => src[kw] !== undefined && src[kw] !== '';
  for (const module of [TRIAL_SUBJECT, TRIAL_STUDY, TRIAL_SERIES, DEIDENTIFICATION]) {
    if (!module.some(([kw]) => has(kw))) continue;
    if (module.some(([kw, , , type]) => type === 1 && !has(kw))) continue;
    for (const [kw, tag, vr, type] of module) if (has(kw) || type === 2) out.push({ tag, vr, value: src[kw] ?? '' });
  }
  return out;
}

function contentLabel(s: string | undefined): string {
  const v = (s ?? 'SEGMENTATION').toUpperCase().replace(/[^A-Z0-9 _]/g, '_').slice(0, 16).trim();
  return v === '' ? 'SEGMENTATION' : v;
}

function hasNonAscii(elements: readonly DataElement[]): boolean {
  for (const e of elements) {
    const v = e.value;
    if (typeof v === 'string' && /[^\x00-\x7f]/.test(v)) return true;
    if (Array.isArray(v) && v.length > 0 && Array.isArray(v[0]) && (v as DataElement[][]).some(hasNonAscii)) return true;
    if (Array.isArray(v) && v.some((x) => typeof x === 'string' && /[^\x00-\x7f]/.test(x))) return true;
  }
  return false;
}

function checkInput(input: WriteSegInput): void {
  const g = input.labels;
  const pixels = g.rows * g.columns;
  if (!(g.rows > 0 && g.columns > 0 && g.slices > 0) || g.rows > 0xffff || g.columns > 0xffff) {
    throw new SegWriteError(`bad volume size ${g.columns}×${g.rows}×${g.slices}`);
  }
  if (g.data.length !== pixels * g.slices) throw new SegWriteError(`label data has ${g.data.length} voxels, expected ${pixels * g.slices}`);
  if (!g.frameOfReferenceUid) throw new SegWriteError('the label volume has no Frame of Reference UID');
  if (!(g.spacing[0] > 0 && g.spacing[1] > 0 && g.spacing[2] > 0)) throw new SegWriteError(`bad spacing ${g.spacing.join('\\')}`);
  const study = input.source.StudyInstanceUID;
  if (study && g.studyInstanceUid && study !== g.studyInstanceUid) {
    throw new SegWriteError(`source StudyInstanceUID ${study} differs from the label volume's ${g.studyInstanceUid}`);
  }
}

/** Encodes the SEG; throws SegWriteError for input that cannot become a conformant instance. */
export function writeSeg(input: WriteSegInput): Buffer {
  checkInput(input);
  const g = input.labels;
  const pixels = g.rows * g.columns;
  const segNumbers = input.segments.map((s) => s.labelValue).sort((a, b) => a - b);
  const segmentSeq = segmentSequence(input.segments, input.algorithm); // validates 1..n

  const presence = labelPresence(g.data, pixels, g.slices);
  const defined = new Uint8Array(256);
  for (const n of segNumbers) defined[n] = 1;
  for (let v = 1; v < 256; v++) {
    if (defined[v]) continue;
    if (presence.subarray(v * g.slices, (v + 1) * g.slices).some((x) => x !== 0)) {
      throw new SegWriteError(`label value ${v} occurs in the volume but has no segment definition`);
    }
  }
  const plan = planFrames(presence, g.slices, segNumbers, input.omitEmptyFrames ?? true);
  const pixelData = packBinaryFrames(g.data, pixels, g.slices, plan);

  const { date, time } = dicomDateTime(input.now ?? new Date());
  const src = input.source;
  const eq = input.equipment;
  const sopInstanceUid = input.sopInstanceUid ?? newUid();
  const s = input.series;

  const elements: DataElement[] = [
    // SOP Common (C.12.1), Patient (C.7.1.1), General Study (C.7.2.1)
    ...derivedHeader({ sopClassUid: SEGMENTATION_STORAGE, sopInstanceUid: sopInstanceUid, date, time, source: src, studyInstanceUid: src.StudyInstanceUID ?? g.studyInstanceUid }),
    // General Series (C.7.3.1) + Segmentation Series (C.8.20.1)
    { tag: T.Modality, vr: 'CS', value: 'SEG' },
    { tag: T.SeriesInstanceUID, vr: 'UI', value: input.seriesInstanceUid ?? newUid() },
    { tag: T.SeriesNumber, vr: 'IS', value: s.seriesNumber },
    { tag: T.SeriesDate, vr: 'DA', value: date },
    { tag: T.SeriesTime, vr: 'TM', value: time },
    // Frame of Reference (C.7.4.1)
    { tag: T.FrameOfReferenceUID, vr: 'UI', value: g.frameOfReferenceUid },
    { tag: T.PositionReferenceIndicator, vr: 'LO', value: '' },
    // General Equipment (C.7.5.1) + Enhanced General Equipment (C.7.5.2)
    { tag: T.Manufacturer, vr: 'LO', value: fit(eq.manufacturer ?? 'Dafne Node', 64) },
    { tag: T.ManufacturerModelName, vr: 'LO', value: fit(eq.manufacturerModelName, 64) },
    { tag: T.DeviceSerialNumber, vr: 'LO', value: fit(eq.deviceSerialNumber, 64) },
    { tag: T.SoftwareVersions, vr: 'LO', value: (Array.isArray(eq.softwareVersions) ? eq.softwareVersions : [eq.softwareVersions]).map((v) => fit(v, 64)) },
    // General Image (C.7.6.1), Segmentation Image (C.8.20.2) incl. Content Identification (Table 10-12)
    { tag: T.ImageType, vr: 'CS', value: ['DERIVED', 'PRIMARY'] },
    { tag: T.InstanceNumber, vr: 'IS', value: s.instanceNumber ?? 1 },
    { tag: T.ContentDate, vr: 'DA', value: date },
    { tag: T.ContentTime, vr: 'TM', value: time },
    { tag: T.ContentLabel, vr: 'CS', value: contentLabel(s.contentLabel) },
    { tag: T.ContentDescription, vr: 'LO', value: fit(s.contentDescription ?? '', 64) },
    { tag: T.ContentCreatorName, vr: 'PN', value: s.contentCreatorName ?? '' },
    { tag: T.LossyImageCompression, vr: 'CS', value: '00' }, // C.8.20.2.2: segmenting is not lossy compression
    { tag: T.SegmentationType, vr: 'CS', value: 'BINARY' },
    { tag: T.SegmentsOverlap, vr: 'CS', value: 'NO' },
    segmentSeq,
    // Image Pixel (C.7.6.3) as constrained by C.8.20.2: 1-bit MONOCHROME2, bit-packed
    { tag: T.SamplesPerPixel, vr: 'US', value: 1 },
    { tag: T.PhotometricInterpretation, vr: 'CS', value: 'MONOCHROME2' },
    { tag: T.Rows, vr: 'US', value: g.rows },
    { tag: T.Columns, vr: 'US', value: g.columns },
    { tag: T.BitsAllocated, vr: 'US', value: 1 },
    { tag: T.BitsStored, vr: 'US', value: 1 },
    { tag: T.HighBit, vr: 'US', value: 0 },
    { tag: T.PixelRepresentation, vr: 'US', value: 0 },
    // Multi-frame Dimension (C.7.6.17)
    ...dimensionModule(newUid()),
  ];
  if (s.seriesDescription !== undefined) elements.push({ tag: T.SeriesDescription, vr: 'LO', value: fit(s.seriesDescription, 64) });
  if (eq.institutionName !== undefined) elements.push({ tag: T.InstitutionName, vr: 'LO', value: fit(eq.institutionName, 64) });
  elements.push(...copiedModules(src));
  // PS3.5 §6.1.2.3 / PS3.3 C.12.1.1.2: our encoder writes UTF-8, so declare it when text is not ASCII.
  if (hasNonAscii(elements)) elements.push({ tag: T.SpecificCharacterSet, vr: 'CS', value: 'ISO_IR 192' });
  // Common Instance Reference (C.12.2): 1C, required when instances of the same study are referenced.
  const refSeries = referencedSeries(g);
  if (refSeries) elements.push(refSeries);
  // Multi-frame Functional Groups (C.7.6.16) + Image Pixel's Pixel Data (OB: Bits Allocated ≤ 8, PS3.5 §8.2)
  elements.push(
    { tag: T.NumberOfFrames, vr: 'IS', value: plan.count },
    sharedFunctionalGroups(g, input.sliceThickness ?? g.spacing[2]),
    perFrameFunctionalGroups(g, plan),
    { tag: T.PixelData, vr: 'OB', value: pixelData },
  );
  return writePart10(elements, { sopClassUID: SEGMENTATION_STORAGE, sopInstanceUID: sopInstanceUid, transferSyntax: 'explicit-le' });
}
