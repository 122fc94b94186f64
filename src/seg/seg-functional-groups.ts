/**
 * The frame-level structure of a SEG (PS3.3 A.51.5, Table A.51-2 Segmentation Functional Group Macros):
 * Shared Functional Groups (Pixel Measures C.7.6.16.2.1, Plane Orientation (Patient) C.7.6.16.2.4),
 * Per-frame Functional Groups (Frame Content C.7.6.16.2.2, Plane Position (Patient) C.7.6.16.2.3,
 * Derivation Image C.7.6.16.2.6, Segmentation C.8.20.3), the Multi-frame Dimension Module
 * (C.7.6.17) and the Referenced Series Sequence of the Common Instance Reference Module (C.12.2).
 *
 * Items that repeat (a slice's position and derivation, a segment's identification) are built once
 * and shared by reference between frames.
 */
import type { DataElement } from '../dicom/part10-writer.js';
import type { Vec3, VolumeGeometry } from '../dicom/volume.js';
import type { FramePlan } from './bitpack.js';
import { codeSequence } from './segment-sequence.js';
import { T } from './seg-tags.js';

/** PS3.16 CID 7202 / DCM 121322, and CID 7203 / DCM 113076 (PS3.3 C.7.6.16.2.6). */
const SOURCE_FOR_PROCESSING = { value: '121322', scheme: 'DCM', meaning: 'Source image for image processing operation' };
const DERIVATION_SEGMENTATION = { value: '113076', scheme: 'DCM', meaning: 'Segmentation' };

/** ImagePositionPatient of slice k: the source slice's own position when known, else the grid's. */
export function slicePosition(g: VolumeGeometry, k: number): Vec3 {
  const p = g.sources[k]?.position;
  if (p) return p;
  const d = k * g.spacing[2];
  return [g.origin[0] + d * g.normal[0], g.origin[1] + d * g.normal[1], g.origin[2] + d * g.normal[2]];
}

const hasSource = (g: VolumeGeometry, k: number): boolean => Boolean(g.sources[k]?.sopInstanceUid);

/** Shared: one orientation and one pixel spacing for all frames. */
export function sharedFunctionalGroups(g: VolumeGeometry, sliceThickness: number): DataElement {
  return {
    tag: T.SharedFunctionalGroupsSequence,
    vr: 'SQ',
    value: [[
      { tag: T.PlaneOrientationSequence, vr: 'SQ', value: [[{ tag: T.ImageOrientationPatient, vr: 'DS', value: [...g.rowDirection, ...g.columnDirection] }]] },
      {
        tag: T.PixelMeasuresSequence,
        vr: 'SQ',
        value: [[
          // PixelSpacing is row spacing \ column spacing (PS3.3 10.7.1.3); VolumeGeometry keeps [column, row].
          { tag: T.PixelSpacing, vr: 'DS', value: [g.spacing[1], g.spacing[0]] },
          { tag: T.SliceThickness, vr: 'DS', value: sliceThickness },
          { tag: T.SpacingBetweenSlices, vr: 'DS', value: g.spacing[2] },
        ]],
      },
    ]],
  };
}

/**
 * Two dimensions, segment then position (the first is the slowest varying, PS3.3 C.7.6.17): frames
 * are ordered that way, and both indices are ranks 1, 2, … over the values actually present
 * (C.7.6.17.1: ordinal numbers starting from 1, increasing by 1).
 */
export function dimensionModule(organizationUid: string): DataElement[] {
  const index = (pointer: number, group: number, label: string): DataElement[] => [
    { tag: T.DimensionOrganizationUID, vr: 'UI', value: organizationUid },
    { tag: T.DimensionIndexPointer, vr: 'AT', value: pointer },
    { tag: T.FunctionalGroupPointer, vr: 'AT', value: group },
    { tag: T.DimensionDescriptionLabel, vr: 'LO', value: label },
  ];
  return [
    { tag: T.DimensionOrganizationSequence, vr: 'SQ', value: [[{ tag: T.DimensionOrganizationUID, vr: 'UI', value: organizationUid }]] },
    {
      tag: T.DimensionIndexSequence,
      vr: 'SQ',
      value: [
        index(T.ReferencedSegmentNumber, T.SegmentIdentificationSequence, 'ReferencedSegmentNumber'),
        index(T.ImagePositionPatient, T.PlanePositionSequence, 'ImagePositionPatient'),
      ],
    },
  ];
}

