import type { LabelVolume, Volume } from '../dicom/volume.js';
import type { ModelCard } from '../inference/model-card.js';
import { applyNormalisation, normalisationFor, type Affine } from '../inference/normalize.js';
import { axisMap, centringOffset, resampleSlice, type AxisMap } from '../inference/resample.js';
import type { SliceSet } from './slice-set.js';

/**
 * Training slices on the model's grid, prepared exactly as inference prepares them
 * (inference/pipeline.ts): the same centring offset and bilinear resampling (pad 0), the same
 * normalisation scope and statistics. Masks are resampled nearest-neighbour on the same axis maps
 * (label of the nearest source pixel centre; 0 outside the source), so image and mask stay aligned.
 * `statisticsFrom`: the acquired voxels when `volume` is a reformat (as segment-plane.ts does).
 */
export function toModelGrid(volume: Volume, labels: LabelVolume, card: ModelCard, slices?: readonly number[], statisticsFrom?: Float32Array): SliceSet {
  const [H, W] = card.input.size;
  const [rowSpacing, colSpacing] = card.input.pixelSpacing;
  const { rows: R, columns: C, slices: Z } = volume;
  if (labels.rows !== R || labels.columns !== C || labels.slices !== Z) throw new Error('toModelGrid: labels are not on the volume grid');
  const fwdRows = axisMap(R, volume.spacing[1], H, rowSpacing, centringOffset(R, volume.spacing[1], H, rowSpacing), true);
  const fwdCols = axisMap(C, volume.spacing[0], W, colSpacing, centringOffset(C, volume.spacing[0], W, colSpacing), true);
  const scope = card.input.normalization.method === 'fixed' ? 'volume' : card.input.normalization.scope;
  const volumeAffine: Affine | undefined = scope === 'volume' ? normalisationFor(card, statisticsFrom ?? volume.data, 0, (statisticsFrom ?? volume.data).length) : undefined;
  const ks = slices ?? Array.from({ length: Z }, (_, k) => k);
  const plane = H * W;
  const images = new Float32Array(ks.length * plane);
  const masks = new Uint8Array(ks.length * plane);
  ks.forEach((k, b) => {
    const srcOffset = k * R * C;
    resampleSlice(volume.data, srcOffset, C, fwdRows, fwdCols, images, b * plane, 0);
    const affine = volumeAffine ?? normalisationFor(card, volume.data, srcOffset, srcOffset + R * C);
    applyNormalisation(card, affine, images, b * plane, (b + 1) * plane);
    nearestSlice(labels.data, srcOffset, C, fwdRows, fwdCols, masks, b * plane);
  });
  return { images, masks, count: ks.length, height: H, width: W };
}

function nearestSlice(src: Uint8Array, srcOffset: number, srcCols: number, rows: AxisMap, cols: AxisMap, out: Uint8Array, outOffset: number): void {
  const h = rows.lo.length, w = cols.lo.length;
  for (let y = 0; y < h; y++) {
    const r = rows.w[y]! < 0.5 ? rows.lo[y]! : rows.hi[y]!;
    for (let x = 0; x < w; x++) {
      const c = cols.w[x]! < 0.5 ? cols.lo[x]! : cols.hi[x]!;
      out[outOffset + y * w + x] = rows.inside[y] && cols.inside[x] ? src[srcOffset + r * srcCols + c]! : 0;
    }
  }
}
