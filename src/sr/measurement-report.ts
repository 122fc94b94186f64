/**
 * Quantitative results as a DICOM SR: PS3.16 TID 1500 "Measurement Report" with one TID 1411
 * "Volumetric ROI Measurements" group per segment, in an Enhanced SR instance
 * (1.2.840.10008.5.1.4.1.1.88.22, PS3.3 A.35.2). Enhanced SR rather than Comprehensive 3D SR:
 * nothing here needs spatial coordinates (the region is the SEG segment, referenced by IMAGE with
 * Referenced Segment Number), and Enhanced SR is the class more PACS store and render.
 *
 * Modules (PS3.3 Table A.35.2-1): Patient (C.7.1.1), General Study (C.7.2.1), SR Document Series
 * (C.17.1), General Equipment (C.7.5.1), SR Document General (C.17.2), SR Document Content (C.17.3),
 * SOP Common (C.12.1). Content tree (PS3.16):
 *
 *   CONTAINER Imaging Measurement Report (126000, DCM)                       TID 1500
 *     HAS CONCEPT MOD  Language of Content Item and Descendants = en-US      TID 1204
 *     HAS OBS CONTEXT  Observer Type = Device, Device Observer UID / Name …  TID 1001/1002/1004
 *     HAS CONCEPT MOD  Procedure reported = MRI (or Imaging)                 TID 1500 row 3
 *     CONTAINS CONTAINER Imaging Measurements (126010, DCM)                  TID 1500 row 6
 *       CONTAINS CONTAINER Measurement Group (125007, DCM)   one per segment TID 1411
 *         HAS OBS CONTEXT  Tracking Identifier (TEXT), Tracking Unique Identifier (UIDREF)  TID 4108
 *         CONTAINS CODE    Finding = the segment's property type (e.g. SCT Muscle)
 *         CONTAINS IMAGE   Referenced Segment: SEG SOP Instance + Referenced Segment Number
 *         CONTAINS UIDREF  Source series for segmentation
 *         CONTAINS NUM     Volume, mL                                         TID 1419
 *         CONTAINS NUM     MR signal intensity, Derivation = Mean / Standard Deviation
 *         CONTAINS NUM     Signal fat fraction, %, Derivation = Mean (Dixon studies only)
 */
import { writePart10, type DataElement } from '../dicom/part10-writer.js';
import { newUid } from '../dicom/synthetic-mr.js';
import { fit } from '../seg/segment-sequence.js';
import type { SegEquipment, SegSourceAttributes } from '../seg/seg-writer.js';
import { T } from '../seg/seg-tags.js';
import { derivedHeader, dicomDateTime } from '../seg/derived-header.js';
import { code, container, num, rootElements, segmentReference, textItem, uidref, type Item } from './content-items.js';
import type { SegmentMeasurement } from './measurements.js';
import { CODES, PRIVATE_SCHEME, UNITS } from './sr-codes.js';

export const ENHANCED_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.22';

export interface InstanceRef {
  sopClassUid: string;
  sopInstanceUid: string;
}

export interface MeasurementReportInput {
  source: SegSourceAttributes;
  studyInstanceUid: string;
  sourceSeriesInstanceUid: string;
  /** Modality of the source series: picks the Procedure reported code. */
  sourceModality?: string;
  /** The source series' instances (evidence of the signal statistics). */
  sourceInstances: InstanceRef[];
  seg: InstanceRef & { seriesInstanceUid: string };
  /** Fat and water series of a Dixon study, when the fat fraction was measured from them. */
  dixon?: { fat: { seriesInstanceUid: string; instances: InstanceRef[] }; water: { seriesInstanceUid: string; instances: InstanceRef[] } };
  measurements: SegmentMeasurement[];
  series: { seriesNumber: number; seriesDescription: string };
  equipment: SegEquipment;
  /** Device Observer UID (TID 1004): identifies this node as the observer. */
  deviceObserverUid: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  now?: Date;
}