function ranks(values: ArrayLike<number>, size: number): Int32Array {
  const present = new Uint8Array(size);
  for (let i = 0; i < values.length; i++) present[values[i]!] = 1;
  const rank = new Int32Array(size);
  for (let v = 0, r = 0; v < size; v++) if (present[v]) rank[v] = ++r;
  return rank;
}

function derivationImage(g: VolumeGeometry, k: number): DataElement {
  const src = g.sources[k]!;
  const ref: DataElement[] = [
    { tag: T.ReferencedSOPClassUID, vr: 'UI', value: src.sopClassUid },
    { tag: T.ReferencedSOPInstanceUID, vr: 'UI', value: src.sopInstanceUid },
    codeSequence(T.PurposeOfReferenceCodeSequence, SOURCE_FOR_PROCESSING),
    { tag: T.SpatialLocationsPreserved, vr: 'CS', value: 'YES' },
  ];
  // Referenced Frame Number: 1C, required if the referenced instance is multi-frame (PS3.3 Table 10-3).
  if (src.frameNumber !== undefined) ref.push({ tag: T.ReferencedFrameNumber, vr: 'IS', value: src.frameNumber });
  return {
    tag: T.DerivationImageSequence,
    vr: 'SQ',
    value: [[codeSequence(T.DerivationCodeSequence, DERIVATION_SEGMENTATION), { tag: T.SourceImageSequence, vr: 'SQ', value: [ref] }]],
  };
}

/** One Per-frame Functional Groups item per planned frame, in plan order. */
export function perFrameFunctionalGroups(g: VolumeGeometry, plan: FramePlan): DataElement {
  const segRank = ranks(plan.segment, 65536);
  const posRank = ranks(plan.slice, g.slices);
  const planePos = new Map<number, DataElement>();
  const derivation = new Map<number, DataElement | null>();
  const segmentId = new Map<number, DataElement>();
  const frames: DataElement[][] = new Array(plan.count);
  for (let f = 0; f < plan.count; f++) {
    const s = plan.segment[f]!, k = plan.slice[f]!;
    let pos = planePos.get(k);
    if (!pos) {
      pos = { tag: T.PlanePositionSequence, vr: 'SQ', value: [[{ tag: T.ImagePositionPatient, vr: 'DS', value: slicePosition(g, k) }]] };
      planePos.set(k, pos);
    }
    let der = derivation.get(k);
    if (der === undefined) {
      der = hasSource(g, k) ? derivationImage(g, k) : null;
      derivation.set(k, der);
    }
    let sid = segmentId.get(s);
    if (!sid) {
      sid = { tag: T.SegmentIdentificationSequence, vr: 'SQ', value: [[{ tag: T.ReferencedSegmentNumber, vr: 'US', value: s }]] };
      segmentId.set(s, sid);
    }
    const item: DataElement[] = [
      { tag: T.FrameContentSequence, vr: 'SQ', value: [[{ tag: T.DimensionIndexValues, vr: 'UL', value: [segRank[s]!, posRank[k]!] }]] },
      pos,
      sid,
    ];
    if (der) item.push(der);
    frames[f] = item;
  }
  return { tag: T.PerFrameFunctionalGroupsSequence, vr: 'SQ', value: frames };
}

/** The source series and each source instance once (multi-frame sources appear once). */
export function referencedSeries(g: VolumeGeometry): DataElement | undefined {
  const instances = new Map<string, string>();
  for (const s of g.sources) if (s.sopInstanceUid && !instances.has(s.sopInstanceUid)) instances.set(s.sopInstanceUid, s.sopClassUid);
  if (instances.size === 0 || !g.seriesInstanceUid) return undefined;
  const refs = [...instances].map(([uid, cls]): DataElement[] => [
    { tag: T.ReferencedSOPClassUID, vr: 'UI', value: cls },
    { tag: T.ReferencedSOPInstanceUID, vr: 'UI', value: uid },
  ]);
  return {
    tag: T.ReferencedSeriesSequence,
    vr: 'SQ',
    value: [[{ tag: T.SeriesInstanceUID, vr: 'UI', value: g.seriesInstanceUid }, { tag: T.ReferencedInstanceSequence, vr: 'SQ', value: refs }]],
  };
}
