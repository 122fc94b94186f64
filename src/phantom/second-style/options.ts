/**
 * Options of the second-style lower-leg phantom and their defaults. Kept apart from the generator so
 * the CLI, the tests and the generator agree on one set of defaults and one validation.
 */
import type { Vec3 } from '../../dicom/volume.js';

export type SecondStyleContrast = 'T1' | 'T2-fatsat' | 'dixon-water' | 'dixon-fat' | 'PD';
export const SECOND_STYLE_CONTRASTS: readonly SecondStyleContrast[] = ['T1', 'T2-fatsat', 'dixon-water', 'dixon-fat', 'PD'];

export type SecondStyleOrientation = 'axial' | 'coronal' | 'sagittal' | 'oblique' | readonly number[];

/** Magnitude-image noise; sigma is a fraction of the contrast's muscle signal (0.03 = 3 %). */
export interface NoiseOptions { sigma: number; kind?: 'rician' | 'gaussian' }
/** Receive-coil shading: intensity × (1 + amplitude·(g − 1)), g from 2–4 seeded surface coil elements. */
export interface BiasFieldOptions { amplitude: number; coils?: number; /** falloff length, mm */ falloff?: number }
/** Faint copies of the image displaced along the phase-encode (column) direction. */
export interface GhostOptions { amplitude: number; /** rows; default rows / 2 (Nyquist) */ shift?: number; kind?: 'nyquist' | 'motion' }
/** Fraction (0–1) of fat signal mixed into muscle, for all muscles or per muscle name. */
export type FattyInfiltration = number | Partial<Record<SecondStyleMuscleName, number>>;

export type SecondStyleMuscleName =
  | 'soleus' | 'gastrocnemius_medialis' | 'gastrocnemius_lateralis' | 'tibialis_anterior' | 'extensor_digitorum_longus' | 'peroneus'
  | 'tibialis_posterior' | 'flexor_digitorum_longus' | 'flexor_hallucis_longus' | 'extensor_hallucis_longus' | 'popliteus';

export interface SecondStyleOptions {
  seed?: number;
  orientation?: SecondStyleOrientation;
  rows?: number;
  columns?: number;
  slices?: number;
  /** [row spacing, column spacing] in mm, as DICOM PixelSpacing */
  pixelSpacing?: [number, number];
  sliceSpacing?: number;
  /** boxcar slice profile width in mm; default = sliceSpacing; 0 = infinitely thin */
  sliceThickness?: number;
  /** patient-space grid centre; default the nominal mid-calf point on the leg axis (NOMINAL_CENTRE) */
  center?: Vec3;
  /** slice order runs against row × column */
  reverseSliceOrder?: boolean;
  contrast?: SecondStyleContrast;
  /** number = sigma; 0 disables */
  noise?: number | NoiseOptions;
  /** number = amplitude (0–0.4); 0 disables */
  biasField?: number | BiasFieldOptions;
  /** number = amplitude (e.g. 0.05); default off */
  ghost?: number | GhostOptions;
  fattyInfiltration?: FattyInfiltration;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  frameOfReferenceUid?: string;
}

export interface ResolvedOptions {
  seed: number;
  orientation: SecondStyleOrientation;
  rows: number;
  columns: number;
  slices: number;
  pixelSpacing: [number, number];
  sliceSpacing: number;
  sliceThickness: number;
  center: Vec3;
  reverseSliceOrder: boolean;
  contrast: SecondStyleContrast;
  noise: Required<NoiseOptions>;
  biasField: Required<BiasFieldOptions> | null;
  ghost: Required<GhostOptions> | null;
  fattyInfiltration: FattyInfiltration;
}

/**
 * Where the anatomy is anchored in patient LPS space: a right calf, so x < 0 (patient right), the
 * mid-calf level at z = 0. The seeded leg axis passes within 15 mm of this point.
 */
export const NOMINAL_CENTRE: Vec3 = [-90, 0, 0];

const positiveInt = (name: string, v: number, max: number) => {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer 1..${max}, got ${v}`);
  return v;
};
const positive = (name: string, v: number) => {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number of mm, got ${v}`);
  return v;
};
const fraction = (name: string, v: number, max: number) => {
  if (!Number.isFinite(v) || v < 0 || v > max) throw new RangeError(`${name} must be in 0..${max}, got ${v}`);
  return v;
};

export function resolveOptions(o: SecondStyleOptions = {}): ResolvedOptions {
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const rows = positiveInt('rows', o.rows ?? 256, 2048);
  const columns = positiveInt('columns', o.columns ?? 256, 2048);
  const slices = positiveInt('slices', o.slices ?? 30, 2048);
  // 0.7 mm × 256 = 179 mm: the widest leg (radius 60 mm + fat) at the largest offset (15 mm) still fits.
  const pixelSpacing: [number, number] = [positive('pixelSpacing[0]', o.pixelSpacing?.[0] ?? 0.7), positive('pixelSpacing[1]', o.pixelSpacing?.[1] ?? 0.7)];
  const sliceSpacing = positive('sliceSpacing', o.sliceSpacing ?? 5);
  const sliceThickness = o.sliceThickness ?? sliceSpacing;
  if (!Number.isFinite(sliceThickness) || sliceThickness < 0) throw new RangeError(`sliceThickness must be ≥ 0 mm, got ${sliceThickness}`);
  const center = o.center ?? NOMINAL_CENTRE;
  if (center.length !== 3 || !center.every(Number.isFinite)) throw new RangeError('center must be three finite numbers (patient LPS, mm)');
  const contrast = o.contrast ?? 'T1';
  if (!SECOND_STYLE_CONTRASTS.includes(contrast)) throw new RangeError(`contrast must be one of ${SECOND_STYLE_CONTRASTS.join(', ')}`);

  const n = typeof o.noise === 'number' ? { sigma: o.noise } : o.noise ?? { sigma: 0.03 };
  const noise = { sigma: fraction('noise sigma', n.sigma, 1), kind: n.kind ?? 'rician' } as const;
  const b = typeof o.biasField === 'number' ? { amplitude: o.biasField } : o.biasField ?? { amplitude: 0.2 };
  const biasField = b.amplitude > 0
    ? { amplitude: fraction('bias amplitude', b.amplitude, 0.6), coils: positiveInt('bias coils', b.coils ?? 3, 8), falloff: positive('bias falloff', b.falloff ?? 70) }
    : null;
  const g = typeof o.ghost === 'number' ? { amplitude: o.ghost } : o.ghost ?? { amplitude: 0 };
  const ghost = g.amplitude > 0
    ? { amplitude: fraction('ghost amplitude', g.amplitude, 0.5), shift: Math.round(g.shift ?? rows / 2), kind: g.kind ?? 'nyquist' }
    : null;
  const fat = o.fattyInfiltration ?? 0;
  for (const v of typeof fat === 'number' ? [fat] : Object.values(fat)) fraction('fattyInfiltration', v ?? 0, 1);

  return {
    seed, orientation: o.orientation ?? 'axial', rows, columns, slices, pixelSpacing, sliceSpacing, sliceThickness,
    center: [center[0], center[1], center[2]], reverseSliceOrder: o.reverseSliceOrder ?? false, contrast, noise, biasField, ghost, fattyInfiltration: fat,
  };
}
