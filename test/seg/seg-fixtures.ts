/**
 * Test fixtures for the SEG writer and reader: volume geometries (axial, coronal, sagittal, oblique,
 * reversed, multi-frame sources), deterministic label volumes, segment definitions, and a small
 * hand-built SEG encoder (FRACTIONAL, LABELMAP, BINARY in either VR) made directly with part10-writer,
 * independent of src/seg's writer.
 */
import { writePart10, type DataElement, type TransferSyntax } from '../../src/dicom/part10-writer.js';
import { newUid } from '../../src/dicom/synthetic-mr.js';
import type { LabelVolume, Vec3, VolumeGeometry } from '../../src/dicom/volume.js';
import type { SegmentDefinition } from '../../src/seg/segment.js';
import type { WriteSegInput } from '../../src/seg/seg-writer.js';
import { mulberry32 } from '../../src/random.js';

export const MR = '1.2.840.10008.5.1.4.1.1.4';
export const ENHANCED_MR = '1.2.840.10008.5.1.4.1.1.4.1';

const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(...a);
  return [a[0] / n, a[1] / n, a[2] / n];
};

export interface GeometryOptions {
  columns: number;
  rows: number;
  slices: number;
  spacing?: Vec3;
  rowDirection?: Vec3;
  columnDirection?: Vec3;
  origin?: Vec3;
  /** slices run against row × column */
  reversed?: boolean;
  /** all slices are frames of one Enhanced MR instance */
  multiFrame?: boolean;
}

export function makeGeometry(o: GeometryOptions): VolumeGeometry {
  const rowDirection = unit(o.rowDirection ?? [1, 0, 0]);
  const columnDirection = unit(o.columnDirection ?? [0, 1, 0]);
  const n = unit(cross(rowDirection, columnDirection));
  const normal: Vec3 = o.reversed ? [-n[0], -n[1], -n[2]] : n;
  const spacing = o.spacing ?? [0.8, 0.9, 2.5];
  const origin = o.origin ?? [-100.25, 37.5, 12.125];
  const mfUid = newUid();
  const sources = Array.from({ length: o.slices }, (_, k) => {
    const position: Vec3 = [0, 1, 2].map((a) => origin[a]! + k * spacing[2] * normal[a]!) as Vec3;
    return o.multiFrame
      ? { sopInstanceUid: mfUid, sopClassUid: ENHANCED_MR, frameNumber: k + 1, position }
      : { sopInstanceUid: newUid(), sopClassUid: MR, position };
  });
  return {
    columns: o.columns, rows: o.rows, slices: o.slices, spacing, origin, rowDirection, columnDirection, normal,
    frameOfReferenceUid: newUid(), studyInstanceUid: newUid(), seriesInstanceUid: newUid(), sources,
  };
}

export const prng = mulberry32;

/**
 * Labels 1..segments: one ellipsoid per label at random places plus scattered single voxels, with
 * the first and last slices non-empty (so a grid derived from the SEG's frames spans the volume)
 * and, for volumes of 4+ slices, one empty slice in the middle.
 */
export function makeLabels(g: VolumeGeometry, segments: number, seed = 1): LabelVolume {
  const rnd = prng(seed);
  const { columns: C, rows: R, slices: S } = g;
  const data = new Uint8Array(C * R * S);
  for (let s = 1; s <= segments; s++) {
    const cx = rnd() * C, cy = rnd() * R, cz = rnd() * S;
    const rx = 1 + rnd() * C * 0.3, ry = 1 + rnd() * R * 0.3, rz = 1 + rnd() * S * 0.4;
    for (let k = 0; k < S; k++) for (let j = 0; j < R; j++) for (let i = 0; i < C; i++) {
      if (((i - cx) / rx) ** 2 + ((j - cy) / ry) ** 2 + ((k - cz) / rz) ** 2 < 1) data[(k * R + j) * C + i] = s;
    }
    for (let n = 0; n < 5; n++) data[Math.floor(rnd() * data.length)] = s;
  }
  data[0] = 1; // corner of slice 0
  data[data.length - 1] = segments; // last voxel of the last slice
  if (S >= 4) data.fill(0, Math.floor(S / 2) * C * R, (Math.floor(S / 2) + 1) * C * R);
  return { ...g, data };
}

