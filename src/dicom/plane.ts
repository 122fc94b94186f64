import type { Vec3, VolumeGeometry } from './volume.js';

/**
 * Acquisition planes and what the pipeline does with a series whose plane is not the network's
 * (issue 14). Patient axes are DICOM's LPS (PS3.3 C.7.6.2.1.1): +x patient left, +y posterior,
 * +z head. Pure functions of the geometry; no pixel data.
 */
export type ModelPlane = 'axial' | 'coronal' | 'sagittal';
export type SeriesPlane = ModelPlane | 'oblique';
export const MODEL_PLANES: readonly ModelPlane[] = ['axial', 'coronal', 'sagittal'];
export const SERIES_PLANES: readonly SeriesPlane[] = [...MODEL_PLANES, 'oblique'];

/**
 * The display convention a 2D network of each plane is trained in, as radiology viewers show it:
 * axial seen from the feet (row → patient left, column → posterior), coronal from the front
 * (row → left, column → feet), sagittal from the patient's left (row → posterior, column → feet).
 * A series acquired in another in-plane orientation (a flipped or transposed axial) is reformatted
 * too: the network has never seen its mirror image.
 */
export const PLANE_AXES: Record<ModelPlane, { row: Vec3; column: Vec3; normal: Vec3 }> = {
  axial: { row: [1, 0, 0], column: [0, 1, 0], normal: [0, 0, 1] },
  coronal: { row: [1, 0, 0], column: [0, 0, -1], normal: [0, -1, 0] },
  sagittal: { row: [0, 1, 0], column: [0, 0, -1], normal: [-1, 0, 0] },
};

/** A slice normal further than this from the nearest patient axis makes the series "oblique". */
export const OBLIQUE_DEGREES = 15;
/** Row and column within this of the model's axes: the slices are used as acquired. */
export const DIRECT_DEGREES = 1;

