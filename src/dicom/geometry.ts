/**
 * Image plane geometry (PS3.3 §C.7.6.2.1.1): vector math on patient coordinates and the checks
 * that decide whether a set of planes forms one regular stack — the volume model of volume.ts.
 * Nothing is guessed: any doubt is a GeometryError whose code says what and whose message says
 * where (which instances, which positions, expected vs found).
 */
import type { Vec3 } from './volume.js';

export type GeometryErrorCode =
  | 'no-files'
  | 'no-pixel-data'
  | 'missing-attribute'
  | 'mixed-series'
  | 'mixed-frame-of-reference'
  | 'mixed-orientation'
  | 'mixed-size'
  | 'mixed-pixel-spacing'
  | 'invalid-orientation'
  | 'duplicate-position'
  | 'missing-slice'
  | 'uneven-spacing'
  | 'non-collinear'
  | 'too-large';

export class GeometryError extends Error {
  override name = 'GeometryError';
  constructor(
    readonly code: GeometryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s + 0, a[1] * s + 0, a[2] * s + 0]; // + 0: no -0 in results
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const norm = (a: Vec3): number => Math.sqrt(dot(a, a));
export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const normalize = (a: Vec3): Vec3 => scale(a, 1 / norm(a));

/** "(12.5, -3, 40)" with at most 4 decimals, for messages. */
export const fmt = (a: Vec3): string => `(${a.map((v) => String(Math.round(v * 1e4) / 1e4)).join(', ')})`;
const mm = (v: number): string => `${Math.round(v * 1e4) / 1e4} mm`;

export interface Orientation {
  rowDirection: Vec3;
  columnDirection: Vec3;
  /** rowDirection × columnDirection: the slice normal (PS3.3 §C.7.6.2.1.1). */
  normal: Vec3;
}

/**
 * ImageOrientationPatient → unit directions. The two cosine triplets must be unit vectors and
 * orthogonal (PS3.3 §C.7.6.2.1.1) within `tolerance`·10 (DS values carry about 6 digits).
 */
export function orientationOf(iop: readonly number[], where: string, tolerance: number): Orientation {
  if (iop.length !== 6 || !iop.every(Number.isFinite)) {
    throw new GeometryError('invalid-orientation', `${where}: Image Orientation (Patient) must be 6 numbers, found [${iop.join(', ')}]`);
  }
  const r: Vec3 = [iop[0]!, iop[1]!, iop[2]!];
  const c: Vec3 = [iop[3]!, iop[4]!, iop[5]!];
  const tol = Math.max(tolerance * 10, 1e-4);
  if (Math.abs(norm(r) - 1) > tol || Math.abs(norm(c) - 1) > tol || Math.abs(dot(r, c)) > tol) {
    throw new GeometryError('invalid-orientation', `${where}: Image Orientation (Patient) [${iop.join(', ')}] is not two orthogonal unit vectors (PS3.3 §C.7.6.2.1.1)`);
  }
  const rowDirection = normalize(r);
  const columnDirection = normalize(c);
  return { rowDirection, columnDirection, normal: normalize(cross(rowDirection, columnDirection)) };
}

/** True when every component of `a` and `b` differs by at most `tolerance`. */
export function near(a: readonly number[], b: readonly number[], tolerance: number): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);
}

export interface StackTolerance {
  /** Allowed deviation of a slice step, as a fraction of the spacing (default 0.01). */
  relative: number;
  /** ... or in mm, whichever is larger (default 0.01). */
  absolute: number;
}

export interface Stack {
  /** order[k] = index (into the input) of volume slice k. */
  order: number[];
  /** Unit vector from slice k to slice k + 1 (the plane normal for a single slice). */
  normal: Vec3;
  /** Distance between consecutive slices in mm; undefined for a single slice. */
  spacing?: number;
}

/**
 * Orders parallel planes into a regular stack: sorted by position along `normal` (the positions
 * projected on rowDirection × columnDirection), then checked to be distinct, evenly spaced and on
 * one line. `labels[i]` names plane i in messages (SOP Instance UID and frame).
 */
export function stackPlanes(positions: readonly Vec3[], labels: readonly string[], normal: Vec3, tol: StackTolerance): Stack {
  const t = positions.map((p) => dot(p, normal));
  const order = positions.map((_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
  if (order.length === 1) return { order, normal };
  const at = (k: number) => positions[order[k]!]!;
  const name = (k: number) => `${labels[order[k]!]} at ${fmt(at(k))}`;
  const steps = order.slice(1).map((idx, k) => t[idx]! - t[order[k]!]!);
  steps.forEach((d, k) => {
    if (d <= tol.absolute) {
      throw new GeometryError('duplicate-position', `two slices at the same place: ${name(k)} and ${name(k + 1)} (${mm(d)} apart along the normal); a series must hold one image per position (several echoes, phases or b-values are separate volumes)`);
    }
  });
  // The expected step is the lower median: a missing slice only makes some steps longer.
  const expected = [...steps].sort((a, b) => a - b)[Math.floor((steps.length - 1) / 2)]!;
  const allowed = Math.max(tol.absolute, tol.relative * expected);
  const bad = steps.map((d, k) => ({ d, k })).filter(({ d }) => Math.abs(d - expected) > allowed);
  if (bad.length > 0) {
    const { d, k } = bad[0]!;
    const ratio = d / expected;
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more irregular step${bad.length > 2 ? 's' : ''})` : '';
    if (Math.round(ratio) >= 2 && Math.abs(d - Math.round(ratio) * expected) <= allowed) {
      const missing = Math.round(ratio) - 1;
      throw new GeometryError('missing-slice', `gap between slices ${k} and ${k + 1} of ${order.length}: ${name(k)} and ${name(k + 1)} are ${mm(d)} apart, expected ${mm(expected)}: ${missing} slice${missing > 1 ? 's' : ''} missing${more}`);
    }
    throw new GeometryError('uneven-spacing', `uneven slice spacing between slices ${k} and ${k + 1} of ${order.length}: ${name(k)} and ${name(k + 1)} are ${mm(d)} apart, expected ${mm(expected)}${more}`);
  }
  // Same step vector everywhere (a tilted stack is allowed: volume.ts normal ≠ row × column).
  const n = order.length;
  const step = scale(sub(at(n - 1), at(0)), 1 / (n - 1));
  for (let k = 0; k + 1 < n; k++) {
    const off = norm(sub(sub(at(k + 1), at(k)), step));
    if (off > allowed) {
      throw new GeometryError('non-collinear', `slice positions are not on one line: the step from ${name(k)} to ${name(k + 1)} is ${fmt(sub(at(k + 1), at(k)))}, expected ${fmt(step)} (off by ${mm(off)})`);
    }
  }
  const spacing = norm(step);
  return { order, normal: scale(step, 1 / spacing), spacing };
}