export function makeSegments(n: number): SegmentDefinition[] {
  return Array.from({ length: n }, (_, i) => ({
    labelValue: i + 1,
    label: `Structure ${i + 1}`,
    category: { value: '123037004', scheme: 'SCT', meaning: 'Anatomical Structure' },
    type: i % 2 ? { value: '64033007', scheme: 'SCT', meaning: 'Kidney' } : { value: '10200004', scheme: 'SCT', meaning: 'Liver' },
    ...(i % 2 ? { typeModifier: { value: '24028007', scheme: 'SCT', meaning: 'Right' } } : {}),
    color: [(37 * i + 200) % 256, (91 * i + 30) % 256, (53 * i + 120) % 256] as [number, number, number],
    trackingId: `finding-${i + 1}`,
    trackingUid: newUid(),
  }));
}

export function segInput(labels: LabelVolume, segments = makeSegments(labels.data.reduce((m, v) => Math.max(m, v), 1))): WriteSegInput {
  return {
    labels,
    segments,
    algorithm: { type: 'AUTOMATIC', name: 'dafne-test-model', version: '3' },
    source: { PatientName: 'Test^Patient', PatientID: 'SEG-TEST', PatientBirthDate: '19700101', PatientSex: 'O', StudyDate: '20260101', StudyTime: '120000', StudyID: 'S1', AccessionNumber: 'A1', ReferringPhysicianName: '' },
    series: { seriesNumber: 901, seriesDescription: 'Dafne segmentation', contentCreatorName: 'Dafne^Node' },
    equipment: { manufacturerModelName: 'Dafne Node', softwareVersions: ['0.1.0', 'model 3'], deviceSerialNumber: 'node-test' },
  };
}

export interface HandFrame {
  /** Referenced Segment Number (BINARY / FRACTIONAL) */
  segment?: number;
  /** undefined: no Plane Position Sequence (a SEG missing its geometry) */
  position?: Vec3;
  /** one value per pixel: 0/1 (BINARY), 0..max (FRACTIONAL), segment numbers (LABELMAP) */
  pixels: ArrayLike<number>;
}

export interface HandSeg {
  type: 'BINARY' | 'FRACTIONAL' | 'LABELMAP';
  bits: 1 | 8 | 16;
  rows: number;
  columns: number;
  geometry: VolumeGeometry;
  segments: number[];
  frames: HandFrame[];
  ts?: TransferSyntax;
  sopClassUid?: string;
  maxFractional?: number;
  /** bytes to drop from the end of Pixel Data (keeping the element well-formed) */
  truncatePixels?: number;
}

