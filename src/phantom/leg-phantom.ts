/**
 * A synthetic lower-leg MR volume with exact ground truth, for tests, the demo and model training.
 *
 * The anatomy lives in patient space (leg-anatomy.ts). The image grid is any plane orientation: each
 * voxel's patient coordinate follows the Volume geometry (src/dicom/volume.ts, PS3.3 C.7.6.2.1.1),
 * the anatomy is evaluated there, and the label volume is the same evaluation, so labels are exact
 * for the sampling and two samplings of one phantom agree wherever their voxel centres coincide.
 *
 * Intensities: a per-tissue MR contrast table (T1 / T2 / PD or custom) with small per-muscle
 * differences, times a smooth multiplicative bias field, plus Rician (magnitude image) or Gaussian
 * noise, rounded to integers so a writer can store them exactly with a rescale slope of 1/2^n.
 */
import type { LabelVolume, SliceSource, Vec3, Volume } from '../dicom/volume.js';
import { MR_IMAGE_STORAGE, newUid } from '../dicom/synthetic-mr.js';
import { labelLut, legAnatomy, seededRandom, TISSUE, TISSUE_COUNT, type LabelSet, type LegAnatomy, type LegAnatomyOptions } from './leg-anatomy.js';

export type MrContrast = 'T1' | 'T2' | 'PD';

/** Mean signal per tissue (arbitrary units); `muscles[m]` overrides muscle label m (1..6). */
export interface TissueIntensities {
  air: number; skin: number; fat: number; fascia: number; muscle: number; cortex: number; marrow: number;
  muscles?: Partial<Record<1 | 2 | 3 | 4 | 5 | 6, number>>;
}

// Relative signal of fat, muscle, bone marrow and cortical bone at 1.5 T for spin-echo T1 / T2 / PD
// weighting: fat and yellow marrow bright on all three, muscle dark on T2, cortex near zero.
export const CONTRASTS: Record<MrContrast, TissueIntensities> = {
  T1: { air: 0, skin: 420, fat: 1000, fascia: 180, muscle: 380, cortex: 25, marrow: 930 },
  T2: { air: 0, skin: 320, fat: 780, fascia: 90, muscle: 170, cortex: 20, marrow: 700 },
  PD: { air: 0, skin: 700, fat: 1050, fascia: 300, muscle: 640, cortex: 40, marrow: 980 },
};

export type PlaneOrientation = 'axial' | 'coronal' | 'sagittal' | 'oblique';

export interface LegPhantomOptions extends LegAnatomyOptions {
  rows?: number;
  columns?: number;
  slices?: number;
  /** PixelSpacing [row spacing, column spacing] in mm (PS3.3 10.7.1.3); default covers the leg(s) */
  pixelSpacing?: [number, number];
  /** mm between slice centres; default 5 */
  sliceSpacing?: number;
  /** a named plane or ImageOrientationPatient (row then column direction cosines) */
  orientation?: PlaneOrientation | readonly number[];
  /** slices step along −(row × column) instead of +(row × column) */
  reverseSliceOrder?: boolean;
  /** patient point at the centre of the grid; default the mid-calf on the leg axis */
  center?: Vec3;
  contrast?: MrContrast | TissueIntensities;
  /** noise sigma in intensity units; default 15 */
  noise?: number;
  noiseType?: 'rician' | 'gaussian';
  /** relative amplitude of the smooth multiplicative bias field, 0..0.5; default 0.15 */
  biasField?: number;
  /** relative amplitude of a smooth tissue texture (3 mm value noise), 0..0.3; default 0.05 */
  texture?: number;
  /** multiplies every intensity; default 1 */
  intensityScale?: number;
  labels?: LabelSet;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  frameOfReferenceUid?: string;
}

export interface LegPhantom {
  volume: Volume;
  labels: LabelVolume;
  anatomy: LegAnatomy;
}

/** Patient coordinate of voxel centre (i, j, k), computed exactly as legPhantom computes it. */
export function voxelCentre(g: Pick<Volume, 'origin' | 'spacing' | 'rowDirection' | 'columnDirection' | 'normal'>, i: number, j: number, k: number): Vec3 {
  const [sc, sr, ss] = g.spacing;
  const p = [0, 1, 2].map((a) => g.origin[a]! + j * sr * g.columnDirection[a]! + k * ss * g.normal[a]! + i * (sc * g.rowDirection[a]!));
  return p as Vec3;
}

