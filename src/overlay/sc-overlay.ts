/**
 * AI overlay as Secondary Capture (issue 18 item 2): one Secondary Capture Image Storage instance
 * (1.2.840.10008.5.1.4.1.1.7, PS3.3 A.8.1) per source slice, the slice in grey with the segments'
 * outlines burned in. Chosen over an RT Structure Set because every PACS viewer shows an SC image,
 * while RTSTRUCT is rendered by few outside radiotherapy.
 *
 * Modules (PS3.3 Table A.8-1): Patient (C.7.1.1), General Study (C.7.2.1), General Series (C.7.3.1),
 * General Equipment (C.7.5.1), SC Equipment (C.8.6.1), General Image (C.7.6.1), Image Pixel
 * (C.7.6.3), SC Image (C.8.6.2), SOP Common (C.12.1).
 *
 * Labelled as derived and not for diagnosis, where a reader and a PACS look: Image Type
 * DERIVED\SECONDARY (C.7.6.1.1.2), Burned In Annotation YES (the outlines are in the pixels),
 * Series Description and Image Comments "AI overlay … not for diagnosis", Derivation Description,
 * and a Source Image Sequence item naming the slice it was drawn on. Modality OT: the overlay is
 * no MR image, and a PACS routing MR series onward must not send it to a model again (it also
 * carries Manufacturer Model Name "Dafne Node", the node's own-result mark, docs/routing.md).
 */
import { formatDS, writePart10, type DataElement } from '../dicom/part10-writer.js';
import { newUid } from '../dicom/synthetic-mr.js';
import type { LabelVolume, Vec3, Volume } from '../dicom/volume.js';
import { fit } from '../seg/segment-sequence.js';
import type { SegEquipment, SegSourceAttributes } from '../seg/seg-writer.js';
import { T } from '../seg/seg-tags.js';
import { derivedHeader, dicomDateTime } from '../seg/derived-header.js';
import { percentileWindow, renderSlice } from './contour-render.js';

export const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';

export interface OverlayInput {
  volume: Volume;
  labels: LabelVolume;
  /** Segment display colours by label value (sRGB). */
  colors: ReadonlyMap<number, readonly [number, number, number]>;
  source: SegSourceAttributes;
  /** e.g. "Dafne leg-demo gen 3"; the series description adds "AI overlay" and "not for diagnosis". */
  producer: string;
  seriesNumber: number;
  /** Laterality (0020,0060) of the source series (General Series, type 2C: paired body parts). */
  laterality?: string;
  equipment: SegEquipment;
  seriesInstanceUid?: string;
  now?: Date;
}

/** Patient Orientation (PS3.3 C.7.6.1.1.1) of a direction: its letters by decreasing weight. */
export function orientationLetters(d: Vec3): string {
  const letters: [number, string][] = [
    [d[0], d[0] > 0 ? 'L' : 'R'],
    [d[1], d[1] > 0 ? 'P' : 'A'],
    [d[2], d[2] > 0 ? 'H' : 'F'],
  ];
  return letters
    .filter(([v]) => Math.abs(v) > 0.25)
    .sort((a, b) => Math.abs(b[0]) - Math.abs(a[0]))
    .map(([, s]) => s)
    .join('');
}

export interface OverlayInstance {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  sourceSopInstanceUid: string;
}

