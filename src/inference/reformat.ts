import type { LabelVolume, Vec3, Volume, VolumeGeometry } from '../dicom/volume.js';
import { PLANE_AXES, samplingAlong, type ModelPlane } from '../dicom/plane.js';

/**
 * Multiplanar reformat for the pipeline (issue 14): the series volume resampled onto a grid in the
 * model's plane (bilinear within the acquired slices, nearest slice across them: reformatImage),
 * and the labels found there carried back onto the ACQUIRED grid (a trilinear vote of the eight
 * nearest reformat voxels), so the SEG still references the source frames (PS3.3 C.8.20.2: each
 * SEG frame points at the source image it was derived from).
 *
 * Positions follow PS3.3 C.7.6.2.1.1 (src/dicom/volume.ts): p = origin + i·s0·row + j·s1·column +
 * k·s2·normal. The source stack may be sheared (normal not row × column), so patient → index is
 * the inverse of that 3×3 matrix, not three dot products.
 */

/** Reformatted slices beyond this many are made coarser: bounded time and memory for any series. */
export const MAX_REFORMAT_SLICES = 512;

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** Patient point → continuous voxel index of a geometry: the inverse of its index → patient map. */
function indexMap(g: Pick<VolumeGeometry, 'rowDirection' | 'columnDirection' | 'normal' | 'spacing'>): (p: Vec3) => Vec3 {
  const a = g.rowDirection.map((v) => v * g.spacing[0]);
  const b = g.columnDirection.map((v) => v * g.spacing[1]);
  const c = g.normal.map((v) => v * g.spacing[2]);
  // M = [a b c] (columns); M⁻¹ by the adjugate.
  const m: Mat3 = [a[0]!, b[0]!, c[0]!, a[1]!, b[1]!, c[1]!, a[2]!, b[2]!, c[2]!];
  const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (Math.abs(det) < 1e-12) throw new RangeError('the volume geometry is degenerate (its axes are not independent)');
  const inv: Mat3 = [
    (m[4] * m[8] - m[5] * m[7]) / det, (m[2] * m[7] - m[1] * m[8]) / det, (m[1] * m[5] - m[2] * m[4]) / det,
    (m[5] * m[6] - m[3] * m[8]) / det, (m[0] * m[8] - m[2] * m[6]) / det, (m[2] * m[3] - m[0] * m[5]) / det,
    (m[3] * m[7] - m[4] * m[6]) / det, (m[1] * m[6] - m[0] * m[7]) / det, (m[0] * m[4] - m[1] * m[3]) / det,
  ];
  return (p) => [inv[0] * p[0] + inv[1] * p[1] + inv[2] * p[2], inv[3] * p[0] + inv[4] * p[1] + inv[5] * p[2], inv[6] * p[0] + inv[7] * p[1] + inv[8] * p[2]];
}

const at = (g: Pick<VolumeGeometry, 'origin' | 'rowDirection' | 'columnDirection' | 'normal' | 'spacing'>, i: number, j: number, k: number): Vec3 =>
  [0, 1, 2].map((a) => g.origin[a]! + i * g.spacing[0] * g.rowDirection[a]! + j * g.spacing[1] * g.columnDirection[a]! + k * g.spacing[2] * g.normal[a]!) as Vec3;
const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/**
 * The reformat grid: the model's input size at its pixel spacing in the model's plane, centred on
 * the centre of the source volume (what the direct path's centred crop sees), and slices along the
 * plane normal covering the whole source, spaced as finely as the source samples that direction
 * (never finer than the model's pixels, never more than MAX_REFORMAT_SLICES).
 */