const cross = (a: readonly number[], b: readonly number[]): Vec3 => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];

/** Row and column direction cosines (LPS) of a named plane; oblique = axial tilted 20° about x then 15° about y. */
export function orientationVectors(o: PlaneOrientation | readonly number[]): { row: Vec3; column: Vec3 } {
  if (typeof o !== 'string') {
    const v = [...o];
    const dot = (i: number, j: number) => v[i]! * v[j]! + v[i + 1]! * v[j + 1]! + v[i + 2]! * v[j + 2]!;
    if (v.length !== 6 || !v.every(Number.isFinite) || Math.abs(dot(0, 0) - 1) > 1e-4 || Math.abs(dot(3, 3) - 1) > 1e-4 || Math.abs(dot(0, 3)) > 1e-4) {
      throw new RangeError('orientation must be two orthogonal unit vectors (6 numbers)');
    }
    return { row: [v[0]!, v[1]!, v[2]!], column: [v[3]!, v[4]!, v[5]!] };
  }
  switch (o) {
    case 'axial': return { row: [1, 0, 0], column: [0, 1, 0] };
    case 'coronal': return { row: [1, 0, 0], column: [0, 0, -1] };
    case 'sagittal': return { row: [0, 1, 0], column: [0, 0, -1] };
    case 'oblique': {
      const a = 20 * Math.PI / 180, b = 15 * Math.PI / 180;
      // R = Ry(b) · Rx(a), applied to the axial row (1,0,0) and column (0,1,0).
      const rx = (v: Vec3): Vec3 => [v[0], v[1] * Math.cos(a) - v[2] * Math.sin(a), v[1] * Math.sin(a) + v[2] * Math.cos(a)];
      const ry = (v: Vec3): Vec3 => [v[0] * Math.cos(b) + v[2] * Math.sin(b), v[1], -v[0] * Math.sin(b) + v[2] * Math.cos(b)];
      return { row: ry(rx([1, 0, 0])), column: ry(rx([0, 1, 0])) };
    }
    default: throw new RangeError(`unknown orientation ${String(o)}`);
  }
}

/** Tissue class → mean intensity, with seeded per-muscle differences of a few percent. */
function intensityTable(c: TissueIntensities, rnd: () => number): Float64Array {
  const t = new Float64Array(TISSUE_COUNT);
  t[TISSUE.air] = c.air; t[TISSUE.skin] = c.skin; t[TISSUE.fat] = c.fat; t[TISSUE.fascia] = c.fascia;
  t[TISSUE.deepMuscle] = c.muscle * 0.95;
  t[TISSUE.tibiaCortex] = t[TISSUE.fibulaCortex] = c.cortex;
  t[TISSUE.tibiaMarrow] = t[TISSUE.fibulaMarrow] = c.marrow;
  const offsets = [0, 0, 0.04, 0.03, -0.03, -0.02, 0.02];
  for (let m = 1; m <= 6; m++) {
    t[TISSUE.muscle + m] = c.muscles?.[m as 1] ?? c.muscle * (1 + offsets[m]! + (rnd() * 2 - 1) * 0.015);
  }
  return t;
}

/**
 * Smooth 3D value noise in about [−1, 1] on a lattice of `cell` mm covering the box [lo, hi]: random
 * lattice values (precomputed once), trilinearly blended with smoothstep weights. It gives tissues a
 * heterogeneous, non-trivial texture at a few array reads per voxel.
 */