export function writeOverlaySeries(input: OverlayInput): OverlayInstance[] {
  const { volume: v, labels } = input;
  if (labels.data.length !== v.data.length || labels.rows !== v.rows || labels.columns !== v.columns) throw new Error('labels and source volume differ in size');
  const { date, time } = dicomDateTime(input.now ?? new Date());
  const src = input.source;
  const eq = input.equipment;
  const seriesInstanceUid = input.seriesInstanceUid ?? newUid();
  const window = percentileWindow(v.data);
  const orientation = [orientationLetters(v.rowDirection), orientationLetters(v.columnDirection)];
  const notForDiagnosis = 'AI overlay, not for diagnosis';
  const description = `AI overlay ${input.producer}`.slice(0, 64 - ' - not for diagnosis'.length) + ' - not for diagnosis';
  const nonAscii = [src.PatientName, src.ReferringPhysicianName].some((s) => s !== undefined && /[^\x00-\x7f]/.test(s));
  return v.sources.map((slice, k): OverlayInstance => {
    const sopInstanceUid = newUid();
    const sourceRef: DataElement[] = [
      { tag: T.ReferencedSOPClassUID, vr: 'UI', value: slice.sopClassUid },
      { tag: T.ReferencedSOPInstanceUID, vr: 'UI', value: slice.sopInstanceUid },
    ];
    if (slice.frameNumber !== undefined) sourceRef.push({ tag: T.ReferencedFrameNumber, vr: 'IS', value: slice.frameNumber });
    const elements: DataElement[] = [
      // SOP Common (C.12.1), Patient (C.7.1.1), General Study (C.7.2.1)
      ...derivedHeader({ sopClassUid: SECONDARY_CAPTURE_STORAGE, sopInstanceUid: sopInstanceUid, date, time, source: src, studyInstanceUid: src.StudyInstanceUID ?? v.studyInstanceUid }),
      // General Series (C.7.3.1)
      { tag: T.Modality, vr: 'CS', value: 'OT' },
      { tag: T.SeriesInstanceUID, vr: 'UI', value: seriesInstanceUid },
      { tag: T.SeriesNumber, vr: 'IS', value: input.seriesNumber },
      { tag: T.SeriesDate, vr: 'DA', value: date },
      { tag: T.SeriesTime, vr: 'TM', value: time },
      { tag: T.SeriesDescription, vr: 'LO', value: description },
      { tag: 0x00200060, vr: 'CS', value: input.laterality ?? '' },
      // General Equipment (C.7.5.1), SC Equipment (C.8.6.1): WSD = workstation
      { tag: T.Manufacturer, vr: 'LO', value: fit(eq.manufacturer ?? 'Dafne Node', 64) },
      { tag: T.ManufacturerModelName, vr: 'LO', value: fit(eq.manufacturerModelName, 64) },
      { tag: T.DeviceSerialNumber, vr: 'LO', value: fit(eq.deviceSerialNumber, 64) },
      { tag: T.SoftwareVersions, vr: 'LO', value: (Array.isArray(eq.softwareVersions) ? eq.softwareVersions : [eq.softwareVersions]).map((s) => fit(s, 64)) },
      { tag: 0x00080064, vr: 'CS', value: 'WSD' },
      // General Image (C.7.6.1)
      { tag: T.ImageType, vr: 'CS', value: ['DERIVED', 'SECONDARY'] },
      { tag: T.InstanceNumber, vr: 'IS', value: k + 1 },
      { tag: 0x00200020, vr: 'CS', value: orientation },
      { tag: T.ContentDate, vr: 'DA', value: date },
      { tag: T.ContentTime, vr: 'TM', value: time },
      { tag: 0x00082111, vr: 'ST', value: `Segment outlines of ${input.producer} drawn over the source slice (${notForDiagnosis})`.slice(0, 1024) },
      { tag: T.SourceImageSequence, vr: 'SQ', value: [sourceRef] },
      { tag: 0x00204000, vr: 'LT', value: notForDiagnosis },
      { tag: 0x00280301, vr: 'CS', value: 'YES' },
      { tag: 0x00282110, vr: 'CS', value: '00' },
      // SC Image (C.8.6.2)
      { tag: 0x00181012, vr: 'DA', value: date },
      { tag: 0x00181014, vr: 'TM', value: time },
      { tag: 0x00280030, vr: 'DS', value: [formatDS(v.spacing[1]), formatDS(v.spacing[0])] },
      // Image Pixel (C.7.6.3): 8-bit RGB, colour-by-pixel
      { tag: 0x00280002, vr: 'US', value: 3 },
      { tag: 0x00280004, vr: 'CS', value: 'RGB' },
      { tag: 0x00280006, vr: 'US', value: 0 },
      { tag: 0x00280010, vr: 'US', value: v.rows },
      { tag: 0x00280011, vr: 'US', value: v.columns },
      { tag: 0x00280100, vr: 'US', value: 8 },
      { tag: 0x00280101, vr: 'US', value: 8 },
      { tag: 0x00280102, vr: 'US', value: 7 },
      { tag: 0x00280103, vr: 'US', value: 0 },
      { tag: 0x7fe00010, vr: 'OB', value: renderSlice(v, labels, k, input.colors, window) },
    ];
    if (nonAscii) elements.push({ tag: T.SpecificCharacterSet, vr: 'CS', value: 'ISO_IR 192' });
    const bytes = writePart10(elements, { sopClassUID: SECONDARY_CAPTURE_STORAGE, sopInstanceUID: sopInstanceUid, transferSyntax: 'explicit-le' });
    return { bytes, sopInstanceUid, seriesInstanceUid, sourceSopInstanceUid: slice.sopInstanceUid };
  });
}