function measurementGroup(m: SegmentMeasurement, input: MeasurementReportInput): Item {
  const children: Item[] = [
    textItem('HAS OBS CONTEXT', CODES.trackingIdentifier, m.trackingId),
    uidref('HAS OBS CONTEXT', CODES.trackingUniqueIdentifier, m.trackingUid),
    code('CONTAINS', CODES.finding, m.type),
    segmentReference('CONTAINS', CODES.referencedSegment, input.seg.sopClassUid, input.seg.sopInstanceUid, m.segmentNumber),
    uidref('CONTAINS', CODES.sourceSeriesForSegmentation, input.sourceSeriesInstanceUid),
    num('CONTAINS', CODES.volume, m.volumeMl, UNITS.milliliter),
  ];
  const signalUnits = UNITS.arbitrary;
  if (m.mean !== null) children.push(num('CONTAINS', CODES.mrSignalIntensity, m.mean, signalUnits, [code('HAS CONCEPT MOD', CODES.derivation, CODES.mean)]));
  if (m.sd !== null) children.push(num('CONTAINS', CODES.mrSignalIntensity, m.sd, signalUnits, [code('HAS CONCEPT MOD', CODES.derivation, CODES.standardDeviation)]));
  if (m.fatFractionPercent !== undefined && m.fatFractionPercent !== null) {
    children.push(num('CONTAINS', CODES.fatFraction, m.fatFractionPercent, UNITS.percent, [code('HAS CONCEPT MOD', CODES.derivation, CODES.mean)]));
  }
  return container('CONTAINS', CODES.measurementGroup, children, '1411');
}

/** Hierarchical SOP Instance Reference Macro (PS3.3 Table C.17-3) items of one study, by series. */
function evidence(studyInstanceUid: string, series: { seriesInstanceUid: string; instances: InstanceRef[] }[]): DataElement {
  const seriesItems = series
    .filter((s) => s.instances.length > 0)
    .map((s): DataElement[] => [
      { tag: T.SeriesInstanceUID, vr: 'UI', value: s.seriesInstanceUid },
      {
        tag: 0x00081199,
        vr: 'SQ',
        value: s.instances.map((i): DataElement[] => [
          { tag: 0x00081150, vr: 'UI', value: i.sopClassUid },
          { tag: 0x00081155, vr: 'UI', value: i.sopInstanceUid },
        ]),
      },
    ]);
  return { tag: 0x0040a375, vr: 'SQ', value: [[{ tag: T.StudyInstanceUID, vr: 'UI', value: studyInstanceUid }, { tag: T.ReferencedSeriesSequence, vr: 'SQ', value: seriesItems }]] };
}