export function reformatGeometry(source: VolumeGeometry, plane: ModelPlane, size: readonly [number, number], pixelSpacing: readonly [number, number]): VolumeGeometry {
  const axes = PLANE_AXES[plane];
  const [H, W] = size;
  const [rowSp, colSp] = pixelSpacing; // PixelSpacing order: row spacing (between rows), column spacing
  const corners: Vec3[] = [];
  for (const i of [0, source.columns - 1]) for (const j of [0, source.rows - 1]) for (const k of [0, source.slices - 1]) corners.push(at(source, i, j, k));
  const centre = at(source, (source.columns - 1) / 2, (source.rows - 1) / 2, (source.slices - 1) / 2);
  const along = corners.map((c) => dot(c, axes.normal));
  const lo = Math.min(...along), hi = Math.max(...along);
  let step = Math.max(samplingAlong(source, axes.normal), Math.min(rowSp, colSp));
  if ((hi - lo) / step + 1 > MAX_REFORMAT_SLICES) step = (hi - lo) / (MAX_REFORMAT_SLICES - 1);
  const slices = Math.max(1, Math.floor((hi - lo) / step + 1e-6) + 1);
  // Centre the slab on the source's extent along the normal, and the in-plane grid on its centre.
  const first = (lo + hi) / 2 - ((slices - 1) * step) / 2;
  const origin = [0, 1, 2].map(
    (a) => centre[a]! + (first - dot(centre, axes.normal)) * axes.normal[a]! - ((W - 1) / 2) * colSp * axes.row[a]! - ((H - 1) / 2) * rowSp * axes.column[a]!,
  ) as Vec3;
  const sources = Array.from({ length: slices }, (_, k) => ({ sopInstanceUid: '', sopClassUid: '', position: at({ origin, rowDirection: axes.row, columnDirection: axes.column, normal: axes.normal, spacing: [colSp, rowSp, step] }, 0, 0, k) }));
  return {
    columns: W, rows: H, slices, spacing: [colSp, rowSp, step], origin,
    rowDirection: [...axes.row], columnDirection: [...axes.column], normal: [...axes.normal],
    frameOfReferenceUid: source.frameOfReferenceUid, studyInstanceUid: source.studyInstanceUid, seriesInstanceUid: source.seriesInstanceUid,
    sources,
  };
}

/**
 * For every voxel of `dst`, the continuous index into `src` is affine in (i, j, k): the start of
 * each row and the step along it are enough (no per-voxel matrix product).
 */
function stepper(dst: VolumeGeometry, src: VolumeGeometry): { start: (j: number, k: number) => Vec3; di: Vec3 } {
  const toSrc = indexMap(src);
  const rel = (p: Vec3): Vec3 => toSrc([p[0] - src.origin[0], p[1] - src.origin[1], p[2] - src.origin[2]]);
  const o = rel(dst.origin);
  const di = toSrc(dst.rowDirection.map((v) => v * dst.spacing[0]) as Vec3);
  const dj = toSrc(dst.columnDirection.map((v) => v * dst.spacing[1]) as Vec3);
  const dk = toSrc(dst.normal.map((v) => v * dst.spacing[2]) as Vec3);
  return { start: (j, k) => [o[0] + j * dj[0] + k * dk[0], o[1] + j * dj[1] + k * dk[1], o[2] + j * dj[2] + k * dk[2]], di };
}

/**
 * Resampling of `volume` onto `target`: bilinear inside each acquired slice, the NEAREST acquired
 * slice across them; voxels more than half a voxel outside the source: `pad`.
 *
 * Why not trilinear: a 2D network trained on sharp in-plane images reads an edge blurred over the
 * coarse slice spacing as a different image. Measured with the demo model on the second phantom
 * style (docs/segmentation.md "Interpolation across slices"): coronal 3 mm series of the contrasts the
 * model is weakest on scored 0.50–0.55 × the axial muscle Dice with trilinear and 0.77–0.80 × with
 * the nearest slice, while the training style lost 0.003. The nearest slice hands the network only
 * acquired sample values with their edges intact (displaced by at most half a slice), which is the
 * image it was trained on. Inside the slice the pixels are fine (≤ the model's pixel) and bilinear
 * is what the direct path's in-plane resampling does too.
 */
