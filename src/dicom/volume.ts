/**
 * A 3D image on the patient coordinate system (PS3.3 C.7.6.2.1.1): what series assembly produces
 * from a set of slices, what inference reads, and what a SEG is written against. Pure data.
 *
 * Voxel (i, j, k) — column i, row j, slice k — sits at
 *   origin + i·spacing[0]·rowDirection + j·spacing[1]·columnDirection + k·spacing[2]·normal
 * where rowDirection / columnDirection are ImageOrientationPatient's two triplets (PS3.3
 * C.7.6.2.1.1: the first is the direction of increasing column index along a row) and `normal`
 * points from slice 0 to slice 1. Data is stored slice-major: index = (k·rows + j)·columns + i.
 */
export type Vec3 = [number, number, number];

export interface SliceSource {
  sopInstanceUid: string;
  sopClassUid: string;
  /** 1-based frame number for multi-frame objects; undefined for single-frame instances. */
  frameNumber?: number;
  /** ImagePositionPatient of this slice. */
  position: Vec3;
}

export interface VolumeGeometry {
  columns: number;
  rows: number;
  slices: number;
  /** [column spacing, row spacing, slice spacing] in mm (PixelSpacing is [row, column]: swapped here). */
  spacing: Vec3;
  /** ImagePositionPatient of slice 0. */
  origin: Vec3;
  rowDirection: Vec3;
  columnDirection: Vec3;
  /** Unit vector from slice k to slice k+1 (not necessarily rowDirection × columnDirection). */
  normal: Vec3;
  frameOfReferenceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** One entry per slice k, in volume order. */
  sources: SliceSource[];
}

/** Image intensities after Rescale Slope/Intercept (PS3.3 C.11.1.1.2). */
export interface Volume extends VolumeGeometry {
  data: Float32Array;
}

/** One label per voxel (0 = background), on the geometry of a source volume. */
export interface LabelVolume extends VolumeGeometry {
  data: Uint8Array;
}

export const voxelIndex = (g: Pick<VolumeGeometry, 'columns' | 'rows'>, i: number, j: number, k: number): number => (k * g.rows + j) * g.columns + i;
