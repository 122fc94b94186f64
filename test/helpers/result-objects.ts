/**
 * Read-back helpers for the result objects a destination holds (issue 18): every instance of a study
 * in a DICOMweb server by SOP class, the voxel volume a SEG declares (its Pixel Measures functional
 * group, PS3.3 C.7.6.16.2.1), per-segment voxel counts, and dciodvfy of a retrieved object.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSeg } from '../../src/seg/seg-reader.js';
import type { VolumeGeometry } from '../../src/dicom/volume.js';
import { dciodvfy } from './validators.js';

// dcmjs ships no type declarations; a non-literal specifier keeps tsc from needing them.
const dcmjsName: string = 'dcmjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = (await import(dcmjsName)).default;

export const SOP = { SEG: '1.2.840.10008.5.1.4.1.1.66.4', ENHANCED_SR: '1.2.840.10008.5.1.4.1.1.88.22', SC: '1.2.840.10008.5.1.4.1.1.7' } as const;

type DicomJson = Record<string, { Value?: unknown[] }>;
const v = (o: DicomJson, tag: string): string => String(o[tag]?.Value?.[0] ?? '');

export interface HeldInstance {
  series: string;
  sop: string;
  sopClass: string;
}

/** QIDO-RS SearchForInstances of a study (PS3.18 §10.6), e.g. at Orthanc's /dicom-web. */
export async function studyInstances(dicomwebRoot: string, study: string): Promise<HeldInstance[]> {
  const res = await fetch(`${dicomwebRoot}/studies/${study}/instances?includefield=00080016`, { headers: { accept: 'application/dicom+json' } });
  if (res.status === 204 || res.status === 404) return [];
  if (!res.ok) throw new Error(`QIDO-RS ${res.status}`);
  return ((await res.json()) as DicomJson[]).map((i) => ({ series: v(i, '0020000E'), sop: v(i, '00080018'), sopClass: v(i, '00080016') }));
}

export const ofClass = (all: HeldInstance[], sopClass: string) => all.filter((i) => i.sopClass === sopClass);

export function dataset(bytes: Buffer): Record<string, { Value?: unknown[] }> {
  return dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict;
}

/** mm³ of one SEG voxel: Pixel Spacing × Spacing Between Slices (else Slice Thickness) of its shared Pixel Measures. */
export function segVoxelMm3(bytes: Buffer): number {
  const ds = dataset(bytes);
  const shared = (ds['52009229']?.Value?.[0] ?? {}) as DicomJson;
  const pm = (shared['00289110']?.Value?.[0] ?? {}) as DicomJson;
  const ps = (pm['00280030']?.Value ?? []).map(Number);
  const between = Number(pm['00180088']?.Value?.[0] ?? pm['00180050']?.Value?.[0]);
  if (ps.length !== 2 || !(between > 0)) throw new Error('the SEG has no shared Pixel Measures');
  return ps[0]! * ps[1]! * between;
}

/** Voxels per Segment Number of a SEG decoded onto the source grid, with each segment's tracking UID. */
export function segCounts(bytes: Buffer, grid: VolumeGeometry): Map<number, { voxels: number; label: string; trackingUid?: string }> {
  const read = readSeg(bytes, grid);
  const out = new Map(read.segments.map((s) => [s.labelValue, { voxels: 0, label: s.label, trackingUid: s.trackingUid }]));
  for (const l of read.labels.data) if (l) out.get(l)!.voxels++;
  return out;
}

let n = 0;
/** dciodvfy's Error lines for an object (written to a temp file). */
export async function validate(bytes: Buffer): Promise<string[]> {
  const file = join(tmpdir(), `dafne-held-${process.pid}-${n++}.dcm`);
  await writeFile(file, bytes);
  return (await dciodvfy(file)).errors;
}