export function writeMeasurementReport(input: MeasurementReportInput): { bytes: Buffer; sopInstanceUid: string; seriesInstanceUid: string } {
  if (input.measurements.length === 0) throw new Error('a measurement report needs at least one measured segment');
  const { date, time } = dicomDateTime(input.now ?? new Date());
  const src = input.source;
  const eq = input.equipment;
  const sopInstanceUid = input.sopInstanceUid ?? newUid();
  const seriesInstanceUid = input.seriesInstanceUid ?? newUid();
  const usesPrivateCode = input.measurements.some((m) => m.fatFractionPercent !== undefined && m.fatFractionPercent !== null);

  const tree: Item[] = [
    code('HAS CONCEPT MOD', CODES.language, CODES.englishUS),
    code('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    uidref('HAS OBS CONTEXT', CODES.deviceObserverUid, input.deviceObserverUid),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverName, fit(eq.manufacturerModelName, 64)),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, fit(eq.manufacturer ?? 'Dafne Node', 64)),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverModelName, fit(eq.manufacturerModelName, 64)),
    code('HAS CONCEPT MOD', CODES.procedureReported, input.sourceModality === 'MR' ? CODES.mri : CODES.imaging),
    container('CONTAINS', CODES.imagingMeasurements, input.measurements.map((m) => measurementGroup(m, input))),
  ];
  const evidenceSeries = [
    { seriesInstanceUid: input.seg.seriesInstanceUid, instances: [input.seg] },
    { seriesInstanceUid: input.sourceSeriesInstanceUid, instances: input.sourceInstances },
    ...(input.dixon ? [input.dixon.fat, input.dixon.water] : []),
  ];

  const elements: DataElement[] = [
    // SOP Common (C.12.1), Patient (C.7.1.1), General Study (C.7.2.1)
    ...derivedHeader({ sopClassUid: ENHANCED_SR_STORAGE, sopInstanceUid: sopInstanceUid, date, time, source: src, studyInstanceUid: input.studyInstanceUid }),
    // SR Document Series (C.17.1): Modality SR; Referenced Performed Procedure Step Sequence type 2
    { tag: T.Modality, vr: 'CS', value: 'SR' },
    { tag: T.SeriesInstanceUID, vr: 'UI', value: seriesInstanceUid },
    { tag: T.SeriesNumber, vr: 'IS', value: input.series.seriesNumber },
    { tag: T.SeriesDate, vr: 'DA', value: date },
    { tag: T.SeriesTime, vr: 'TM', value: time },
    { tag: T.SeriesDescription, vr: 'LO', value: fit(input.series.seriesDescription, 64) },
    { tag: 0x00081111, vr: 'SQ', value: [] },
    // General Equipment (C.7.5.1): Manufacturer Model Name 'Dafne Node' marks the node's own results (routing)
    { tag: T.Manufacturer, vr: 'LO', value: fit(eq.manufacturer ?? 'Dafne Node', 64) },
    { tag: T.ManufacturerModelName, vr: 'LO', value: fit(eq.manufacturerModelName, 64) },
    { tag: T.DeviceSerialNumber, vr: 'LO', value: fit(eq.deviceSerialNumber, 64) },
    { tag: T.SoftwareVersions, vr: 'LO', value: (Array.isArray(eq.softwareVersions) ? eq.softwareVersions : [eq.softwareVersions]).map((v) => fit(v, 64)) },
    // SR Document General (C.17.2): machine-made, so never VERIFIED (C.17.2.1)
    { tag: T.InstanceNumber, vr: 'IS', value: 1 },
    { tag: 0x0040a491, vr: 'CS', value: 'COMPLETE' },
    { tag: 0x0040a493, vr: 'CS', value: 'UNVERIFIED' },
    { tag: T.ContentDate, vr: 'DA', value: date },
    { tag: T.ContentTime, vr: 'TM', value: time },
    { tag: 0x0040a372, vr: 'SQ', value: [] },
    evidence(input.studyInstanceUid, evidenceSeries),
    // SR Document Content (C.17.3): the root CONTAINER
    ...rootElements(CODES.imagingMeasurementReport, tree, '1500'),
  ];
  if (usesPrivateCode) {
    elements.push({
      tag: 0x00080110,
      vr: 'SQ',
      value: [[
        { tag: 0x00080102, vr: 'SH', value: PRIVATE_SCHEME.designator },
        { tag: 0x00080115, vr: 'ST', value: PRIVATE_SCHEME.name },
        { tag: 0x00080116, vr: 'ST', value: PRIVATE_SCHEME.responsible },
      ]],
    });
  }
  if (elements.some((e) => typeof e.value === 'string' && /[^\x00-\x7f]/.test(e.value))) elements.push({ tag: T.SpecificCharacterSet, vr: 'CS', value: 'ISO_IR 192' });
  const bytes = writePart10(elements, { sopClassUID: ENHANCED_SR_STORAGE, sopInstanceUID: sopInstanceUid, transferSyntax: 'explicit-le' });
  return { bytes, sopInstanceUid, seriesInstanceUid };
}
