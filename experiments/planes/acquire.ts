import type { LabelVolume, Volume } from '../../src/dicom/volume.js';
import { legPhantom, type MrContrast } from '../../src/phantom/leg-phantom.js';

/**
 * One anatomy, four acquisitions (issue 14): the same box of patient space around the mid-calf
 * sampled axial, coronal, sagittal and oblique, each with fine pixels and coarse slices
 * (anisotropic, as scanners acquire). The box is the same for every plane so their Dice compare
 * the same tissue: 170 mm across (x and y) and 120 mm along the leg (z).
 */
export type AcquisitionPlane = 'axial' | 'coronal' | 'sagittal' | 'oblique';
export const ACQUISITION_PLANES: readonly AcquisitionPlane[] = ['axial', 'coronal', 'sagittal', 'oblique'];

export interface Acquisition {
  plane: AcquisitionPlane;
  rows: number;
  columns: number;
  slices: number;
  pixelSpacing: [number, number];
  sliceSpacing: number;
}

export interface AcquisitionOptions {
  /** In-plane pixel size, mm (default 0.66: a 256 matrix over 170 mm). */
  pixel?: number;
  /** Slice spacing of the axial and oblique series (default 5 mm). */
  axialSpacing?: number;
  /** Slice spacing of the coronal and sagittal series (default 3 mm). */
  spacing?: number;
}

const ACROSS = 170, ALONG = 120;

/** The grid of each plane over the common box. */
export function acquisition(plane: AcquisitionPlane, o: AcquisitionOptions = {}): Acquisition {
  const px = o.pixel ?? 0.66;
  const across = Math.round(ACROSS / px), along = Math.round(ALONG / px);
  if (plane === 'axial' || plane === 'oblique') {
    const s = o.axialSpacing ?? 5;
    return { plane, rows: across, columns: across, slices: Math.round(ALONG / s), pixelSpacing: [px, px], sliceSpacing: s };
  }
  const s = o.spacing ?? 3;
  // Coronal / sagittal: rows run along the leg (−z), columns across it, slices across the box.
  return { plane, rows: along, columns: across, slices: Math.round(ACROSS / s), pixelSpacing: [px, px], sliceSpacing: s };
}

export interface PhantomStyle {
  name: string;
  /** The same anatomy (seed) sampled on the given grid: image and exact labels (1..6 muscles). */
  make(seed: number, a: Acquisition): { volume: Volume; labels: LabelVolume };
}

/** Our training generator's style (src/phantom/leg-phantom.ts), the demo model's own data. */
export const LEG_PHANTOM_STYLE = (contrast: MrContrast = 'T1'): PhantomStyle => ({
  name: `leg-phantom ${contrast}`,
  make(seed, a) {
    // The generator's default centre: the leg axis at the calf section its training data covers.
    const p = legPhantom({ seed, contrast, orientation: a.plane, rows: a.rows, columns: a.columns, slices: a.slices, pixelSpacing: a.pixelSpacing, sliceSpacing: a.sliceSpacing });
    return { volume: p.volume, labels: p.labels };
  },
});
