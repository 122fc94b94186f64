/**
 * The sampling grid of a second-style phantom: PS3.3 C.7.6.2.1.1 geometry from orientation, size,
 * spacing and a patient-space centre. The grid is centred on `center` (the middle of the middle voxel
 * when counts are odd), so two grids with the same centre and 1 mm spacing share voxel centres.
 */
import { MR_IMAGE_STORAGE, newUid } from '../../dicom/synthetic-mr.js';
import type { Vec3, VolumeGeometry } from '../../dicom/volume.js';
import { orientationVectors } from '../leg-phantom.js';
import type { ResolvedOptions } from './options.js';

const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
};

export interface GridUids { studyInstanceUid?: string; seriesInstanceUid?: string; frameOfReferenceUid?: string }

export function buildGrid(o: ResolvedOptions, uids: GridUids = {}): VolumeGeometry {
  const { row, column } = orientationVectors(o.orientation as Parameters<typeof orientationVectors>[0]);
  const n = unit(cross(row, column));
  const normal: Vec3 = o.reverseSliceOrder ? [-n[0], -n[1], -n[2]] : n;
  // spacing is [column spacing, row spacing, slice spacing]; PixelSpacing is [row, column].
  const spacing: Vec3 = [o.pixelSpacing[1], o.pixelSpacing[0], o.sliceSpacing];
  const hi = (o.columns - 1) / 2, hj = (o.rows - 1) / 2, hk = (o.slices - 1) / 2;
  const origin: Vec3 = [0, 1, 2].map((a) => o.center[a]! - hi * spacing[0] * row[a]! - hj * spacing[1] * column[a]! - hk * spacing[2] * normal[a]!) as Vec3;
  const sopInstance = () => newUid();
  return {
    columns: o.columns, rows: o.rows, slices: o.slices, spacing, origin, rowDirection: row, columnDirection: column, normal,
    frameOfReferenceUid: uids.frameOfReferenceUid ?? newUid(),
    studyInstanceUid: uids.studyInstanceUid ?? newUid(),
    seriesInstanceUid: uids.seriesInstanceUid ?? newUid(),
    sources: Array.from({ length: o.slices }, (_, k) => ({
      sopInstanceUid: sopInstance(), sopClassUid: MR_IMAGE_STORAGE,
      position: [0, 1, 2].map((a) => origin[a]! + k * spacing[2] * normal[a]!) as Vec3,
    })),
  };
}

/** Patient z range touched by the grid's samples (corners ± half the slice thickness, plus a margin). */
export function zRange(g: VolumeGeometry, thickness: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const i of [-0.5, g.columns - 0.5]) for (const j of [-0.5, g.rows - 0.5]) for (const k of [-0.5, g.slices - 0.5]) {
    const z = g.origin[2] + i * g.spacing[0] * g.rowDirection[2] + j * g.spacing[1] * g.columnDirection[2] + k * g.spacing[2] * g.normal[2];
    lo = Math.min(lo, z); hi = Math.max(hi, z);
  }
  const pad = Math.abs(g.normal[2]) * thickness / 2 + 1;
  return [lo - pad, hi + pad];
}
