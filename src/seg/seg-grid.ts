/**
 * Where a SEG frame lands on a volume grid (VolumeGeometry conventions, PS3.3 C.7.6.2.1.1): a frame's
 * Image Position (Patient) (Plane Position (Patient) Macro, C.7.6.16.2.3) is solved for grid indices
 * (i, j, k) along the row, column and slice directions, which must be integers within a tolerance.
 * Frame order never matters. Without a target grid, one is derived from the frames themselves.
 */
import type { SliceSource, Vec3, VolumeGeometry } from '../dicom/volume.js';
import { SegReadError } from './seg-errors.js';

export interface FrameGeometry {
  position: Vec3;
  rowDirection: Vec3;
  columnDirection: Vec3;
  /** [column spacing, row spacing] in mm */
  pixelSpacing: [number, number];
  source?: Omit<SliceSource, 'position'>;
}

export interface Placement {
  /** grid column / row of the frame's first pixel, and its slice */
  i: number;
  j: number;
  k: number;
}

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const unit = (a: Vec3): Vec3 => scale(a, 1 / Math.hypot(...a));

/**
 * Returns a function mapping a frame to its grid placement on `g`, or throwing SegReadError when the
 * frame's orientation or spacing differs from the grid's, or its position is off the grid by more than
 * `tolerance` (a fraction of the spacing along each axis), or the frame does not fit inside the grid.
 */
export function gridLocator(g: VolumeGeometry, frameRows: number, frameColumns: number, tolerance: number): (f: FrameGeometry, n: number) => Placement {
  const a = scale(g.rowDirection, g.spacing[0]);
  const b = scale(g.columnDirection, g.spacing[1]);
  const c = scale(g.normal, g.spacing[2]);
  // Inverse of the 3×3 matrix [a b c] by cross products: rows (b×c, c×a, a×b) / det.
  const det = dot(a, cross(b, c));
  if (!(Math.abs(det) > 1e-12)) throw new SegReadError('target geometry is degenerate (directions are not independent)');
  const ia = scale(cross(b, c), 1 / det), ib = scale(cross(c, a), 1 / det), ic = scale(cross(a, b), 1 / det);
  return (f, n) => {
    if (dot(unit(f.rowDirection), g.rowDirection) < 1 - 1e-4 || dot(unit(f.columnDirection), g.columnDirection) < 1 - 1e-4) {
      throw new SegReadError(`frame ${n}: orientation ${[...f.rowDirection, ...f.columnDirection].join('\\')} differs from the target's`);
    }
    if (Math.abs(f.pixelSpacing[0] - g.spacing[0]) > 1e-3 * g.spacing[0] || Math.abs(f.pixelSpacing[1] - g.spacing[1]) > 1e-3 * g.spacing[1]) {
      throw new SegReadError(`frame ${n}: pixel spacing ${f.pixelSpacing[1]}\\${f.pixelSpacing[0]} differs from the target's`);
    }
    const d = sub(f.position, g.origin);
    const x = dot(ia, d), y = dot(ib, d), z = dot(ic, d);
    const i = Math.round(x), j = Math.round(y), k = Math.round(z);
    if (Math.abs(x - i) > tolerance || Math.abs(y - j) > tolerance || Math.abs(z - k) > tolerance) {
      throw new SegReadError(`frame ${n}: position ${f.position.join('\\')} falls between grid points (i ${x.toFixed(3)}, j ${y.toFixed(3)}, slice ${z.toFixed(3)})`);
    }
    if (k < 0 || k >= g.slices || i < 0 || j < 0 || i + frameColumns > g.columns || j + frameRows > g.rows) {
      throw new SegReadError(`frame ${n}: position ${f.position.join('\\')} is off the target grid (slice ${k} of ${g.slices}, offset ${i},${j})`);
    }
    return { i, j, k };
  };
}

export interface DerivedGridInfo {
  frameOfReferenceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** Spacing Between Slices (0018,0088) or Slice Thickness (0018,0050) when the frames do not tell */
  sliceSpacingHint?: number;
}

/**
 * A grid on which every frame sits: orientation and pixel spacing of the first frame, slice normal =
 * row × column, slices from the lowest to the highest frame position along it, spaced by Spacing
 * Between Slices or else the smallest gap between frame positions. Slices without a frame get a
 * source entry with empty UIDs.
 */
export function deriveGrid(frames: readonly FrameGeometry[], frameRows: number, frameColumns: number, info: DerivedGridInfo): VolumeGeometry {
  const f0 = frames[0]!;
  const row = unit(f0.rowDirection), col = unit(f0.columnDirection);
  const normal = unit(cross(row, col));
  const t = frames.map((f) => dot(f.position, normal));
  const sorted = [...t].sort((p, q) => p - q);
  let gap = Infinity;
  for (let n = 1; n < sorted.length; n++) {
    const d = sorted[n]! - sorted[n - 1]!;
    if (d > 1e-3 && d < gap) gap = d;
  }
  const hint = info.sliceSpacingHint !== undefined && info.sliceSpacingHint > 0 ? info.sliceSpacingHint : undefined;
  const spacingZ = hint ?? (Number.isFinite(gap) ? gap : 1);
  const tMin = sorted[0]!, tMax = sorted[sorted.length - 1]!;
  const lowest = frames[t.indexOf(tMin)]!;
  // In-plane offsets of every frame relative to the lowest one; the grid starts at the smallest.
  const [sx, sy] = f0.pixelSpacing;
  let minI = 0, minJ = 0, maxI = frameColumns, maxJ = frameRows;
  for (const f of frames) {
    const d = sub(f.position, lowest.position);
    const i = Math.round(dot(d, row) / sx), j = Math.round(dot(d, col) / sy);
    minI = Math.min(minI, i); minJ = Math.min(minJ, j);
    maxI = Math.max(maxI, i + frameColumns); maxJ = Math.max(maxJ, j + frameRows);
  }
  const origin = add(lowest.position, add(scale(row, minI * sx), scale(col, minJ * sy)));
  const slices = Math.round((tMax - tMin) / spacingZ) + 1;
  const grid: VolumeGeometry = {
    columns: maxI - minI,
    rows: maxJ - minJ,
    slices,
    spacing: [sx, sy, spacingZ],
    origin,
    rowDirection: row,
    columnDirection: col,
    normal,
    frameOfReferenceUid: info.frameOfReferenceUid,
    studyInstanceUid: info.studyInstanceUid,
    seriesInstanceUid: info.seriesInstanceUid,
    sources: [],
  };
  grid.sources = Array.from({ length: slices }, (_, k) => ({ sopInstanceUid: '', sopClassUid: '', position: add(origin, scale(normal, k * spacingZ)) }));
  return grid;
}

/** Fills `grid.sources[k]` from the frames' Source Image references once their slices are known. */
export function attachSources(grid: VolumeGeometry, frames: readonly FrameGeometry[], slices: readonly number[]): void {
  frames.forEach((f, n) => {
    const s = grid.sources[slices[n]!];
    if (!f.source || !s || s.sopInstanceUid) return;
    s.sopInstanceUid = f.source.sopInstanceUid;
    s.sopClassUid = f.source.sopClassUid;
    if (f.source.frameNumber !== undefined) s.frameNumber = f.source.frameNumber;
  });
}