const dot = (a: readonly number[], b: readonly number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const deg = (cos: number): number => (Math.acos(Math.min(1, Math.abs(cos))) * 180) / Math.PI;

export interface PlaneOfSeries {
  plane: SeriesPlane;
  /** The anatomical plane nearest to the slices (the one an "oblique" series leans from). */
  nearest: ModelPlane;
  /** Angle between the slice normal and the nearest plane's normal, degrees. */
  tiltDegrees: number;
}

/**
 * The plane of a series from its Image Orientation (Patient) (0020,0037): the patient axis the slice
 * normal is closest to. Used for routing (`Plane` attribute) and for the model plan.
 */
export function planeOf(rowDirection: readonly number[], columnDirection: readonly number[]): PlaneOfSeries {
  const r = rowDirection, c = columnDirection;
  const n: Vec3 = [r[1]! * c[2]! - r[2]! * c[1]!, r[2]! * c[0]! - r[0]! * c[2]!, r[0]! * c[1]! - r[1]! * c[0]!];
  const len = Math.hypot(...n) || 1;
  const a = n.map((v) => Math.abs(v / len));
  const axis = a[2]! >= a[0]! && a[2]! >= a[1]! ? 2 : a[1]! >= a[0]! ? 1 : 0;
  const nearest: ModelPlane = axis === 2 ? 'axial' : axis === 1 ? 'coronal' : 'sagittal';
  const tiltDegrees = deg(a[axis]!);
  return { plane: tiltDegrees > OBLIQUE_DEGREES ? 'oblique' : nearest, nearest, tiltDegrees };
}

/** `planeOf` from the six numbers of Image Orientation (Patient); undefined when absent or malformed. */
export function planeOfOrientation(iop: readonly number[] | undefined): PlaneOfSeries | undefined {
  if (!iop || iop.length !== 6 || !iop.every(Number.isFinite)) return undefined;
  return planeOf(iop.slice(0, 3), iop.slice(3, 6));
}

export interface PlaneRequirements {
  /** 'any': the network reads slices in whatever plane they come (trained on all, or per-voxel). */
  plane: ModelPlane | 'any';
  /** Largest sampling distance (mm) of the source along a direction in the model's plane. */
  maxThroughPlaneSpacing: number;
}

export interface PlanePlan {
  source: PlaneOfSeries;
  target: ModelPlane | 'any';
  /** direct: slices as acquired; reformat: resampled into the model's plane; skip: no SEG. */
  action: 'direct' | 'reformat' | 'skip';
  /**
   * The coarsest sampling distance of the source along the model's in-plane axes, mm: for a
   * coronal series read by an axial model, its slice spacing. 0 for the direct path.
   */
  inPlaneSampling: number;
  /** One line for jobs, the console, the results API and the dry-run. */
  reason: string;
}

const mm = (v: number): string => `${Math.round(v * 10) / 10} mm`;

/**
 * How the source's voxel grid samples a direction u: the largest of its three axis steps projected
 * on u. A coronal stack of 6 mm slices samples the anterior-posterior direction every 6 mm, however
 * fine its pixels; an axial model would see 6 mm steps inside every reformatted slice.
 */
export function samplingAlong(g: Pick<VolumeGeometry, 'rowDirection' | 'columnDirection' | 'normal' | 'spacing' | 'slices'>, u: Vec3): number {
  const steps: [Vec3, number][] = [[g.rowDirection, g.spacing[0]], [g.columnDirection, g.spacing[1]]];
  // A single slice has no through-plane sampling at all: anything off its plane is unknown.
  steps.push([g.normal, g.slices > 1 ? g.spacing[2] : Number.POSITIVE_INFINITY]);
  let worst = 0;
  for (const [e, s] of steps) {
    const p = Math.abs(dot(e, u));
    if (p > 1e-3) worst = Math.max(worst, s * p);
  }
  return worst;
}

/**
 * What the pipeline will do with a series for a model of plane `req.plane`. The direct path keeps
 * today's behaviour bit for bit (the acquired slices go to the network); everything else is
 * reformatted unless the source is too coarse in the model's plane, which ends in a skip with a
 * reason rather than a SEG drawn on interpolated stripes.
 */
export function planFor(g: Pick<VolumeGeometry, 'rowDirection' | 'columnDirection' | 'normal' | 'spacing' | 'slices'>, req: PlaneRequirements): PlanePlan {
  const source = planeOf(g.rowDirection, g.columnDirection);
  if (req.plane === 'any') return { source, target: 'any', action: 'direct', inPlaneSampling: 0, reason: `${source.plane} series, model of any plane: slices used as acquired` };
  const axes = PLANE_AXES[req.plane];
  const cosDirect = Math.cos((DIRECT_DEGREES * Math.PI) / 180);
  if (dot(g.rowDirection, axes.row) >= cosDirect && dot(g.columnDirection, axes.column) >= cosDirect) {
    return { source, target: req.plane, action: 'direct', inPlaneSampling: 0, reason: `${source.plane} series, ${req.plane} model: slices used as acquired` };
  }
  const inPlaneSampling = Math.max(samplingAlong(g, axes.row), samplingAlong(g, axes.column));
  const what = source.plane === 'oblique' ? `oblique (${Math.round(source.tiltDegrees)}° from ${source.nearest})` : source.plane;
  if (!(inPlaneSampling <= req.maxThroughPlaneSpacing)) {
    const spacing = Number.isFinite(inPlaneSampling) ? mm(inPlaneSampling) : 'a single slice';
    return { source, target: req.plane, action: 'skip', inPlaneSampling, reason: `skipped: plane ${what}, spacing ${spacing} > ${mm(req.maxThroughPlaneSpacing)} tolerated by the ${req.plane} model` };
  }
  return { source, target: req.plane, action: 'reformat', inPlaneSampling, reason: `${what} series reformatted to ${req.plane} (sampling ${mm(inPlaneSampling)} in the model's plane)` };
}