function valueNoise(rnd: () => number, cell: number, lo: Vec3, hi: Vec3): (x: number, y: number, z: number) => number {
  const nx = Math.ceil((hi[0] - lo[0]) / cell) + 2, ny = Math.ceil((hi[1] - lo[1]) / cell) + 2, nz = Math.ceil((hi[2] - lo[2]) / cell) + 2;
  const lattice = new Float32Array(nx * ny * nz);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rnd() * 2 - 1;
  const sx = ny * nz;
  return (x, y, z) => {
    const fx0 = (x - lo[0]) / cell, fy0 = (y - lo[1]) / cell, fz0 = (z - lo[2]) / cell;
    const i = Math.min(nx - 2, Math.max(0, Math.floor(fx0))), j = Math.min(ny - 2, Math.max(0, Math.floor(fy0))), k = Math.min(nz - 2, Math.max(0, Math.floor(fz0)));
    let fx = fx0 - i, fy = fy0 - j, fz = fz0 - k;
    fx = fx * fx * (3 - 2 * fx); fy = fy * fy * (3 - 2 * fy); fz = fz * fz * (3 - 2 * fz);
    const b = i * sx + j * nz + k;
    const c00 = lattice[b]! + (lattice[b + sx]! - lattice[b]!) * fx;
    const c10 = lattice[b + nz]! + (lattice[b + sx + nz]! - lattice[b + nz]!) * fx;
    const c01 = lattice[b + 1]! + (lattice[b + sx + 1]! - lattice[b + 1]!) * fx;
    const c11 = lattice[b + nz + 1]! + (lattice[b + sx + nz + 1]! - lattice[b + nz + 1]!) * fx;
    const c0 = c00 + (c10 - c00) * fy, c1 = c01 + (c11 - c01) * fy;
    return c0 + (c1 - c0) * fz;
  };
}

/** 2^16 standard normal deviates (Box–Muller), drawn from a seeded stream; voxels pick them at random. */
function normalTable(rnd: () => number): Float64Array {
  const t = new Float64Array(1 << 16);
  for (let i = 0; i < t.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rnd())), th = 2 * Math.PI * rnd();
    t[i] = r * Math.cos(th);
    t[i + 1] = r * Math.sin(th);
  }
  return t;
}