export function reformatImage(volume: Volume, target: VolumeGeometry, pad = 0): Volume {
  const { columns: C, rows: R, slices: Z, data } = volume;
  const plane = R * C;
  const out = new Float32Array(target.columns * target.rows * target.slices);
  const { start, di } = stepper(target, volume);
  let p = 0;
  for (let k = 0; k < target.slices; k++) {
    for (let j = 0; j < target.rows; j++) {
      const s = start(j, k);
      for (let i = 0; i < target.columns; i++, p++) {
        const x = s[0] + i * di[0], y = s[1] + i * di[1], z = s[2] + i * di[2];
        if (x < -0.5 || y < -0.5 || z < -0.5 || x > C - 0.5 || y > R - 0.5 || z > Z - 0.5) {
          out[p] = pad;
          continue;
        }
        // Within half a voxel of the edge the edge value holds (clamped), as for the direct path.
        const cx = x < 0 ? 0 : x > C - 1 ? C - 1 : x, cy = y < 0 ? 0 : y > R - 1 ? R - 1 : y;
        const zn = Math.round(z), kz = zn < 0 ? 0 : zn > Z - 1 ? Z - 1 : zn;
        const x0 = Math.floor(cx), y0 = Math.floor(cy);
        const x1 = x0 + 1 < C ? x0 + 1 : x0, y1 = y0 + 1 < R ? y0 + 1 : y0;
        const fx = cx - x0, fy = cy - y0;
        const r0 = kz * plane + y0 * C, r1 = kz * plane + y1 * C;
        const v0 = data[r0 + x0]! + (data[r0 + x1]! - data[r0 + x0]!) * fx;
        const v1 = data[r1 + x0]! + (data[r1 + x1]! - data[r1 + x0]!) * fx;
        out[p] = v0 + (v1 - v0) * fy;
      }
    }
  }
  return { ...target, data: out };
}

/**
 * Labels of one grid → labels on another (the reformat's labels back onto the acquired grid, or a
 * reader's corrected labels into the model's plane for training): each voxel of `source` (the
 * destination grid) takes the label with the largest trilinear weight among the eight voxels of
 * `labels` around its centre (outside them: background). Where all eight agree — almost
 * everywhere — that label is taken at once.
 */
export function labelsOnto(labels: LabelVolume, source: VolumeGeometry): Uint8Array {
  const { columns: C, rows: R, slices: Z, data } = labels;
  const plane = R * C;
  const out = new Uint8Array(source.columns * source.rows * source.slices);
  const { start, di } = stepper(source, labels);
  const weight = new Float64Array(256);
  const listed = new Uint8Array(256);
  const seen: number[] = [];
  let p = 0;
  for (let k = 0; k < source.slices; k++) {
    for (let j = 0; j < source.rows; j++) {
      const s = start(j, k);
      for (let i = 0; i < source.columns; i++, p++) {
        const x = s[0] + i * di[0], y = s[1] + i * di[1], z = s[2] + i * di[2];
        if (x < -0.5 || y < -0.5 || z < -0.5 || x > C - 0.5 || y > R - 0.5 || z > Z - 0.5) continue;
        const cx = x < 0 ? 0 : x > C - 1 ? C - 1 : x, cy = y < 0 ? 0 : y > R - 1 ? R - 1 : y, cz = z < 0 ? 0 : z > Z - 1 ? Z - 1 : z;
        const x0 = Math.floor(cx), y0 = Math.floor(cy), z0 = Math.floor(cz);
        const x1 = x0 + 1 < C ? x0 + 1 : x0, y1 = y0 + 1 < R ? y0 + 1 : y0, z1 = z0 + 1 < Z ? z0 + 1 : z0;
        // The eight neighbours: base + {0, dx} + {0, dy} + {0, dz} (no per-voxel allocation).
        const base = z0 * plane + y0 * C + x0, dx = x1 - x0, dy = (y1 - y0) * C, dz = (z1 - z0) * plane;
        const l0 = data[base]!;
        if (data[base + dx] === l0 && data[base + dy] === l0 && data[base + dx + dy] === l0 && data[base + dz] === l0 && data[base + dz + dx] === l0 && data[base + dz + dy] === l0 && data[base + dz + dx + dy] === l0) {
          out[p] = l0;
          continue;
        }
        const fx = cx - x0, fy = cy - y0, fz = cz - z0;
        for (let n = 0; n < 8; n++) {
          const w = (n & 1 ? fx : 1 - fx) * (n & 2 ? fy : 1 - fy) * (n & 4 ? fz : 1 - fz);
          const l = data[base + (n & 1 ? dx : 0) + (n & 2 ? dy : 0) + (n & 4 ? dz : 0)]!;
          if (!listed[l]) {
            listed[l] = 1;
            seen.push(l);
          }
          weight[l]! += w;
        }
        let best = 0, bestW = -1;
        for (const l of seen) {
          if (weight[l]! > bestW) {
            best = l;
            bestW = weight[l]!;
          }
          weight[l] = 0;
          listed[l] = 0;
        }
        seen.length = 0;
        out[p] = best;
      }
    }
  }
  return out;
}
