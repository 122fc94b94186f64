/**
 * One source slice as an RGB picture with the segments' outlines drawn over it: what a PACS that
 * cannot show DICOM SEG displays instead (issue 18 item 2). Pure pixels, no DICOM.
 *
 * The grey levels are the source signal windowed to the volume's 1st–99th percentile (one window
 * for the whole series, so slices compare); a voxel is on a segment's outline when it belongs to
 * the segment and one of its four in-plane neighbours does not (or it is at the image border).
 * Outlines are drawn in the segment's display colour (the SEG's RecommendedDisplayCIELabValue,
 * PS3.3 C.8.20.4), one pixel wide, so the anatomy under them stays visible.
 */
import type { LabelVolume, Volume } from '../dicom/volume.js';

export interface Window {
  low: number;
  high: number;
}

/** The 1st and 99th percentile of (a sample of at most 200 000 voxels of) the volume. */
export function percentileWindow(data: Float32Array): Window {
  const step = Math.max(1, Math.floor(data.length / 200_000));
  const sample: number[] = [];
  for (let i = 0; i < data.length; i += step) sample.push(data[i]!);
  sample.sort((a, b) => a - b);
  const at = (q: number) => sample[Math.min(sample.length - 1, Math.max(0, Math.round(q * (sample.length - 1))))] ?? 0;
  const low = at(0.01), high = at(0.99);
  return high > low ? { low, high } : { low, high: low + 1 };
}

/** RGB (Planar Configuration 0: R G B per pixel), rows × columns × 3 bytes, of slice k. */
export function renderSlice(volume: Pick<Volume, 'data' | 'rows' | 'columns'>, labels: Pick<LabelVolume, 'data'>, k: number, colors: ReadonlyMap<number, readonly [number, number, number]>, w: Window): Uint8Array {
  const { rows, columns } = volume;
  const px = rows * columns;
  const base = k * px;
  const out = new Uint8Array(px * 3);
  const scale = 255 / (w.high - w.low);
  for (let p = 0; p < px; p++) {
    const g = Math.max(0, Math.min(255, Math.round((volume.data[base + p]! - w.low) * scale)));
    out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = g;
  }
  const L = labels.data;
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < columns; i++) {
      const p = j * columns + i;
      const l = L[base + p]!;
      if (l === 0) continue;
      const edge =
        i === 0 || j === 0 || i === columns - 1 || j === rows - 1 ||
        L[base + p - 1] !== l || L[base + p + 1] !== l || L[base + p - columns] !== l || L[base + p + columns] !== l;
      if (!edge) continue;
      const c = colors.get(l) ?? [255, 255, 0];
      out[3 * p] = c[0];
      out[3 * p + 1] = c[1];
      out[3 * p + 2] = c[2];
    }
  }
  return out;
}