/** A minimal SEG built by hand (only what the reader needs), for reader tests. */
export function buildHandSeg(h: HandSeg): Buffer {
  const P = h.rows * h.columns;
  let pixel: Uint8Array;
  if (h.bits === 1) {
    pixel = new Uint8Array(Math.ceil((h.frames.length * P) / 8));
    h.frames.forEach((f, n) => {
      for (let p = 0; p < P; p++) if (f.pixels[p]) pixel[(n * P + p) >> 3]! |= 1 << ((n * P + p) & 7);
    });
  } else {
    const width = h.bits / 8;
    pixel = new Uint8Array(h.frames.length * P * width);
    const view = new DataView(pixel.buffer);
    h.frames.forEach((f, n) => {
      for (let p = 0; p < P; p++) width === 1 ? view.setUint8(n * P + p, f.pixels[p]!) : view.setUint16(2 * (n * P + p), f.pixels[p]!, true);
    });
  }
  if (h.truncatePixels) pixel = pixel.subarray(0, pixel.length - h.truncatePixels);
  if (pixel.length & 1) pixel = Uint8Array.from([...pixel, 0]);
  const g = h.geometry;
  const code = (v: string): DataElement[][] => [[
    { tag: 0x00080100, vr: 'SH', value: v }, { tag: 0x00080102, vr: 'SH', value: 'SCT' }, { tag: 0x00080104, vr: 'LO', value: `code ${v}` },
  ]];
  const sop = newUid();
  const sopClass = h.sopClassUid ?? (h.type === 'LABELMAP' ? '1.2.840.10008.5.1.4.1.1.66.7' : '1.2.840.10008.5.1.4.1.1.66.4');
  const els: DataElement[] = [
    { tag: 0x00080016, vr: 'UI', value: sopClass },
    { tag: 0x00080018, vr: 'UI', value: sop },
    { tag: 0x00080060, vr: 'CS', value: 'SEG' },
    { tag: 0x0020000d, vr: 'UI', value: g.studyInstanceUid },
    { tag: 0x0020000e, vr: 'UI', value: newUid() },
    { tag: 0x00200052, vr: 'UI', value: g.frameOfReferenceUid },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280008, vr: 'IS', value: h.frames.length },
    { tag: 0x00280010, vr: 'US', value: h.rows },
    { tag: 0x00280011, vr: 'US', value: h.columns },
    { tag: 0x00280100, vr: 'US', value: h.bits },
    { tag: 0x00280101, vr: 'US', value: h.bits },
    { tag: 0x00280102, vr: 'US', value: h.bits - 1 },
    { tag: 0x00280103, vr: 'US', value: 0 },
    { tag: 0x00620001, vr: 'CS', value: h.type },
    {
      tag: 0x00620002, vr: 'SQ', value: h.segments.map((n) => [
        { tag: 0x00620003, vr: 'SQ', value: code('123037004') },
        { tag: 0x00620004, vr: 'US', value: n },
        { tag: 0x00620005, vr: 'LO', value: `Seg ${n}` },
        { tag: 0x00620008, vr: 'CS', value: 'MANUAL' },
        { tag: 0x0062000d, vr: 'US', value: [0xffff, 0x8080, 0x8080] },
        { tag: 0x0062000f, vr: 'SQ', value: code(String(10200004 + n)) },
      ] as DataElement[]),
    },
    {
      tag: 0x52009229, vr: 'SQ', value: [[
        { tag: 0x00209116, vr: 'SQ', value: [[{ tag: 0x00200037, vr: 'DS', value: [...g.rowDirection, ...g.columnDirection] }]] },
        { tag: 0x00289110, vr: 'SQ', value: [[{ tag: 0x00280030, vr: 'DS', value: [g.spacing[1], g.spacing[0]] }, { tag: 0x00180050, vr: 'DS', value: g.spacing[2] }]] },
      ]],
    },
    {
      tag: 0x52009230, vr: 'SQ', value: h.frames.map((f) => {
        const item: DataElement[] = [];
        if (f.position) item.push({ tag: 0x00209113, vr: 'SQ', value: [[{ tag: 0x00200032, vr: 'DS', value: f.position }]] });
        if (f.segment !== undefined) item.push({ tag: 0x0062000a, vr: 'SQ', value: [[{ tag: 0x0062000b, vr: 'US', value: f.segment }]] });
        return item;
      }),
    },
    { tag: 0x7fe00010, vr: h.bits === 16 ? 'OW' : 'OB', value: pixel },
  ];
  if (h.type === 'FRACTIONAL') {
    els.push({ tag: 0x0062000e, vr: 'US', value: h.maxFractional ?? 255 }, { tag: 0x00620010, vr: 'CS', value: 'PROBABILITY' });
  }
  return writePart10(els, { sopClassUID: sopClass, sopInstanceUID: sop, transferSyntax: h.ts ?? 'explicit-le' });
}

/** Grid position of slice k (for hand-built frames). */
export function slicePos(g: VolumeGeometry, k: number, i = 0, j = 0): Vec3 {
  return [0, 1, 2].map((a) => g.origin[a]! + i * g.spacing[0] * g.rowDirection[a]! + j * g.spacing[1] * g.columnDirection[a]! + k * g.spacing[2] * g.normal[a]!) as Vec3;
}