export function legPhantom(opts: LegPhantomOptions = {}): LegPhantom {
  const rows = opts.rows ?? 256, columns = opts.columns ?? 256, slices = opts.slices ?? 40;
  for (const [k, v] of Object.entries({ rows, columns, slices })) {
    if (!Number.isInteger(v) || v < 1 || v > 4096) throw new RangeError(`${k} must be an integer in 1..4096`);
  }
  const seed = opts.seed ?? 1;
  const anatomy = legAnatomy(opts);
  const { row, column } = orientationVectors(opts.orientation ?? 'axial');
  const n0 = cross(row, column);
  const normal: Vec3 = opts.reverseSliceOrder ? [0 - n0[0], 0 - n0[1], 0 - n0[2]] : n0; // 0 − x: no −0
  const fov = opts.legs === 2 ? 300 : 170;
  const [psRow, psCol] = opts.pixelSpacing ?? [fov / Math.max(rows, columns), fov / Math.max(rows, columns)];
  const ds = opts.sliceSpacing ?? 5;
  const center = opts.center ?? [0, 0, -0.42 * anatomy.length];
  // Voxel (i, j, k) = origin + i·psCol·row + j·psRow·column + k·ds·normal (volume.ts).
  const origin = [0, 1, 2].map((a) => center[a]! - ((columns - 1) / 2) * psCol * row[a]! - ((rows - 1) / 2) * psRow * column[a]! - ((slices - 1) / 2) * ds * normal[a]!) as Vec3;

  const contrast = typeof opts.contrast === 'object' ? opts.contrast : CONTRASTS[opts.contrast ?? 'T1'];
  if (!contrast) throw new RangeError(`unknown contrast ${String(opts.contrast)}`);
  const rnd = seededRandom(seed ^ 0x7a11);
  const table = intensityTable(contrast, rnd);
  const scale = opts.intensityScale ?? 1;
  const sigma = opts.noise ?? 15;
  const rician = (opts.noiseType ?? 'rician') === 'rician';
  // Bias field: 1 + b · P(q), P a random quadratic in q = (p − centre) / 150 mm with Σ|coefficients| = 1,
  // so the field stays within 1 ± b over the field of view — smooth like a coil sensitivity profile.
  const b = Math.min(0.5, Math.max(0, opts.biasField ?? 0.15));
  const coef = Array.from({ length: 9 }, () => rnd() * 2 - 1);
  const norm = coef.reduce((s, c) => s + Math.abs(c), 0) || 1;
  const [c1, c2, c3, c4, c5, c6, c7, c8, c9] = coef.map((c) => (c * b) / norm) as [number, number, number, number, number, number, number, number, number];
  const normals = normalTable(seededRandom(seed ^ 0x5eed));
  let pick = (seed ^ 0x9e3779b9) | 1; // xorshift32 state choosing deviates from the table
  const tex = Math.min(0.3, Math.max(0, opts.texture ?? 0.05));
  const corners = [0, 1].flatMap((a) => [0, 1].flatMap((b) => [0, 1].map((c) => [0, 1, 2].map((d) =>
    origin[d]! + a * (columns - 1) * psCol * row[d]! + b * (rows - 1) * psRow * column[d]! + c * (slices - 1) * ds * normal[d]!))));
  const lo = [0, 1, 2].map((d) => Math.min(...corners.map((p) => p[d]!)) - 1) as Vec3;
  const hi = [0, 1, 2].map((d) => Math.max(...corners.map((p) => p[d]!)) + 1) as Vec3;
  const texture = valueNoise(seededRandom(seed ^ 0x7e47), 3, lo, hi);

  const size = rows * columns * slices;
  const data = new Float32Array(size);
  const labelData = new Uint8Array(size);
  const lut = labelLut(opts.labels ?? 'muscles');
  const di = [psCol * row[0], psCol * row[1], psCol * row[2]];
  let lastKey = NaN;
  let section = anatomy.sectionAt(origin[2]);
  let idx = 0;
  for (let k = 0; k < slices; k++) {
    for (let j = 0; j < rows; j++) {
      const x0 = origin[0] + j * psRow * column[0] + k * ds * normal[0];
      const y0 = origin[1] + j * psRow * column[1] + k * ds * normal[1];
      const z0 = origin[2] + j * psRow * column[2] + k * ds * normal[2];
      for (let i = 0; i < columns; i++, idx++) {
        // Same expression as voxelCentre(), so a test can recompute this exact point.
        const x = x0 + i * di[0]!, y = y0 + i * di[1]!, z = z0 + i * di[2]!;
        const key = Math.round(z * 10);
        if (key !== lastKey) { section = anatomy.sectionAt(z); lastKey = key; }
        const tissue = anatomy.tissueIn(section, x, y);
        labelData[idx] = lut[tissue]!;
        const qx = (x - center[0]) / 150, qy = (y - center[1]) / 150, qz = (z - center[2]) / 150;
        const bias = 1 + c1 * qx + c2 * qy + c3 * qz + c4 * qx * qx + c5 * qy * qy + c6 * qz * qz + c7 * qx * qy + c8 * qy * qz + c9 * qx * qz;
        const s = table[tissue]! * bias * (tex > 0 && tissue !== TISSUE.air ? 1 + tex * texture(x, y, z) : 1);
        let v = s;
        if (sigma > 0) {
          pick ^= pick << 13; pick ^= pick >>> 17; pick ^= pick << 5;
          const n1 = normals[pick & 0xffff]! * sigma, n2 = normals[(pick >>> 16) & 0xffff]! * sigma;
          // Rician: the magnitude of a complex signal with Gaussian noise on both channels.
          v = rician ? Math.sqrt((s + n1) * (s + n1) + n2 * n2) : s + n1;
        }
        data[idx] = Math.max(0, Math.round(v * scale));
      }
    }
  }
  // Positions are derived exactly as the voxel loop does, so the files written from them agree.
  const sources: SliceSource[] = Array.from({ length: slices }, (_, k) => ({
    sopInstanceUid: newUid(), sopClassUid: MR_IMAGE_STORAGE,
    position: [origin[0] + k * ds * normal[0], origin[1] + k * ds * normal[1], origin[2] + k * ds * normal[2]],
  }));
  const geometry = {
    columns, rows, slices, spacing: [psCol, psRow, ds] as Vec3, origin, rowDirection: row, columnDirection: column, normal,
    frameOfReferenceUid: opts.frameOfReferenceUid ?? newUid(), studyInstanceUid: opts.studyInstanceUid ?? newUid(),
    seriesInstanceUid: opts.seriesInstanceUid ?? newUid(), sources,
  };
  return { volume: { ...geometry, data }, labels: { ...geometry, data: labelData, sources: sources.map((s) => ({ ...s })) }, anatomy };
}
